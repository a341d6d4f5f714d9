// Package onfido adapts Onfido (Entrust Identity Verification) webhooks:
// the X-SHA2-Signature HMAC, the webhook_event_type catalogue, and the
// workflow run or check each event concerns.
package onfido

import (
	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Name is the provider name used in configuration and in the data.
const Name = "onfido"

// Adapter describes Onfido to the registry.
var Adapter = provider.Adapter{
	Name:      Name,
	Signs:     true,
	Headers:   []string{HeaderSignature},
	Catalogue: Catalogue,
	New:       New,
	API:       &API,
	Play:      &Play,
	Fake:      &Fake,
}

// Webhooks authenticates and parses the webhooks of one Onfido source.
type Webhooks struct {
	secrets []string
}

// New returns the adapter for a source signed with any of cfg.Secrets (the
// webhooks' tokens).
func New(cfg provider.Config) (provider.Webhooks, error) {
	return &Webhooks{secrets: cfg.Secrets}, nil
}

// Catalogue maps every Onfido webhook action to its canonical event type.
var Catalogue = map[string]kycgate.EventType{
	// Studio: workflow runs and their tasks.
	"workflow_run.completed":               kycgate.EventDecided,
	"workflow_task.started":                kycgate.EventStepCompleted,
	"workflow_task.completed":              kycgate.EventStepCompleted,
	"workflow_timeline_file.created":       kycgate.EventOther,
	"workflow_run_evidence_folder.created": kycgate.EventOther,
	// Classic API: checks and their reports.
	"check.started":            kycgate.EventSubmitted,
	"check.reopened":           kycgate.EventUpdated,
	"check.withdrawn":          kycgate.EventUpdated,
	"check.completed":          kycgate.EventDecided,
	"check.form_completed":     kycgate.EventStepCompleted,
	"report.withdrawn":         kycgate.EventStepCompleted,
	"report.resumed":           kycgate.EventStepCompleted,
	"report.cancelled":         kycgate.EventStepCompleted,
	"report.awaiting_approval": kycgate.EventOnHold,
	"report.completed":         kycgate.EventStepCompleted,
	// Ongoing screening and the account's audit log.
	"watchlist_monitor.matches_updated": kycgate.EventAMLUpdate,
	"audit_log.created":                 kycgate.EventOther,
	// Seen in descriptions derived from the spec, not in its current list; accepted.
	"workflow_run.started":                  kycgate.EventStarted,
	"workflow_signed_evidence_file.created": kycgate.EventOther,
}
