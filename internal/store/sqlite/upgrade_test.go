package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlite"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

// TestStore_UpgradeRebuildsVerifications: a verification stored wrong by
// a version before the rules for late openers (a Veriff resubmission
// request retried after the next attempt's approval left it
// resubmission_requested) is right after the upgrade's migrations, without
// waiting for an event of its own, also when the upgrade was killed
// during its rebuild and started again.
func TestStore_UpgradeRebuildsVerifications(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kycgate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ev := range storetest.LateRequest(t) {
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	const id = storetest.LateRequestSession
	if v, err := s.FindVerification(ctx, "veriff", id); err != nil || v.Status != kycgate.StatusApproved {
		t.Fatalf("stored: %+v, %v; want approved", v, err)
	}
	s.Close()

	// As the version before stored it, and before its migration 0016.
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE verifications SET status = 'resubmission_requested', decision = 'resubmission_requested',
			doc = json_set(doc, '$.status', 'resubmission_requested', '$.decision', 'resubmission_requested')`,
		`DELETE FROM schema_migrations WHERE version = 16`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("upgrade applied %d migrations, %v; want 1", n, err)
	}
	v, err := s.FindVerification(ctx, "veriff", id)
	if err != nil || v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
		t.Fatalf("after the upgrade: %+v, %v; want approved, attempt 2", v, err)
	}
	s.Close()

	// The upgrade killed during its rebuild: the migration is recorded, the
	// verification still as the version before kept it, its replay state
	// NULL. The next start rebuilds it.
	db, err = sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE verifications SET status = 'resubmission_requested', decision = 'resubmission_requested', replay_state = NULL,
		doc = json_set(doc, '$.status', 'resubmission_requested', '$.decision', 'resubmission_requested')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("restart applied %d migrations, %v; want 0", n, err)
	}
	if v, err := s.FindVerification(ctx, "veriff", id); err != nil || v.Status != kycgate.StatusApproved {
		t.Fatalf("after the interrupted upgrade's restart: %+v, %v; want approved", v, err)
	}
}
