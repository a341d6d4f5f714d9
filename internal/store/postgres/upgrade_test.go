package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/postgres"
	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

// TestStore_UpgradeRebuildsVerifications: a verification stored wrong by
// a version before the rules for late openers is right after the
// upgrade's migrations, also when the upgrade was killed during its
// rebuild (the migration recorded, the replay state NULL) and the next
// instance starts.
func TestStore_UpgradeRebuildsVerifications(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ev := range storetest.LateRequest(t) {
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stale := `UPDATE verifications SET status = 'resubmission_requested', decision = 'resubmission_requested', replay_state = NULL,
		doc = jsonb_set(jsonb_set(doc, '{status}', '"resubmission_requested"'), '{decision}', '"resubmission_requested"')`
	for _, c := range []struct{ name, undo string }{
		{"upgrade", `DELETE FROM schema_migrations WHERE version = 13`},
		{"interrupted rebuild", ""},
	} {
		name, undo := c.name, c.undo
		for _, q := range []string{stale, undo} {
			if q == "" {
				continue
			}
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := s.FindVerification(ctx, "veriff", storetest.LateRequestSession)
		if err != nil || v.Status != kycgate.StatusApproved || v.Attempt != 2 {
			t.Fatalf("%s: %+v, %v; want approved, attempt 2", name, v, err)
		}
	}
}
