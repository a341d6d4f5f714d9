package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// TestStore_UpgradeRebuildsVerifications: a verification stored wrong by
// a version before the rules for late openers (a Veriff resubmission
// request retried after the next attempt's approval left it
// resubmission_requested) is right after the upgrade's migrations, without
// waiting for an event of its own.
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
	a, _ := registry.Lookup("veriff")
	p, err := a.New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	event := func(action, attempt string, code int) string {
		return fmt.Sprintf(`{"id":"10aaaaaa-0000-4000-8000-00000000000a","attemptId":%q,"feature":"selfid","code":%d,"action":%q,"vendorData":"u10","endUserId":null}`, attempt, code, action)
	}
	decision := func(status, attempt string, code int, at string) string {
		return fmt.Sprintf(`{"status":"success","verification":{"id":"10aaaaaa-0000-4000-8000-00000000000a","attemptId":%q,"code":%d,"status":%q,"reason":null,"reasonCode":null,"vendorData":"u10","decisionTime":"2026-04-01T%s:00.000Z","acceptanceTime":"2026-04-01T10:00:00.000Z"}}`, attempt, code, status, at)
	}
	bodies := []string{
		event("started", "a1", 7001), event("submitted", "a1", 7002),
		event("started", "a2", 7001), event("submitted", "a2", 7002),
		`{"checkType":"updated_result","attemptId":"a2","sessionId":"10aaaaaa-0000-4000-8000-00000000000a","vendorData":"u10","endUserId":null,"matchStatus":"no_match","searchTerm":{"name":"Jane Doe"},"totalHits":0,"hits":[]}`,
		decision("approved", "a2", 9001, "10:30"),
		decision("resubmission_requested", "a1", 9103, "10:10"), // the retry, two hours later
	}
	at := time.Date(2026, 4, 1, 10, 31, 0, 0, time.UTC)
	for i, b := range bodies {
		if i == len(bodies)-1 {
			at = at.Add(2 * time.Hour)
		}
		ev := &kycgate.Event{ID: kycgate.NewID("evt", at), Source: "veriff", Provider: "veriff", ReceivedAt: at, Body: []byte(b), Header: http.Header{}}
		ingest.Normalize(a, p, http.Header{}, ev)
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Second)
	}
	const id = "10aaaaaa-0000-4000-8000-00000000000a"
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
	defer s.Close()
	if n, err := s.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("upgrade applied %d migrations, %v; want 1", n, err)
	}
	v, err := s.FindVerification(ctx, "veriff", id)
	if err != nil || v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
		t.Fatalf("after the upgrade: %+v, %v; want approved, attempt 2", v, err)
	}
}
