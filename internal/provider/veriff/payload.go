package veriff

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// payload is the part of Veriff's webhooks kycgate reads. The three kinds
// share no field that says which they are: the event webhook names its
// session in id and its step in action, the decision webhook nests the
// session in verification, and the watchlist screening webhook has a
// checkType. Others (Full Auto, user-defined statuses) say eventType.
type payload struct {
	// Event webhook.
	ID        string      `json:"id"`
	AttemptID string      `json:"attemptId"`
	Feature   string      `json:"feature"`
	Code      json.Number `json:"code"`
	Action    string      `json:"action"`
	// Event and watchlist screening webhooks.
	VendorData string `json:"vendorData"`
	EndUserID  string `json:"endUserId"`
	// Decision webhook.
	Status       string        `json:"status"`
	Verification *verification `json:"verification"`
	// Watchlist screening webhook.
	CheckType   string      `json:"checkType"`
	SessionID   string      `json:"sessionId"`
	MatchStatus string      `json:"matchStatus"`
	TotalHits   json.Number `json:"totalHits"`
	CreatedAt   string      `json:"createdAt"`
	// Other webhooks.
	EventType string `json:"eventType"`
}

// verification is the decision webhook's verification object, which GET
// /v1/sessions/{id}/decision answers too. Names, birth dates and document
// numbers stay in the raw body.
type verification struct {
	ID           string      `json:"id"`
	AttemptID    string      `json:"attemptId"`
	Code         json.Number `json:"code"`
	Status       string      `json:"status"`
	Reason       string      `json:"reason"`
	ReasonCode   json.Number `json:"reasonCode"`
	VendorData   string      `json:"vendorData"`
	EndUserID    string      `json:"endUserId"`
	DecisionTime string      `json:"decisionTime"`
	Document     struct {
		Type    string `json:"type"`
		Country string `json:"country"`
	} `json:"document"`
}

// Parse reads a Veriff webhook. Veriff sends no event id, so the dedup key
// is made of what tells its events apart: the session, the attempt, the
// event, and the decision's or screening's time. Veriff's retries resend
// the same payload.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var f payload
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("veriff: decode payload: %w", err)
	}
	switch {
	case f.Verification != nil:
		return f.Verification.identity()
	case f.CheckType != "":
		return f.screening()
	case f.Action != "":
		return f.event()
	case f.EventType != "":
		return f.other(body)
	}
	return kycgate.Identity{}, kycgate.Change{}, errors.New("veriff: payload is no decision, event or watchlist screening webhook")
}

// identity reads a decision webhook, keyed on verification.status: Veriff's
// pages give the codes 9104 and 9121 to different statuses, the status
// strings never disagree.
func (v *verification) identity() (kycgate.Identity, kycgate.Change, error) {
	if v.ID == "" || v.Status == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("veriff: decision has no verification id or status")
	}
	id := kycgate.Identity{
		ProviderEvent:  v.Status,
		VerificationID: v.ID,
		OccurredAt:     parseTime(v.DecisionTime),
		DedupKey:       strings.Join([]string{"decision", v.ID, v.AttemptID, v.Status, v.Code.String(), v.DecisionTime}, "|"),
	}
	c := v.change()
	c.Clock = clockOf(id.OccurredAt)
	return id, c, nil
}

// change maps a decision to canonical terms; see docs/providers/veriff.md.
func (v *verification) change() kycgate.Change {
	c := kycgate.Change{
		ExternalUserID:  cmp.Or(v.VendorData, v.EndUserID),
		DocumentType:    v.Document.Type,
		DocumentCountry: v.Document.Country,
	}
	switch v.Status {
	case "approved":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
	case "declined":
		c.Decision, c.Reasons = kycgate.DecisionDeclined, v.reasons()
	case "resubmission_requested":
		// A new attempt: Veriff asks the user to try again in the same session.
		c.Decision, c.Reasons = kycgate.DecisionResubmissionRequested, v.reasons()
	case "review":
		c.Decision, c.Reasons = kycgate.DecisionReviewNeeded, v.reasons()
	case "expired":
		// Sent only for a session that got no decision in time.
		c.Status, c.UndecidedOnly = kycgate.StatusExpired, true
	case "abandoned":
		c.Status, c.UndecidedOnly = kycgate.StatusAbandoned, true
	}
	c.Extra = provider.Extra("code", v.Code.String(), "reason", v.Reason, "reason_code", v.ReasonCode.String(),
		"attempt_id", v.AttemptID, "end_user_id", v.EndUserID)
	return c
}

// reasons are the decision's reasonCode, as Veriff's decision codes table
// lists it (102: suspected document tampering).
func (v *verification) reasons() []string {
	if v.ReasonCode == "" {
		return []string{}
	}
	return []string{v.ReasonCode.String()}
}

// event reads an event webhook: the user started (7001) or submitted (7002)
// an attempt. It carries no time, yet its clock is event: so that event
// time orders a session's events (every decision has decisionTime), the
// event webhooks apply first, by phase, then the decisions by decisionTime.
// Arrival would otherwise cut the attempts at a resubmission request, which
// is itself the decision of the attempt it closes, and take the next
// attempt's decision for a late one of the attempt before. The cost: a new
// attempt's started and submitted apply before the request that opened it.
func (f *payload) event() (kycgate.Identity, kycgate.Change, error) {
	if f.ID == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("veriff: event has no session id")
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Action,
		VerificationID: f.ID,
		DedupKey:       strings.Join([]string{"event", f.ID, f.AttemptID, f.Action, f.Code.String()}, "|"),
	}
	c := kycgate.Change{ExternalUserID: cmp.Or(f.VendorData, f.EndUserID), Clock: kycgate.ClockEvent}
	switch f.Action {
	case "started":
		c.Status = kycgate.StatusInProgress
	case "submitted":
		c.Status = kycgate.StatusSubmitted
	}
	c.Extra = provider.Extra("code", f.Code.String(), "attempt_id", f.AttemptID, "feature", f.Feature, "end_user_id", f.EndUserID)
	return id, c, nil
}

// screening reads a watchlist screening webhook: a possible match asks for
// a review, no match approves nothing (docs/state.md, screening).
func (f *payload) screening() (kycgate.Identity, kycgate.Change, error) {
	if f.SessionID == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("veriff: watchlist screening has no session id")
	}
	id := kycgate.Identity{
		ProviderEvent:  f.CheckType,
		VerificationID: f.SessionID,
		OccurredAt:     parseTime(f.CreatedAt),
		DedupKey:       strings.Join([]string{"watchlist", f.SessionID, f.AttemptID, f.CheckType, f.MatchStatus, f.CreatedAt}, "|"),
	}
	c := kycgate.Change{ExternalUserID: cmp.Or(f.VendorData, f.EndUserID), Clock: clockOf(id.OccurredAt)}
	switch f.MatchStatus {
	case "possible_match":
		c.Decision, c.By = kycgate.DecisionReviewNeeded, kycgate.ActorScreening
	case "no_match":
		c.Decision, c.By = kycgate.DecisionApproved, kycgate.ActorScreening
	}
	c.Extra = provider.Extra("match_status", f.MatchStatus, "total_hits", f.TotalHits.String(), "attempt_id", f.AttemptID)
	return id, c, nil
}

// other reads a webhook kycgate does not map (Full Auto, user-defined
// statuses): stored under its eventType, flagged as unknown.
func (f *payload) other(body []byte) (kycgate.Identity, kycgate.Change, error) {
	vid := cmp.Or(f.SessionID, f.ID)
	if vid == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("veriff: payload has no session id")
	}
	key, err := provider.ContentKey(body)
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("veriff: %w", err)
	}
	return kycgate.Identity{ProviderEvent: f.EventType, VerificationID: vid, DedupKey: key},
		kycgate.Change{Clock: kycgate.ClockNone, Extra: provider.Extra("attempt_id", f.AttemptID)}, nil
}

func clockOf(t time.Time) kycgate.Clock {
	if t.IsZero() {
		return kycgate.ClockNone
	}
	return kycgate.ClockEvent
}

// parseTime reads Veriff's ISO 8601 times; zero when absent or unreadable.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
