package kycgate_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// pools are the real event shapes the property test draws from: every
// journey and delivery case, by provider.
func pools(t *testing.T) [][]kycgate.LogEntry {
	var out [][]kycgate.LogEntry
	byProvider := map[string][]kycgate.LogEntry{}
	for _, j := range journeys {
		_, log := arrive(t, j.provider, provider.Config{}, j.bodies...)
		out = append(out, log)
		byProvider[j.provider] = append(byProvider[j.provider], log...)
	}
	for _, c := range deliveryCases {
		_, log := arrive(t, c.provider, c.cfg, c.bodies...)
		out = append(out, log)
		byProvider[c.provider] = append(byProvider[c.provider], log...)
	}
	for _, p := range slices.Sorted(maps.Keys(byProvider)) { // a provider's events mixed: resubmissions, renewals, reviews
		out = append(out, byProvider[p])
	}
	return out
}

var (
	testBase  = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	decisions = []kycgate.Decision{"", "", kycgate.DecisionApproved, kycgate.DecisionDeclined, kycgate.DecisionReviewNeeded, kycgate.DecisionResubmissionRequested}
	actors    = []kycgate.Actor{"", kycgate.ActorAutomatic, kycgate.ActorRisk, kycgate.ActorScreening, kycgate.ActorReviewer}
	clocks    = []kycgate.Clock{"", kycgate.ClockEvent, kycgate.ClockEvent, kycgate.ClockSent, kycgate.ClockNone}
	statuses  = []kycgate.Status{"", "", kycgate.StatusInProgress, kycgate.StatusSubmitted, kycgate.StatusOnHold, kycgate.StatusAbandoned, kycgate.StatusExpired, kycgate.StatusPending}
)

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// synthetic is an event of any type, with any of the fields the rules
// read, at one of a few times (so that times tie).
func synthetic(rng *rand.Rand) kycgate.LogEntry {
	types := slices.DeleteFunc(slices.Clone(kycgate.EventTypes), func(t kycgate.EventType) bool {
		return t == kycgate.EventDeleted || t == kycgate.EventEnriched
	})
	e := kycgate.LogEntry{Type: pick(rng, types)}
	if rng.IntN(5) > 0 {
		e.OccurredAt = testBase.Add(time.Duration(rng.IntN(8)) * time.Minute)
	}
	c := &e.Change
	c.Clock = pick(rng, clocks)
	c.Decision = pick(rng, decisions)
	c.By = pick(rng, actors)
	c.Status = pick(rng, statuses)
	c.NewAttempt = rng.IntN(8) == 0
	c.RetryWindowSeconds = int64(rng.IntN(4)) // arrivals are up to 3 s apart: some retries come after the window
	c.UndecidedOnly = rng.IntN(6) == 0
	switch rng.IntN(4) {
	case 0:
		c.Reasons = []string{}
	case 1:
		c.Reasons = []string{pick(rng, []string{"FORGERY", "BLURRY", "face_collision"})}
	}
	if rng.IntN(3) == 0 {
		c.Step = &kycgate.Step{Name: pick(rng, []string{"liveness", "document", "selfie"}),
			Outcome: pick(rng, []string{kycgate.OutcomePassed, kycgate.OutcomeFailed, kycgate.OutcomeCancelled, kycgate.OutcomeStarted})}
		if rng.IntN(3) == 0 {
			c.Step.ErrorCode = "step.error"
		}
	}
	if rng.IntN(6) == 0 {
		at := testBase.Add(-time.Duration(rng.IntN(3)) * time.Hour)
		c.CreatedAt = &at
	}
	if rng.IntN(4) == 0 {
		c.ExternalUserID = pick(rng, []string{"user-1", "user-2"})
		s := float64(rng.IntN(10)) / 10
		c.Score = &s
		c.Metadata = json.RawMessage(fmt.Sprintf(`{"n":%d}`, rng.IntN(3)))
	}
	if rng.IntN(8) == 0 {
		d := rng.IntN(2) == 0
		c.Deactivated = &d
	}
	return e
}

// fetched is a document fetched from the provider's API.
func fetched(rng *rand.Rand) kycgate.LogEntry {
	c := kycgate.Change{Decision: pick(rng, decisions), DocumentType: pick(rng, []string{"", "PASSPORT", "ID_CARD"}),
		ExternalUserID: pick(rng, []string{"", "user-1", "user-3"}), Flow: pick(rng, []string{"", "flow-2"})}
	if rng.IntN(2) == 0 {
		c.Steps = []kycgate.Step{{Name: pick(rng, []string{"liveness", "document", "aml"}), Outcome: kycgate.OutcomePassed}}
	}
	if rng.IntN(3) == 0 {
		c.Reasons = []string{"DOC_EXPIRED"}
	}
	return kycgate.LogEntry{Type: kycgate.EventEnriched, Change: c}
}

// sends returns what a provider and the fetcher send for one
// verification, in the order it arrives, each with its arrival: events of
// pool and synthetic ones, retries of them (the same dedup key again,
// later), re-stamped retries (a new send time, so a new event), documents,
// and now and then a deletion.
func sends(rng *rand.Rand, pool []kycgate.LogEntry) []kycgate.LogEntry {
	var out []kycgate.LogEntry
	n := 1 + rng.IntN(10)
	for range n {
		var e kycgate.LogEntry
		switch r := rng.IntN(10); {
		case r < 6 && len(pool) > 0:
			e = pool[rng.IntN(len(pool))]
			if rng.IntN(10) == 0 { // a stored event of before adapters said their clock, or a clock of another kind
				e.Change.Clock = pick(rng, clocks)
			}
		case r < 9:
			e = synthetic(rng)
		default:
			e = fetched(rng)
		}
		out = append(out, e)
	}
	if rng.IntN(8) == 0 {
		out = append(out, kycgate.LogEntry{Type: kycgate.EventDeleted})
	}
	for i := range out {
		out[i].DedupKey = fmt.Sprintf("k%d", i)
	}
	for range rng.IntN(4) { // retries
		r := out[rng.IntN(len(out))]
		if rng.IntN(2) == 0 && !r.OccurredAt.IsZero() {
			r.OccurredAt = r.OccurredAt.Add(time.Duration(1+rng.IntN(20)) * time.Minute) // re-stamped
			r.DedupKey += "-restamped"
		}
		out = append(out, r)
	}
	rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	received := testBase.Add(time.Hour)
	for i := range out {
		out[i].ID = fmt.Sprintf("evt_%02d", i)
		switch rng.IntN(6) {
		case 0: // the same microsecond as the one before
		case 1: // another instance's clock, behind
			received = received.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond)
		default:
			received = received.Add(time.Duration(1+rng.IntN(3000)) * time.Millisecond)
		}
		out[i].ReceivedAt = received
		if out[i].Type == kycgate.EventEnriched {
			out[i].OccurredAt = received.Add(-time.Duration(rng.IntN(4000)) * time.Millisecond) // when the fetch began
		}
	}
	return out
}

// stored is an entry as the store gives it back: its data through JSON.
func stored(t *testing.T, e kycgate.LogEntry) kycgate.LogEntry {
	b, err := json.Marshal(e.Change)
	if err != nil {
		t.Fatal(err)
	}
	e.Change = kycgate.Change{}
	if err := json.Unmarshal(b, &e.Change); err != nil {
		t.Fatal(err)
	}
	return e
}

// roundTrip is v through JSON, as a store keeps it.
func roundTrip[T any](t *testing.T, v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestContinue_EqualsRebuild: events stored as a store stores them, in
// batches of random sizes (a duplicate of a stored event is not stored
// again), each applied to the stored verification and state with
// Continue, or rebuilt from the whole log where Continue cannot, give
// after every batch exactly the verification, and the state, that a
// rebuild from the whole log gives.
func TestContinue_EqualsRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pools := pools(t)
	trials := 4000
	if testing.Short() {
		trials = 500
	}
	var continued, rebuilt int
	for trial := range trials {
		arriving := sends(rng, pools[rng.IntN(len(pools))])
		var log []kycgate.LogEntry
		keys := map[string]bool{}
		v, _, st := kycgate.RebuildState("src", "p", "v1", nil)
		var steps []string
		late := map[string]bool{}
		for len(arriving) > 0 {
			n := 1 + rng.IntN(min(len(arriving), 3))
			if rng.IntN(4) > 0 {
				n = 1
			}
			var batch []kycgate.LogEntry
			for _, e := range arriving[:n] {
				if keys[e.DedupKey] {
					continue
				}
				keys[e.DedupKey] = true
				e.Seq = int64(len(log) + 1)
				e = stored(t, e)
				log, batch = append(log, e), append(batch, e)
			}
			arriving = arriving[n:]
			if len(batch) == 0 {
				continue
			}
			got, gotState, gotEffects, ok := kycgate.Continue(roundTrip(t, v), roundTrip(t, st), batch)
			if ok {
				continued++
			} else {
				rebuilt++
				got, gotEffects, gotState = kycgate.RebuildState("src", "p", "v1", log)
			}
			steps = append(steps, fmt.Sprintf("%v continued=%v", ids(batch), ok))
			want, wantEffects, wantState := kycgate.RebuildState("src", "p", "v1", log)
			effectOf := map[string]kycgate.Effect{}
			for _, ef := range wantEffects {
				effectOf[ef.EventID] = ef
			}
			if ok && len(gotEffects) != len(batch) {
				t.Fatalf("trial %d: after %v: %d effects for a batch of %d", trial, steps, len(gotEffects), len(batch))
			}
			for _, ef := range gotEffects {
				if ef != effectOf[ef.EventID] {
					t.Fatalf("trial %d: after %v: event %s did %+v; Rebuild says %+v", trial, steps, ef.EventID, ef, effectOf[ef.EventID])
				}
			}
			// What a store keeps of each event: its effect when it was
			// applied, every event's when the verification was rebuilt.
			if !ok {
				clear(late)
			}
			for _, ef := range gotEffects {
				late[ef.EventID] = ef.Late
			}
			for _, ef := range wantEffects {
				if late[ef.EventID] != ef.Late {
					t.Fatalf("trial %d: after %v: event %s kept late = %v; Rebuild says %v", trial, steps, ef.EventID, late[ef.EventID], ef.Late)
				}
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				l, _ := json.MarshalIndent(log, "", " ")
				t.Fatalf("trial %d: after %v\nContinue gives\n%s\nRebuild gives\n%s\nlog\n%s", trial, steps, g, w, l)
			}
			gs, _ := json.Marshal(gotState)
			ws, _ := json.Marshal(wantState)
			if string(gs) != string(ws) {
				t.Fatalf("trial %d: after %v\nContinue's state %s\nRebuild's state  %s", trial, steps, gs, ws)
			}
			v, st = got, gotState
		}
	}
	t.Logf("%d batches continued, %d rebuilt", continued, rebuilt)
	if continued < rebuilt/4 || rebuilt == 0 {
		t.Errorf("%d batches continued, %d rebuilt: the test no longer exercises both", continued, rebuilt)
	}
}

// TestContinue_InOrder: a journey arriving in the order it happened is
// applied without its log, event by event, for each clock kind.
func TestContinue_InOrder(t *testing.T) {
	notInOrder := map[string]bool{
		"deleted":                              true, // an event after the deletion: deletions apply last
		"progress reported after the decision": true, // a send time does not move progress past the decision
	}
	for _, j := range journeys {
		if notInOrder[j.name] {
			continue
		}
		t.Run(j.provider+"/"+j.name, func(t *testing.T) {
			vid, log := j.log(t)
			for i := range log {
				log[i].Seq = int64(i + 1)
				log[i] = stored(t, log[i])
			}
			v, _, st := kycgate.RebuildState("src", j.provider, vid, nil)
			for i, e := range log {
				var ok bool
				if v, st, _, ok = kycgate.Continue(v, st, []kycgate.LogEntry{e}); !ok {
					t.Fatalf("event %d (%s) not continued", i, e.Type)
				}
			}
			if want := kycgate.Rebuild("src", j.provider, vid, log); !reflect.DeepEqual(v, want) {
				t.Errorf("got %+v\nwant %+v", v, want)
			}
		})
	}
}

// TestContinue_EventInThePast: an event that happened before one applied
// is not continued; an unknown state neither.
func TestContinue_EventInThePast(t *testing.T) {
	_, log := arrive(t, "sumsub", provider.Config{},
		sumsub("applicantCreated", noReview, 1), sumsub("applicantReviewed", green, 3), sumsub("applicantPending", noReview, 2))
	v, _, st := kycgate.RebuildState("src", "sumsub", "app1", log[:2])
	if _, _, _, ok := kycgate.Continue(v, st, log[2:]); ok {
		t.Error("an event dated before the decision was continued")
	}
	if _, _, _, ok := kycgate.Continue(v, kycgate.ReplayState{}, log[2:]); ok {
		t.Error("the zero state was continued")
	}
}
