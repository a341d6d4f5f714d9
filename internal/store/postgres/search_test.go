package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// A search by prefix can be served by the bytewise indexes of ids and user
// ids: with sequential scans ruled out, the plan names both. (On a handful
// of rows the planner would rightly read the table.)
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := sqlstore.Verifications(dialect, kycgate.VerificationFilter{Search: "user-000"})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN SELECT seq, doc FROM verifications`+w.SQL()+w.Limit(50), w.Args()...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, strings.TrimSpace(line))
	}
	got := strings.Join(plan, "\n")
	for _, index := range []string{"verifications_by_id_prefix", "verifications_by_user_prefix"} {
		if !strings.Contains(got, index) {
			t.Errorf("plan does not use %s:\n%s", index, got)
		}
	}
}
