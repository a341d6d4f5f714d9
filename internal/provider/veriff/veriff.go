// Package veriff adapts Veriff webhooks: the X-HMAC-SIGNATURE signature, the
// decision, event and watchlist screening webhooks, and the session id they
// name.
package veriff

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"time"
)

// Name is the provider name used in configuration and in the data.
const Name = "veriff"

// Adapter describes Veriff to the registry.
var Adapter = provider.Adapter{
	Name:    Name,
	Signs:   true,
	Headers: []string{HeaderSignature, HeaderSignatureVRF},
	// Veriff retries about once an hour for up to 7 days, with a margin.
	RetriesFor: 7*24*time.Hour + 2*time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
}

// Webhooks authenticates and parses the webhooks of one Veriff source.
type Webhooks struct {
	secrets []string
}

// New returns the adapter for a source signed with any of cfg.Secrets (the
// integration's shared secret keys, several while one is rotated).
func New(cfg provider.Config) (provider.Webhooks, error) {
	return &Webhooks{secrets: cfg.Secrets}, nil
}

// Catalogue maps every Veriff event to its canonical event type: the
// event webhook's action, the decision webhook's verification.status, and
// the watchlist screening webhook's checkType.
var Catalogue = map[string]kycgate.EventType{
	// Event webhook (code 7001, 7002).
	"started":   kycgate.EventStarted,
	"submitted": kycgate.EventSubmitted,
	// Decision webhook.
	"approved":               kycgate.EventDecided,
	"declined":               kycgate.EventDecided,
	"resubmission_requested": kycgate.EventDecided,
	"review":                 kycgate.EventDecided,
	"expired":                kycgate.EventExpired,
	"abandoned":              kycgate.EventExpired,
	// Watchlist screening webhook.
	"initial_result": kycgate.EventAMLUpdate,
	"updated_result": kycgate.EventAMLUpdate,
}
