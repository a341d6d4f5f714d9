package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

// TestBookkeeping_EventsStayDurable: claiming a delivery and recording its
// outcome commit without waiting for the disk, and leave the connection
// that commits events at synchronous=FULL, as a failed bookkeeping
// transaction does too.
func TestBookkeeping_EventsStayDurable(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t)
	synchronous := func() int {
		t.Helper()
		var n int
		if err := s.write.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const full, normal = 2, 1
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d after Open, want FULL (%d)", got, full)
	}
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	ev := &kycgate.Event{ID: "evt_1", Source: "src", Provider: "p", Identity: kycgate.Identity{VerificationID: "v1", DedupKey: "k1"},
		Type: kycgate.EventCreated, ReceivedAt: at, Destinations: []string{"app"}}
	if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimDeliveries(ctx, "app", at, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v; want the one delivery", claimed, err)
	}
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d after a claim, want FULL (%d)", got, full)
	}
	var during int
	err = s.bookkeeping(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&during); err != nil {
			return err
		}
		return errors.New("refused")
	})
	if err == nil {
		t.Fatal("a failed bookkeeping transaction reported success")
	}
	if during != normal {
		t.Errorf("synchronous = %d during bookkeeping, want NORMAL (%d)", during, normal)
	}
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d after a failed bookkeeping transaction, want FULL (%d)", got, full)
	}
	done := kycgate.Completion{ID: claimed[0].ID, Outcome: kycgate.Outcome{Attempt: kycgate.Attempt{At: at, StatusCode: 200}, State: kycgate.DeliveryDelivered}}
	if err := s.CompleteDeliveries(ctx, []kycgate.Completion{done}); err != nil {
		t.Fatal(err)
	}
	if got := synchronous(); got != full {
		t.Fatalf("synchronous = %d after recording an outcome, want FULL (%d)", got, full)
	}
	d, err := s.FindDelivery(ctx, claimed[0].ID)
	if err != nil || d.State != kycgate.DeliveryDelivered {
		t.Fatalf("the delivery after its outcome: %+v, %v", d, err)
	}
}
