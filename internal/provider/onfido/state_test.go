package onfido_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/onfido"
)

const run = "bc77c6e5-753a-4580-96a6-aaed3e5a8d19"

// received is when the first delivery of a test arrives; each next one a
// second later.
var received = time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)

// entries parses bodies in the order they arrive.
func entries(t *testing.T, bodies ...string) []kycgate.LogEntry {
	t.Helper()
	p, err := onfido.New(provider.Config{Secrets: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	var log []kycgate.LogEntry
	for i, body := range bodies {
		id, change, err := p.Parse(http.Header{}, []byte(body))
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if id.VerificationID != run && id.VerificationID != check {
			t.Fatalf("#%d filed under %q", i, id.VerificationID)
		}
		ev := kycgate.Event{ID: fmt.Sprintf("evt_%02d", i), Seq: int64(i + 1), Identity: id, Type: onfido.Adapter.Type(id.ProviderEvent),
			Data: change, ReceivedAt: received.Add(time.Duration(i) * time.Second)}
		log = append(log, ev.LogEntry())
	}
	return log
}

// task is a workflow_task event of the run at hh:mm.
func task(action, def, hhmm string) string {
	status, field := "started", "started_at_iso8601"
	if action == "workflow_task.completed" {
		status, field = "completed", "completed_at_iso8601"
	}
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_task","action":"%s","object":{"id":"%s_1","task_def_id":"%s","workflow_run_id":"%s","status":"%s","%s":"2026-11-22T%s:00Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s/tasks/%s_1"}}}`,
		action, def, def, run, status, field, hhmm, run, def)
}

// completed is workflow_run.completed of the run in status, completed at
// hh:mm and updated at updated (hh:mm too).
func completed(status, hhmm, updated string, reasons ...string) string {
	rs, _ := json.Marshal(append([]string{}, reasons...))
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":"%s","status":"%s","started_at_iso8601":"2026-11-22T09:00:00Z","completed_at_iso8601":"2026-11-22T%s:00Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s"},"resource":{"id":"%s","workflow_id":"wf","status":"%s","customer_user_id":"user-1","updated_at":"2026-11-22T%s:00Z","reasons":%s}}}`,
		run, status, hhmm, run, run, status, updated, rs)
}

func rebuild(log []kycgate.LogEntry) kycgate.Verification {
	return kycgate.Rebuild("src", onfido.Name, run, log)
}

// TestState_AnyOrder: a run's tasks and decision give the same state in
// every order of arrival.
func TestState_AnyOrder(t *testing.T) {
	bodies := []string{
		task("workflow_task.started", "document_photo", "09:01"),
		task("workflow_task.completed", "document_photo", "09:02"),
		task("workflow_task.started", "face_check", "09:03"),
		task("workflow_task.completed", "face_check", "09:04"),
		completed("approved", "09:05", "09:05"),
	}
	permute(len(bodies), func(order []int) {
		arrived := make([]string, len(order))
		for i, j := range order {
			arrived[i] = bodies[j]
		}
		v := rebuild(entries(t, arrived...))
		if v.Status != kycgate.StatusApproved || len(v.Steps) != 2 || v.Steps[0].Name != "document_photo" || v.Steps[1].Outcome != kycgate.OutcomePassed {
			t.Fatalf("order %v: %s, steps %+v", order, v.Status, v.Steps)
		}
	})
}

// permute calls f with every permutation of 0..n-1.
func permute(n int, f func([]int)) {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(a)
			return
		}
		for i := k; i < n; i++ {
			a[k], a[i] = a[i], a[k]
			rec(k + 1)
			a[k], a[i] = a[i], a[k]
		}
	}
	rec(0)
}

// TestState_ReviewerDecision: an analyst's approval of a run in review
// stands, even when the review's first delivery was lost and its retry
// arrives after the approval.
func TestState_ReviewerDecision(t *testing.T) {
	review := completed("review", "09:05", "09:05", "document_check_consider")
	approval := completed("approved", "09:05", "10:30")
	for name, order := range map[string][]string{
		"in order":            {review, approval},
		"review retried late": {approval, review},
		"retried twice":       {review, approval, review},
	} {
		t.Run(name, func(t *testing.T) {
			v, effects := kycgate.Replay("src", onfido.Name, run, entries(t, order...))
			if v.Status != kycgate.StatusApproved || v.OriginalDecision != kycgate.DecisionReviewNeeded || len(v.Reasons) != 0 || v.Events != 2 {
				t.Fatalf("%s (original %s), reasons %v, %d events", v.Status, v.OriginalDecision, v.Reasons, v.Events)
			}
			if name == "review retried late" && !effects[0].Late {
				t.Errorf("the review that arrived after the approval is not marked late: %+v", effects)
			}
		})
	}
}

// TestState_Retry: Onfido stamps no send time, so a retry is the same body;
// even re-encoded, it keeps its dedup key and applies once.
func TestState_Retry(t *testing.T) {
	body := completed("declined", "09:05", "09:05", "document_authenticity")
	var obj any
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		t.Fatal(err)
	}
	reencoded, _ := json.MarshalIndent(obj, "", "  ")
	if bytes.Equal(reencoded, []byte(body)) {
		t.Fatal("the re-encoded body is the same bytes")
	}
	log := entries(t, body, string(reencoded))
	if log[0].DedupKey != log[1].DedupKey {
		t.Fatalf("a re-encoded retry changed the dedup key:\n %s\n %s", log[0].DedupKey, log[1].DedupKey)
	}
	if v := rebuild(log); v.Status != kycgate.StatusDeclined || v.Events != 1 {
		t.Errorf("%s, %d events", v.Status, v.Events)
	}
	// The same run decided again later is another event.
	if other := entries(t, completed("approved", "09:05", "10:00")); other[0].DedupKey == log[0].DedupKey {
		t.Error("a later decision shares the dedup key of the first")
	}
}

// TestState_AbandonedAndError: an abandoned run ends undecided; an error
// needs a person; progress after a decision is ignored.
func TestState_AbandonedAndError(t *testing.T) {
	v := rebuild(entries(t, task("workflow_task.started", "document_photo", "09:01"), completed("abandoned", "09:30", "09:30")))
	if v.Status != kycgate.StatusAbandoned || v.Decision != "" || v.DropOff == "" {
		t.Errorf("abandoned: %s decision %q drop-off %q", v.Status, v.Decision, v.DropOff)
	}
	v = rebuild(entries(t, completed("error", "09:10", "09:10"), task("workflow_task.started", "face_check", "09:20")))
	if v.Status != kycgate.StatusReviewNeeded || len(v.Reasons) != 1 || v.Reasons[0] != "error" {
		t.Errorf("error: %s reasons %v", v.Status, v.Reasons)
	}
}

const check = "8546921-123123-123123"

func checkEvent(action, status, field, hhmm, result string) string {
	res := ""
	if result != "" {
		res = fmt.Sprintf(`,"resource":{"id":"%s","status":"%s","result":"%s"}`, check, status, result)
	}
	return fmt.Sprintf(`{"payload":{"resource_type":"check","action":"%s","object":{"id":"%s","status":"%s","%s":"2026-11-22T%s:00Z","href":"https://api.onfido.com/v3.6/checks/%s"}%s}}`,
		action, check, status, field, hhmm, check, res)
}

// TestState_ReopenedCheck: a reopened check is a new attempt; the result
// that follows decides it, in any order of arrival; a withdrawal after a
// decision changes nothing.
func TestState_ReopenedCheck(t *testing.T) {
	bodies := []string{
		checkEvent("check.started", "in_progress", "started_at_iso8601", "09:00", ""),
		checkEvent("check.completed", "complete", "completed_at_iso8601", "09:10", "consider"),
		checkEvent("check.reopened", "reopened", "started_at_iso8601", "11:00", ""),
		checkEvent("check.completed", "complete", "completed_at_iso8601", "11:20", "clear"),
	}
	permute(len(bodies), func(order []int) {
		arrived := make([]string, len(order))
		for i, j := range order {
			arrived[i] = bodies[j]
		}
		v := kycgate.Rebuild("src", onfido.Name, check, entries(t, arrived...))
		if v.Status != kycgate.StatusApproved || v.Attempt != 2 || v.OriginalDecision != kycgate.DecisionReviewNeeded {
			t.Fatalf("order %v: %s attempt %d original %s", order, v.Status, v.Attempt, v.OriginalDecision)
		}
	})
	withdrawn := checkEvent("check.withdrawn", "withdrawn", "completed_at_iso8601", "12:00", "")
	if v := kycgate.Rebuild("src", onfido.Name, check, entries(t, bodies[3], withdrawn)); v.Status != kycgate.StatusApproved {
		t.Errorf("withdrawn after the decision: %s", v.Status)
	}
	if v := kycgate.Rebuild("src", onfido.Name, check, entries(t, bodies[0], withdrawn)); v.Status != kycgate.StatusAbandoned {
		t.Errorf("withdrawn undecided: %s", v.Status)
	}
}

// TestState_Erasure: Onfido sends no deletion; an erasure through kycgate's
// API makes the run a tombstone that later deliveries do not revive.
func TestState_Erasure(t *testing.T) {
	log := entries(t, completed("approved", "09:05", "09:05"))
	erased := received.Add(time.Minute)
	log = append(log, kycgate.LogEntry{ID: "evt_erase", Seq: 10, DedupKey: "erasure|" + run, Type: kycgate.EventDeleted,
		OccurredAt: erased, ReceivedAt: erased})
	late := entries(t, task("workflow_task.completed", "face_check", "09:04"))[0]
	late.ID, late.Seq, late.ReceivedAt = "evt_late", 11, erased.Add(time.Minute)
	v := rebuild(append(log, late))
	if v.Status != kycgate.StatusDeleted || v.Decision != kycgate.DecisionApproved || v.Events != 3 {
		t.Errorf("erased: %s decision %s, %d events", v.Status, v.Decision, v.Events)
	}
}

// TestState_TimelessEvent: a timeline file carries no time; the run is
// then ordered by arrival and phase, and its decision still stands.
func TestState_TimelessEvent(t *testing.T) {
	timeline := fmt.Sprintf(`{"payload":{"resource_type":"workflow_timeline_file","action":"workflow_timeline_file.created","object":{"id":"f1","href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s/timeline_file/f1"}}}`, run)
	bodies := []string{task("workflow_task.started", "document_photo", "09:01"), completed("declined", "09:05", "09:05", "document_authenticity"), timeline}
	permute(len(bodies), func(order []int) {
		arrived := make([]string, len(order))
		for i, j := range order {
			arrived[i] = bodies[j]
		}
		if v := rebuild(entries(t, arrived...)); v.Status != kycgate.StatusDeclined || v.Events != 3 {
			t.Fatalf("order %v: %s, %d events", order, v.Status, v.Events)
		}
	})
}

// TestState_ReopenedCheckDecidedByItsDocument: a reopened check whose
// completion carries no result (Onfido's documented check.completed) is
// decided by the check fetched after it, once complete; fetched while
// still reopened, it decides nothing.
func TestState_ReopenedCheckDecidedByItsDocument(t *testing.T) {
	log := entries(t,
		checkEvent("check.completed", "complete", "completed_at_iso8601", "09:10", ""),
		checkEvent("check.reopened", "reopened", "started_at_iso8601", "11:00", ""),
		checkEvent("check.completed", "complete", "completed_at_iso8601", "11:20", ""),
	)
	document := func(body string) kycgate.LogEntry {
		c, err := onfido.API.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		began := received.Add(time.Hour)
		return kycgate.LogEntry{ID: "evt_doc", DedupKey: "fetch|" + check, Type: kycgate.EventEnriched, OccurredAt: began, ReceivedAt: began.Add(time.Second), Change: c}
	}
	v := rebuild(append(log, document(`{"id":"`+check+`","status":"complete","result":"consider"}`)))
	if v.Status != kycgate.StatusReviewNeeded || v.DecidedBy != kycgate.ActorProviderAPI || v.Attempt != 2 {
		t.Errorf("complete: %s %s by %s attempt %d; want review_needed by provider_api, attempt 2", v.Status, v.Decision, v.DecidedBy, v.Attempt)
	}
	v = rebuild(append(log[:2:2], document(`{"id":"`+check+`","status":"reopened","result":"clear"}`)))
	if v.Decision != "" || v.Attempt != 2 {
		t.Errorf("still reopened: %s %q attempt %d; want undecided, attempt 2", v.Status, v.Decision, v.Attempt)
	}
}
