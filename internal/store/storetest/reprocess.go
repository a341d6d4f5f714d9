package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/kycgate/kycgate"
)

// testReprocessResumes interrupts a reprocess in each phase and runs it
// again: the second run resumes where the first stopped (no event is
// renormalized twice), and the two together give the result of one run.
func testReprocessResumes(t *testing.T, open func(t *testing.T) kycgate.Store) {
	const n = 1234 // more than two batches
	for _, stop := range []string{kycgate.PhaseEvents, kycgate.PhaseVerifications} {
		t.Run("stopped in "+stop, func(t *testing.T) {
			s := open(t)
			evs := make([]*kycgate.Event, n)
			for i := range evs {
				evs[i] = journeyEvent("src", fmt.Sprintf("v%05d", i), 1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})
			}
			for i := 0; i < n; i += 500 {
				create(t, s, evs[i:min(i+500, n)]...)
			}
			renormalized := map[string]int{}
			approve := func(ev *kycgate.Event) {
				renormalized[ev.ID]++
				ev.Type, ev.Data = kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}
			}
			ctx, cancel := context.WithCancel(context.Background())
			var seen []kycgate.ReprocessProgress
			_, err := s.Reprocess(ctx, approve, func(p kycgate.ReprocessProgress) {
				seen = append(seen, p)
				if p.Phase == stop {
					cancel() // interrupted after the first batch of the phase
				}
			})
			if err == nil {
				t.Fatalf("the interrupted run succeeded; progress %+v", seen)
			}
			if len(seen) == 0 || seen[0].Resumed {
				t.Fatalf("progress of the first run: %+v", seen)
			}
			var last kycgate.ReprocessProgress
			res, err := s.Reprocess(context.Background(), approve, func(p kycgate.ReprocessProgress) { last = p })
			if err != nil {
				t.Fatal(err)
			}
			if last.Phase != kycgate.PhaseDone || !last.Resumed {
				t.Errorf("last progress %+v, want done and resumed", last)
			}
			if res.Events != n || res.Changed != n || res.Verifications != n {
				t.Errorf("result %+v, want %d events, changed and verifications", res, n)
			}
			for _, ev := range evs {
				if renormalized[ev.ID] != 1 {
					t.Fatalf("event %s renormalized %d times, want once", ev.ID, renormalized[ev.ID])
				}
			}
			if v := find(t, s, "src", "v01233"); v.Status != kycgate.StatusApproved {
				t.Errorf("the last verification after reprocess: %s", v.Status)
			}
			// A finished run leaves nothing to resume.
			again, err := s.Reprocess(context.Background(), func(*kycgate.Event) {}, func(p kycgate.ReprocessProgress) {
				if p.Resumed {
					t.Errorf("a run after a finished one resumed: %+v", p)
				}
			})
			if err != nil || again.Events != n || again.Changed != 0 {
				t.Errorf("a third run: %+v %v", again, err)
			}
		})
	}
}
