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

// openPostgres opens a migrated store on a schema of its own, or skips
// without PostgreSQL.
func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
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
	st := openPostgres(t)
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

// laneStore is a store that commits several batches at once: it holds each
// batch until released, and notes when two batches in flight hold events
// of one verification.
type laneStore struct {
	writes  int
	release chan struct{}
	once    sync.Once

	mu       sync.Mutex
	inFlight map[string]int // batches in flight holding events of each verification
	calls    int            // batches in flight
	most     int            // the most batches in flight at once
	overlaps []string
	stored   map[string]int // times each event was committed
}

func newLaneStore(writes int) *laneStore {
	return &laneStore{writes: writes, release: make(chan struct{}), inFlight: map[string]int{}, stored: map[string]int{}}
}

func (s *laneStore) ConcurrentWrites() int { return s.writes }

// open lets every batch finish.
func (s *laneStore) open() { s.once.Do(func() { close(s.release) }) }

func (s *laneStore) CreateEvents(ctx context.Context, evs []*kycgate.Event) ([]kycgate.Receipt, error) {
	keys := map[string]bool{}
	for _, ev := range evs {
		keys[ev.VerificationID] = true
	}
	s.mu.Lock()
	s.calls++
	s.most = max(s.most, s.calls)
	for k := range keys {
		if s.inFlight[k] > 0 {
			s.overlaps = append(s.overlaps, k)
		}
		s.inFlight[k]++
	}
	s.mu.Unlock()
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls--
	receipts := make([]kycgate.Receipt, len(evs))
	for i, ev := range evs {
		s.stored[ev.ID]++
		receipts[i] = kycgate.Receipt{ID: ev.ID}
	}
	for k := range keys {
		s.inFlight[k]--
	}
	return receipts, nil
}

// TestCommitter_LanesSideBySide: in front of a store that commits several
// transactions at once, batches of different verifications are in flight
// together, never two holding events of one verification, and every event
// is committed once.
func TestCommitter_LanesSideBySide(t *testing.T) {
	store := newLaneStore(4)
	c := newCommitter(t, store)
	t.Cleanup(store.open) // before the committer closes, should the test fail first
	var (
		wg     sync.WaitGroup
		events []*kycgate.Event
	)
	for i := range 200 {
		ev := storetest.NewEvent("src")
		ev.VerificationID = fmt.Sprintf("v%d", i%10)
		events = append(events, ev)
	}
	for _, ev := range events {
		wg.Go(func() {
			if _, err := c.Commit(context.Background(), ev); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.calls == store.writes // every lane has a batch in flight
	})
	store.open()
	wg.Wait()
	if len(store.overlaps) > 0 {
		t.Errorf("batches in flight together held events of %v", store.overlaps)
	}
	for _, ev := range events {
		if n := store.stored[ev.ID]; n != 1 {
			t.Errorf("event %s committed %d times", ev.ID, n)
		}
	}
}

// TestCommitter_LanesOnPostgres: batches committed side by side on
// PostgreSQL, many events of a few verifications arriving at once, in an
// order that makes some late, leave each verification as its whole log
// says.
func TestCommitter_LanesOnPostgres(t *testing.T) {
	st := openPostgres(t)
	if st.ConcurrentWrites() < 2 {
		t.Fatalf("PostgreSQL keeps %d batches in flight; the test needs two", st.ConcurrentWrites())
	}
	c := newCommitter(t, st)
	types := []kycgate.EventType{kycgate.EventCreated, kycgate.EventStarted, kycgate.EventStepCompleted, kycgate.EventSubmitted, kycgate.EventDecided}
	var wg sync.WaitGroup
	for v := range 12 {
		for m, typ := range types {
			ev := storetest.NewEvent("src")
			ev.VerificationID, ev.Type = fmt.Sprintf("v%d", v), typ
			ev.OccurredAt = time.Date(2026, 11, 22, 9, len(types)-m, 0, 0, time.UTC) // the later sent first
			ev.Data = kycgate.Change{Status: kycgate.StatusInProgress}
			if typ == kycgate.EventDecided {
				ev.Data = kycgate.Change{Decision: kycgate.DecisionApproved}
			}
			wg.Go(func() {
				if _, err := c.Commit(context.Background(), ev); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	ctx := context.Background()
	for v := range 12 {
		id := fmt.Sprintf("v%d", v)
		got, err := st.FindVerification(ctx, "src", id)
		if err != nil {
			t.Fatal(err)
		}
		log, err := st.ListLog(ctx, "src", id)
		if err != nil {
			t.Fatal(err)
		}
		if want := kycgate.Rebuild("src", "sumsub", id, log); got.Events != len(types) || got.Status != want.Status ||
			got.Decision != want.Decision || got.Events != want.Events || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("%s: stored %s %s after %d events; its log says %s %s after %d", id, got.Status, got.Decision, got.Events,
				want.Status, want.Decision, want.Events)
		}
	}
}
