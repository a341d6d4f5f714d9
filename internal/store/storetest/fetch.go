package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// fetching returns a decision of vid at minute m that asks for a fetch.
func fetching(source, vid string, m int) *kycgate.Event {
	ev := journeyEvent(source, vid, m, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved})
	ev.Fetch = true
	return ev
}

func claimFetches(t *testing.T, s kycgate.Store, source string, now time.Time) []*kycgate.Fetch {
	t.Helper()
	fs, err := s.ClaimFetches(context.Background(), source, now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func findFetch(t *testing.T, s kycgate.Store, source, id string) *kycgate.Fetch {
	t.Helper()
	f, err := s.FindFetch(context.Background(), source, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func testFetches(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	if _, err := s.FindFetch(ctx, "src", "v1"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("FindFetch before any request: %v, want not_found", err)
	}
	// An event that does not ask for a fetch makes no job.
	create(t, s, journeyEvent("src", "v0", 1, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress}))
	if _, err := s.FindFetch(ctx, "src", "v0"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("FindFetch of a verification never asked for: %v, want not_found", err)
	}

	ev := fetching("src", "v1", 2)
	create(t, s, ev)
	f := findFetch(t, s, "src", "v1")
	if f.State != kycgate.FetchPending || f.Provider != "sumsub" || !f.RequestedAt.Equal(ev.ReceivedAt) || !f.NextAttemptAt.Equal(ev.ReceivedAt) {
		t.Fatalf("fetch after the deciding event = %+v", f)
	}
	// A retry of the same webhook is a duplicate, but it asks for the
	// document again: it may contradict what was stored since.
	retry := *ev
	retry.ID, retry.ReceivedAt = "evt_retry_of_v1", ev.ReceivedAt.Add(time.Hour)
	if r := create(t, s, &retry); !r[0].Duplicate {
		t.Fatalf("the retry was stored again: %+v", r)
	}
	if got := findFetch(t, s, "src", "v1"); !got.RequestedAt.Equal(retry.ReceivedAt) || got.State != kycgate.FetchPending {
		t.Fatalf("a retried deciding webhook did not ask again: %+v", got)
	}
	if _, err := s.RequestFetch(ctx, "src", "v1", ev.ReceivedAt); err != nil {
		t.Fatal(err)
	}

	now := ev.ReceivedAt.Add(time.Second)
	if got := claimFetches(t, s, "other", now); len(got) != 0 {
		t.Fatalf("another source claimed %d fetches", len(got))
	}
	claimed := claimFetches(t, s, "src", now)
	if len(claimed) != 1 || claimed[0].VerificationID != "v1" {
		t.Fatalf("claimed %+v, want v1", claimed)
	}
	if again := claimFetches(t, s, "src", now); len(again) != 0 {
		t.Fatalf("a leased fetch was claimed twice")
	}
	// A failed attempt to retry later.
	retryAt := now.Add(30 * time.Second)
	if err := s.CompleteFetch(ctx, claimed[0], kycgate.FetchOutcome{At: now, State: kycgate.FetchPending, RetryAt: retryAt, StatusCode: 503, Error: "503 Service Unavailable"}); err != nil {
		t.Fatal(err)
	}
	f = findFetch(t, s, "src", "v1")
	if f.State != kycgate.FetchPending || f.Attempts != 1 || f.LastStatus != 503 || !f.NextAttemptAt.Equal(retryAt) || f.FetchedAt != nil {
		t.Fatalf("after a 503: %+v", f)
	}
	if got := claimFetches(t, s, "src", now.Add(time.Second)); len(got) != 0 {
		t.Fatal("a fetch was claimed before its retry time")
	}
	claimed = claimFetches(t, s, "src", retryAt)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d at the retry time, want 1", len(claimed))
	}
	done := retryAt.Add(time.Second)
	if err := s.CompleteFetch(ctx, claimed[0], kycgate.FetchOutcome{At: done, State: kycgate.FetchDone, StatusCode: 200, EventID: "evt_doc"}); err != nil {
		t.Fatal(err)
	}
	f = findFetch(t, s, "src", "v1")
	if f.State != kycgate.FetchDone || f.Attempts != 2 || f.EventID != "evt_doc" || f.FetchedAt == nil || !f.FetchedAt.Equal(done) || f.LastError != "" {
		t.Fatalf("after success: %+v", f)
	}

	// A request while an attempt is in flight supersedes it: the attempt
	// is recorded, the job stays pending for the newer request.
	req, err := s.RequestFetch(ctx, "src", "v1", done.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if req.State != kycgate.FetchPending || req.Attempts != 0 {
		t.Fatalf("RequestFetch = %+v", req)
	}
	inflight := claimFetches(t, s, "src", done.Add(time.Minute))
	if len(inflight) != 1 {
		t.Fatalf("claimed %d after a refresh, want 1", len(inflight))
	}
	if _, err := s.RequestFetch(ctx, "src", "v1", done.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteFetch(ctx, inflight[0], kycgate.FetchOutcome{At: done.Add(3 * time.Minute), State: kycgate.FetchFailed, StatusCode: 401, Error: "401 Unauthorized"}); err != nil {
		t.Fatal(err)
	}
	f = findFetch(t, s, "src", "v1")
	if f.State != kycgate.FetchPending || f.LastStatus != 401 || f.EventID != "evt_doc" {
		t.Fatalf("a superseded attempt decided the job: %+v", f)
	}
	if got := claimFetches(t, s, "src", done.Add(3*time.Minute)); len(got) != 1 {
		t.Fatalf("the newer request is not claimable: %d", len(got))
	}

	// Hostile and missing: no verification, an erased one.
	if _, err := s.RequestFetch(ctx, "src", "nope", done); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("RequestFetch of an unknown verification: %v, want not_found", err)
	}
	create(t, s, journeyEvent("src", "v1", 50, kycgate.EventDeleted, kycgate.Change{}))
	if _, err := s.FindFetch(ctx, "src", "v1"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("an erased verification keeps its fetch job: %v", err)
	}
	if _, err := s.RequestFetch(ctx, "src", "v1", done); kycgate.ErrorCode(err) != kycgate.ECONFLICT {
		t.Fatalf("RequestFetch of an erased verification: %v, want conflict", err)
	}
	// Nor does a retry of its deciding webhook ask again.
	late := *ev
	late.ID, late.ReceivedAt = "evt_late_retry_of_v1", done.Add(time.Hour)
	create(t, s, &late)
	if _, err := s.FindFetch(ctx, "src", "v1"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("a retry asked to fetch an erased verification: %v", err)
	}

	// Counts for metrics.
	create(t, s, fetching("src", "v2", 3))
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[kycgate.FetchState]int{kycgate.FetchPending: 1}
	got := map[kycgate.FetchState]int{}
	for _, fc := range c.Fetches {
		if fc.Source != "src" {
			t.Errorf("count of source %q", fc.Source)
		}
		got[fc.State] += fc.Count
	}
	if len(got) != len(want) || got[kycgate.FetchPending] != 1 {
		t.Fatalf("fetch counts = %v, want %v", got, want)
	}
}
