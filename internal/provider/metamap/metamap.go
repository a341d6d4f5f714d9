// Package metamap adapts MetaMap (formerly Mati) webhooks: the x-signature
// HMAC, the eventName catalogue and the verification id in the resource URL.
package metamap

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"time"
)

// Name is the provider name used in configuration and in the data.
const Name = "metamap"

// Adapter describes MetaMap to the registry.
var Adapter = provider.Adapter{
	Name:    Name,
	Signs:   true,
	Headers: []string{HeaderSignature},
	// MetaMap retries 1, 3, 5, 7 and 10 minutes after a failed delivery: 26
	// minutes, with a margin.
	RetriesFor: time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
	Options:    []string{provider.OptionExternalUserIDKey},
}

// Webhooks authenticates and parses the webhooks of one MetaMap source.
type Webhooks struct {
	secrets    []string
	userIDKeys []string
}

// New returns the adapter for a source signed with any of cfg.Secrets. The
// external user id is read from the metadata key cfg.ExternalUserIDKey, or
// else from DefaultUserIDKeys.
func New(cfg provider.Config) (provider.Webhooks, error) {
	keys := DefaultUserIDKeys
	if cfg.ExternalUserIDKey != "" {
		keys = []string{cfg.ExternalUserIDKey}
	}
	return &Webhooks{secrets: cfg.Secrets, userIDKeys: keys}, nil
}

// Catalogue maps every MetaMap eventName to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	"verification_started":          kycgate.EventStarted,
	"step_completed":                kycgate.EventStepCompleted,
	"verification_inputs_completed": kycgate.EventSubmitted,
	"verification_postponed":        kycgate.EventOnHold,
	"verification_completed":        kycgate.EventDecided,
	"verification_updated":          kycgate.EventUpdated,
	"verification_signed":           kycgate.EventStepCompleted,
	"verification_expired":          kycgate.EventExpired,
}
