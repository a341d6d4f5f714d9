package metamap

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// DefaultUserIDKeys are the metadata keys tried for the company's own user
// id when the source names none: the two spellings MetaMap's examples use.
var DefaultUserIDKeys = []string{"userId", "user_id"}

// payload is the part of a MetaMap webhook kycgate reads.
type payload struct {
	EventName        string          `json:"eventName"`
	Resource         string          `json:"resource"`
	FlowID           string          `json:"flowId"`
	Timestamp        string          `json:"timestamp"`
	Metadata         json.RawMessage `json:"metadata"`
	Status           string          `json:"status"`
	IdentityStatus   string          `json:"identityStatus"`
	MatiDashboardURL string          `json:"matiDashboardUrl"`
	Step             *step           `json:"step"`
}

type step struct {
	ID           string     `json:"id"`
	DocumentType string     `json:"documentType"`
	Error        *stepError `json:"error"`
}

type stepError struct {
	Type    provider.Text `json:"type"`
	Code    provider.Text `json:"code"`
	Message provider.Text `json:"message"`
	// none: the value says there is no error (false, an empty string).
	none bool
}

// UnmarshalJSON reads MetaMap's error object. A bare string or number,
// which MetaMap's documents do not show, is taken for the error's code, so
// that the step still reads as failed; false or "" for no error.
func (e *stepError) UnmarshalJSON(data []byte) error {
	type object stepError
	if err := json.Unmarshal(data, (*object)(e)); err == nil {
		return nil
	}
	var code provider.Text
	if err := code.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("metamap: step error: %w", err)
	}
	*e = stepError{Code: code, none: code == "" || code == "false"}
	return nil
}

// failed reports whether a step with error e failed.
func (e *stepError) failed() bool { return e != nil && !e.none }

// Parse reads a MetaMap webhook. MetaMap sends no event id, so the dedup key
// is the payload's content without the send timestamp, which a retry may
// re-stamp.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var f payload
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("metamap: decode payload: %w", err)
	}
	if f.EventName == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("metamap: payload has no eventName")
	}
	vid, err := VerificationID(f.Resource)
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, err
	}
	key, err := provider.ContentKey(body, "timestamp")
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("metamap: %w", err)
	}
	occurred, _ := time.Parse(time.RFC3339Nano, f.Timestamp)
	id := kycgate.Identity{
		ProviderEvent:  f.EventName,
		VerificationID: vid,
		OccurredAt:     occurred.UTC(),
		DedupKey:       key,
	}
	return id, p.change(&f), nil
}

// change maps the webhook to canonical terms; see docs/providers/metamap.md.
func (p *Webhooks) change(f *payload) kycgate.Change {
	c := kycgate.Change{
		Flow:           f.FlowID,
		ResourceURL:    f.Resource,
		DashboardURL:   f.MatiDashboardURL,
		ExternalUserID: userID(f.Metadata, p.userIDKeys),
	}
	if len(f.Metadata) > 0 && !bytes.Equal(f.Metadata, []byte("null")) {
		c.Metadata = f.Metadata
	}
	switch f.EventName {
	case "verification_started":
		c.Status = kycgate.StatusInProgress
	case "verification_inputs_completed":
		c.Status = kycgate.StatusSubmitted
	case "verification_postponed":
		c.Status = kycgate.StatusOnHold
	case "verification_expired":
		// MetaMap expires flows the user did not finish.
		c.Status, c.UndecidedOnly = kycgate.StatusExpired, true
	case "verification_signed":
		c.Step = &kycgate.Step{Name: "digital-signature", Outcome: kycgate.OutcomePassed}
	case "step_completed":
		if f.Step != nil && f.Step.ID != "" {
			s := kycgate.Step{Name: f.Step.ID, Outcome: kycgate.OutcomePassed}
			if f.Step.Error.failed() {
				s.Outcome, s.ErrorCode = kycgate.OutcomeFailed, string(f.Step.Error.Code)
			}
			c.Step = &s
			c.DocumentType = f.Step.DocumentType
		}
	case "verification_completed", "verification_updated":
		// identityStatus carries the current status; status keeps the one
		// MetaMap first assigned.
		c.Decision = decision(cmp.Or(f.IdentityStatus, f.Status))
		c.OriginalDecision = decision(f.Status)
		if c.Decision == "" {
			c.Status = status(cmp.Or(f.IdentityStatus, f.Status))
		}
		if f.EventName == "verification_updated" {
			c.By = kycgate.ActorReviewer // a change made in MetaMap's dashboard
		}
	}
	c.Extra = extra(f)
	// timestamp is when MetaMap sent the webhook: a retry carries a later one.
	c.Clock = kycgate.ClockSent
	return c
}

func decision(s string) kycgate.Decision {
	switch s {
	case "verified":
		return kycgate.DecisionApproved
	case "reviewNeeded":
		return kycgate.DecisionReviewNeeded
	case "rejected":
		return kycgate.DecisionDeclined
	}
	return ""
}

// status maps the statuses that are not decisions.
func status(s string) kycgate.Status {
	switch s {
	case "postponed":
		return kycgate.StatusOnHold
	case "running", "reviewRunning":
		return kycgate.StatusSubmitted
	case "deleted":
		return kycgate.StatusDeleted
	}
	return ""
}

func extra(f *payload) map[string]string {
	var documentType, errorMessage string
	if f.Step != nil {
		documentType = f.Step.DocumentType
		if f.Step.Error.failed() {
			errorMessage = string(f.Step.Error.Message)
		}
	}
	return provider.Extra("status", f.Status, "identity_status", f.IdentityStatus,
		"document_type", documentType, "error_message", errorMessage)
}

// userID returns the first of keys found in metadata, as a string.
func userID(metadata json.RawMessage, keys []string) string {
	if len(metadata) == 0 {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(metadata, &m) != nil {
		return ""
	}
	for _, k := range keys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return ""
}

// VerificationID returns the verification id at the end of a resource URL,
// such as https://api.getmati.com/v2/verifications/6156311aba4c52001b1290a2
// or the same path on api.prod.metamap.com.
func VerificationID(resource string) (string, error) {
	if resource == "" {
		return "", errors.New("metamap: payload has no resource")
	}
	u, err := url.Parse(resource)
	if err != nil {
		return "", fmt.Errorf("metamap: resource: %w", err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != "verifications" || parts[len(parts)-1] == "" {
		return "", fmt.Errorf("metamap: resource %q does not name a verification", resource)
	}
	return parts[len(parts)-1], nil
}
