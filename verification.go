package kycgate

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// Verification is the state of one identity verification at one provider
// source, identified by (Source, ID) where ID is the provider's own id. It is
// a pure function of its event log: see Rebuild.
type Verification struct {
	Source           string          `json:"source"`
	Provider         string          `json:"provider"`
	ID               string          `json:"id"`
	ExternalUserID   string          `json:"external_user_id"`
	Flow             string          `json:"flow"`
	Status           Status          `json:"status"`
	Decision         Decision        `json:"decision"`
	OriginalDecision Decision        `json:"original_decision"`
	Reasons          []string        `json:"reasons"`
	Score            *float64        `json:"score"`
	Steps            []Step          `json:"steps"`
	DashboardURL     string          `json:"dashboard_url"`
	ResourceURL      string          `json:"resource_url"`
	Sandbox          bool            `json:"sandbox"`
	Tracker          string          `json:"tracker"`
	DocumentType     string          `json:"document_type"`    // the identity document, as the provider names it
	DocumentCountry  string          `json:"document_country"` // the document's country, as the provider gives it
	Metadata         json.RawMessage `json:"metadata,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	DecidedAt        *time.Time      `json:"decided_at"`
	FirstDecidedAt   *time.Time      `json:"first_decided_at"` // when the original decision came
	Stage            Stage           `json:"stage"`            // the furthest funnel stage reached
	DropOff          string          `json:"drop_off"`         // where it stopped, when it ended without approval
	LastEventAt      time.Time       `json:"last_event_at"`
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
	// beside a manual one (MetaMap status, IDWise systemDecision).
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
}

// LogEntry is one event of a verification's log, as Rebuild needs it.
type LogEntry struct {
	ID         string
	DedupKey   string
	Type       EventType
	OccurredAt time.Time // zero when the provider sends no time
	ReceivedAt time.Time
	Change     Change
}

// Before reports whether a applies before b: by provider time, then by the
// lifecycle phase of its type, then by arrival, then by id. A total order,
// so any permutation of a log sorts the same.
func (a LogEntry) Before(b LogEntry) bool { return compareEntries(a, b) < 0 }

func compareEntries(a, b LogEntry) int {
	return cmp.Or(
		a.OccurredAt.Compare(b.OccurredAt),
		cmp.Compare(a.Type.Phase(), b.Type.Phase()),
		a.ReceivedAt.Compare(b.ReceivedAt),
		cmp.Compare(a.ID, b.ID),
	)
}

// Rebuild returns the verification (source, provider, id) that its log
// describes. The log may be in any order and hold the same event twice:
// events apply once each, in provider time (see LogEntry.Before), so a late,
// older event never overwrites newer state.
func Rebuild(source, provider, id string, log []LogEntry) Verification {
	entries := slices.Clone(log)
	slices.SortFunc(entries, compareEntries)
	v := Verification{Source: source, Provider: provider, ID: id, Status: StatusPending, Stage: StageCreated, Reasons: []string{}, Steps: []Step{}}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		key := e.DedupKey
		if key == "" {
			key = "id:" + e.ID
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		v.apply(e)
	}
	v.DropOff = v.dropOff()
	return v
}

// apply applies one event. See docs/state.md for the rules.
func (v *Verification) apply(e LogEntry) {
	at := e.OccurredAt
	if at.IsZero() {
		at = e.ReceivedAt
	}
	if v.Events == 0 || at.Before(v.CreatedAt) {
		v.CreatedAt = at
	}
	if at.After(v.LastEventAt) {
		v.LastEventAt = at
	}
	if e.ReceivedAt.After(v.UpdatedAt) {
		v.UpdatedAt = e.ReceivedAt
	}
	v.Events++
	if v.Status == StatusDeleted {
		return // a tombstone stays a tombstone
	}
	c := e.Change
	v.setFields(c)

	switch e.Type {
	case EventReset:
		v.Status, v.Decision, v.OriginalDecision, v.DecidedAt, v.FirstDecidedAt = StatusPending, "", "", nil, nil
		v.Stage = StageCreated
		v.Reasons, v.Steps = []string{}, []Step{}
		return
	case EventDeleted:
		v.Status, v.Metadata = StatusDeleted, nil
		return
	case EventEnriched:
		v.enrich(c, at)
		return
	}
	if s := stageOf(e); s.Rank() > v.Stage.Rank() {
		v.Stage = s
	}
	if c.Step != nil {
		v.setStep(*c.Step)
	}
	for _, s := range c.Steps {
		v.setStep(s)
	}
	if c.Reasons != nil {
		v.Reasons = slices.Clone(c.Reasons)
	}
	if c.Decision != "" {
		v.decide(c, at)
		return
	}
	if c.Status != "" && !v.holdsDecision(c.Status) {
		v.Status = c.Status
	}
}

// decide records the decision c carries, made at at.
func (v *Verification) decide(c Change, at time.Time) {
	if v.OriginalDecision == "" {
		v.OriginalDecision = cmp.Or(c.OriginalDecision, c.Decision)
		first := at
		v.FirstDecidedAt = &first
	}
	v.Decision = c.Decision
	decided := at
	v.DecidedAt = &decided
	v.Status = cmp.Or(c.Status, c.Decision.Status())
	v.Stage = StageDecided
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
	// A decision the webhooks never brought (MetaMap drops a webhook it
	// could not deliver in ten minutes) comes from the document.
	if v.Decision == "" && c.Decision != "" {
		v.decide(c, at)
	}
}

// holdsDecision reports whether a decided verification keeps its status
// against s: progress reported after a decision (a late step, a re-stamped
// retry of "started") does not undo it, unless the provider asked the user
// to resubmit.
func (v *Verification) holdsDecision(s Status) bool {
	if v.Decision == "" || v.Decision == DecisionResubmissionRequested {
		return false
	}
	switch s {
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
