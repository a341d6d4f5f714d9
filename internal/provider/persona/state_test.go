package persona_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/persona"
)

// delivery is one Persona event as it arrives.
type delivery struct {
	id   string // the event id
	body string
}

// inquiryEvent is a Persona inquiry event at hh:mm:ss on the test's day;
// reviewer is the inquiry's reviewer relationship ("" for none).
func inquiryEvent(id, name, status, hhmmss, reviewer, comment string) delivery {
	rev := `{}`
	if reviewer != "" {
		rev = fmt.Sprintf(`{"type":"user","id":%q}`, reviewer)
	}
	cmt := "null"
	if comment != "" {
		cmt = fmt.Sprintf("%q", comment)
	}
	return delivery{id, fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":%q,"created-at":"2026-11-22T%s.000Z","payload":{"data":{"type":"inquiry","id":"inq_state1","attributes":{"status":%q,"reference-id":"user-1","reviewer-comment":%s,"created-at":"2026-11-22T09:59:00.000Z"},"relationships":{"reviewer":{"data":%s}}},"included":[]}}}}`,
		id, name, hhmmss, status, cmt, rev)}
}

// arrive parses the deliveries with the real adapter, in the order given,
// one second apart, as ingest stores them.
func arrive(t *testing.T, ds ...delivery) []kycgate.LogEntry {
	t.Helper()
	p, err := persona.New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var log []kycgate.LogEntry
	for i, d := range ds {
		id, c, err := p.Parse(http.Header{}, []byte(d.body))
		if err != nil {
			t.Fatalf("#%d %s: %v", i, d.id, err)
		}
		ev := kycgate.Event{ID: fmt.Sprintf("e%02d", i), Seq: int64(i + 1), Identity: id, Type: persona.Adapter.Type(id.ProviderEvent), Data: c,
			ReceivedAt: received.Add(time.Duration(i) * time.Second)}
		log = append(log, ev.LogEntry())
	}
	return log
}

func rebuild(log []kycgate.LogEntry) kycgate.Verification {
	return kycgate.Rebuild("persona", persona.Name, "inq_state1", log)
}

func want(t *testing.T, v kycgate.Verification, status kycgate.Status, decision kycgate.Decision, by kycgate.Actor, original kycgate.Decision) {
	t.Helper()
	if v.Status != status || v.Decision != decision || v.DecidedBy != by || v.OriginalDecision != original {
		t.Errorf("status %s, decision %s by %s, original %s; want %s, %s by %s, original %s",
			v.Status, v.Decision, v.DecidedBy, v.OriginalDecision, status, decision, by, original)
	}
}

var (
	created   = inquiryEvent("evt_c", "inquiry.created", "created", "10:00:00", "", "")
	started   = inquiryEvent("evt_s", "inquiry.started", "pending", "10:01:00", "", "")
	completed = inquiryEvent("evt_done", "inquiry.completed", "completed", "10:05:00", "", "")
	forReview = inquiryEvent("evt_mfr", "inquiry.marked-for-review", "needs_review", "10:05:02", "", "")
	approvedB = inquiryEvent("evt_rev_ok", "inquiry.approved", "approved", "10:30:00", "user_ann", "")
)

// The first delivery of inquiry.completed failed; Persona retried it after
// the reviewer had approved. It applies where its created-at puts it: the
// reviewer's approval stands, and completed is the original decision.
func TestState_LostFirstAttemptRetriedLate(t *testing.T) {
	log := arrive(t, created, started, forReview, approvedB, completed)
	v, effects := kycgate.Replay("persona", persona.Name, "inq_state1", log)
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
	for _, e := range effects {
		if e.EventID == log[4].ID && !e.Late {
			t.Error("the late inquiry.completed is not marked late")
		}
	}
	if v.Events != 5 || v.Stage != kycgate.StageDecided || v.DecisionClock != kycgate.ClockEvent {
		t.Errorf("events %d, stage %s, decision clock %s", v.Events, v.Stage, v.DecisionClock)
	}
}

// A retry carries the same body (only Persona-Signature changes): it is
// the same event, applied once, whatever headers came with it.
func TestState_RetryWithNewSendTime(t *testing.T) {
	p, _ := persona.New(provider.Config{})
	first := http.Header{persona.HeaderSignature: {persona.Sign(time.Unix(1795000000, 0), []byte(completed.body), "s")}}
	retry := http.Header{persona.HeaderSignature: {persona.Sign(time.Unix(1795000258, 0), []byte(completed.body), "s")}, persona.HeaderAttemptsMade: {"5"}}
	a, _, _ := p.Parse(first, []byte(completed.body))
	b, _, _ := p.Parse(retry, []byte(completed.body))
	if a.DedupKey != b.DedupKey || a.OccurredAt != b.OccurredAt {
		t.Fatalf("a retry is another event: %+v, %+v", a, b)
	}
	log := arrive(t, created, started, completed, completed, forReview, completed)
	v := rebuild(log)
	want(t, v, kycgate.StatusReviewNeeded, kycgate.DecisionReviewNeeded, kycgate.ActorAutomatic, kycgate.DecisionApproved)
	if v.Events != 4 {
		t.Errorf("%d events, want 4 (retries applied once)", v.Events)
	}
}

// Any order of arrival, with duplicates, gives the state the events' times
// give.
func TestState_ReorderedDeliveries(t *testing.T) {
	events := []delivery{created, started, completed, forReview, approvedB}
	in := rebuild(arrive(t, events...))
	want(t, in, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
	n := 0
	permute(events, 0, func(order []delivery) {
		n++
		got := rebuild(arrive(t, append(order, order[n%len(order)])...))
		if got.Status != in.Status || got.Decision != in.Decision || got.DecidedBy != in.DecidedBy ||
			got.OriginalDecision != in.OriginalDecision || got.Events != in.Events || !got.CreatedAt.Equal(in.CreatedAt) ||
			!got.LastEventAt.Equal(in.LastEventAt) || got.Stage != in.Stage {
			t.Fatalf("order %v: %+v\nwant %+v", ids(order), got, in)
		}
	})
	if n != 120 {
		t.Fatalf("%d orders tried", n)
	}
}

func permute(ds []delivery, k int, f func([]delivery)) {
	if k == len(ds) {
		f(append([]delivery(nil), ds...))
		return
	}
	for i := k; i < len(ds); i++ {
		ds[k], ds[i] = ds[i], ds[k]
		permute(ds, k+1, f)
		ds[k], ds[i] = ds[i], ds[k]
	}
}

func ids(ds []delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.id
	}
	return out
}

// A reviewer declines what the workflow approved; a later automatic
// approval (the API, a workflow re-run) does not overturn the reviewer.
func TestState_ReviewerOverride(t *testing.T) {
	workflowOK := inquiryEvent("evt_wf_ok", "inquiry.approved", "approved", "10:06:00", "", "")
	reviewerNo := inquiryEvent("evt_rev_no", "inquiry.declined", "declined", "11:00:00", "user_ann", "Selfie does not match the document.")
	laterAuto := inquiryEvent("evt_wf_again", "inquiry.approved", "approved", "12:00:00", "", "")
	log := arrive(t, created, started, completed, workflowOK, reviewerNo, laterAuto)
	v, effects := kycgate.Replay("persona", persona.Name, "inq_state1", log)
	want(t, v, kycgate.StatusDeclined, kycgate.DecisionDeclined, kycgate.ActorReviewer, kycgate.DecisionApproved)
	if len(v.Reasons) != 1 || v.Reasons[0] != "Selfie does not match the document." {
		t.Errorf("reasons %v", v.Reasons)
	}
	if last := effects[len(effects)-1]; last.EventID != log[5].ID || last.OverruledBy != kycgate.ActorReviewer {
		t.Errorf("the later automatic approval: %+v", last)
	}
	// The reviewer approving again moves the decision back.
	reviewerYes := inquiryEvent("evt_rev_yes", "inquiry.approved", "approved", "13:00:00", "user_bob", "")
	v = rebuild(arrive(t, created, started, completed, workflowOK, reviewerNo, laterAuto, reviewerYes))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
	if len(v.Reasons) != 0 {
		t.Errorf("an approval kept the reasons %v", v.Reasons)
	}
}

// Persona has no resubmission request: an expired inquiry that is resumed
// goes on to its decision; an expiry stamped after a decision (an expiry
// of a session, delivered late) leaves the decision alone.
func TestState_ResumedAfterExpiry(t *testing.T) {
	expired := inquiryEvent("evt_exp", "inquiry.expired", "expired", "10:02:00", "", "")
	resumed := inquiryEvent("evt_s2", "inquiry.started", "pending", "10:03:00", "", "")
	v := rebuild(arrive(t, created, started, expired))
	want(t, v, kycgate.StatusExpired, "", "", "")
	if v.DropOff != "expired" {
		t.Errorf("drop-off %q", v.DropOff)
	}
	v = rebuild(arrive(t, created, started, expired, completed, resumed))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorAutomatic, kycgate.DecisionApproved)
	if v.Attempt != 1 {
		t.Errorf("attempt %d: a resumption is the same attempt", v.Attempt)
	}
	lateExpiry := inquiryEvent("evt_exp2", "inquiry.expired", "expired", "10:20:00", "", "")
	v = rebuild(arrive(t, created, started, completed, lateExpiry))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorAutomatic, kycgate.DecisionApproved)
}

// A redaction erases the verification, also against events that arrive
// after it (a late retry).
func TestState_Redaction(t *testing.T) {
	redacted := inquiryEvent("evt_red", "inquiry.redacted", "approved", "15:00:00", "", "")
	v := rebuild(arrive(t, created, started, completed, redacted, approvedB))
	if v.Status != kycgate.StatusDeleted || v.Metadata != nil {
		t.Errorf("after redaction: %+v", v)
	}
	if v.Decision != kycgate.DecisionApproved {
		t.Errorf("the tombstone lost its decision: %q", v.Decision)
	}
}

// Verification events are the inquiry's steps: a failed government id
// makes the drop-off of a failed inquiry.
func TestState_VerificationSteps(t *testing.T) {
	ver := func(id, name, status, hhmmss string) delivery {
		return delivery{id, fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":%q,"created-at":"2026-11-22T%s.000Z","payload":{"data":{"type":"verification/government-id","id":"ver_1","attributes":{"status":%q,"id-class":"pp","country-code":"DE"},"relationships":{"inquiry":{"data":{"type":"inquiry","id":"inq_state1"}}}}}}}}`, id, name, hhmmss, status)}
	}
	failed := inquiryEvent("evt_fail", "inquiry.failed", "failed", "10:09:00", "", "")
	v := rebuild(arrive(t, created, started, ver("evt_v1", "verification.created", "initiated", "10:02:00"),
		ver("evt_v2", "verification.failed", "failed", "10:04:00"), failed))
	want(t, v, kycgate.StatusDeclined, kycgate.DecisionDeclined, kycgate.ActorAutomatic, kycgate.DecisionDeclined)
	if len(v.Steps) != 1 || v.Steps[0].Name != "government-id" || v.Steps[0].Outcome != kycgate.OutcomeFailed {
		t.Errorf("steps %+v", v.Steps)
	}
	if v.DropOff != "government-id.failed" || v.DocumentType != "pp" || v.DocumentCountry != "DE" {
		t.Errorf("drop-off %q, document %q %q", v.DropOff, v.DocumentType, v.DocumentCountry)
	}
}

// TestState_WorkflowAfterReviewer: a workflow (or the API) that later marks
// for review, or declines, an inquiry a person approved reopens it for
// review, until a person decides again; an older one retried late does not.
func TestState_WorkflowAfterReviewer(t *testing.T) {
	laterReview := inquiryEvent("evt_wf_mfr", "inquiry.marked-for-review", "needs_review", "23:00:05", "", "")
	laterDecline := inquiryEvent("evt_wf_no", "inquiry.declined", "declined", "23:00:06", "", "")
	for _, later := range []delivery{laterReview, laterDecline} {
		v := rebuild(arrive(t, created, started, completed, approvedB, later))
		want(t, v, kycgate.StatusReviewNeeded, kycgate.DecisionReviewNeeded, kycgate.ActorAutomatic, kycgate.DecisionApproved)
	}
	// The earlier marked-for-review, retried after the person's approval,
	// happened before it: the approval stands.
	v := rebuild(arrive(t, created, started, completed, approvedB, forReview))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
	// The person decides again.
	again := inquiryEvent("evt_rev_ok2", "inquiry.approved", "approved", "23:30:00", "user_ann", "")
	v = rebuild(arrive(t, created, started, completed, approvedB, laterReview, again))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
}

// reportMatched is a watchlist report of inquiry inq_state1 that found a
// match, at hh:mm:ss.
func reportMatched(id, hhmmss string) delivery {
	return delivery{id, fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":"report/watchlist.matched","created-at":"2026-11-22T%s.000Z","payload":{"data":{"type":"report/watchlist","id":"rep_%s","attributes":{"status":"ready","has-match":true},"relationships":{"inquiry":{"data":{"type":"inquiry","id":"inq_state1"}}}}}}}}`,
		id, hhmmss, id)}
}

// TestState_WatchlistMatch: a match while the inquiry is undecided is
// Persona's workflow's to weigh (its approval stands); a match after the
// decision (a monitoring re-run) reopens it for review, a person's
// approval included, until a person decides again.
func TestState_WatchlistMatch(t *testing.T) {
	during := reportMatched("evt_m1", "10:04:00")
	v := rebuild(arrive(t, created, started, during, completed))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorAutomatic, kycgate.DecisionApproved)
	after := reportMatched("evt_m2", "23:00:00")
	v = rebuild(arrive(t, created, started, completed, after))
	want(t, v, kycgate.StatusReviewNeeded, kycgate.DecisionReviewNeeded, kycgate.ActorScreening, kycgate.DecisionApproved)
	v = rebuild(arrive(t, created, started, completed, approvedB, after))
	want(t, v, kycgate.StatusReviewNeeded, kycgate.DecisionReviewNeeded, kycgate.ActorScreening, kycgate.DecisionApproved)
	// Retried after the decision, the match from before it stays before it.
	v = rebuild(arrive(t, created, started, completed, during))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorAutomatic, kycgate.DecisionApproved)
	again := inquiryEvent("evt_rev_ok3", "inquiry.approved", "approved", "23:30:00", "user_ann", "")
	v = rebuild(arrive(t, created, started, completed, after, again))
	want(t, v, kycgate.StatusApproved, kycgate.DecisionApproved, kycgate.ActorReviewer, kycgate.DecisionApproved)
}
