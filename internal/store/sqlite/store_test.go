package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlite"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kycgate.db"))
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
	storetest.Run(t, func(t *testing.T) kycgate.Store { return open(t) })
}

func TestStore_MigrateIsIdempotent(t *testing.T) {
	s := open(t)
	n, err := s.Migrate(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("second Migrate applied %d, %v; want 0, nil", n, err)
	}
}

func TestStore_ReopenKeepsEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kycgate.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := storetest.NewEvent("src")
	if _, err := s.CreateEvents(context.Background(), []*kycgate.Event{ev}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.FindEvent(context.Background(), ev.ID); err != nil {
		t.Fatalf("event lost across reopen: %v", err)
	}
}

func TestPathFromURL(t *testing.T) {
	for in, want := range map[string]string{"sqlite://./kycgate.db": "./kycgate.db", "sqlite:///var/lib/k.db": "/var/lib/k.db"} {
		if got, err := sqlite.PathFromURL(in); err != nil || got != want {
			t.Errorf("PathFromURL(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"sqlite://", "postgres://x", "./k.db"} {
		if _, err := sqlite.PathFromURL(in); err == nil {
			t.Errorf("PathFromURL(%q) accepted", in)
		}
	}
}

// BenchmarkCreateEvents commits batches of 32 events, as the group
// committer does under load, on a real file with synchronous=FULL.
func BenchmarkCreateEvents(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "k.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Migrate(context.Background())
	b.ReportAllocs()
	for b.Loop() {
		batch := make([]*kycgate.Event, 32)
		for i := range batch {
			batch[i] = storetest.NewEvent("src")
		}
		if _, err := s.CreateEvents(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "events/s")
}

// upgraded stores evs in a new store, one batch each in order, takes its
// database back to before a migration with revert (which also deletes the
// migration's row), and returns it opened again with that one migration
// applied.
func upgraded(t *testing.T, evs []*kycgate.Event, revert ...string) (*sqlite.Store, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kycgate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range revert {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if n, err := s.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("Migrate applied %d, %v; want 1", n, err)
	}
	return s, path
}

// TestStore_UpgradeFillsFunnel: a database from before the funnel columns
// gets them filled by rebuilding its verifications when it migrates.
func TestStore_UpgradeFillsFunnel(t *testing.T) {
	ev := storetest.NewEvent("src") // a submission: stage submitted
	// Back to before migration 0004.
	s, _ := upgraded(t, []*kycgate.Event{ev},
		`DROP INDEX verifications_by_created`,
		`ALTER TABLE verifications DROP COLUMN flow`, `ALTER TABLE verifications DROP COLUMN tracker`,
		`ALTER TABLE verifications DROP COLUMN stage`, `ALTER TABLE verifications DROP COLUMN drop_off`,
		`ALTER TABLE verifications DROP COLUMN decision_us`, `DELETE FROM schema_migrations WHERE version = 4`)
	f, err := s.Funnel(context.Background(), kycgate.FunnelQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 1 || f.Groups[0].Stages[2].Count != 1 {
		t.Fatalf("after the upgrade the submission is not counted as submitted: %+v", f.Groups)
	}
}

// TestStore_CountsKeptByCounters: verifications counted by provider and
// status (for the metrics and the dashboard) come from counters the
// transactions that change verifications keep. They equal a count of the
// rows after the upgrade that creates them, new verifications, status
// changes applied to the stored state or rebuilt, and a reprocess that
// removes a verification.
func TestStore_CountsKeptByCounters(t *testing.T) {
	ctx := context.Background()
	event := func(vid, provider string, m int, typ kycgate.EventType, c kycgate.Change) *kycgate.Event {
		ev := storetest.NewEvent("src")
		ev.VerificationID, ev.Provider = vid, provider
		ev.OccurredAt = time.Date(2026, 11, 22, 9, m, 0, 0, time.UTC)
		ev.Type, ev.Data = typ, c
		return ev
	}
	submitted := kycgate.Change{Status: kycgate.StatusSubmitted}
	approved := kycgate.Change{Decision: kycgate.DecisionApproved}
	// Back to before migration 0014.
	s, path := upgraded(t, []*kycgate.Event{
		event("v1", "sumsub", 1, kycgate.EventSubmitted, submitted),
		event("v2", "sumsub", 5, kycgate.EventSubmitted, submitted),
		event("v3", "veriff", 1, kycgate.EventDecided, approved),
	}, `DROP TRIGGER verifications_counted_insert`, `DROP TRIGGER verifications_counted_update`,
		`DROP TRIGGER verifications_counted_delete`, `DROP TABLE verification_counts`,
		`CREATE INDEX verifications_by_provider_status ON verifications (provider, status)`,
		`DELETE FROM schema_migrations WHERE version = 14`)
	db, err := sql.Open("sqlite3", path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(step string, want map[string]int) {
		t.Helper()
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, v := range c.Verifications {
			got[v.Provider+"/"+string(v.Status)] = v.Count
		}
		rows, err := db.Query(`SELECT provider, status, count(*) FROM verifications GROUP BY provider, status`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		counted := map[string]int{}
		for rows.Next() {
			var p, st string
			var n int
			if err := rows.Scan(&p, &st, &n); err != nil {
				t.Fatal(err)
			}
			counted[p+"/"+st] = n
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(counted) != fmt.Sprint(want) {
			t.Errorf("%s: counts %v, rows %v; want %v", step, got, counted, want)
		}
	}
	check("after the upgrade", map[string]int{"sumsub/submitted": 2, "veriff/approved": 1})

	create := func(evs ...*kycgate.Event) {
		t.Helper()
		if _, err := s.CreateEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	create(event("v1", "sumsub", 2, kycgate.EventDecided, approved)) // applied to its state
	create(event("v4", "sumsub", 1, kycgate.EventStarted, kycgate.Change{Status: kycgate.StatusInProgress}))
	// Dated before its submission, a decision: v2 is rebuilt.
	create(event("v2", "sumsub", 3, kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionDeclined}))
	check("after new events", map[string]int{"sumsub/approved": 1, "sumsub/declined": 1, "sumsub/in_progress": 1, "veriff/approved": 1})

	// Today's adapters read v4's event as one of v1's: v4 has no events left.
	if _, err := s.Reprocess(ctx, func(ev *kycgate.Event) {
		if ev.VerificationID == "v4" {
			ev.VerificationID = "v1"
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindVerification(ctx, "src", "v4"); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
		t.Fatalf("v4 after the reprocess: %v", err)
	}
	check("after the reprocess", map[string]int{"sumsub/approved": 1, "sumsub/declined": 1, "veriff/approved": 1})
}

// TestStore_UpgradeRewritesDropOffAndClocks: a database from before
// drop-off codes and decision clocks gets both by rebuilding its
// verifications when it migrates.
func TestStore_UpgradeRewritesDropOffAndClocks(t *testing.T) {
	ctx := context.Background()
	created, cancelled := storetest.NewEvent("src"), storetest.NewEvent("src")
	created.Type, created.Data = kycgate.EventCreated, kycgate.Change{Status: kycgate.StatusPending, Clock: kycgate.ClockEvent}
	cancelled.VerificationID, cancelled.OccurredAt = created.VerificationID, created.OccurredAt.Add(time.Minute)
	cancelled.Type, cancelled.Data = kycgate.EventStepCompleted, kycgate.Change{Status: kycgate.StatusAbandoned, Clock: kycgate.ClockEvent,
		Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeCancelled}}
	decided := storetest.NewEvent("src")
	decided.Type, decided.Data = kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Clock: kycgate.ClockSent, CreatedAt: &created.OccurredAt}
	// Back to before migration 0011, as it stored them.
	s, _ := upgraded(t, []*kycgate.Event{created, cancelled, decided},
		`UPDATE verifications SET drop_off = 'liveness cancelled', doc = json_set(doc, '$.drop_off', 'liveness cancelled') WHERE drop_off != ''`,
		`UPDATE verifications SET doc = json_remove(doc, '$.decision_clock')`,
		`ALTER TABLE verifications DROP COLUMN decision_clock`, `DELETE FROM schema_migrations WHERE version = 11`)
	if v, err := s.FindVerification(ctx, "src", created.VerificationID); err != nil || v.DropOff != "liveness.cancelled" {
		t.Errorf("abandoned after the upgrade: %+v %v", v, err)
	}
	if v, err := s.FindVerification(ctx, "src", decided.VerificationID); err != nil || v.DecisionClock != kycgate.ClockSent {
		t.Errorf("decided after the upgrade: %+v %v", v, err)
	}
	f, err := s.Funnel(ctx, kycgate.FunnelQuery{})
	if err != nil || len(f.Groups) != 1 || len(f.Groups[0].DropOff) != 1 || f.Groups[0].DropOff[0].Code != "liveness.cancelled" ||
		f.Groups[0].ToDecision == nil || f.Groups[0].ToDecision.Clock != kycgate.ClockSent {
		t.Errorf("funnel after the upgrade: %+v %v", f, err)
	}
}

// TestStore_UpgradeMarksLateEvents: events stored before the store kept
// whether each arrived late are marked by the upgrade.
func TestStore_UpgradeMarksLateEvents(t *testing.T) {
	decided, submitted := storetest.NewEvent("src"), storetest.NewEvent("src")
	decided.Type, decided.Data = kycgate.EventDecided, kycgate.Change{Decision: kycgate.DecisionApproved, Clock: kycgate.ClockEvent}
	submitted.VerificationID, submitted.OccurredAt = decided.VerificationID, decided.OccurredAt.Add(-time.Minute)
	submitted.Type, submitted.Data = kycgate.EventSubmitted, kycgate.Change{Status: kycgate.StatusSubmitted, Clock: kycgate.ClockEvent}
	// The submission arrives last. Back to before migration 0013.
	s, _ := upgraded(t, []*kycgate.Event{decided, submitted},
		`ALTER TABLE events DROP COLUMN late`, `DELETE FROM schema_migrations WHERE version = 13`)
	for ev, want := range map[*kycgate.Event]bool{decided: false, submitted: true} {
		if f, err := s.FindForwarded(context.Background(), ev.ID); err != nil || f.Late != want {
			t.Errorf("%s after the upgrade: %+v, %v; want late %v", ev.Type, f, err, want)
		}
	}
}
