package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/store/postgres"
	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
	"github.com/kycgate/kycgate/internal/store/sqlite"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

// gatedStore holds the first CreateEvents until released, and records the
// size of every batch it commits to the real store behind it.
type gatedStore struct {
	kycgate.Store
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}

	mu      sync.Mutex
	batches []int
	fail    error
}

func (s *gatedStore) CreateEvents(ctx context.Context, evs []*kycgate.Event) ([]kycgate.Receipt, error) {
	s.once.Do(func() { close(s.entered); <-s.gate })
	s.mu.Lock()
	s.batches = append(s.batches, len(evs))
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return s.Store.CreateEvents(ctx, evs)
}

func newGatedStore(t *testing.T) *gatedStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return gate(st)
}

func gate(st kycgate.Store) *gatedStore {
	return &gatedStore{Store: st, gate: make(chan struct{}), entered: make(chan struct{})}
}

func newCommitter(t *testing.T, s ingest.EventCreator) *ingest.Committer {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := ingest.NewCommitter(s, 512, 5*time.Second, log, ingest.NewMetrics(prometheus.NewRegistry()))
	t.Cleanup(c.Close)
	return c
}

// TestCommitter_GroupsConcurrentRequests: what queues while a commit runs
// goes into the next transaction together, and every caller gets its own
// receipt only after that commit.
func TestCommitter_GroupsConcurrentRequests(t *testing.T) {
	store := newGatedStore(t)
	c := newCommitter(t, store)
	const queued = 20
	var wg sync.WaitGroup
	receipts := make([]kycgate.Receipt, queued+1)
	events := make([]*kycgate.Event, queued+1)
	for i := range events {
		events[i] = storetest.NewEvent("src")
	}
	wg.Go(func() { receipts[0], _ = c.Commit(context.Background(), events[0]) })
	<-store.entered // the first batch is committing
	for i := 1; i <= queued; i++ {
		wg.Go(func() {
			var err error
			if receipts[i], err = c.Commit(context.Background(), events[i]); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, func() bool { return c.Queued() == queued })
	close(store.gate)
	wg.Wait()
	if fmt.Sprint(store.batches) != fmt.Sprint([]int{1, queued}) {
		t.Fatalf("batches %v, want [1 %d]", store.batches, queued)
	}
	for i, r := range receipts {
		if r.ID != events[i].ID {
			t.Errorf("caller %d got receipt %+v, want its own event %s", i, r, events[i].ID)
		}
		if _, err := store.FindEvent(context.Background(), events[i].ID); err != nil {
			t.Errorf("event %d not stored: %v", i, err)
		}
	}
}

// TestCommitter_FailingBatch: when the store cannot commit for now, every
// caller of the batch hears of it at once, as a failure worth retrying;
// nobody is told "stored".
func TestCommitter_FailingBatch(t *testing.T) {
	store := newGatedStore(t)
	store.fail = kycgate.WrapError(kycgate.EUNAVAILABLE, errors.New("disk full"), "store unavailable")
	c := newCommitter(t, store)
	var wg sync.WaitGroup
	wg.Go(func() { c.Commit(context.Background(), storetest.NewEvent("src")) })
	<-store.entered
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Commit(context.Background(), storetest.NewEvent("src")) })
	}
	waitFor(t, func() bool { return c.Queued() == len(errs) })
	close(store.gate)
	wg.Wait()
	for i, err := range errs {
		if kycgate.ErrorCode(err) != kycgate.EUNAVAILABLE {
			t.Errorf("caller %d: %v, want unavailable", i, err)
		}
	}
	// One batch of 1, one of 5: retrying them one by one would only fail
	// five times more.
	if fmt.Sprint(store.batches) != "[1 5]" {
		t.Errorf("batches %v", store.batches)
	}
}

// TestCommitter_Close commits what is queued and then refuses new events.
func TestCommitter_Close(t *testing.T) {
	store := newGatedStore(t)
	close(store.gate)
	c := newCommitter(t, store)
	ev := storetest.NewEvent("src")
	if _, err := c.Commit(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Commit(context.Background(), storetest.NewEvent("src")); kycgate.ErrorCode(err) != kycgate.EUNAVAILABLE {
		t.Fatalf("Commit after Close: %v, want unavailable", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCommitter_RefusedEvent: when PostgreSQL refuses what one event holds
// (here a number in MetaMap metadata beyond what its numeric type takes),
// the others of its batch are stored as they are, and that one is stored
// flagged unstorable with its raw body as received: every caller gets a
// receipt.
func TestCommitter_RefusedEvent(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := gate(st)
	c := newCommitter(t, store)
	var wg sync.WaitGroup
	wg.Go(func() { c.Commit(context.Background(), storetest.NewEvent("src")) })
	<-store.entered
	events := []*kycgate.Event{storetest.NewEvent("src"), storetest.NewEvent("src"), storetest.NewEvent("src")}
	poison := events[1]
	poison.Data.Metadata = json.RawMessage(`{"age":1e200000}`)
	poison.Body = []byte(`{"metadata":{"age":1e200000}}`)
	receipts := make([]kycgate.Receipt, len(events))
	errs := make([]error, len(events))
	for i, ev := range events {
		wg.Go(func() { receipts[i], errs[i] = c.Commit(context.Background(), ev) })
	}
	waitFor(t, func() bool { return c.Queued() == len(events) })
	close(store.gate)
	wg.Wait()
	for i := range events {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		got, err := st.FindEvent(context.Background(), receipts[i].ID)
		if err != nil {
			t.Fatalf("event %d not stored: %v", i, err)
		}
		wantFlag, wantType := kycgate.FlagNone, kycgate.EventSubmitted
		if i == 1 {
			wantFlag, wantType = kycgate.FlagUnstorable, ""
		}
		if got.Flag != wantFlag || got.Type != wantType {
			t.Errorf("event %d: flag %q type %q, want %q %q", i, got.Flag, got.Type, wantFlag, wantType)
		}
		if i == 1 && string(got.Body) != `{"metadata":{"age":1e200000}}` {
			t.Errorf("raw body %q", got.Body)
		}
	}
}
