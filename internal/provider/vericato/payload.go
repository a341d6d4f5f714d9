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
			Purpose string `json:"purpose"`
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

// Authenticate refuses a request whose X-Vericato-Event or
// X-Vericato-Verification-Id header contradicts its body. A body that cannot
// be read is left for Parse to flag.
func (Provider) Authenticate(h http.Header, body []byte) error {
	event, vid := h.Get(HeaderEvent), h.Get(HeaderVerificationID)
	if event == "" && vid == "" {
		return nil
	}
	f, err := decode(body)
	if err != nil {
		return nil
	}
	if event != "" && event != f.Event {
		return fmt.Errorf("%s header %q does not match the body's event %q", HeaderEvent, event, f.Event)
	}
	if vid != "" && vid != f.Data.VerificationID {
		return fmt.Errorf("%s header %q does not match the body's verification_id %q", HeaderVerificationID, vid, f.Data.VerificationID)
	}
	return nil
}

// Parse reads a Vericato webhook. Each event happens once per verification,
// and timestamp is the send time a retry may re-stamp, so the dedup key is
// the event with the verification id. Names and emails stay in the raw body
// only: kycgate copies no personal data into the canonical event.
func (Provider) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	f, err := decode(body)
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, err
	}
	occurred, _ := time.Parse(time.RFC3339Nano, f.Timestamp)
	id := kycgate.Identity{
		ProviderEvent:  f.Event,
		VerificationID: f.Data.VerificationID,
		OccurredAt:     occurred.UTC(),
		DedupKey:       "event|" + f.Event + "|" + f.Data.VerificationID,
	}
	c := kycgate.Change{Flow: f.Data.OriginalVerification.Purpose}
	switch f.Event {
	case "verification.verified":
		c.Decision, c.Reasons = kycgate.DecisionApproved, []string{}
	case "verification.failed":
		c.Decision, c.Reasons = kycgate.DecisionDeclined, []string{}
		if f.Data.FailedReason != "" {
			c.Reasons = []string{f.Data.FailedReason}
		}
	case "verification.expired":
		c.Status = kycgate.StatusExpired
	}
	c.Extra = provider.Extra("method", f.Data.VerificationMethod, "verification_status", f.Data.VerificationStatus, "company_id", f.Data.CompanyID)
	return id, c, nil
}
