package kycgate

import (
	"encoding/json"
	"slices"
	"time"
)

// Verification is the state of one identity verification at one provider
// source, identified by (Source, ID) where ID is the provider's own id. It is
// a pure function of its event log: see Rebuild.
type Verification struct {
	Source           string   `json:"source"`
	Provider         string   `json:"provider"`
	ID               string   `json:"id"`
	ExternalUserID   string   `json:"external_user_id"`
	Flow             string   `json:"flow"`
	Status           Status   `json:"status"`
	Decision         Decision `json:"decision"`
	OriginalDecision Decision `json:"original_decision"`
	// DecidedBy says who made the current decision: the provider's
	// automatic checks, a risk signal, a reviewer, a screening update, or
	// the provider's own document fetched from its API (provider_api) when
	// it settled webhooks that disagreed. Empty without a decision.
	DecidedBy Actor `json:"decided_by"`
	// Attempt counts the verification's attempts: a resubmission request, a
	// reset, a level change or a renewal opens the next one.
	Attempt int `json:"attempt"`
	// Deactivated is true while the provider reports the applicant
	// deactivated.
	Deactivated     bool            `json:"deactivated"`
	Reasons         []string        `json:"reasons"`
	Score           *float64        `json:"score"`
	Steps           []Step          `json:"steps"`
	DashboardURL    string          `json:"dashboard_url"`
	ResourceURL     string          `json:"resource_url"`
	Sandbox         bool            `json:"sandbox"`
	Tracker         string          `json:"tracker"`
	DocumentType    string          `json:"document_type"`    // the identity document, as the provider names it
	DocumentCountry string          `json:"document_country"` // the document's country, as the provider gives it
	Metadata        json.RawMessage `json:"metadata,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	DecidedAt       *time.Time      `json:"decided_at"`
	FirstDecidedAt  *time.Time      `json:"first_decided_at"` // when the original decision came
	// DecisionClock is the clock its time to decision is measured on:
	// event (both times are when things happened), sent (one is only when
	// a webhook was sent), none (one has no provider time, or one event
	// both created and decided it); "" without a decision.
	DecisionClock Clock     `json:"decision_clock"`
	Stage         Stage     `json:"stage"`    // the furthest funnel stage reached
	DropOff       string    `json:"drop_off"` // where it stopped, when it ended without approval
	LastEventAt   time.Time `json:"last_event_at"`
	// ProviderDataAt is when the provider's own document was last fetched
	// from its API into the log (see EventEnriched); nil when never.
	ProviderDataAt *time.Time `json:"provider_data_at"`
	Events         int        `json:"events"`
}

// Step is one step of the user's flow as the provider reported it.
type Step struct {
	Name      string `json:"name"`
	Outcome   string `json:"outcome"` // one of the Outcome constants
	ErrorCode string `json:"error_code,omitempty"`
}

// Step outcomes.
const (
	OutcomeStarted   = "started"
	OutcomePassed    = "passed"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
	OutcomeSubmitted = "submitted"
)

// Change is what one provider event says about its verification, in
// canonical terms: an event's data. Empty fields say nothing.
type Change struct {
	Status   Status   `json:"status,omitempty"`
	Decision Decision `json:"decision,omitempty"`
	// OriginalDecision is the automatic decision when the provider restates it
	// beside a manual one.
	OriginalDecision Decision `json:"original_decision,omitempty"`
	// Reasons replace the verification's reasons when not nil; an empty list
	// clears them. JSON keeps the difference: null says nothing, [] clears.
	Reasons []string `json:"reasons"`
	Score   *float64 `json:"score,omitempty"`
	Step    *Step    `json:"step,omitempty"`
	// Steps are several steps at once, as a provider's document lists them.
	Steps           []Step            `json:"steps,omitempty"`
	DocumentType    string            `json:"document_type,omitempty"`
	DocumentCountry string            `json:"document_country,omitempty"`
	ExternalUserID  string            `json:"external_user_id,omitempty"`
	Flow            string            `json:"flow,omitempty"`
	DashboardURL    string            `json:"dashboard_url,omitempty"`
	ResourceURL     string            `json:"resource_url,omitempty"`
	Sandbox         *bool             `json:"sandbox,omitempty"`
	Tracker         string            `json:"tracker,omitempty"`
	Metadata        json.RawMessage   `json:"metadata,omitempty"`
	Extra           map[string]string `json:"extra,omitempty"` // provider facts with no canonical field

	// Clock says what the event's provider time is: when the thing happened,
	// only when the webhook was sent, or none. Only event times order events
	// against each other (see docs/state.md).
	Clock Clock `json:"clock,omitempty"`
	// By says who made the decision the event carries; empty is the
	// provider's automatic checks.
	By Actor `json:"by,omitempty"`
	// NewAttempt is true when the event opens a new attempt of the
	// verification (a level change, a renewal); a reset and a resubmission
	// request always do.
	NewAttempt bool `json:"new_attempt,omitempty"`
	// RetryWindowSeconds is how long after its first delivery attempt the
	// provider may still deliver this webhook, by its retry schedule; zero
	// when the schedule is not known. Arriving later than that after the
	// event that opened an attempt, it is not taken for a late delivery of
	// the attempt before (see docs/state.md, attempts).
	RetryWindowSeconds int64 `json:"retry_window_seconds,omitempty"`
	// Reopens is true when the decision, the provider's checks', still
	// counts after a decision that outranks it: unless it is an approval,
	// it reopens that decision for review, as a risk signal does, until a
	// reviewer decides again (the provider's workflow marks for review what
	// a person approved). Only a provider whose event times order
	// its decisions sets it, so that a retry of an older one reopens
	// nothing.
	Reopens bool `json:"reopens,omitempty"`
	// DecidedOnly is true when the decision counts only for a verification
	// already decided: a screening that ran while the provider was still
	// deciding was part of that decision (a watchlist match that the
	// provider's workflow weighs), one after it is news.
	DecidedOnly bool `json:"decided_only,omitempty"`
	// Current is true on a document fetched from the provider's API whose
	// decision is that of the verification's current attempt (a check that
	// was reopened and run again keeps one result, the latest run's), so
	// that it may decide an attempt the webhooks left undecided.
	Current bool `json:"current,omitempty"`
	// UndecidedOnly is true when the status applies only to a verification
	// without a decision: an invitation that expired unused says nothing
	// about one that was decided.
	UndecidedOnly bool `json:"undecided_only,omitempty"`
	// CreatedAt is when the provider says the verification was created,
	// when the event says so.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// Deactivated reports the applicant deactivated (true) or activated
	// again (false).
	Deactivated *bool `json:"deactivated,omitempty"`
}

// enrich fills what the webhooks left empty from the provider's own
// document, fetched from its API at at: where a webhook said something, its
// word stands, so the order of fetches and webhooks does not matter.
func (v *Verification) enrich(c Change, at time.Time) {
	fetched := at
	v.ProviderDataAt = &fetched
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&v.ExternalUserID, c.ExternalUserID)
	fill(&v.Flow, c.Flow)
	fill(&v.DashboardURL, c.DashboardURL)
	fill(&v.ResourceURL, c.ResourceURL)
	fill(&v.Tracker, c.Tracker)
	fill(&v.DocumentType, c.DocumentType)
	fill(&v.DocumentCountry, c.DocumentCountry)
	if v.Score == nil && c.Score != nil {
		s := *c.Score
		v.Score = &s
	}
	if len(v.Reasons) == 0 && len(c.Reasons) > 0 {
		v.Reasons = slices.Clone(c.Reasons)
	}
	for _, s := range c.Steps {
		if !slices.ContainsFunc(v.Steps, func(x Step) bool { return x.Name == s.Name }) {
			v.setStep(s)
		}
	}
}

// holdsDecision reports whether a decided verification keeps its status
// against c's: progress reported after a decision (a late step, a re-stamped
// retry of "started") does not undo it, unless the provider asked the user
// to resubmit; nor does a status that applies only to undecided ones.
func (v *Verification) holdsDecision(c Change) bool {
	if v.Decision == "" || v.Decision == DecisionResubmissionRequested {
		return false
	}
	if c.UndecidedOnly {
		return true
	}
	switch c.Status {
	case StatusPending, StatusInProgress, StatusSubmitted, StatusAbandoned:
		return true
	}
	return false
}

func (v *Verification) setFields(c Change) {
	if c.ExternalUserID != "" {
		v.ExternalUserID = c.ExternalUserID
	}
	if c.Flow != "" {
		v.Flow = c.Flow
	}
	if c.DashboardURL != "" {
		v.DashboardURL = c.DashboardURL
	}
	if c.ResourceURL != "" {
		v.ResourceURL = c.ResourceURL
	}
	if c.Sandbox != nil {
		v.Sandbox = *c.Sandbox
	}
	if c.Tracker != "" {
		v.Tracker = c.Tracker
	}
	if c.DocumentType != "" {
		v.DocumentType = c.DocumentType
	}
	if c.DocumentCountry != "" {
		v.DocumentCountry = c.DocumentCountry
	}
	if c.Score != nil {
		s := *c.Score
		v.Score = &s
	}
	if len(c.Metadata) > 0 {
		v.Metadata = slices.Clone(c.Metadata)
	}
	if c.Deactivated != nil {
		v.Deactivated = *c.Deactivated
	}
}

// setStep records a step's latest outcome, keeping the order steps first
// appeared in. A step's error code becomes a reason.
func (v *Verification) setStep(s Step) {
	if i := slices.IndexFunc(v.Steps, func(x Step) bool { return x.Name == s.Name }); i >= 0 {
		v.Steps[i] = s
	} else {
		v.Steps = append(v.Steps, s)
	}
	if s.ErrorCode != "" && !slices.Contains(v.Reasons, s.ErrorCode) {
		v.Reasons = append(v.Reasons, s.ErrorCode)
	}
}
