package sqlite_test

import (
	"context"
	"database/sql"
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
// stale makes the session of storetest.LateRequest as a version before the
// rules for late openers stored it.
const stale = `UPDATE verifications SET status = 'resubmission_requested', decision = 'resubmission_requested',
	doc = json_set(doc, '$.status', 'resubmission_requested', '$.decision', 'resubmission_requested')`

func TestStore_UpgradeRebuildsVerifications(t *testing.T) {
	ctx := context.Background()
	const id = storetest.LateRequestSession
	// As the version before stored it, and before its migration 0016.
	s, path := upgraded(t, storetest.LateRequest(t), stale,
		`DELETE FROM schema_migrations WHERE version = 16`)
	v, err := s.FindVerification(ctx, "veriff", id)
	if err != nil || v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
		t.Fatalf("after the upgrade: %+v, %v; want approved, attempt 2", v, err)
	}
	s.Close()

	// The upgrade killed during its rebuild: the migration is recorded, the
	// verification still as the version before kept it, its replay state
	// NULL. The next start rebuilds it.
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{stale, `UPDATE verifications SET replay_state = NULL`} {
		if res, err := db.Exec(q); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows, want the session's", q, n)
		}
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
