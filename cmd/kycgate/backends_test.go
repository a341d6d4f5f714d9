package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// backends returns the storage URLs to run a test on: a fresh SQLite file,
// and a fresh PostgreSQL schema when a server is reachable ($TEST_DATABASE_URL,
// else the machine's). Without PostgreSQL only SQLite runs, except in CI,
// where PostgreSQL must be there.
func backends(t *testing.T) map[string]string {
	out := map[string]string{"sqlite": "sqlite://" + filepath.Join(t.TempDir(), "kycgate.db")}
	if dsn, ok := postgresSchema(t); ok {
		out["postgres"] = dsn
	}
	return out
}

// postgresSchema returns a postgres:// URL whose search_path is a schema
// of its own, dropped after the test.
func postgresSchema(t *testing.T) (string, bool) {
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		dsn = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs PostgreSQL at %s: %v", dsn, err)
		}
		t.Logf("no PostgreSQL at %s: running on SQLite only (%v)", dsn, err)
		return "", false
	}
	schema := fmt.Sprintf("kycgate_e2e_%d", time.Now().UnixNano())
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
