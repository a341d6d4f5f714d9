package stripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// event is the part of a Stripe event kycgate reads.
type event struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Created    int64  `json:"created"`
	Livemode   *bool  `json:"livemode"`
	APIVersion string `json:"api_version"`
	Data       struct {
		Object session `json:"object"`
	} `json:"data"`
}

// session is the part of a VerificationSession kycgate reads; the verified
// outputs (names, dates of birth, addresses) stay in the raw body.
type session struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Status            string          `json:"status"`
	Type              string          `json:"type"`
	VerificationFlow  string          `json:"verification_flow"`
	ClientReferenceID string          `json:"client_reference_id"`
	Livemode          *bool           `json:"livemode"`
	Metadata          json.RawMessage `json:"metadata"`
	LastError         *struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"last_error"`
	Redaction *struct {
		Status string `json:"status"`
	} `json:"redaction"`
}

// userEnded are the last_error codes of a session the user left without
// submitting it: no check ran, so nothing was decided.
var userEnded = map[string]bool{
	"abandoned":                   true,
	"consent_declined":            true,
	"device_not_supported":        true,
	"email_verification_declined": true,
	"phone_verification_declined": true,
}

// Parse reads a Stripe event. The dedup key is the event id (evt_…), which
// every retry of a delivery keeps; the provider time is the event's
// created, when it happened (clock event).
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("stripe: decode event: %w", err)
	}
	if e.Type == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("stripe: event has no type")
	}
	s := &e.Data.Object
	if s.ID == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("stripe: event has no data.object.id")
	}
	id := kycgate.Identity{ProviderEvent: e.Type, VerificationID: s.ID}
	if e.ID != "" {
		id.DedupKey = "event:" + e.ID
	} else {
		key, err := provider.ContentKey(body, "pending_webhooks")
		if err != nil {
			return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("stripe: %w", err)
		}
		id.DedupKey = key
	}
	c := s.change()
	switch e.Type {
	case "identity.verification_session.created":
		c.Status = kycgate.StatusPending
	case "identity.verification_session.processing":
		c.Status = kycgate.StatusSubmitted
	case "identity.verification_session.requires_input":
		c.Status, c.Decision, c.Reasons = s.requiresInput()
	case "identity.verification_session.verified":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
	case "identity.verification_session.canceled":
		// Stripe cancels only sessions not processing or verified.
		c.Status, c.UndecidedOnly = kycgate.StatusAbandoned, true
	case "identity.verification_session.redacted":
		c.Status = kycgate.StatusDeleted
	}
	if e.Livemode != nil {
		c.Sandbox = provider.Bool(!*e.Livemode)
	}
	c.Extra = provider.Extra("session_status", s.Status, "last_error_reason", s.lastErrorReason(),
		"redaction_status", s.redactionStatus(), "api_version", e.APIVersion)
	c.Clock = kycgate.ClockNone
	if e.Created > 0 {
		id.OccurredAt = time.Unix(e.Created, 0).UTC()
		c.Clock = kycgate.ClockEvent
	}
	return id, c, nil
}

// requiresInput maps a session back in requires_input: after its checks
// failed, a failed attempt the user may retry (resubmission requested, the
// last_error.code as the reason); left by the user before submitting,
// abandoned; without a last_error, waiting for the user.
func (s *session) requiresInput() (kycgate.Status, kycgate.Decision, []string) {
	code := ""
	if s.LastError != nil {
		code = s.LastError.Code
	}
	switch {
	case code == "":
		return kycgate.StatusPending, "", nil
	case userEnded[code]:
		return kycgate.StatusAbandoned, "", []string{code}
	}
	return "", kycgate.DecisionResubmissionRequested, []string{code}
}

// change is what any event's session says: the user (client_reference_id),
// the flow, the environment and the company's metadata.
func (s *session) change() kycgate.Change {
	c := kycgate.Change{ExternalUserID: s.ClientReferenceID, Flow: s.Type}
	if s.VerificationFlow != "" {
		c.Flow = s.VerificationFlow
	}
	var meta map[string]any
	if json.Unmarshal(s.Metadata, &meta) == nil && len(meta) > 0 {
		c.Metadata = s.Metadata
	}
	if s.Livemode != nil {
		c.Sandbox = provider.Bool(!*s.Livemode)
	}
	if s.Created > 0 {
		created := time.Unix(s.Created, 0).UTC()
		c.CreatedAt = &created
	}
	if s.Object == "identity.verification_session" {
		c.DashboardURL = dashboardURL(s.ID, s.Livemode != nil && !*s.Livemode)
	}
	return c
}

// dashboardURL is the session's page in the Stripe Dashboard.
func dashboardURL(id string, test bool) string {
	base := "https://dashboard.stripe.com/"
	if test {
		base += "test/"
	}
	return base + "identity/verification-sessions/" + url.PathEscape(id)
}

func (s *session) lastErrorReason() string {
	if s.LastError == nil {
		return ""
	}
	return s.LastError.Reason
}

func (s *session) redactionStatus() string {
	if s.Redaction == nil {
		return ""
	}
	return s.Redaction.Status
}
