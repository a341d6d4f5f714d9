// Package persona adapts Persona's webhooks: the Persona-Signature HMAC over
// the timestamp and body, the event catalogue (inquiries, verifications and
// the other objects Persona reports on), and the JSON:API event envelope.
package persona

import (
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "persona"

// Adapter describes Persona to the registry.
var Adapter = provider.Adapter{
	Name:    Name,
	Signs:   true,
	Headers: []string{HeaderSignature, HeaderAttemptsMade, HeaderAttemptsLeft, HeaderFirstAttemptedAt},
	// Persona retries up to 5 times over about 6 minutes (0, 3, 18, 83 and
	// 258 seconds), with a margin.
	RetriesFor: time.Hour,
	Catalogue:  Catalogue,
	New:        New,
	API:        &API,
	Play:       &Play,
	Fake:       &Fake,
}

// Webhooks authenticates and parses the webhooks of one Persona source.
type Webhooks struct {
	secrets []string
	now     func() time.Time
}

// New returns the adapter for a source signed with any of cfg.Secrets,
// checking the signed timestamp against cfg.Now (the wall clock when nil).
func New(cfg provider.Config) (provider.Webhooks, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Webhooks{secrets: cfg.Secrets, now: now}, nil
}

// Catalogue maps every event Persona documents to its canonical type.
var Catalogue = map[string]kycgate.EventType{
	// Inquiries: the verification itself.
	"inquiry.created":                  kycgate.EventCreated,
	"inquiry.started":                  kycgate.EventStarted,
	"inquiry.transitioned":             kycgate.EventStepCompleted,
	"inquiry.completed":                kycgate.EventDecided,
	"inquiry.failed":                   kycgate.EventDecided,
	"inquiry.marked-for-review":        kycgate.EventDecided,
	"inquiry.approved":                 kycgate.EventDecided,
	"inquiry.declined":                 kycgate.EventDecided,
	"inquiry.expired":                  kycgate.EventExpired,
	"inquiry.redacted":                 kycgate.EventDeleted,
	"inquiry.updated-tags":             kycgate.EventUpdated,
	"inquiry.reusable-persona-created": kycgate.EventOther,
	"inquiry.reusable-persona-used":    kycgate.EventOther,
	"inquiry-session.started":          kycgate.EventOther,
	"inquiry-session.expired":          kycgate.EventOther,
	"inquiry-session.canceled":         kycgate.EventOther,
	// Verifications: the checks of an inquiry, as its steps.
	"verification.created":        kycgate.EventStepCompleted,
	"verification.submitted":      kycgate.EventStepCompleted,
	"verification.passed":         kycgate.EventStepCompleted,
	"verification.failed":         kycgate.EventStepCompleted,
	"verification.requires-retry": kycgate.EventStepCompleted,
	"verification.canceled":       kycgate.EventStepCompleted,
	// Documents and selfies the user submitted.
	"document.created":   kycgate.EventOther,
	"document.submitted": kycgate.EventOther,
	"document.processed": kycgate.EventOther,
	"document.errored":   kycgate.EventOther,
	"selfie.created":     kycgate.EventOther,
	"selfie.submitted":   kycgate.EventOther,
	"selfie.processed":   kycgate.EventOther,
	"selfie.errored":     kycgate.EventOther,
	// Reports: screening hits are recorded; Persona's workflows turn them
	// into an inquiry's review.
	"report/address-lookup.ready":               kycgate.EventOther,
	"report/address-lookup.errored":             kycgate.EventOther,
	"report/adverse-media.matched":              kycgate.EventAMLUpdate,
	"report/adverse-media.ready":                kycgate.EventOther,
	"report/adverse-media.errored":              kycgate.EventOther,
	"report/business-adverse-media.matched":     kycgate.EventAMLUpdate,
	"report/business-adverse-media.ready":       kycgate.EventOther,
	"report/business-adverse-media.errored":     kycgate.EventOther,
	"report/business-watchlist.matched":         kycgate.EventAMLUpdate,
	"report/business-watchlist.ready":           kycgate.EventOther,
	"report/business-watchlist.errored":         kycgate.EventOther,
	"report/email-address.ready":                kycgate.EventOther,
	"report/email-address.errored":              kycgate.EventOther,
	"report/phone-number.ready":                 kycgate.EventOther,
	"report/phone-number.errored":               kycgate.EventOther,
	"report/profile.ready":                      kycgate.EventOther,
	"report/profile.errored":                    kycgate.EventOther,
	"report/politically-exposed-person.matched": kycgate.EventAMLUpdate,
	"report/politically-exposed-person.ready":   kycgate.EventOther,
	"report/politically-exposed-person.errored": kycgate.EventOther,
	"report/watchlist.matched":                  kycgate.EventAMLUpdate,
	"report/watchlist.ready":                    kycgate.EventOther,
	"report/watchlist.errored":                  kycgate.EventOther,
	// Accounts, cases, transactions and workflow runs: their own timelines.
	"account.created":            kycgate.EventOther,
	"account.redacted":           kycgate.EventOther,
	"account.archived":           kycgate.EventOther,
	"account.restored":           kycgate.EventOther,
	"account.consolidated":       kycgate.EventOther,
	"account.consolidated-with":  kycgate.EventOther,
	"account.status-updated":     kycgate.EventOther,
	"account.tag-added":          kycgate.EventOther,
	"account.tag-removed":        kycgate.EventOther,
	"account.updated-fields":     kycgate.EventOther,
	"account.updated-tags":       kycgate.EventOther,
	"case.created":               kycgate.EventOther,
	"case.assigned":              kycgate.EventOther,
	"case.resolved":              kycgate.EventOther,
	"case.reopened":              kycgate.EventOther,
	"case.updated":               kycgate.EventOther,
	"transaction.created":        kycgate.EventOther,
	"transaction.redacted":       kycgate.EventOther,
	"transaction.status-updated": kycgate.EventOther,
	"workflow-run.completed":     kycgate.EventOther,
}
