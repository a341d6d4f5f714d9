package sumsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Sumsub's time formats: createdAtMs is "yyyy-MM-dd HH:mm:ss.fff" in UTC
// (read with or without its fraction: Go's parser takes one after the
// seconds when the layout has none); createdAt carries a numeric zone.
const (
	layoutCreatedAtMs = "2006-01-02 15:04:05"
	layoutCreatedAt   = "2006-01-02 15:04:05-0700"
)

// payload is the part of a Sumsub webhook kycgate reads.
type payload struct {
	Type                      string        `json:"type"`
	ApplicantID               string        `json:"applicantId"`
	ApplicantActionID         string        `json:"applicantActionId"`
	ExternalApplicantActionID string        `json:"externalApplicantActionId"`
	CorrelationID             string        `json:"correlationId"`
	ExternalUserID            string        `json:"externalUserId"`
	LevelName                 string        `json:"levelName"`
	PreviousLevelName         string        `json:"previousLevelName"`
	SandboxMode               flexBool      `json:"sandboxMode"`
	ReviewStatus              string        `json:"reviewStatus"`
	ReviewMode                string        `json:"reviewMode"`
	VideoIdentReviewStatus    string        `json:"videoIdentReviewStatus"`
	ReviewResult              reviewResult  `json:"reviewResult"`
	CreatedAtMs               provider.Text `json:"createdAtMs"`
	CreatedAt                 string        `json:"createdAt"`
}

type reviewResult struct {
	ReviewAnswer      string   `json:"reviewAnswer"`
	ReviewRejectType  string   `json:"reviewRejectType"`
	RejectLabels      []string `json:"rejectLabels"`
	ModerationComment string   `json:"moderationComment"`
	ClientComment     string   `json:"clientComment"`
}

// flexBool reads true, false, "true" or "false": Sumsub's own examples send
// sandboxMode both ways.
type flexBool struct{ set, value bool }

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.Trim(data, `"`)) {
	case "true":
		*b = flexBool{set: true, value: true}
	case "false":
		*b = flexBool{set: true, value: false}
	}
	return nil // anything else says nothing
}

// Parse reads a Sumsub webhook. The dedup key is the correlationId with the
// type, applicant and action: Sumsub documents correlationId as the event's
// unique id, yet its own examples reuse one across types and applicants.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var f payload
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("sumsub: decode payload: %w", err)
	}
	if f.Type == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("sumsub: payload has no type")
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Type,
		VerificationID: f.ApplicantID,
		OccurredAt:     parseTime(string(f.CreatedAtMs), f.CreatedAt),
	}
	if f.CorrelationID != "" {
		id.DedupKey = strings.Join([]string{"correlation", f.CorrelationID, f.Type, f.ApplicantID, f.ApplicantActionID}, "|")
	} else {
		// A retry repeats the body, createdAtMs included (docs/providers/sumsub.md):
		// the same review given again later is another event.
		key, err := provider.ContentKey(body)
		if err != nil {
			return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("sumsub: %w", err)
		}
		id.DedupKey = key
	}
	c := f.change()
	c.Clock = kycgate.ClockEvent
	if id.OccurredAt.IsZero() {
		c.Clock = kycgate.ClockNone
	}
	return id, c, nil
}

// change maps the webhook to canonical terms; see docs/providers/sumsub.md.
func (f *payload) change() kycgate.Change {
	c := kycgate.Change{ExternalUserID: f.ExternalUserID, Flow: f.LevelName}
	if f.SandboxMode.set {
		c.Sandbox = provider.Bool(f.SandboxMode.value)
	}
	c.Status = statuses[Catalogue[f.Type]]
	switch Catalogue[f.Type] {
	case kycgate.EventDecided:
		c.Decision, c.Reasons = f.decision()
	case kycgate.EventStepCompleted: // video ident
		c.Step = &kycgate.Step{Name: "video-ident", Outcome: f.videoIdentOutcome()}
	}
	switch f.Type {
	case "applicantLevelChanged":
		// A decision at the old level says nothing of the new one.
		c.NewAttempt = true
	case "applicantActivated":
		c.Deactivated = provider.Bool(false)
	case "applicantDeactivated":
		c.Deactivated = provider.Bool(true)
	}
	c.Extra = f.extra()
	return c
}

// statuses are the progress statuses Sumsub's event types report. The type
// decides, not reviewStatus: the documented applicantOnHold example says
// "reviewStatus": "pending".
var statuses = map[kycgate.EventType]kycgate.Status{
	kycgate.EventCreated:   kycgate.StatusPending,
	kycgate.EventSubmitted: kycgate.StatusSubmitted,
	kycgate.EventOnHold:    kycgate.StatusOnHold,
}

// decision maps reviewResult: GREEN approves; RED with reviewRejectType
// RETRY asks for resubmission, otherwise declines. Labels and comments are
// the reasons. As Sumsub documents, reviewAnswer counts only once
// reviewStatus is completed.
func (f *payload) decision() (kycgate.Decision, []string) {
	if f.ReviewStatus != "" && f.ReviewStatus != "completed" {
		return "", nil
	}
	r := f.ReviewResult
	reasons := reasonList(r.RejectLabels, r.ModerationComment, r.ClientComment)
	switch strings.ToUpper(r.ReviewAnswer) {
	case "GREEN":
		return kycgate.DecisionApproved, reasons
	case "RED":
		if strings.EqualFold(r.ReviewRejectType, "RETRY") {
			return kycgate.DecisionResubmissionRequested, reasons
		}
		return kycgate.DecisionDeclined, reasons
	}
	return "", nil
}

func (f *payload) videoIdentOutcome() string {
	switch {
	case f.ReviewResult.ReviewAnswer == "GREEN":
		return kycgate.OutcomePassed
	case f.ReviewResult.ReviewAnswer == "RED":
		return kycgate.OutcomeFailed
	case f.VideoIdentReviewStatus == "completed":
		return kycgate.OutcomeSubmitted
	}
	return kycgate.OutcomeStarted
}

// extra keeps the facts with no canonical field.
func (f *payload) extra() map[string]string {
	var actionAnswer, active string
	if f.ApplicantActionID != "" {
		actionAnswer = f.ReviewResult.ReviewAnswer
	}
	switch f.Type {
	case "applicantActivated":
		active = "true"
	case "applicantDeactivated":
		active = "false"
	}
	return provider.Extra("review_status", f.ReviewStatus, "review_mode", f.ReviewMode,
		"previous_level", f.PreviousLevelName, "video_ident_review_status", f.VideoIdentReviewStatus,
		"applicant_action_id", f.ApplicantActionID, "external_applicant_action_id", f.ExternalApplicantActionID,
		"action_review_answer", actionAnswer, "active", active)
}

// reasonList returns labels followed by the non-empty, trimmed comments.
func reasonList(labels []string, comments ...string) []string {
	out := append([]string{}, labels...)
	for _, c := range comments {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// parseTime reads createdAtMs, falling back to createdAt; zero if neither parses.
func parseTime(createdAtMs, createdAt string) time.Time {
	if t, err := time.ParseInLocation(layoutCreatedAtMs, createdAtMs, time.UTC); err == nil {
		return t
	}
	// A number, which Sumsub does not document, is what the name says:
	// milliseconds since the epoch.
	if ms, err := strconv.ParseInt(createdAtMs, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	if t, err := time.Parse(layoutCreatedAt, createdAt); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
