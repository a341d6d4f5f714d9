// Package sqlite is kycgate's embedded store: one SQLite file in WAL mode
// with synchronous=FULL, so that a committed event survives a crash or a
// power cut. Writes go through a single connection (SQLite has one writer);
// ingest batches concurrent requests into one transaction in front of it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/kycgate/kycgate"
)

var _ kycgate.Store = (*Store)(nil)

// Store is a kycgate.Store on one SQLite file.
type Store struct {
	path  string
	write *sql.DB // exactly one connection
	read  *sql.DB // query-only connections for the API
}

// PathFromURL returns the file path of a "sqlite://PATH" storage URL.
func PathFromURL(storage string) (string, error) {
	path, ok := strings.CutPrefix(storage, "sqlite://")
	if !ok || path == "" {
		return "", fmt.Errorf("sqlite: %q is not a sqlite://PATH URL", storage)
	}
	return path, nil
}

// Open opens, creating if needed, the database file at path. Call Migrate
// before using a new or older file.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	params := "_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_foreign_keys=on"
	write, err := sql.Open("sqlite3", "file:"+path+"?"+params+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	s := &Store{path: path, write: write}
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite3", "file:"+path+"?"+params+"&_query_only=true")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(8)
	s.read = read
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks that the write connection answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.write.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store unavailable")
	}
	return nil
}

// micros returns t in Unix microseconds, or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func unavailable(err error) error {
	return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store unavailable")
}
