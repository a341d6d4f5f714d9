package vericato

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

type payload struct {
	Event     string `json:"event"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		VerificationID       string `json:"verification_id"`
		VerificationStatus   string `json:"verification_status"`
		VerificationMethod   string `json:"verification_method"`
		FailedReason         string `json:"verification_failed_reason"`
		DateIdentified       string `json:"verification_date_identified"`
		ExpiredDate          string `json:"verification_expired_date"`
		CompanyID            string `json:"company_id"`
		OriginalVerification struct {
			Purpose   string `json:"purpose"`
			CreatedAt string `json:"created_at"`
			UpdatedAt string `json:"updated_at"`
		} `json:"original_verification"`
	} `json:"data"`
}

func decode(body []byte) (payload, error) {
	var f payload
	if err := json.Unmarshal(body, &f); err != nil {
		return f, fmt.Errorf("vericato: decode payload: %w", err)
	}
	if f.Event == "" {
		return f, errors.New("vericato: payload has no event")
	}
	if f.Data.VerificationID == "" {
		return f, errors.New("vericato: payload has no data.verification_id")
	}
	return f, nil
}

// Authenticate accepts every request: Vericato signs nothing, and the
// source's URL token, which the gateway checks, is the credential. Its
// X-Vericato-Event and X-Vericato-Verification-Id headers are kept with
// the event; the body alone says what happened, even where a header
// disagrees (a case, an encoding): an authentic webhook is never refused
// for what it holds.
func (Webhooks) Authenticate(http.Header, []byte) error { return nil }

// Parse reads a Vericato webhook. Each event happens once per verification,
// and timestamp is the send time a retry may re-stamp, so the dedup key is
// the event with the verification id. The event's own time is in the data
// (verification_date_identified, verification_expired_date, and for a
// failure the verification's updated_at); timestamp stands in, as a send
// time, when it is missing. Names and emails stay in the raw body only:
// kycgate copies no personal data into the canonical event.
func (Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	f, err := decode(body)
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, err
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Event,
		VerificationID: f.Data.VerificationID,
		DedupKey:       "event|" + f.Event + "|" + f.Data.VerificationID,
	}
	c := kycgate.Change{Flow: f.Data.OriginalVerification.Purpose}
	var happened string
	switch f.Event {
	case "verification.verified":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
		happened = f.Data.DateIdentified
	case "verification.failed":
		c.Decision, c.Reasons = kycgate.DecisionDeclined, []string{}
		if f.Data.FailedReason != "" {
			c.Reasons = []string{f.Data.FailedReason}
		}
		happened = f.Data.OriginalVerification.UpdatedAt
	case "verification.expired":
		// Vericato expires invitations that were never completed.
		c.Status, c.UndecidedOnly = kycgate.StatusExpired, true
		happened = f.Data.ExpiredDate
	}
	if t, ok := parseTime(happened); ok {
		id.OccurredAt, c.Clock = t, kycgate.ClockEvent
	} else if t, ok := parseTime(f.Timestamp); ok {
		id.OccurredAt, c.Clock = t, kycgate.ClockSent
	} else {
		c.Clock = kycgate.ClockNone
	}
	if t, ok := parseTime(f.Data.OriginalVerification.CreatedAt); ok {
		c.CreatedAt = &t
	}
	c.Extra = provider.Extra("method", f.Data.VerificationMethod, "verification_status", f.Data.VerificationStatus, "company_id", f.Data.CompanyID)
	return id, c, nil
}

// parseTime reads one of Vericato's RFC 3339 times.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}
