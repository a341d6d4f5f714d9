package bench

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestMinimalWriter: the reference the gateway is measured against stores
// each distinct event once, durably before it answers, and a repeat
// nowhere twice.
func TestMinimalWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := startMinimalWriter(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	count := func() int {
		var n int
		if err := m.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, body := range []string{`{"a":1}`, `{"a":1}`, `{"a":2}`} {
		resp, err := http.Post(m.URL()+"/webhooks/x", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", body, resp.Status)
		}
		// Answered, so stored: the row is there already.
		if want := []int{1, 1, 2}[i]; count() != want {
			t.Errorf("after %d requests: %d rows, want %d", i+1, count(), want)
		}
	}
	resp, err := http.Post(m.URL()+"/webhooks/x", "application/json", strings.NewReader(strings.Repeat("x", 2<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || count() != 2 {
		t.Errorf("an oversized body: %s, %d rows", resp.Status, count())
	}
}
