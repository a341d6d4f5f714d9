// Package storetest is the behavioural suite every kycgate.Store backend
// passes. A backend's test calls Run with a function that opens a fresh,
// empty store.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// Run exercises the whole kycgate.Store contract.
func Run(t *testing.T, open func(t *testing.T) kycgate.Store) {
	t.Run("CreateEvents stores and finds", func(t *testing.T) { testCreateAndFind(t, open(t)) })
	t.Run("CreateEvents deduplicates across batches", func(t *testing.T) { testDedupAcrossBatches(t, open(t)) })
	t.Run("CreateEvents deduplicates within a batch", func(t *testing.T) { testDedupWithinBatch(t, open(t)) })
	t.Run("dedup keys are per source", func(t *testing.T) { testDedupPerSource(t, open(t)) })
	t.Run("concurrent retries store once", func(t *testing.T) { testConcurrentRetries(t, open(t)) })
	t.Run("FindEvent unknown id", func(t *testing.T) { testFindUnknown(t, open(t)) })
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
	}
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
