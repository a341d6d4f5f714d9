package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migration is one embedded schema change, numbered by its file name prefix.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := fs.ReadFile(migrations, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// Migrate applies every embedded migration the database has not seen yet,
// each in its own transaction, and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, fmt.Errorf("sqlite: load migrations: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	applied, rebuild := 0, false
	for _, m := range ms {
		done, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
		if done {
			applied++
			rebuild = rebuild || strings.HasPrefix(m.sql, sqlstore.RebuildMarker)
		}
	}
	if err := s.prepare(ctx); err != nil {
		return applied, err
	}
	if rebuild {
		if _, err := s.rebuildAll(ctx); err != nil {
			return applied, fmt.Errorf("sqlite: rebuild verifications after migrating: %w", err)
		}
	} else if _, err := s.rebuildPending(ctx); err != nil {
		return applied, fmt.Errorf("sqlite: rebuild the verifications an earlier rebuild left: %w", err)
	}
	return applied, nil
}

// rebuildPending rebuilds, in batches, the verifications whose replay state
// is NULL: a migration's rebuild that was interrupted (the process killed
// while it started) leaves them so, with their state as the version before
// kept it. It returns how many it rebuilt.
func (s *Store) rebuildPending(ctx context.Context) (int, error) {
	n := 0
	for {
		var batch int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			keys, err := s.rebuildFound(ctx, tx, `SELECT source, id, provider FROM verifications
				WHERE replay_state IS NULL LIMIT ?`, sqlstore.ReprocessBatch)
			batch = len(keys)
			return err
		})
		if err != nil || batch == 0 {
			return n, err
		}
		n += batch
	}
}

func (s *Store) applyMigration(ctx context.Context, m migration) (bool, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var seen int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = ?`, m.version).Scan(&seen)
	if err == nil {
		return false, nil
	}
	if err != sql.ErrNoRows {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMicro()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
