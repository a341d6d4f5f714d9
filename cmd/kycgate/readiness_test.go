package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate/internal/config"
)

// sumsubWait is how long Sumsub waits for an answer before it gives up on
// a delivery: a client with this timeout stands for the provider.
const sumsubWait = 5 * time.Second

// TestReadiness_StoreLocked: while another process holds the store locked
// (the SQLite file's write lock, the events table on PostgreSQL), /readyz
// answers 503 and a webhook is answered 503 before the provider stops
// waiting; once the lock is released both recover and the retry is stored.
func TestReadiness_StoreLocked(t *testing.T) {
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) { testStoreLocked(t, storage) })
	}
}

func testStoreLocked(t *testing.T, storage string) {
	cfg, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: %q\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s3cret]}\n", storage), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	base := "http://" + app.Addr()
	provider := &http.Client{Timeout: sumsubWait}
	post := func(n int) int {
		t.Helper()
		body := fmt.Sprintf(`{"applicantId":"app-lock","correlationId":"c%d","type":"applicantPending","createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, n)
		h, _ := sumsubSignHeaders(body)
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/sumsub", strings.NewReader(body))
		req.Header = h
		resp, err := provider.Do(req)
		if err != nil {
			t.Fatalf("webhook %d: no answer within Sumsub's %s: %v", n, sumsubWait, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ready := func() int {
		t.Helper()
		resp, err := provider.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s, r := post(1), ready(); s != 200 || r != 200 {
		t.Fatalf("before the lock: webhook %d, /readyz %d", s, r)
	}

	release := lockStore(t, storage)
	if s := ready(); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the store is locked: %d, want 503", s)
	}
	if s := post(2); s != http.StatusServiceUnavailable {
		t.Errorf("webhook while the store is locked: %d, want 503", s)
	}
	release()

	waitUntil(t, "readiness after the lock is released", func() bool { return ready() == 200 })
	if s := post(2); s != 200 {
		t.Errorf("the provider's retry after the lock: %d", s)
	}
}

// lockStore holds, from a connection of its own as another process would,
// the lock every commit needs, until release is called or the test ends.
func lockStore(t *testing.T, storage string) (release func()) {
	t.Helper()
	unlock := lockStoreUntil(t, storage)
	var once sync.Once
	release = func() { once.Do(unlock) }
	t.Cleanup(release)
	return release
}

func lockStoreUntil(t *testing.T, storage string) func() {
	t.Helper()
	ctx := context.Background()
	if path, ok := strings.CutPrefix(storage, "sqlite://"); ok {
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
			t.Fatal(err)
		}
		return func() {
			conn.ExecContext(ctx, `ROLLBACK`)
			conn.Close()
			db.Close()
		}
	}
	conn, err := pgx.Connect(ctx, storage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `LOCK TABLE events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.Exec(ctx, `ROLLBACK`)
		conn.Close(ctx)
	}
}
