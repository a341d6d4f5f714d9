package onfido

import (
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

// envelope is an Onfido webhook: {"payload": {...}}.
type envelope struct {
	Payload *payload `json:"payload"`
}

// payload is the part of an Onfido webhook kycgate reads. resource is the
// full resource, present with the webhook payload versions that send it.
type payload struct {
	ResourceType string   `json:"resource_type"`
	Action       string   `json:"action"`
	Object       object   `json:"object"`
	Resource     resource `json:"resource"`
}

type object struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	StartedAt     string `json:"started_at_iso8601"`
	CompletedAt   string `json:"completed_at_iso8601"`
	Href          string `json:"href"`
	WorkflowRunID string `json:"workflow_run_id"`
	TaskDefID     string `json:"task_def_id"`
}

// resource is a workflow run, task, check or report, as far as kycgate
// reads it; names and document numbers stay in the raw body.
type resource struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Result         string    `json:"result"`
	SubResult      string    `json:"sub_result"`
	Name           string    `json:"name"`
	CheckID        string    `json:"check_id"`
	WorkflowRunID  string    `json:"workflow_run_id"`
	WorkflowID     string    `json:"workflow_id"`
	TaskDefID      string    `json:"task_def_id"`
	CustomerUserID string    `json:"customer_user_id"`
	DashboardURL   string    `json:"dashboard_url"`
	Reasons        []string  `json:"reasons"`
	UpdatedAt      string    `json:"updated_at"`
	Error          *runError `json:"error"`
}

// runError is a workflow run's error object.
type runError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Parse reads an Onfido webhook. Onfido sends no event id: the dedup key
// is the action, the object's id and status, and the object's times, which
// a retry repeats (Onfido stamps no send time); for an object without a
// time, the body's content.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("onfido: decode payload: %w", err)
	}
	f := e.Payload
	if f == nil || f.Action == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("onfido: payload has no action")
	}
	if f.Object.ID == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("onfido: payload has no object id")
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Action,
		VerificationID: f.verificationID(),
		OccurredAt:     f.occurredAt(),
		DedupKey: strings.Join([]string{"onfido", f.Action, f.Object.ID, f.Object.Status,
			f.Object.StartedAt, f.Object.CompletedAt, f.Resource.UpdatedAt}, "|"),
	}
	if id.OccurredAt.IsZero() {
		// Nothing tells two such events of one object apart but their
		// content: a watchlist monitor's matches updated twice.
		key, err := provider.ContentKey(body)
		if err != nil {
			return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("onfido: %w", err)
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

// verificationID is the workflow run an event concerns (Studio), else its
// check (classic API), else the object itself.
func (f *payload) verificationID() string {
	switch {
	case f.Action == "workflow_run.completed" || f.Action == "workflow_run.started":
		return f.Object.ID
	case strings.HasPrefix(f.Action, "report."):
		return cmp.Or(f.Resource.CheckID, f.Object.ID)
	}
	return cmp.Or(f.Object.WorkflowRunID, f.Resource.WorkflowRunID, runFromHref(f.Object.Href), f.Object.ID)
}

// runFromHref returns the workflow run an object's href is under
// (https://api.eu.onfido.com/v3.6/workflow_runs/{id}/...), or "".
func runFromHref(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "workflow_runs" {
			return parts[i+1]
		}
	}
	return ""
}

// occurredAt is when the thing happened: the object's completion, else its
// start; for a workflow run, its resource's update when later (a reviewer's
// decision on a run in review).
func (f *payload) occurredAt() time.Time {
	t := parseTime(f.Object.CompletedAt)
	if t.IsZero() {
		t = parseTime(f.Object.StartedAt)
	}
	if f.ResourceType == "workflow_run" {
		if u := parseTime(f.Resource.UpdatedAt); u.After(t) {
			t = u
		}
	}
	return t
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// change maps the webhook to canonical terms; see docs/providers/onfido.md.
func (f *payload) change() kycgate.Change {
	r := f.Resource
	c := kycgate.Change{ExternalUserID: r.CustomerUserID, DashboardURL: r.DashboardURL, Flow: r.WorkflowID}
	if f.ResourceType == "workflow_run" || f.ResourceType == "check" {
		// The run's or check's own URL: kycgate fetches the one it names.
		c.ResourceURL = f.Object.Href
	}
	switch f.Action {
	case "workflow_run.started":
		c.Status = kycgate.StatusInProgress
	case "workflow_run.completed":
		c.Decision, c.Status, c.Reasons = runOutcome(cmp.Or(f.Object.Status, r.Status), r.Reasons, r.Error)
	case "workflow_task.started", "workflow_task.completed":
		outcome := kycgate.OutcomeStarted
		if f.Action == "workflow_task.completed" {
			outcome = kycgate.OutcomePassed
		}
		c.Step = &kycgate.Step{Name: cmp.Or(f.Object.TaskDefID, r.TaskDefID, f.Object.ID), Outcome: outcome}
		c.Status = kycgate.StatusInProgress
	case "check.started":
		c.Status = kycgate.StatusSubmitted
	case "check.reopened":
		// The reports run again: the check's earlier result no longer holds.
		c.Status, c.NewAttempt = kycgate.StatusSubmitted, true
	case "check.withdrawn":
		c.Status, c.UndecidedOnly = kycgate.StatusAbandoned, true
	case "check.completed":
		c.Decision = checkDecision(r.Result)
		if c.Decision == "" {
			c.Status = kycgate.StatusSubmitted // the result is in the check: kycgate fetches it
		}
	case "check.form_completed":
		c.Step = &kycgate.Step{Name: "applicant-form", Outcome: kycgate.OutcomeSubmitted}
	case "report.completed":
		c.Step = &kycgate.Step{Name: reportName(r.Name), Outcome: reportOutcome(r.Result)}
	case "report.resumed":
		c.Step = &kycgate.Step{Name: reportName(r.Name), Outcome: kycgate.OutcomeStarted}
	case "report.withdrawn", "report.cancelled":
		c.Step = &kycgate.Step{Name: reportName(r.Name), Outcome: kycgate.OutcomeCancelled}
	case "report.awaiting_approval":
		c.Status = kycgate.StatusOnHold
		c.Step = &kycgate.Step{Name: reportName(r.Name), Outcome: kycgate.OutcomeStarted}
	case "watchlist_monitor.matches_updated":
		// New or changed matches of an ongoing screening: someone must look.
		c.Decision, c.By = kycgate.DecisionReviewNeeded, kycgate.ActorScreening
	}
	var errType string
	if r.Error != nil {
		errType = r.Error.Type
	}
	c.Extra = provider.Extra("resource_type", f.ResourceType, "object_id", f.Object.ID,
		"object_status", f.Object.Status, "result", r.Result, "sub_result", r.SubResult, "error_type", errType)
	return c
}

// runOutcome maps a workflow run's status: approved, declined and review are
// decisions; abandoned ends the run undecided; error needs a person.
func runOutcome(status string, reasons []string, runErr *runError) (kycgate.Decision, kycgate.Status, []string) {
	out := append([]string{}, reasons...)
	switch status {
	case "approved":
		return kycgate.DecisionApproved, "", out
	case "declined":
		return kycgate.DecisionDeclined, "", out
	case "review":
		return kycgate.DecisionReviewNeeded, "", out
	case "error":
		if runErr != nil && runErr.Type != "" {
			out = append(out, runErr.Type)
		} else {
			out = append(out, "error")
		}
		return kycgate.DecisionReviewNeeded, "", out
	}
	return "", runStatus(status), nil
}

// runStatus maps the statuses of a workflow run that are not decisions.
func runStatus(s string) kycgate.Status {
	switch s {
	case "processing":
		return kycgate.StatusSubmitted
	case "awaiting_input":
		return kycgate.StatusInProgress
	case "awaiting_client_input":
		return kycgate.StatusOnHold
	case "abandoned":
		return kycgate.StatusAbandoned
	}
	return ""
}

// checkDecision maps a check's result: clear approves; consider asks for a
// review (Onfido leaves the decision to the company).
func checkDecision(result string) kycgate.Decision {
	switch result {
	case "clear":
		return kycgate.DecisionApproved
	case "consider":
		return kycgate.DecisionReviewNeeded
	}
	return ""
}

func reportOutcome(result string) string {
	switch result {
	case "clear":
		return kycgate.OutcomePassed
	case "consider", "unidentified":
		return kycgate.OutcomeFailed
	}
	return kycgate.OutcomeSubmitted
}

func reportName(name string) string { return cmp.Or(name, "report") }
