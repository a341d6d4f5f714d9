// Package sumsub adapts Sumsub applicant webhooks: the X-Payload-Digest
// signature, the event catalogue and the payload's identity fields.
package sumsub

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"time"
)

// Name is the provider name used in configuration and in the data.
const Name = "sumsub"

// Adapter describes Sumsub to the registry.
var Adapter = provider.Adapter{
	Name:    Name,
	Signs:   true,
	Headers: []string{HeaderDigest, HeaderDigestAlg},
	// Sumsub retries 5 minutes, 1 hour, 5 hours and 18 hours after a failed
	// delivery: 24 hours 5 minutes, and a margin for its 5-second timeouts.
	RetriesFor: 25 * time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
}

// Webhooks authenticates and parses the webhooks of one Sumsub source.
type Webhooks struct {
	secrets []string
}

// New returns the adapter for a source signed with any of cfg.Secrets.
func New(cfg provider.Config) (provider.Webhooks, error) {
	return &Webhooks{secrets: cfg.Secrets}, nil
}

// Catalogue maps every Sumsub webhook type to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	// User verification (the documented catalogue).
	"applicantCreated":               kycgate.EventCreated,
	"applicantPending":               kycgate.EventSubmitted,
	"applicantReviewed":              kycgate.EventDecided,
	"applicantOnHold":                kycgate.EventOnHold,
	"applicantActionPending":         kycgate.EventOther,
	"applicantActionReviewed":        kycgate.EventOther,
	"applicantActionOnHold":          kycgate.EventOther,
	"applicantActionLevelChanged":    kycgate.EventOther,
	"applicantPersonalInfoChanged":   kycgate.EventUpdated,
	"applicantTagsChanged":           kycgate.EventUpdated,
	"applicantActivated":             kycgate.EventUpdated,
	"applicantDeactivated":           kycgate.EventUpdated,
	"applicantDeleted":               kycgate.EventDeleted,
	"applicantPersonalDataDeleted":   kycgate.EventDeleted,
	"applicantReset":                 kycgate.EventReset,
	"applicantPrechecked":            kycgate.EventSubmitted,
	"applicantLevelChanged":          kycgate.EventUpdated,
	"applicantWorkflowCompleted":     kycgate.EventDecided,
	"applicantAwaitingService":       kycgate.EventOnHold,
	"videoIdentStatusChanged":        kycgate.EventStepCompleted,
	"videoIdentCompositionCompleted": kycgate.EventStepCompleted,
	// Seen in integrations' code rather than Sumsub's pages; accepted.
	"applicantAwaitingUser":            kycgate.EventOnHold,
	"applicantWorkflowFailed":          kycgate.EventOther,
	"applicantStepsReset":              kycgate.EventUpdated,
	"applicantTravelRuleStatusChanged": kycgate.EventOther,
	"companyStructureChanged":          kycgate.EventUpdated,
	// Transaction monitoring, cases and travel rule.
	"applicantKytTxnCreated":      kycgate.EventOther,
	"applicantKytTxnApproved":     kycgate.EventOther,
	"applicantKytTxnRejected":     kycgate.EventOther,
	"applicantKytTxnReviewed":     kycgate.EventOther,
	"applicantKytTxnDeleted":      kycgate.EventOther,
	"applicantKytOnHold":          kycgate.EventOther,
	"applicantKytTxnAwaitingUser": kycgate.EventOther,
	"applicantKytTxnDataChanged":  kycgate.EventOther,
	"kytCaseCreated":              kycgate.EventOther,
	"kytCaseStatusChanged":        kycgate.EventOther,
	"kytCaseReviewed":             kycgate.EventOther,
	"amlCaseApproved":             kycgate.EventAMLUpdate,
	"amlCaseRejected":             kycgate.EventAMLUpdate,
	"amlCaseOnHold":               kycgate.EventAMLUpdate,
	"travelRuleAction":            kycgate.EventOther,
	"kybCompanyActivity":          kycgate.EventOther,
}
