package main

import (
	"path/filepath"
	"testing"

	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
)

// backends returns the storage URLs to run a test on: a fresh SQLite file,
// and a fresh PostgreSQL schema when a server is reachable (always in CI).
func backends(t *testing.T) map[string]string {
	out := map[string]string{"sqlite": "sqlite://" + filepath.Join(t.TempDir(), "kycgate.db")}
	if dsn, ok := postgresSchema(t); ok {
		out["postgres"] = dsn
	}
	return out
}

// postgresSchema returns a PostgreSQL schema of the test's own, or false
// when no server is reachable outside CI.
func postgresSchema(t *testing.T) (string, bool) { return pgtest.TrySchema(t) }
