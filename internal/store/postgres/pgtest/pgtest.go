// Package pgtest gives tests a PostgreSQL schema of their own on the
// database of $TEST_DATABASE_URL, or of the machine's PostgreSQL.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the machine's PostgreSQL: trust auth, database test.
const DefaultDSN = "postgres://root@127.0.0.1:5432/test?sslmode=disable"

var counter atomic.Int64

// Schema returns a postgres:// URL whose search_path is a new schema,
// dropped when the test ends. Without a reachable server it skips the test,
// except in CI (CI=true), where the server must be there and the test fails.
func Schema(t testing.TB) string {
	t.Helper()
	dsn, ok := TrySchema(t)
	if !ok {
		t.Skipf("no PostgreSQL at %s (set TEST_DATABASE_URL)", server())
	}
	return dsn
}

func server() string {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// TrySchema is Schema for a test that runs without PostgreSQL too: it
// reports false instead of skipping (and still fails in CI).
func TrySchema(t testing.TB) (string, bool) {
	t.Helper()
	dsn := server()
	if dsn == "" {
		dsn = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs PostgreSQL at %s: %v", dsn, err)
		}
		t.Logf("no PostgreSQL at %s: %v", dsn, err)
		return "", false
	}
	schema := fmt.Sprintf("kycgate_test_%d_%d", time.Now().UnixNano(), counter.Add(1))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, true
}
