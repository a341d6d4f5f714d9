package storetest

import (
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// funnelEvent is an event of verification vid of provider p at minute m
// past the hour h of 2026-11-22.
func funnelEvent(p, vid string, h, m int, t kycgate.EventType, c kycgate.Change) *kycgate.Event {
	ev := journeyEvent(p, vid, 0, t, c)
	ev.Provider = p
	ev.OccurredAt = time.Date(2026, 11, 22, h, m, 0, 0, time.UTC)
	return ev
}

func testFunnel(t *testing.T, s kycgate.Store) {
	created := kycgate.Change{Status: kycgate.StatusPending, Flow: "basic"}
	started := kycgate.Change{Status: kycgate.StatusInProgress}
	create(t, s,
		// sumsub: approved after 10 minutes, declined after 20, never
		// started, abandoned at liveness.
		funnelEvent("sumsub", "a1", 9, 0, kycgate.EventCreated, created),
		funnelEvent("sumsub", "a1", 9, 1, kycgate.EventStarted, started),
		funnelEvent("sumsub", "a1", 9, 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}),
		funnelEvent("sumsub", "a1", 9, 10, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}),
		funnelEvent("sumsub", "a2", 9, 0, kycgate.EventCreated, created),
		funnelEvent("sumsub", "a2", 9, 1, kycgate.EventStarted, started),
		funnelEvent("sumsub", "a2", 9, 20, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionDeclined, Reasons: []string{"FORGERY"}}),
		funnelEvent("sumsub", "a3", 9, 0, kycgate.EventCreated, created),
		funnelEvent("sumsub", "a4", 9, 0, kycgate.EventCreated, created),
		funnelEvent("sumsub", "a4", 9, 3, kycgate.EventStepCompleted, kycgate.Change{Status: kycgate.StatusAbandoned, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeCancelled}}),
		// verifyyou, an hour later: approved after 5 minutes, expired.
		funnelEvent("verifyyou", "b1", 10, 0, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending}),
		funnelEvent("verifyyou", "b1", 10, 5, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}),
		funnelEvent("verifyyou", "b2", 10, 0, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending}),
		funnelEvent("verifyyou", "b2", 10, 30, kycgate.EventExpired, kycgate.Change{Status: kycgate.StatusExpired}),
	)
	// A duplicate of a decision changes nothing.
	dup := funnelEvent("sumsub", "a1", 9, 10, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved})
	dup.DedupKey = "key-dup-a1"
	create(t, s, dup)

	want := `{"group_by":"provider","groups":[` +
		`{"group":"sumsub","total":4,"stages":[{"stage":"created","count":4,"conversion":1},{"stage":"started","count":3,"conversion":0.75},{"stage":"submitted","count":2,"conversion":0.6666666666666666},{"stage":"decided","count":2,"conversion":1}],` +
		`"decisions":{"approved":1,"declined":1,"resubmission_requested":0,"review_needed":0},"abandoned":1,"expired":0,` +
		`"drop_off":[{"code":"FORGERY","label":"Forgery","count":1},{"code":"liveness.cancelled","label":"Liveness cancelled","count":1}],` +
		`"time_to_decision":{"count":2,"clock":"event","p50_seconds":600,"p90_seconds":1200,"p99_seconds":1200},"time_to_decision_left_out":0},` +
		`{"group":"verifyyou","total":2,"stages":[{"stage":"created","count":2,"conversion":1},{"stage":"started","count":1,"conversion":0.5},{"stage":"submitted","count":1,"conversion":1},{"stage":"decided","count":1,"conversion":1}],` +
		`"decisions":{"approved":1,"declined":0,"resubmission_requested":0,"review_needed":0},"abandoned":0,"expired":1,` +
		`"drop_off":[{"code":"expired","label":"Expired","count":1}],` +
		`"time_to_decision":{"count":1,"clock":"event","p50_seconds":300,"p90_seconds":300,"p99_seconds":300},"time_to_decision_left_out":0}]}`
	if got := funnelJSON(t, s, kycgate.FunnelQuery{}); got != want {
		t.Errorf("funnel by provider:\n got %s\nwant %s", got, want)
	}

	totals := func(q kycgate.FunnelQuery) map[string]int {
		t.Helper()
		f, err := s.Funnel(context.Background(), q)
		if err != nil {
			t.Fatalf("Funnel(%+v): %v", q, err)
		}
		out := map[string]int{}
		for _, g := range f.Groups {
			out[g.Group] = g.Total
		}
		return out
	}
	cases := []struct {
		q    kycgate.FunnelQuery
		want map[string]int
	}{
		{kycgate.FunnelQuery{GroupBy: kycgate.GroupByFlow}, map[string]int{"basic": 4, "": 2}},
		{kycgate.FunnelQuery{GroupBy: kycgate.GroupBySource, Provider: "verifyyou"}, map[string]int{"verifyyou": 2}},
		{kycgate.FunnelQuery{Flow: "basic"}, map[string]int{"sumsub": 4}},
		{kycgate.FunnelQuery{Since: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, map[string]int{"verifyyou": 2}},
		{kycgate.FunnelQuery{Until: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, map[string]int{"sumsub": 4}},
		{kycgate.FunnelQuery{Source: "nowhere"}, map[string]int{}},
	}
	for _, c := range cases {
		if got := totals(c.q); !maps.Equal(got, c.want) {
			t.Errorf("Funnel(%+v) totals %v, want %v", c.q, got, c.want)
		}
	}

	// top 1 keeps the most frequent label, ties broken by the label.
	f, err := s.Funnel(context.Background(), kycgate.FunnelQuery{Provider: "sumsub", TopN: 1})
	if err != nil || len(f.Groups) != 1 || len(f.Groups[0].DropOff) != 1 || f.Groups[0].DropOff[0] != (kycgate.DropOffCount{Code: "FORGERY", Label: "Forgery", Count: 1}) {
		t.Errorf("top 1: %+v %v", f, err)
	}
	for _, bad := range []kycgate.FunnelQuery{
		{GroupBy: "status; DROP TABLE verifications"},
		{Since: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)},
		{TopN: -1},
	} {
		if _, err := s.Funnel(context.Background(), bad); kycgate.ErrorCode(err) != kycgate.EINVALID {
			t.Errorf("Funnel(%+v): %v, want invalid", bad, err)
		}
	}
}

func funnelJSON(t *testing.T, s kycgate.Store, q kycgate.FunnelQuery) string {
	t.Helper()
	f, err := s.Funnel(context.Background(), q)
	if err != nil {
		t.Fatalf("Funnel: %v", err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testFunnelClocks: the time to decision says which clock it is on, and
// leaves out the verifications with no provider time to measure it on.
func testFunnelClocks(t *testing.T, s kycgate.Store) {
	untimed := func(ev *kycgate.Event) *kycgate.Event {
		ev.OccurredAt = time.Time{}
		ev.Data.Clock = kycgate.ClockNone
		return ev
	}
	sent := kycgate.ClockSent
	create(t, s,
		// metamap: send times, decided 4 minutes after creation.
		funnelEvent("metamap", "c1", 11, 0, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, Clock: sent}),
		funnelEvent("metamap", "c1", 11, 4, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Clock: sent}),
		// sumsub: event times, decided after 2 minutes.
		funnelEvent("sumsub", "e1", 11, 0, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, Clock: kycgate.ClockEvent}),
		funnelEvent("sumsub", "e1", 11, 2, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Clock: kycgate.ClockEvent}),
		// idwise: no times at all, dated by arrival.
		untimed(funnelEvent("idwise", "d1", 11, 0, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})),
		untimed(funnelEvent("idwise", "d1", 11, 0, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionDeclined})),
		// vericato: one event creates and decides.
		funnelEvent("vericato", "f1", 11, 0, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Clock: kycgate.ClockEvent}),
	)
	for vid, want := range map[string]kycgate.Clock{"c1": sent, "e1": kycgate.ClockEvent, "d1": kycgate.ClockNone, "f1": kycgate.ClockNone} {
		p := map[string]string{"c1": "metamap", "e1": "sumsub", "d1": "idwise", "f1": "vericato"}[vid]
		if v := find(t, s, p, vid); v.DecisionClock != want {
			t.Errorf("%s: decision clock %q, want %q", vid, v.DecisionClock, want)
		}
	}
	f, err := s.Funnel(context.Background(), kycgate.FunnelQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, g := range f.Groups {
		b, _ := json.Marshal(g.ToDecision)
		got[g.Group] = string(b) + " left out " + strconv.Itoa(g.ToDecisionLeftOut)
	}
	want := map[string]string{
		"metamap":  `{"count":1,"clock":"sent","p50_seconds":240,"p90_seconds":240,"p99_seconds":240} left out 0`,
		"sumsub":   `{"count":1,"clock":"event","p50_seconds":120,"p90_seconds":120,"p99_seconds":120} left out 0`,
		"idwise":   `null left out 1`,
		"vericato": `null left out 1`,
	}
	if !maps.Equal(got, want) {
		t.Errorf("time to decision by provider:\n got %v\nwant %v", got, want)
	}
	// All in one group (none has a flow): on send times, since some are.
	f, err = s.Funnel(context.Background(), kycgate.FunnelQuery{GroupBy: kycgate.GroupByFlow})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 1 || f.Groups[0].ToDecision == nil || f.Groups[0].ToDecision.Clock != sent ||
		f.Groups[0].ToDecision.Count != 2 || f.Groups[0].ToDecisionLeftOut != 2 {
		t.Errorf("time to decision of every verification: %+v", f.Groups)
	}
}
