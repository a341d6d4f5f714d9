package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// stateCounter is a store that says how it brought verifications up to
// date: applying new events to the stored state, or rebuilding from the log.
type stateCounter interface {
	StateCounts() (continued, rebuilt int64)
}

// counts returns the store's state counts, or skips the checks of them.
func counts(t *testing.T, s kycgate.Store) (continued, rebuilt int64, ok bool) {
	c, ok := s.(stateCounter)
	if !ok {
		return 0, 0, false
	}
	continued, rebuilt = c.StateCounts()
	return continued, rebuilt, true
}

// sameAsRebuild fails the test unless the stored verification is the one
// a rebuild from its stored log gives.
func sameAsRebuild(t *testing.T, s kycgate.Store, source, id string) *kycgate.Verification {
	t.Helper()
	got := find(t, s, source, id)
	log, err := s.ListLog(context.Background(), source, id)
	if err != nil {
		t.Fatal(err)
	}
	want := kycgate.Rebuild(source, got.Provider, id, log)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("stored verification\n%s\nrebuild from its log\n%s", g, w)
	}
	return got
}

// testIncremental: a verification whose events arrive in the order they
// happened is brought up to date from its stored state, one that receives
// an event of the past is rebuilt, and both end as a rebuild from the log.
func testIncremental(t *testing.T, s kycgate.Store) {
	c0, r0, counted := counts(t, s)
	ev := func(m int, typ kycgate.EventType, c kycgate.Change) *kycgate.Event {
		e := journeyEvent("src", "inc1", m, typ, c)
		e.ReceivedAt = e.OccurredAt.Add(time.Hour).Add(123456 * time.Nanosecond) // finer than a store keeps
		return e
	}
	stream := []*kycgate.Event{
		ev(1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, ExternalUserID: "u1", Metadata: json.RawMessage(`{"b": 1, "a": [1, 2]}`)}),
		ev(2, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeStarted}}),
		ev(3, kycgate.EventStepCompleted, kycgate.Change{Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomePassed}}),
		ev(4, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}),
		ev(5, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionReviewNeeded, Reasons: []string{"BLURRY"}}),
	}
	for _, e := range stream {
		create(t, s, e)
		sameAsRebuild(t, s, "src", "inc1")
	}
	// Two at once, in order, and a retry of one already stored.
	retry := ev(5, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionReviewNeeded})
	retry.DedupKey = stream[4].DedupKey
	create(t, s, ev(6, kycgate.EventUpdated, kycgate.Change{Decision: kycgate.DecisionApproved, By: kycgate.ActorReviewer, Reasons: []string{}}),
		retry, ev(7, kycgate.EventUpdated, kycgate.Change{Score: ptrTo(0.9)}))
	if v := sameAsRebuild(t, s, "src", "inc1"); v.Decision != kycgate.DecisionApproved || v.Events != 7 {
		t.Fatalf("after the in-order stream: %+v", v)
	}
	c1, r1, _ := counts(t, s)
	if counted && (c1-c0 != 6 || r1-r0 != 0) {
		t.Errorf("in order: %d continued, %d rebuilt; want 6 continued (the first built from its own events), none rebuilt", c1-c0, r1-r0)
	}

	// The automatic decision's event, dated before the reviewer's, arrives
	// late: it sorts before what was applied, so the verification is rebuilt.
	create(t, s, ev(4, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionDeclined, Reasons: []string{"FORGERY"}}))
	if v := sameAsRebuild(t, s, "src", "inc1"); v.Decision != kycgate.DecisionApproved || v.DecidedBy != kycgate.ActorReviewer {
		t.Fatalf("after the late automatic decision: %+v", v)
	}
	c2, r2, _ := counts(t, s)
	if counted && (c2 != c1 || r2-r1 != 1) {
		t.Errorf("out of order: %d continued, %d rebuilt; want a rebuild", c2-c1, r2-r1)
	}
	// After the rebuild, in-order events are applied to its state again.
	create(t, s, ev(8, kycgate.EventUpdated, kycgate.Change{Decision: kycgate.DecisionDeclined, By: kycgate.ActorReviewer}))
	sameAsRebuild(t, s, "src", "inc1")
	c3, r3, _ := counts(t, s)
	if counted && (c3-c2 != 1 || r3 != r2) {
		t.Errorf("after the rebuild: %d continued, %d rebuilt; want continued", c3-c2, r3-r2)
	}

	// A deletion, then an event after it: still purged, still a rebuild's.
	create(t, s, ev(9, kycgate.EventDeleted, kycgate.Change{Status: kycgate.StatusDeleted}))
	create(t, s, ev(10, kycgate.EventUpdated, kycgate.Change{Metadata: json.RawMessage(`{"x":1}`)}))
	if v := sameAsRebuild(t, s, "src", "inc1"); v.Status != kycgate.StatusDeleted || v.Metadata != nil {
		t.Fatalf("after the deletion: %+v", v)
	}
	if got, _ := s.FindEvent(context.Background(), stream[0].ID); got.Body != nil {
		t.Error("a deleted verification's raw body stayed")
	}
}

// testIncrementalReprocess: reprocess rebuilds each verification and
// leaves a state that later in-order events are applied to.
func testIncrementalReprocess(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	create(t, s, journeyEvent("src", "r1", 1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending}))
	decided := journeyEvent("src", "r1", 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted})
	create(t, s, decided)
	// Today's adapters read the second event as the decision.
	if _, err := s.Reprocess(ctx, func(ev *kycgate.Event) {
		if ev.ID == decided.ID {
			ev.Type, ev.Data = kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	if v := sameAsRebuild(t, s, "src", "r1"); v.Decision != kycgate.DecisionApproved {
		t.Fatalf("after reprocess: %+v", v)
	}
	c0, r0, counted := counts(t, s)
	create(t, s, journeyEvent("src", "r1", 3, kycgate.EventUpdated, kycgate.Change{Decision: kycgate.DecisionDeclined, By: kycgate.ActorReviewer}))
	if v := sameAsRebuild(t, s, "src", "r1"); v.Decision != kycgate.DecisionDeclined || v.OriginalDecision != kycgate.DecisionApproved {
		t.Fatalf("after reprocess and a review: %+v", v)
	}
	if c1, r1, _ := counts(t, s); counted && (c1-c0 != 1 || r1 != r0) {
		t.Errorf("after reprocess: %d continued, %d rebuilt; want continued", c1-c0, r1-r0)
	}
}

func ptrTo[T any](v T) *T { return &v }

// testFirstSeenAfterInterruptedReprocess: a reprocess that gave stored
// events a verification id of their own was interrupted before it built
// that verification; a new event of it is applied to all of them, not to
// itself alone.
func testFirstSeenAfterInterruptedReprocess(t *testing.T, s kycgate.Store) {
	create(t, s, journeyEvent("src", "before", 1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, ExternalUserID: "u7"}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Reprocess(ctx, func(ev *kycgate.Event) { ev.VerificationID = "after" }, func(p kycgate.ReprocessProgress) {
		if p.Phase == kycgate.PhaseEvents {
			cancel() // before any verification is rebuilt
		}
	})
	if err == nil {
		t.Fatal("the interrupted reprocess succeeded")
	}
	create(t, s, journeyEvent("src", "after", 2, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}))
	if v := sameAsRebuild(t, s, "src", "after"); v.Events != 2 || v.ExternalUserID != "u7" {
		t.Fatalf("the verification after its first new event: %d events, user %q; want both events, user u7", v.Events, v.ExternalUserID)
	}
}

// testQueriesFollowUpdates: an update that changes a verification's status,
// user, creation or update time is what the queries on each find, and what
// they no longer find by its old value; one that leaves them as they were
// leaves it found.
func testQueriesFollowUpdates(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	listed := func(f kycgate.VerificationFilter) bool {
		t.Helper()
		f.Source = "src"
		vs, _, err := s.ListVerifications(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.ID == "q1" {
				return true
			}
		}
		return false
	}
	other := journeyEvent("src", "q0", 5, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})
	check := func(step string, status kycgate.Status, user string, created, updated time.Time) {
		t.Helper()
		v, err := s.FindVerification(ctx, "src", "q1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != status || v.ExternalUserID != user || !v.CreatedAt.Equal(created) || !v.UpdatedAt.Equal(updated) {
			t.Fatalf("%s: status %s, user %q, created %s, updated %s; want %s, %q, %s, %s",
				step, v.Status, v.ExternalUserID, v.CreatedAt, v.UpdatedAt, status, user, created, updated)
		}
		for _, f := range []struct {
			name string
			f    kycgate.VerificationFilter
			want bool
		}{
			{"status", kycgate.VerificationFilter{Status: status}, true},
			{"search by user", kycgate.VerificationFilter{Search: "user-"}, user != ""},
			{"since its update", kycgate.VerificationFilter{Since: updated}, true},
			{"since after its update", kycgate.VerificationFilter{Since: updated.Add(time.Microsecond)}, false},
			{"newest created", kycgate.VerificationFilter{ByCreation: true, Limit: 1}, created.After(other.OccurredAt)},
		} {
			if got := listed(f.f); got != f.want {
				t.Errorf("%s: listed by %s: %v, want %v", step, f.name, got, f.want)
			}
		}
		if user != "" && !listed(kycgate.VerificationFilter{ExternalUserID: user}) {
			t.Errorf("%s: not listed by its user", step)
		}
		for _, old := range []kycgate.Status{kycgate.StatusPending, kycgate.StatusInProgress, kycgate.StatusApproved} {
			if old != status && listed(kycgate.VerificationFilter{Status: old}) {
				t.Errorf("%s: still listed as %s", step, old)
			}
		}
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, vc := range c.Verifications {
			if vc.Provider == "sumsub" && vc.Status == status {
				n = vc.Count
			}
		}
		if want := map[bool]int{true: 2, false: 1}[status == kycgate.StatusPending]; n != want {
			t.Errorf("%s: counted %d sumsub verifications %s, want %d", step, n, status, want)
		}
	}
	at := func(m int, typ kycgate.EventType, c kycgate.Change) *kycgate.Event {
		e := journeyEvent("src", "q1", m, typ, c)
		e.ReceivedAt = e.OccurredAt.Add(time.Hour)
		return e
	}
	// Another verification, created between the two creation times q1 has.
	create(t, s, other)

	first := at(10, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})
	create(t, s, first)
	check("created", kycgate.StatusPending, "", first.OccurredAt, first.ReceivedAt)

	started := at(11, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress, ExternalUserID: "user-1"})
	create(t, s, started)
	check("started by a user", kycgate.StatusInProgress, "user-1", first.OccurredAt, started.ReceivedAt)

	step := at(12, kycgate.EventStepCompleted, kycgate.Change{Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomePassed}})
	create(t, s, step)
	check("a step", kycgate.StatusInProgress, "user-1", first.OccurredAt, step.ReceivedAt)

	// Dated before everything, it arrives last: the verification is rebuilt
	// and its creation moves back, past the other verification's.
	earlier := at(1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})
	earlier.ReceivedAt = step.ReceivedAt.Add(time.Minute)
	create(t, s, earlier)
	check("an earlier creation", kycgate.StatusInProgress, "user-1", earlier.OccurredAt, earlier.ReceivedAt)
	if vs, _, err := s.ListVerifications(ctx, kycgate.VerificationFilter{Source: "src", ByCreation: true}); err != nil || len(vs) != 2 || vs[0].ID != "q0" {
		t.Errorf("newest created first: %v, %v; want q0 first", vs, err)
	}

	decided := at(20, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, ExternalUserID: "user-2"})
	create(t, s, decided)
	check("approved", kycgate.StatusApproved, "user-2", earlier.OccurredAt, decided.ReceivedAt)
	if listed(kycgate.VerificationFilter{ExternalUserID: "user-1"}) {
		t.Error("still listed under the user it had")
	}
}

// testForwarded: what a destination receives of an event is its
// verification as stored now and whether the event arrived late, as the
// verification's rules say: late when it arrives after an event that
// applies after it, in another batch or the same one, and no longer late
// once a later arrival reorders the log so that it applies after it.
func testForwarded(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	forwarded := func(ev *kycgate.Event) *kycgate.Forwarded {
		t.Helper()
		f, err := s.FindForwarded(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	late := func(step string, want map[*kycgate.Event]bool) {
		t.Helper()
		for ev, w := range want {
			if got := forwarded(ev).Late; got != w {
				t.Errorf("%s: %s (%s) late = %v, want %v", step, ev.ID, ev.Type, got, w)
			}
		}
	}
	at := func(vid string, m int, typ kycgate.EventType, c kycgate.Change, arrives int) *kycgate.Event {
		e := journeyEvent("src", vid, m, typ, c)
		e.ReceivedAt = time.Date(2026, 11, 22, 12, arrives, 0, 0, time.UTC)
		return e
	}

	// The decision is stored first; the submission that happened before it
	// comes in later.
	decided := at("f1", 2, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}, 1)
	submitted := at("f1", 1, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}, 2)
	create(t, s, decided)
	create(t, s, submitted)
	f := forwarded(submitted)
	if f.Verification.Status != kycgate.StatusApproved || f.Verification.Events != 2 || f.Event.Type != kycgate.EventSubmitted ||
		string(f.Event.Body) != string(submitted.Body) {
		t.Errorf("the late submission: %+v, event %+v", f.Verification, f.Event)
	}
	late("across batches", map[*kycgate.Event]bool{decided: false, submitted: true})

	// A verification's first batch, its events in the reverse order.
	started := at("f2", 1, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress}, 4)
	done := at("f2", 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}, 3)
	create(t, s, done, started)
	late("in one batch", map[*kycgate.Event]bool{done: false, started: true})
	// Then in order, to its stored state.
	approved := at("f2", 3, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}, 5)
	create(t, s, approved)
	late("in order after", map[*kycgate.Event]bool{done: false, started: true, approved: false})
	if v := forwarded(done).Verification; v.Decision != kycgate.DecisionApproved || v.Events != 3 {
		t.Errorf("an earlier event's verification is not the current one: %+v", v)
	}

	// Event times order these two, so the submission, dated first, is late;
	// then a decision without a time makes arrival cut the log into
	// attempts, where the phase comes before the time: the submission
	// applies after the start again, and is no longer late.
	begun := at("f3", 5, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress}, 6)
	sent := at("f3", 1, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}, 7)
	create(t, s, begun)
	create(t, s, sent)
	late("by event time", map[*kycgate.Event]bool{begun: false, sent: true})
	untimed := at("f3", 0, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}, 8)
	untimed.OccurredAt = time.Time{}
	create(t, s, untimed)
	late("by arrival", map[*kycgate.Event]bool{begun: false, sent: false, untimed: false})

	// A reprocess re-reads an approval as a rejection, and one event as
	// another verification's, and is interrupted before it rebuilds them:
	// what is forwarded follows the events as they now read, not the
	// verification rows as they were.
	approval := at("f4", 1, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}, 9)
	moved := at("f4", 2, kycgate.EventUpdated, kycgate.Change{Score: ptrTo(0.5)}, 10)
	create(t, s, approval, moved)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := s.Reprocess(rctx, func(ev *kycgate.Event) {
		switch ev.ID {
		case approval.ID:
			ev.Data = kycgate.Change{Decision: kycgate.DecisionDeclined, By: kycgate.ActorReviewer}
		case moved.ID:
			ev.VerificationID = "f5"
		}
	}, func(p kycgate.ReprocessProgress) {
		if p.Phase == kycgate.PhaseEvents {
			cancel() // before any verification is rebuilt
		}
	}); err == nil {
		t.Fatal("the interrupted reprocess succeeded")
	}
	if f := forwarded(approval); f.Verification.Decision != kycgate.DecisionDeclined || f.Verification.Events != 1 {
		t.Errorf("during the reprocess, the re-read rejection is forwarded with %s after %d events; want declined after 1",
			f.Verification.Decision, f.Verification.Events)
	}
	if f := forwarded(moved); f.Verification.ID != "f5" || f.Verification.Events != 1 {
		t.Errorf("during the reprocess, the moved event is forwarded with %s after %d events; want f5 after 1", f.Verification.ID, f.Verification.Events)
	}

	if _, err := s.FindForwarded(ctx, "evt_missing"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Errorf("unknown event: %v", err)
	}
}
