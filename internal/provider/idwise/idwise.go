// Package idwise adapts IDWise webhooks: {"event": "...", "body": {...}} with
// event names that contain spaces. IDWise signs nothing; its sources
// authenticate with the credential the customer configured at IDWise (HTTP
// Basic, a bearer token or a custom header), checked by ingest.
package idwise

import (
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "idwise"

// Adapter describes IDWise to the registry.
var Adapter = provider.Adapter{
	Name:  Name,
	Signs: false,
	// IDWise retries 5, 10 and 15 minutes after a failed delivery: 30
	// minutes, with a margin.
	RetriesFor: time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
}

// Webhooks authenticates and parses the webhooks of one IDWise source.
type Webhooks struct{}

// New returns the adapter for a source.
func New(provider.Config) (provider.Webhooks, error) { return Webhooks{}, nil }

// Authenticate accepts every request: IDWise signs nothing, and the source's
// configured credential is checked before the adapter is asked.
func (Webhooks) Authenticate(http.Header, []byte) error { return nil }

// Catalogue maps every IDWise event to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	"Finished Step":                 kycgate.EventStepCompleted,
	"Step Submitted":                kycgate.EventStepCompleted,
	"Finished User Steps":           kycgate.EventSubmitted,
	"Finished Journey":              kycgate.EventDecided,
	"Manually Reviewed":             kycgate.EventUpdated,
	"Updated Journey":               kycgate.EventUpdated,
	"AML Monitor Update":            kycgate.EventAMLUpdate,
	"Finished Spot Check":           kycgate.EventUpdated,
	"Finished Ongoing Check":        kycgate.EventUpdated,
	"Verification Update Required":  kycgate.EventUpdated,
	"KYC Renewal Deadline Exceeded": kycgate.EventExpired,
}
