package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/storetest"
)

// TestForget_ErasuresInABurst: the first erasure leaves no copy of what it
// removed in the store's files by the time its commit returns; one that
// follows at once is forgotten too, within a few seconds, though nothing
// is committed after it; one put off when the store closes is forgotten
// by the time Close returns.
func TestForget_ErasuresInABurst(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "kycgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // should the test stop early; Close is idempotent
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	holding := func(needle string) []string {
		t.Helper()
		var found []string
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(needle)) {
				found = append(found, e.Name())
			}
		}
		return found
	}
	erase := func(vid, name string) {
		t.Helper()
		ev := storetest.NewEvent("src")
		ev.VerificationID, ev.Body = vid, []byte(`{"name":"`+name+`"}`)
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{ev}); err != nil {
			t.Fatal(err)
		}
		if len(holding(name)) == 0 {
			t.Fatalf("before erasure no file holds %q: the test cannot see it", name)
		}
		del := storetest.NewEvent("src")
		del.VerificationID, del.Type, del.Data = vid, kycgate.EventDeleted, kycgate.Change{Status: kycgate.StatusDeleted}
		if _, err := s.CreateEvents(ctx, []*kycgate.Event{del}); err != nil {
			t.Fatal(err)
		}
	}

	erase("v1", "Jane Quincy-Roe")
	if found := holding("Jane Quincy-Roe"); len(found) > 0 {
		t.Errorf("the first erasure left its data in %v", found)
	}
	erase("v2", "John Doe-Smith")
	deadline := time.Now().Add(10 * forgetEvery)
	for len(holding("John Doe-Smith")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the second erasure's data is still in %v", holding("John Doe-Smith"))
		}
		time.Sleep(20 * time.Millisecond) // polling the files for the state
	}
	erase("v3", "Joan Roe-Doe")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if found := holding("Joan Roe-Doe"); len(found) > 0 {
		t.Errorf("after Close, the last erasure's data is still in %v", found)
	}
}
