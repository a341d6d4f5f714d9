package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/postgres"
	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

// openIsolated opens a store in a schema of its own, dropped after the test.
func openIsolated(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kycgate.Store { return openIsolated(t) })
}

func TestStore_MigrateIsIdempotent(t *testing.T) {
	s := openIsolated(t)
	if n, err := s.Migrate(context.Background()); err != nil || n != 0 {
		t.Fatalf("second Migrate applied %d, %v", n, err)
	}
}

// openTwin opens a second store, as a second kycgate instance would, on
// the same schema.
func openTwin(t *testing.T, dsn string) *postgres.Store {
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTwoInstances: instances migrating together apply each migration
// once; storing the same deliveries and the same verifications at once,
// they store each event once and keep every verification equal to a
// rebuild of its log.
func TestTwoInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	a, b := openTwin(t, dsn), openTwin(t, dsn)

	applied := make(chan int, 2)
	for _, s := range []*postgres.Store{a, b} {
		go func() {
			n, err := s.Migrate(ctx)
			if err != nil {
				t.Error(err)
			}
			applied <- n
		}()
	}
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if total := <-applied + <-applied; total != len(files) {
		t.Fatalf("two instances applied %d migrations together, want each of the %d once", total, len(files))
	}

	// 20 verifications, 5 events each; every event is delivered to both
	// instances, in batches of different orders.
	var events [][]*kycgate.Event
	for v := range 20 {
		for n := range 5 {
			ev := storetest.NewEvent("src")
			ev.VerificationID = fmt.Sprintf("v%02d", v)
			ev.OccurredAt = time.Date(2026, 11, 22, 10, n, 0, 0, time.UTC)
			ev.Type, ev.Data = kycgate.EventStepCompleted, kycgate.Change{Step: &kycgate.Step{Name: fmt.Sprint(n), Outcome: "passed"}}
			if n == 4 {
				ev.Type, ev.Data = kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved}
			}
			ev.Destinations = []string{"app"}
			twin := *ev
			twin.ID = ev.ID + "b" // the other instance names its copy differently
			events = append(events, []*kycgate.Event{ev, &twin})
		}
	}
	errs := make(chan error, 2)
	for i, s := range []*postgres.Store{a, b} {
		go func() {
			var batch []*kycgate.Event
			for j := range events {
				k := j
				if i == 1 {
					k = len(events) - 1 - j // the other instance sees them in reverse
				}
				batch = append(batch, events[k][i])
				if len(batch) == 7 || j == len(events)-1 {
					for {
						_, err := s.CreateEvents(ctx, batch)
						if err == nil {
							break
						}
						if kycgate.ErrorCode(err) != kycgate.EUNAVAILABLE {
							errs <- err
							return
						}
						// A deadlock between the two instances' batches is
						// refused by the database; the committer retries.
					}
					batch = nil
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var stored, deliveries int
	for cursor := ""; ; {
		evs, next, err := a.ListEvents(ctx, kycgate.EventFilter{Cursor: cursor, Limit: kycgate.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		stored += len(evs)
		if cursor = next; cursor == "" {
			break
		}
	}
	ds, _, _ := a.ListDeliveries(ctx, kycgate.DeliveryFilter{Limit: kycgate.MaxPageSize})
	deliveries = len(ds)
	if stored != 100 || deliveries != 100 {
		t.Fatalf("%d events and %d deliveries stored, want 100 and 100", stored, deliveries)
	}
	for v := range 20 {
		vid := fmt.Sprintf("v%02d", v)
		got, err := a.FindVerification(ctx, "src", vid)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := a.ListLog(ctx, "src", vid)
		want := kycgate.Rebuild("src", "sumsub", vid, log)
		if got.Status != kycgate.StatusApproved || got.Events != 5 || got.Events != want.Events || len(got.Steps) != len(want.Steps) {
			t.Errorf("%s: stored %+v, rebuilt %+v", vid, got, want)
		}
	}
}

// TestReprocess_100000Verifications: reprocess streams a large store in
// bounded batches (one transaction with a lock per verification ran out of
// shared memory at about 20,000), reporting its progress as it goes.
func TestReprocess_100000Verifications(t *testing.T) {
	if testing.Short() {
		t.Skip("a large store")
	}
	const n = 100_000
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	s := openTwin(t, dsn)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Stored the way ingest stores them, but in one statement, to be quick.
	if _, err := conn.Exec(ctx, `INSERT INTO events (id, source, provider, dedup_key, provider_event,
		verification_id, occurred_at, received_at, remote_ip, headers, body, type, data)
		SELECT 'evt_' || i, 'src', 'sumsub', 'key-' || i, 'applicantCreated', 'v' || i,
			timestamptz '2026-11-22 10:00:00Z' + i * interval '1 second', timestamptz '2026-11-22 10:00:00Z',
			'203.0.113.7', '{}', '{"n":1}', 'verification.created', '{"status":"pending"}'
		FROM generate_series(1, $1) AS i`, n); err != nil {
		t.Fatal(err)
	}
	reports := 0
	var last kycgate.ReprocessProgress
	res, err := s.Reprocess(ctx, func(*kycgate.Event) {}, func(p kycgate.ReprocessProgress) { reports++; last = p })
	if err != nil {
		t.Fatalf("reprocess: %v", err)
	}
	if res.Events != n || res.Verifications != n {
		t.Errorf("result %+v, want %d events and verifications", res, n)
	}
	if last.Phase != kycgate.PhaseDone || reports < n/500 {
		t.Errorf("%d progress reports, the last %+v", reports, last)
	}
	if v, err := s.FindVerification(ctx, "src", "v99999"); err != nil || v.Status != kycgate.StatusPending || v.Events != 1 {
		t.Errorf("a rebuilt verification: %+v %v", v, err)
	}
}
