package persona

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// event is the part of Persona's JSON:API event envelope kycgate reads:
// the event's id, name and time, and the object it is about.
type event struct {
	Data struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			Name      string `json:"name"`
			CreatedAt string `json:"created-at"`
			Payload   struct {
				Data     object   `json:"data"`
				Included []object `json:"included"`
			} `json:"payload"`
		} `json:"attributes"`
	} `json:"data"`
}

// object is a JSON:API resource: an inquiry, a verification, a report, …
// Names, addresses and other fields stay in the stored body.
type object struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    attributes              `json:"attributes"`
	Relationships map[string]relationship `json:"relationships"`
}

type attributes struct {
	Status           string `json:"status"`
	ReferenceID      string `json:"reference-id"`
	CreatedAt        string `json:"created-at"`
	ReviewerComment  string `json:"reviewer-comment"`
	PreviousStepName string `json:"previous-step-name"`
	NextStepName     string `json:"next-step-name"`
	CountryCode      string `json:"country-code"` // verifications
	IDClass          string `json:"id-class"`     // government-id verifications
}

// relationship's data is one reference, an empty object, or a list.
type relationship struct {
	Data json.RawMessage `json:"data"`
}

type ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// refs returns the references the relationship holds, one or many.
func (r relationship) refs() []ref {
	d := bytes.TrimSpace(r.Data)
	switch {
	case len(d) == 0:
		return nil
	case d[0] == '[':
		var many []ref
		if json.Unmarshal(d, &many) == nil {
			return many
		}
	case d[0] == '{':
		var one ref
		if json.Unmarshal(d, &one) == nil && one.ID != "" {
			return []ref{one}
		}
	}
	return nil
}

// first returns the first reference of the named relationship.
func (o *object) first(name string) (ref, bool) {
	if refs := o.Relationships[name].refs(); len(refs) > 0 {
		return refs[0], true
	}
	return ref{}, false
}

// inquiryID is the inquiry an event's object belongs to: the object itself,
// the inquiry it names, the first of its inquiries, or else its own id (an
// account, a case or a report of no inquiry has its own timeline).
func (o *object) inquiryID() string {
	if o.Type == "inquiry" {
		return o.ID
	}
	for _, rel := range []string{"inquiry", "inquiries"} {
		if r, ok := o.first(rel); ok && r.ID != "" {
			return r.ID
		}
	}
	return o.ID
}

// Parse reads a Persona event. The dedup key is the event id (data.id),
// with the event name and the inquiry: Persona sends the same id on every
// retry of an event, while its documented examples reuse one id across
// event names.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("persona: decode event: %w", err)
	}
	d := &ev.Data
	if d.Type != "" && d.Type != "event" {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("persona: data.type is %q, not event", d.Type)
	}
	name := d.Attributes.Name
	if name == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("persona: event has no name")
	}
	obj := &d.Attributes.Payload.Data
	vid := obj.inquiryID()
	if vid == "" {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("persona: %s event names no object", name)
	}
	id := kycgate.Identity{ProviderEvent: name, VerificationID: vid, OccurredAt: parseTime(d.Attributes.CreatedAt)}
	if d.ID != "" {
		id.DedupKey = strings.Join([]string{"event", d.ID, name, vid}, "|")
	} else {
		key, err := provider.ContentKey(body)
		if err != nil {
			return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("persona: %w", err)
		}
		id.DedupKey = key
	}
	c := change(name, obj)
	c.Clock = kycgate.ClockEvent
	if id.OccurredAt.IsZero() {
		c.Clock = kycgate.ClockNone
	}
	return id, c, nil
}

// change maps an event to canonical terms; see docs/providers/persona.md.
func change(name string, obj *object) kycgate.Change {
	a := &obj.Attributes
	var c kycgate.Change
	if obj.Type == "inquiry" {
		c.ExternalUserID = a.ReferenceID
		if t, ok := obj.first("inquiry-template"); ok {
			c.Flow = t.ID
		}
		if t := parseTime(a.CreatedAt); !t.IsZero() {
			c.CreatedAt = &t
		}
		c.Extra = provider.Extra("inquiry_status", a.Status, "next_step", a.NextStepName)
	} else {
		c.Extra = provider.Extra("object_type", obj.Type, "object_id", obj.ID, "object_status", a.Status)
	}
	switch name {
	case "inquiry.created":
		c.Status = kycgate.StatusPending
	case "inquiry.started":
		c.Status = kycgate.StatusInProgress
	case "inquiry.transitioned":
		c.Status = kycgate.StatusInProgress
		if a.PreviousStepName != "" {
			c.Step = &kycgate.Step{Name: a.PreviousStepName, Outcome: kycgate.OutcomePassed}
		}
	case "inquiry.completed":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
	case "inquiry.failed":
		c.Decision, c.Reasons = kycgate.DecisionDeclined, comment(a.ReviewerComment)
	case "inquiry.marked-for-review":
		c.Decision, c.Reasons, c.By = kycgate.DecisionReviewNeeded, comment(a.ReviewerComment), reviewedBy(obj)
	case "inquiry.approved":
		c.Decision, c.Reasons, c.By = kycgate.DecisionApproved, []string{}, reviewedBy(obj)
	case "inquiry.declined":
		c.Decision, c.Reasons, c.By = kycgate.DecisionDeclined, comment(a.ReviewerComment), reviewedBy(obj)
	case "inquiry.expired":
		// Persona expires inquiries left unfinished; a decided one keeps
		// its decision.
		c.Status, c.UndecidedOnly = kycgate.StatusExpired, true
	case "inquiry.redacted":
		c.Status = kycgate.StatusDeleted
	}
	// A workflow's or the API's later word that is not an approval reopens
	// a person's decision for review: the inquiry's status is Persona's,
	// and created-at orders it, so that a retry of an older one does not.
	c.Reopens = c.Decision != "" && c.Decision != kycgate.DecisionApproved && c.By == ""
	if strings.HasPrefix(name, "report/") && strings.HasSuffix(name, ".matched") {
		// A screening hit: weighed by Persona's workflow while the inquiry
		// is undecided, news once it is decided (a monitoring re-run).
		c.Decision, c.By, c.DecidedOnly = kycgate.DecisionReviewNeeded, kycgate.ActorScreening, true
	}
	if outcome, ok := verificationOutcomes[name]; ok {
		c.Status = kycgate.StatusInProgress
		c.Step = &kycgate.Step{Name: strings.TrimPrefix(obj.Type, "verification/"), Outcome: outcome}
		if obj.Type == "verification/government-id" {
			c.DocumentType, c.DocumentCountry = a.IDClass, a.CountryCode
		}
	}
	return c
}

// verificationOutcomes are the step outcomes of verification events.
var verificationOutcomes = map[string]string{
	"verification.created":        kycgate.OutcomeStarted,
	"verification.submitted":      kycgate.OutcomeSubmitted,
	"verification.passed":         kycgate.OutcomePassed,
	"verification.failed":         kycgate.OutcomeFailed,
	"verification.requires-retry": kycgate.OutcomeFailed,
	"verification.canceled":       kycgate.OutcomeCancelled,
}

// reviewedBy says who set an inquiry's decision: a person when the
// inquiry's reviewer is a dashboard user, else Persona's workflows or the
// API (the automatic checks).
func reviewedBy(obj *object) kycgate.Actor {
	if r, ok := obj.first("reviewer"); ok && r.Type == "user" {
		return kycgate.ActorReviewer
	}
	return ""
}

// comment is a reviewer's comment as reasons; nil (no change) when empty.
func comment(s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		return []string{s}
	}
	return nil
}

// parseTime reads Persona's ISO 8601 times; zero when absent or invalid.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
