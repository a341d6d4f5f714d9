package onfido

import (
	"fmt"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays Onfido Studio: workflow runs and their tasks, signed with the
// webhook's token, for the simulator. Onfido publishes no retry schedule;
// the one played here is an assumption (docs/providers/onfido.md).
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      sim.UUID,
	Retries:    []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set(HeaderSignature, Sign(c.Secret, d.Body).Get(HeaderSignature))
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			onfidoTasks(b)
			onfidoRun(b, "approved", "", nil)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			onfidoTasks(b)
			onfidoRun(b, "declined", "", []string{"document_authenticity"})
		}},
		"review_needed": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			onfidoTasks(b)
			onfidoRun(b, "review", "", []string{"face_similarity_caution"})
		}},
		"review": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			onfidoTasks(b)
			completed := onfidoRun(b, "review", "", []string{"face_similarity_caution"})
			onfidoRun(b, "approved", completed, nil) // an analyst approves it in the dashboard
		}},
		"abandoned": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			onfidoTask(b, "workflow_task.started", "profile_data")
			onfidoTask(b, "workflow_task.completed", "profile_data")
			onfidoTask(b, "workflow_task.started", "document_photo")
			onfidoRun(b, "abandoned", "", nil)
		}},
		"error": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			onfidoTask(b, "workflow_task.started", "profile_data")
			onfidoTask(b, "workflow_task.completed", "profile_data")
			onfidoRun(b, "error", "", nil)
		}},
		"in_progress": {Want: kycgate.StatusInProgress, Build: func(b *sim.Builder) {
			onfidoTask(b, "workflow_task.started", "profile_data")
			onfidoTask(b, "workflow_task.completed", "profile_data")
			onfidoTask(b, "workflow_task.started", "document_photo")
		}},
	},
}

// onfidoTasks is a user going through a Studio workflow's tasks.
func onfidoTasks(b *sim.Builder) {
	for _, task := range []string{"profile_data", "document_photo", "face_photo", "document_check", "face_check"} {
		onfidoTask(b, "workflow_task.started", task)
		onfidoTask(b, "workflow_task.completed", task)
	}
}

// onfidoTask adds a workflow_task event in the shape of Onfido's published
// example.
func onfidoTask(b *sim.Builder, action, task string) {
	at := b.Next().UTC().Format(time.RFC3339)
	status, times := "started", fmt.Sprintf(`"started_at_iso8601":"%s"`, at)
	if action == "workflow_task.completed" {
		status, times = "completed", fmt.Sprintf(`"completed_at_iso8601":"%s"`, at)
	}
	id := task + "_" + b.VerificationID[:5]
	body := fmt.Sprintf(`{"payload":{"resource_type":"workflow_task","action":"%s","object":{"id":"%s","task_spec_id":"%s","task_def_id":"%s","workflow_run_id":"%s","status":"%s",%s,"href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s/tasks/%s"},"resource":{"created_at":"%s","id":"%s","workflow_run_id":"%s","updated_at":"%s","input":{},"task_def_version":null,"task_def_id":"%s","output":null}}}`,
		action, id, id, task, b.VerificationID, status, times, b.VerificationID, id, at, id, b.VerificationID, at, task)
	b.Add(action, []byte(body))
}

// onfidoRun adds workflow_run.completed with the full run as its resource,
// and returns its completion time. completed, when set, is the run's
// earlier completion: a reviewer's decision keeps it and moves updated_at.
func onfidoRun(b *sim.Builder, status, completed string, reasons []string) string {
	at := b.Next().UTC().Format(time.RFC3339)
	if completed == "" {
		completed = at
	}
	c, _ := time.Parse(time.RFC3339, completed)
	started := c.Add(-10 * time.Minute).Format(time.RFC3339)
	errObj := "null"
	if status == "error" {
		errObj = `{"type":"task_error","message":"A task of the workflow run failed."}`
	}
	reasonsJSON := "[]"
	if len(reasons) > 0 {
		reasonsJSON = `["` + strings.Join(reasons, `","`) + `"]`
	}
	href := "https://api.eu.onfido.com/v3.6/workflow_runs/" + b.VerificationID
	body := fmt.Sprintf(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":"%s","status":"%s","started_at_iso8601":"%s","completed_at_iso8601":"%s","href":"%s"},"resource":{"id":"%s","applicant_id":"%s","workflow_id":"%s","workflow_run_id":"%s","workflow_version_id":3,"status":"%s","dashboard_url":"https://dashboard.onfido.com/results/%s","customer_user_id":"%s","created_at":"%s","updated_at":"%s","reasons":%s,"tags":[],"link":{"url":"https://eu.onfido.app/l/%s"},"error":%s}}}`,
		b.VerificationID, status, started, completed, href,
		b.VerificationID, fakeApplicant(sim.Journey{VerificationID: b.VerificationID}), fakeWorkflowID, b.VerificationID, status,
		b.VerificationID, b.User, started, at, reasonsJSON, b.VerificationID[:8], errObj)
	b.Add("workflow_run.completed", []byte(body))
	return completed
}
