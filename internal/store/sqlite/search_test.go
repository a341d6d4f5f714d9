package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// A search by prefix reads the indexes of ids and user ids, not every
// verification: the plan names both.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t)
	w, err := sqlstore.Verifications(dialect, kycgate.VerificationFilter{Search: "user-000"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.read.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT seq, doc FROM verifications`+w.SQL()+w.Limit(50), w.Args()...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	for _, index := range []string{"verifications_by_id", "verifications_by_user"} {
		if !strings.Contains(got, "INDEX "+index+" ") {
			t.Errorf("plan %q does not use %s", got, index)
		}
	}
}
