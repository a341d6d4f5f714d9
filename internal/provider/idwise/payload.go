package idwise

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

type payload struct {
	Event string `json:"event"`
	Body  body   `json:"body"`
}

type body struct {
	EventID                 string         `json:"eventId"`
	JourneyID               string         `json:"journeyId"`
	SpotCheckJourneyID      string         `json:"spotCheckJourneyId"`
	OngoingCheckID          string         `json:"ongoingCheckId"`
	ReferenceNo             provider.Text  `json:"referenceNo"`
	SystemDecision          string         `json:"systemDecision"`
	PreviousSystemDecision  string         `json:"previousSystemDecision"`
	ManualDecision          *string        `json:"manualDecision"`
	FinalDecision           string         `json:"finalDecision"`
	Action                  string         `json:"action"`
	Trigger                 string         `json:"trigger"`
	UpdatedAMLVersionNumber provider.Text  `json:"updatedAMLVersionNumber"`
	StepID                  provider.Text  `json:"stepId"`
	StepType                string         `json:"stepType"`
	RequiredSteps           []requiredStep `json:"requiredSteps"`
}

type requiredStep struct {
	StepID          provider.Text `json:"stepId"`
	ReasonCode      string        `json:"reasonCode"`
	RenewalDeadline string        `json:"renewalDeadline"`
}

// Parse reads an IDWise webhook. IDWise keeps eventId across retries, so it
// (with the event name) is the dedup key; IDWise sends no event time, so
// events are ordered by their lifecycle phase, then by arrival.
func (Webhooks) Parse(_ http.Header, raw []byte) (kycgate.Identity, kycgate.Change, error) {
	var f payload
	if err := json.Unmarshal(raw, &f); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("idwise: decode payload: %w", err)
	}
	if f.Event == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("idwise: payload has no event")
	}
	// A spot check names the journey it checks when it is one's; else it is
	// a verification of its own.
	journey := f.Body.JourneyID
	if journey == "" {
		journey = f.Body.SpotCheckJourneyID
	}
	id := kycgate.Identity{ProviderEvent: f.Event, VerificationID: journey}
	if f.Body.EventID != "" {
		id.DedupKey = "event|" + f.Body.EventID + "|" + f.Event
	} else {
		key, err := provider.ContentKey(raw)
		if err != nil {
			return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("idwise: %w", err)
		}
		id.DedupKey = key
	}
	return id, f.change(), nil
}

// change maps the webhook to canonical terms; see docs/providers/idwise.md.
func (f *payload) change() kycgate.Change {
	b := f.Body
	c := kycgate.Change{ExternalUserID: string(b.ReferenceNo), Clock: kycgate.ClockNone}
	switch f.Event {
	case "Finished Step", "Step Submitted":
		name := b.StepType
		if name == "" {
			name = "step-" + string(b.StepID)
		}
		c.Step = &kycgate.Step{Name: name, Outcome: kycgate.OutcomeSubmitted}
		c.Status = kycgate.StatusInProgress
	case "Finished User Steps":
		c.Status = kycgate.StatusSubmitted
	case "Finished Journey":
		// Incomplete: the user did not finish; that is no decision.
		if b.SystemDecision == "Incomplete" {
			c.Status, c.Reasons = kycgate.StatusAbandoned, []string{"Incomplete"}
		}
		c.Decision = systemDecision(b.SystemDecision)
	case "Manually Reviewed", "Updated Journey":
		c.Decision, c.By = manualDecision(b), kycgate.ActorReviewer
		c.OriginalDecision = systemDecision(b.SystemDecision)
	case "AML Monitor Update":
		c.Decision, c.By = systemDecision(b.SystemDecision), kycgate.ActorScreening
	case "Finished Spot Check", "Finished Ongoing Check":
		c = spotCheck(c, b, f.Event)
	case "Verification Update Required":
		// A reviewer's request or a KYC renewal: the user goes through the
		// required steps again, in a new attempt.
		c.Decision, c.NewAttempt = kycgate.DecisionResubmissionRequested, true
		c.OriginalDecision = systemDecision(b.SystemDecision)
		for _, s := range b.RequiredSteps {
			if s.ReasonCode != "" {
				c.Reasons = append(c.Reasons, s.ReasonCode)
			}
		}
	case "KYC Renewal Deadline Exceeded":
		c.Status = kycgate.StatusExpired
	}
	c.Extra = f.extra()
	return c
}

// spotCheck maps a selfie spot check. Under the journey it checks, it is a
// step: a failed one is a risk signal that reopens the journey for review,
// whatever its automatic decision. On its own, its system decision is its
// verification's decision.
func spotCheck(c kycgate.Change, b body, event string) kycgate.Change {
	d := systemDecision(b.SystemDecision)
	name := "spot-check"
	if event == "Finished Ongoing Check" {
		name = "ongoing-check"
	}
	if b.JourneyID == "" {
		c.Decision = d
		return c
	}
	step := kycgate.Step{Name: name, Outcome: kycgate.OutcomeSubmitted}
	switch d {
	case "":
	case kycgate.DecisionApproved:
		step.Outcome = kycgate.OutcomePassed
	default:
		step.Outcome = kycgate.OutcomeFailed
		c.Decision, c.By = kycgate.DecisionReviewNeeded, kycgate.ActorRisk
	}
	c.Step = &step
	return c
}

// systemDecision maps IDWise's system decision: Complete passed, Refer
// needs a manual review. Incomplete is no decision.
func systemDecision(s string) kycgate.Decision {
	switch s {
	case "Complete", "Approved":
		return kycgate.DecisionApproved
	case "Refer":
		return kycgate.DecisionReviewNeeded
	case "Rejected":
		return kycgate.DecisionDeclined
	}
	return ""
}

// manualDecision is the reviewer's decision, else the final one.
func manualDecision(b body) kycgate.Decision {
	if b.ManualDecision != nil {
		if d := systemDecision(*b.ManualDecision); d != "" {
			return d
		}
	}
	return systemDecision(b.FinalDecision)
}

func (f *payload) extra() map[string]string {
	b := f.Body
	var manual string
	if b.ManualDecision != nil {
		manual = *b.ManualDecision
	}
	return provider.Extra("system_decision", b.SystemDecision, "previous_system_decision", b.PreviousSystemDecision,
		"manual_decision", manual, "final_decision", b.FinalDecision, "action", b.Action, "trigger", b.Trigger,
		"ongoing_check_id", b.OngoingCheckID, "spot_check_journey_id", b.SpotCheckJourneyID, "aml_version", string(b.UpdatedAMLVersionNumber))
}
