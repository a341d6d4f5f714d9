// Package storetest is the behavioural suite every kycgate.Store backend
// passes. A backend's test calls Run with a function that opens a fresh,
// empty store.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// Run exercises the whole kycgate.Store contract.
func Run(t *testing.T, open func(t *testing.T) kycgate.Store) {
	t.Run("CreateEvents stores and finds", func(t *testing.T) { testCreateAndFind(t, open(t)) })
	t.Run("values no column can hold are stored altered and flagged", func(t *testing.T) { testUnstorableValues(t, open(t)) })
	t.Run("an event is written as Encode encoded it", func(t *testing.T) { testWritesItsEncoding(t, open(t)) })
	t.Run("CreateEvents deduplicates across batches", func(t *testing.T) { testDedupAcrossBatches(t, open(t)) })
	t.Run("CreateEvents deduplicates within a batch", func(t *testing.T) { testDedupWithinBatch(t, open(t)) })
	t.Run("dedup keys are per source", func(t *testing.T) { testDedupPerSource(t, open(t)) })
	t.Run("concurrent retries store once", func(t *testing.T) { testConcurrentRetries(t, open(t)) })
	t.Run("FindEvent unknown id", func(t *testing.T) { testFindUnknown(t, open(t)) })
	t.Run("verification state follows its log", func(t *testing.T) { testVerificationState(t, open(t)) })
	t.Run("late older event does not overwrite", func(t *testing.T) { testLateOlderEvent(t, open(t)) })
	t.Run("an approval clears earlier reasons", func(t *testing.T) { testReasonsCleared(t, open(t)) })
	t.Run("in-order events are applied to the stored state, others rebuild", func(t *testing.T) { testIncremental(t, open(t)) })
	t.Run("reprocess leaves a state later events are applied to", func(t *testing.T) { testIncrementalReprocess(t, open(t)) })
	t.Run("a verification first seen after an interrupted reprocess is built from all its events", func(t *testing.T) {
		testFirstSeenAfterInterruptedReprocess(t, open(t))
	})
	t.Run("queries find a verification by what an update changed", func(t *testing.T) { testQueriesFollowUpdates(t, open(t)) })
	t.Run("a forwarded event carries its verification as stored and whether it came late", func(t *testing.T) { testForwarded(t, open(t)) })
	t.Run("deletion purges raw bodies", func(t *testing.T) { testDeletionPurges(t, open(t)) })
	t.Run("ListVerifications filters and pages", func(t *testing.T) { testListVerifications(t, open(t)) })
	t.Run("ListEvents filters and pages", func(t *testing.T) { testListEvents(t, open(t)) })
	t.Run("Reprocess renormalizes and rebuilds", func(t *testing.T) { testReprocess(t, open(t)) })
	t.Run("Reprocess resumes where it was interrupted", func(t *testing.T) { testReprocessResumes(t, open) })
	t.Run("deliveries are written with their event", func(t *testing.T) { testDeliveriesCreated(t, open(t)) })
	t.Run("deliveries go out in line per verification", func(t *testing.T) { testDeliveryLine(t, open(t)) })
	t.Run("outcomes of several deliveries commit together", func(t *testing.T) { testCompleteBatch(t, open(t)) })
	t.Run("retry and replay", func(t *testing.T) { testRetryReplay(t, open(t)) })
	t.Run("retention purges old raw bodies", func(t *testing.T) { testRetention(t, open(t)) })
	t.Run("counts for metrics", func(t *testing.T) { testCounts(t, open(t)) })
	t.Run("funnel counts stages, outcomes and drop-off", func(t *testing.T) { testFunnel(t, open(t)) })
	t.Run("funnel's time to decision says its clock", func(t *testing.T) { testFunnelClocks(t, open(t)) })
	t.Run("fetch jobs from provider APIs", func(t *testing.T) { testFetches(t, open(t)) })
	t.Run("revoked sessions", func(t *testing.T) { testRevokedSessions(t, open(t)) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

var counter atomic.Int64

// NewEvent returns a valid event with unique id and dedup key. It is safe to
// call from several goroutines.
func NewEvent(source string) *kycgate.Event {
	seq := counter.Add(1)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Millisecond)
	return &kycgate.Event{
		ID:       fmt.Sprintf("evt_test%06d", seq),
		Source:   source,
		Provider: "sumsub",
		Identity: kycgate.Identity{
			ProviderEvent:  "applicantReviewed",
			VerificationID: fmt.Sprintf("applicant-%d", seq),
			OccurredAt:     now.Add(-time.Second),
			DedupKey:       fmt.Sprintf("key-%d", seq),
		},
		ReceivedAt: now,
		RemoteIP:   "203.0.113.7",
		Header:     http.Header{"X-Payload-Digest-Alg": {"HMAC_SHA256_HEX"}},
		Body:       []byte(fmt.Sprintf(`{"n":%d}`, seq)),
		Type:       kycgate.EventSubmitted,
		Data:       kycgate.Change{Status: kycgate.StatusSubmitted},
	}
}

// journeyEvent returns an event of verification vid at minute m, of type t
// saying c.
func journeyEvent(source, vid string, m int, t kycgate.EventType, c kycgate.Change) *kycgate.Event {
	ev := NewEvent(source)
	ev.VerificationID = vid
	ev.OccurredAt = time.Date(2026, 11, 22, 9, m, 0, 0, time.UTC)
	ev.Type, ev.Data = t, c
	return ev
}

func create(t *testing.T, s kycgate.Store, evs ...*kycgate.Event) []kycgate.Receipt {
	t.Helper()
	r, err := s.CreateEvents(context.Background(), evs)
	if err != nil {
		t.Fatalf("CreateEvents: %v", err)
	}
	if len(r) != len(evs) {
		t.Fatalf("got %d receipts for %d events", len(r), len(evs))
	}
	return r
}

func testCreateAndFind(t *testing.T, s kycgate.Store) {
	a, b := NewEvent("src"), NewEvent("src")
	b.Flag, b.FlagDetail = kycgate.FlagUnparseable, "not JSON"
	b.OccurredAt = time.Time{}
	b.Body = []byte{0xff, 0x00, 'x'}
	r := create(t, s, a, b)
	if r[0] != (kycgate.Receipt{ID: a.ID}) || r[1] != (kycgate.Receipt{ID: b.ID}) {
		t.Fatalf("receipts = %+v", r)
	}
	for _, want := range []*kycgate.Event{a, b} {
		got, err := s.FindEvent(context.Background(), want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Source != want.Source || got.Provider != want.Provider || got.Identity != want.Identity ||
			!got.ReceivedAt.Equal(want.ReceivedAt) || got.RemoteIP != want.RemoteIP ||
			!bytes.Equal(got.Body, want.Body) || got.Flag != want.Flag || got.FlagDetail != want.FlagDetail ||
			got.Header.Get("X-Payload-Digest-Alg") != "HMAC_SHA256_HEX" {
			t.Errorf("FindEvent(%s) =\n %+v\nwant\n %+v", want.ID, got, want)
		}
	}
}

func testDedupAcrossBatches(t *testing.T, s kycgate.Store) {
	first := NewEvent("src")
	create(t, s, first)
	retry := NewEvent("src")
	retry.DedupKey = first.DedupKey
	r := create(t, s, retry)
	if r[0] != (kycgate.Receipt{ID: first.ID, Duplicate: true}) {
		t.Fatalf("retry receipt = %+v, want the first delivery's id as duplicate", r[0])
	}
	if _, err := s.FindEvent(context.Background(), retry.ID); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("the retry was stored: %v", err)
	}
}

func testDedupWithinBatch(t *testing.T, s kycgate.Store) {
	a, dup, c := NewEvent("src"), NewEvent("src"), NewEvent("src")
	dup.DedupKey = a.DedupKey
	r := create(t, s, a, dup, c)
	want := []kycgate.Receipt{{ID: a.ID}, {ID: a.ID, Duplicate: true}, {ID: c.ID}}
	for i := range want {
		if r[i] != want[i] {
			t.Errorf("receipt %d = %+v, want %+v", i, r[i], want[i])
		}
	}
}

func testDedupPerSource(t *testing.T, s kycgate.Store) {
	a, b := NewEvent("one"), NewEvent("two")
	b.DedupKey = a.DedupKey
	r := create(t, s, a, b)
	if r[0].Duplicate || r[1].Duplicate {
		t.Fatalf("same key on two sources deduplicated: %+v", r)
	}
}

func testConcurrentRetries(t *testing.T, s kycgate.Store) {
	key := NewEvent("src").DedupKey
	const n = 8
	evs := make([]*kycgate.Event, n)
	for i := range evs {
		evs[i] = NewEvent("src")
		evs[i].DedupKey = key
	}
	var wg sync.WaitGroup
	receipts := make([]kycgate.Receipt, n)
	errs := make([]error, n)
	for i := range evs {
		wg.Go(func() {
			var r []kycgate.Receipt
			r, errs[i] = s.CreateEvents(context.Background(), evs[i:i+1])
			if errs[i] == nil {
				receipts[i] = r[0]
			}
		})
	}
	wg.Wait()
	fresh := 0
	for i := range receipts {
		if errs[i] != nil {
			t.Fatalf("CreateEvents: %v", errs[i])
		}
		if !receipts[i].Duplicate {
			fresh++
		}
		if receipts[i].ID != receipts[0].ID {
			t.Errorf("receipt %d names %s, receipt 0 names %s", i, receipts[i].ID, receipts[0].ID)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d of %d concurrent deliveries stored as new, want 1", fresh, n)
	}
}

func testFindUnknown(t *testing.T, s kycgate.Store) {
	_, err := s.FindEvent(context.Background(), "evt_nope")
	if kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("FindEvent(unknown) = %v, want not_found", err)
	}
}

func find(t *testing.T, s kycgate.Store, source, id string) *kycgate.Verification {
	t.Helper()
	v, err := s.FindVerification(context.Background(), source, id)
	if err != nil {
		t.Fatalf("FindVerification(%s, %s): %v", source, id, err)
	}
	return v
}

func testVerificationState(t *testing.T, s kycgate.Store) {
	create(t, s,
		journeyEvent("src", "v1", 1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, ExternalUserID: "u1", Flow: "basic"}),
		journeyEvent("src", "v1", 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}))
	if v := find(t, s, "src", "v1"); v.Status != kycgate.StatusSubmitted || v.ExternalUserID != "u1" || v.Flow != "basic" || v.Events != 2 {
		t.Fatalf("after two events: %+v", v)
	}
	create(t, s, journeyEvent("src", "v1", 3, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}))
	v := find(t, s, "src", "v1")
	if v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Events != 3 || v.DecidedAt == nil {
		t.Fatalf("after the decision: %+v", v)
	}
	if _, err := s.FindVerification(context.Background(), "src", "nope"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("unknown verification: %v", err)
	}
	// A flagged event without a verification id belongs to none.
	ev := NewEvent("src")
	ev.VerificationID, ev.Type, ev.Flag = "", "", kycgate.FlagUnparseable
	create(t, s, ev)
	if vs, _, _ := s.ListVerifications(context.Background(), kycgate.VerificationFilter{}); len(vs) != 1 {
		t.Fatalf("%d verifications, want 1", len(vs))
	}
}

func testLateOlderEvent(t *testing.T, s kycgate.Store) {
	create(t, s, journeyEvent("src", "v1", 5, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionDeclined}))
	// The submission happened before the decision but arrives after it.
	create(t, s, journeyEvent("src", "v1", 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}))
	if v := find(t, s, "src", "v1"); v.Status != kycgate.StatusDeclined || v.Events != 2 || !v.CreatedAt.Equal(time.Date(2026, 11, 22, 9, 2, 0, 0, time.UTC)) {
		t.Fatalf("late older event changed the state: %+v", v)
	}
}

func testReasonsCleared(t *testing.T, s kycgate.Store) {
	create(t, s, journeyEvent("src", "v1", 1, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionResubmissionRequested, Reasons: []string{"BAD_PROOF_OF_ADDRESS"}}))
	create(t, s, journeyEvent("src", "v1", 2, kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted}))
	if v := find(t, s, "src", "v1"); len(v.Reasons) != 1 {
		t.Fatalf("an event that says nothing of reasons changed them: %v", v.Reasons)
	}
	create(t, s, journeyEvent("src", "v1", 3, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Reasons: []string{}}))
	if v := find(t, s, "src", "v1"); v.Status != kycgate.StatusApproved || len(v.Reasons) != 0 {
		t.Fatalf("approval kept the old reasons: %+v", v)
	}
}

func testDeletionPurges(t *testing.T, s kycgate.Store) {
	a := journeyEvent("src", "v1", 1, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Metadata: []byte(`{"name":"Jane Roe"}`)})
	other := journeyEvent("src", "v2", 1, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved})
	create(t, s, a, other)
	del := journeyEvent("src", "v1", 2, kycgate.EventDeleted, kycgate.Change{})
	create(t, s, del)
	v := find(t, s, "src", "v1")
	if v.Status != kycgate.StatusDeleted || v.Decision != kycgate.DecisionApproved {
		t.Fatalf("tombstone: %+v", v)
	}
	for _, id := range []string{a.ID, del.ID} {
		ev, err := s.FindEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Body != nil {
			t.Errorf("event %s kept its body %q after deletion", id, ev.Body)
		}
		if ev.Type == "" || ev.VerificationID != "v1" {
			t.Errorf("event %s lost its identity: %+v", id, ev)
		}
		if len(ev.Data.Metadata) != 0 {
			t.Errorf("event %s kept its metadata %s after deletion", id, ev.Data.Metadata)
		}
	}
	if ev, _ := s.FindEvent(context.Background(), other.ID); ev.Body == nil {
		t.Error("another verification's body was purged")
	}
	// An event arriving after the deletion is purged too.
	late := journeyEvent("src", "v1", 3, kycgate.EventUpdated, kycgate.Change{ExternalUserID: "u9"})
	create(t, s, late)
	if ev, _ := s.FindEvent(context.Background(), late.ID); ev.Body != nil {
		t.Error("an event after the deletion kept its body")
	}
}

func testListVerifications(t *testing.T, s kycgate.Store) {
	for i := range 7 {
		src, c := "a", kycgate.Change{Decision: kycgate.DecisionApproved, ExternalUserID: "shared"}
		if i%2 == 1 {
			src, c = "b", kycgate.Change{Status: kycgate.StatusSubmitted, ExternalUserID: fmt.Sprintf("u%d", i)}
		}
		typ := kycgate.EventDecided
		if c.Decision == "" {
			typ = kycgate.EventSubmitted
		}
		ev := journeyEvent(src, fmt.Sprintf("v%d", i), i, typ, c)
		ev.Provider = map[string]string{"a": "sumsub", "b": "metamap"}[src]
		create(t, s, ev)
	}
	ctx := context.Background()
	count := func(f kycgate.VerificationFilter) int {
		vs, _, err := s.ListVerifications(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	for name, tc := range map[string]struct {
		f    kycgate.VerificationFilter
		want int
	}{
		"all":                       {kycgate.VerificationFilter{}, 7},
		"source":                    {kycgate.VerificationFilter{Source: "b"}, 3},
		"provider":                  {kycgate.VerificationFilter{Provider: "sumsub"}, 4},
		"status":                    {kycgate.VerificationFilter{Status: kycgate.StatusApproved}, 4},
		"user":                      {kycgate.VerificationFilter{ExternalUserID: "shared"}, 4},
		"combined":                  {kycgate.VerificationFilter{Source: "b", Status: kycgate.StatusApproved}, 0},
		"since later":               {kycgate.VerificationFilter{Since: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}, 0},
		"since earlier":             {kycgate.VerificationFilter{Since: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}, 7},
		"search user prefix":        {kycgate.VerificationFilter{Search: "u"}, 3},
		"search whole user":         {kycgate.VerificationFilter{Search: "shared"}, 4},
		"search user prefix, short": {kycgate.VerificationFilter{Search: "sha"}, 4},
		"search id prefix":          {kycgate.VerificationFilter{Search: "v"}, 7},
		"search whole id":           {kycgate.VerificationFilter{Search: "v3"}, 1},
		"search is case-sensitive":  {kycgate.VerificationFilter{Search: "V"}, 0},
		"search has no wildcards":   {kycgate.VerificationFilter{Search: "%"}, 0},
		"search past the end":       {kycgate.VerificationFilter{Search: "v33"}, 0},
		"search with a filter":      {kycgate.VerificationFilter{Search: "v", Source: "b"}, 3},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	// Pages of 3 cover all 7 once, newest first, and stay stable while a
	// listed verification changes.
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		vs, next, err := s.ListVerifications(ctx, kycgate.VerificationFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			seen = append(seen, v.ID)
		}
		if page == 0 {
			create(t, s, journeyEvent("a", "v0", 30, kycgate.EventUpdated, kycgate.Change{Flow: "changed"}))
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(seen) != "[v6 v5 v4 v3 v2 v1 v0]" {
		t.Errorf("pages gave %v", seen)
	}
	if _, _, err := s.ListVerifications(ctx, kycgate.VerificationFilter{Cursor: "x"}); kycgate.ErrorCode(err) != kycgate.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}

	// By creation, newest first, whatever order they were stored in: w0 is
	// stored first but created last; w1 and w2 share a creation time.
	for i, minute := range []int{50, 10, 10, 40, 20} {
		ev := journeyEvent("c", fmt.Sprintf("w%d", i), minute, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, ExternalUserID: "sorted"})
		if i == 2 {
			ev.OccurredAt = ev.OccurredAt.Add(700 * time.Nanosecond) // the same microsecond as w1
		}
		create(t, s, ev)
	}
	seen = nil
	cursor = ""
	for {
		vs, next, err := s.ListVerifications(ctx, kycgate.VerificationFilter{Source: "c", ByCreation: true, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			seen = append(seen, v.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(seen) != "[w0 w3 w4 w2 w1]" {
		t.Errorf("pages by creation gave %v", seen)
	}
	for _, bad := range []string{"12", "x.3", "12.x", "12.0"} {
		if _, _, err := s.ListVerifications(ctx, kycgate.VerificationFilter{ByCreation: true, Cursor: bad}); kycgate.ErrorCode(err) != kycgate.EINVALID {
			t.Errorf("bad cursor %q by creation: %v", bad, err)
		}
	}
}

func testListEvents(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	for i := range 5 {
		create(t, s, journeyEvent("src", "v1", i, kycgate.EventStepCompleted, kycgate.Change{Step: &kycgate.Step{Name: fmt.Sprint(i), Outcome: "passed"}}))
	}
	flagged := NewEvent("other")
	flagged.Type, flagged.VerificationID, flagged.Flag = "", "", kycgate.FlagUnparseable
	create(t, s, flagged)
	evs, next, err := s.ListEvents(ctx, kycgate.EventFilter{VerificationID: "v1", Limit: 2})
	if err != nil || len(evs) != 2 || next == "" {
		t.Fatalf("first page: %d events, next %q, %v", len(evs), next, err)
	}
	if evs[0].Body != nil || evs[0].Data.Step == nil || evs[0].Data.Step.Name != "4" {
		t.Errorf("newest first without raw body: %+v", evs[0])
	}
	rest, next, err := s.ListEvents(ctx, kycgate.EventFilter{VerificationID: "v1", Cursor: next})
	if err != nil || len(rest) != 3 || next != "" {
		t.Fatalf("second page: %d, %q, %v", len(rest), next, err)
	}
	if evs, _, _ := s.ListEvents(ctx, kycgate.EventFilter{Flagged: true}); len(evs) != 1 || evs[0].ID != flagged.ID {
		t.Errorf("flagged: %d events", len(evs))
	}
	if evs, _, _ := s.ListEvents(ctx, kycgate.EventFilter{Type: kycgate.EventStepCompleted, Source: "src"}); len(evs) != 5 {
		t.Errorf("by type: %d events", len(evs))
	}
}

func testReprocess(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	// An event kycgate once could not understand, and one it understood.
	unknown := journeyEvent("src", "", 1, "", kycgate.Change{})
	unknown.Flag, unknown.FlagDetail = kycgate.FlagUnparseable, "no type"
	unknown.OccurredAt = time.Time{}
	known := journeyEvent("src", "v1", 1, kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending})
	create(t, s, unknown, known)
	// Today's adapters understand it as v1's decision.
	res, err := s.Reprocess(ctx, func(ev *kycgate.Event) {
		if ev.ID == unknown.ID {
			ev.VerificationID, ev.Type, ev.Flag, ev.FlagDetail = "v1", kycgate.EventDecided, "", ""
			ev.OccurredAt = time.Date(2026, 11, 22, 9, 5, 0, 0, time.UTC)
			ev.Data = kycgate.Change{Decision: kycgate.DecisionApproved}
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 || res.Changed != 1 || res.Verifications != 1 {
		t.Errorf("result %+v, want 2 events, 1 changed, 1 verification", res)
	}
	if v := find(t, s, "src", "v1"); v.Status != kycgate.StatusApproved || v.Events != 2 {
		t.Errorf("after reprocess: %+v", v)
	}
	ev, _ := s.FindEvent(ctx, unknown.ID)
	if ev.Flag != "" || ev.DedupKey != unknown.DedupKey {
		t.Errorf("reprocessed event: flag %q key %q", ev.Flag, ev.DedupKey)
	}
}

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func forwarded(source, vid string, m int, dests ...string) *kycgate.Event {
	ev := journeyEvent(source, vid, m, kycgate.EventStepCompleted, kycgate.Change{})
	ev.Destinations = dests
	return ev
}

func claim(t *testing.T, s kycgate.Store, dest string, now time.Time) []*kycgate.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(context.Background(), dest, now, time.Minute, 100)
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	return ds
}

func events(ds []*kycgate.Delivery) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.EventID)
	}
	return strings.Join(out, ",")
}

func complete(t *testing.T, s kycgate.Store, d *kycgate.Delivery, state kycgate.DeliveryState, retryAt time.Time) {
	t.Helper()
	o := kycgate.Outcome{Attempt: kycgate.Attempt{At: t0, StatusCode: 500, LatencyMS: 3, Error: "boom"}, State: state, RetryAt: retryAt}
	if state == kycgate.DeliveryDelivered {
		o.Attempt.StatusCode, o.Attempt.Error = 200, ""
	}
	if err := s.CompleteDeliveries(context.Background(), []kycgate.Completion{{ID: d.ID, Outcome: o}}); err != nil {
		t.Fatalf("CompleteDeliveries: %v", err)
	}
}

func testDeliveriesCreated(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	ev := forwarded("src", "v1", 1, "app", "stream")
	create(t, s, ev)
	retry := forwarded("src", "v1", 1, "app", "stream")
	retry.DedupKey = ev.DedupKey
	create(t, s, retry)
	ds, _, err := s.ListDeliveries(ctx, kycgate.DeliveryFilter{})
	if err != nil || len(ds) != 2 {
		t.Fatalf("%d deliveries, %v; want 2 (a duplicate creates none)", len(ds), err)
	}
	for _, d := range ds {
		if d.EventID != ev.ID || d.State != kycgate.DeliveryPending || d.VerificationID != "v1" || !strings.HasPrefix(d.ID, "dlv_") {
			t.Errorf("delivery %+v", d)
		}
	}
	if ds, _, _ := s.ListDeliveries(ctx, kycgate.DeliveryFilter{Destination: "stream"}); len(ds) != 1 {
		t.Errorf("by destination: %d", len(ds))
	}
	log, err := s.ListLog(ctx, "src", "v1")
	if err != nil || len(log) != 1 || log[0].ID != ev.ID {
		t.Errorf("ListLog: %+v, %v", log, err)
	}
}

func testDeliveryLine(t *testing.T, s kycgate.Store) {
	a1, a2, a3 := forwarded("src", "a", 1, "app"), forwarded("src", "a", 2, "app"), forwarded("src", "a", 3, "app")
	b1 := forwarded("src", "b", 1, "app")
	create(t, s, a1, a2)
	create(t, s, b1, a3)
	now := t0.Add(time.Hour)
	got := claim(t, s, "app", now)
	if events(got) != a1.ID+","+b1.ID {
		t.Fatalf("claimed %s, want the head of each line: %s,%s", events(got), a1.ID, b1.ID)
	}
	if again := claim(t, s, "app", now); len(again) != 0 {
		t.Fatalf("claimed leased deliveries again: %s", events(again))
	}
	// A worker that died: its lease expires and the delivery is claimed again.
	if again := claim(t, s, "app", now.Add(2*time.Minute)); events(again) != a1.ID+","+b1.ID {
		t.Fatalf("after the lease: %s", events(again))
	}
	// a1 fails and waits for a retry: a2 stays behind it.
	complete(t, s, got[0], kycgate.DeliveryPending, now.Add(10*time.Minute))
	complete(t, s, got[1], kycgate.DeliveryDelivered, time.Time{})
	if next := claim(t, s, "app", now.Add(3*time.Minute)); len(next) != 0 {
		t.Fatalf("claimed %s while a1 waits for its retry", events(next))
	}
	retried := claim(t, s, "app", now.Add(11*time.Minute))
	if events(retried) != a1.ID {
		t.Fatalf("retry: %s", events(retried))
	}
	// a1 is dead-lettered: the line moves on to a2.
	complete(t, s, retried[0], kycgate.DeliveryDead, time.Time{})
	if next := claim(t, s, "app", now.Add(12*time.Minute)); events(next) != a2.ID {
		t.Fatalf("after the dead letter: %s", events(next))
	}
	d, err := s.FindDelivery(context.Background(), retried[0].ID)
	if err != nil || d.State != kycgate.DeliveryDead || d.Attempts != 2 || len(d.History) != 2 || d.LastStatus != 500 || d.LastError != "boom" {
		t.Fatalf("dead delivery: %+v, %v", d, err)
	}
}

func testCompleteBatch(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	a, b := forwarded("src", "va", 1, "app"), forwarded("src", "vb", 1, "app")
	create(t, s, a, b)
	now := t0.Add(time.Hour)
	got := claim(t, s, "app", now)
	if len(got) != 2 {
		t.Fatalf("claimed %s", events(got))
	}
	ok := kycgate.Outcome{Attempt: kycgate.Attempt{At: now, StatusCode: 200, LatencyMS: 4}, State: kycgate.DeliveryDelivered}
	retry := kycgate.Outcome{Attempt: kycgate.Attempt{At: now, StatusCode: 503, LatencyMS: 9, Error: "busy"}, State: kycgate.DeliveryPending, RetryAt: now.Add(time.Minute)}
	// A delivery erased since it was claimed is passed over; the others
	// are recorded.
	err := s.CompleteDeliveries(ctx, []kycgate.Completion{{ID: got[0].ID, Outcome: ok}, {ID: "dlv_erased", Outcome: ok}, {ID: got[1].ID, Outcome: retry}})
	if err != nil {
		t.Fatalf("CompleteDeliveries: %v", err)
	}
	first, err := s.FindDelivery(ctx, got[0].ID)
	if err != nil || first.State != kycgate.DeliveryDelivered || first.Attempts != 1 || len(first.History) != 1 || first.History[0].LatencyMS != 4 {
		t.Fatalf("delivered: %+v, %v", first, err)
	}
	second, err := s.FindDelivery(ctx, got[1].ID)
	if err != nil || second.State != kycgate.DeliveryPending || second.Attempts != 1 || second.LastError != "busy" || len(second.History) != 1 {
		t.Fatalf("to retry: %+v, %v", second, err)
	}
	// Its lease ended with the record: it is due again at its retry time.
	if again := claim(t, s, "app", now.Add(30*time.Second)); len(again) != 0 {
		t.Fatalf("claimed before its retry time: %s", events(again))
	}
	if again := claim(t, s, "app", now.Add(time.Minute)); events(again) != b.ID {
		t.Fatalf("at its retry time: %s", events(again))
	}
}

func testRetryReplay(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	ev := forwarded("src", "v1", 1, "app")
	create(t, s, ev)
	d := claim(t, s, "app", t0.Add(time.Hour))[0]
	complete(t, s, d, kycgate.DeliveryDead, time.Time{})
	n, err := s.RetryDeliveries(ctx, kycgate.DeliveryFilter{Destination: "app", State: kycgate.DeliveryDead}, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RetryDeliveries: %d, %v", n, err)
	}
	if got, _ := s.FindDelivery(ctx, d.ID); got.State != kycgate.DeliveryPending || got.Attempts != 0 || len(got.History) != 1 {
		t.Fatalf("retried delivery: %+v", got)
	}
	complete(t, s, claim(t, s, "app", t0.Add(3*time.Hour))[0], kycgate.DeliveryDelivered, time.Time{})
	if n, _ := s.RetryDeliveries(ctx, kycgate.DeliveryFilter{ID: d.ID}, t0); n != 0 {
		t.Errorf("a delivered delivery was retried")
	}
	replayed, err := s.ReplayEvent(ctx, ev.ID, []string{"app", "other"}, t0.Add(4*time.Hour))
	if err != nil || len(replayed) != 2 {
		t.Fatalf("ReplayEvent: %+v, %v", replayed, err)
	}
	if next := claim(t, s, "app", t0.Add(5*time.Hour)); events(next) != ev.ID || next[0].ID == d.ID {
		t.Errorf("replay not claimable as a new delivery: %+v", next)
	}
	if _, err := s.ReplayEvent(ctx, "evt_nope", []string{"app"}, t0); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Errorf("replay of an unknown event: %v", err)
	}
	flagged := NewEvent("src")
	flagged.Type, flagged.VerificationID, flagged.Flag = "", "", kycgate.FlagUnparseable
	create(t, s, flagged)
	if _, err := s.ReplayEvent(ctx, flagged.ID, []string{"app"}, t0); kycgate.ErrorCode(err) != kycgate.EUNPROCESSABLE {
		t.Errorf("replay of a flagged event: %v", err)
	}
	if _, err := s.FindDelivery(ctx, "dlv_nope"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Errorf("unknown delivery: %v", err)
	}
}

func testRetention(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	old, recent := NewEvent("src"), NewEvent("src")
	old.ReceivedAt = t0.Add(-100 * 24 * time.Hour)
	recent.ReceivedAt = t0
	create(t, s, old, recent)
	n, err := s.PurgeRawBodies(ctx, t0.Add(-90*24*time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("PurgeRawBodies: %d, %v; want 1", n, err)
	}
	if ev, _ := s.FindEvent(ctx, old.ID); ev.Body != nil || ev.Type == "" {
		t.Errorf("old event: body %q type %q", ev.Body, ev.Type)
	}
	if ev, _ := s.FindEvent(ctx, recent.ID); ev.Body == nil {
		t.Error("a recent body was purged")
	}
	if n, _ := s.PurgeRawBodies(ctx, t0.Add(-90*24*time.Hour), 100); n != 0 {
		t.Errorf("second purge: %d", n)
	}
}

func testCounts(t *testing.T, s kycgate.Store) {
	create(t, s,
		forwarded("src", "a", 1, "app"),
		forwarded("src", "a", 2, "app"),
		journeyEvent("src", "b", 1, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}))
	d := claim(t, s, "app", t0.Add(time.Hour))[0]
	complete(t, s, d, kycgate.DeliveryDead, time.Time{})
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, v := range c.Verifications {
		got[v.Provider+"/"+string(v.Status)] = v.Count
	}
	if fmt.Sprint(got) != "map[sumsub/approved:1 sumsub/pending:1]" {
		t.Errorf("verifications: %v", got)
	}
	dl := map[kycgate.DeliveryState]int{}
	for _, x := range c.Deliveries {
		if x.Destination != "app" || x.Oldest.IsZero() {
			t.Errorf("delivery count %+v", x)
		}
		dl[x.State] = x.Count
	}
	if dl[kycgate.DeliveryPending] != 1 || dl[kycgate.DeliveryDead] != 1 {
		t.Errorf("deliveries: %v", dl)
	}
}

func testRevokedSessions(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if revoked, err := s.SessionRevoked(ctx, "a"); err != nil || revoked {
		t.Fatalf("a session never revoked: %v, %v", revoked, err)
	}
	if err := s.RevokeSession(ctx, "a", now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "a", now.Add(time.Hour), now); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if revoked, err := s.SessionRevoked(ctx, "a"); err != nil || !revoked {
		t.Fatalf("a revoked session: %v, %v", revoked, err)
	}
	if revoked, _ := s.SessionRevoked(ctx, "b"); revoked {
		t.Fatal("another session is revoked")
	}
	// Once its session has expired, a revocation is forgotten.
	if err := s.RevokeSession(ctx, "b", now.Add(3*time.Hour), now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if revoked, _ := s.SessionRevoked(ctx, "a"); revoked {
		t.Error("a revocation past its session's expiry is kept")
	}
}
