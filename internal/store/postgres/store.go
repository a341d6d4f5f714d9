// Package postgres is kycgate's PostgreSQL store, for running several
// stateless instances side by side on one database. It passes the same
// behavioural suite as the embedded SQLite store. Concurrent instances stay
// correct by the database's own means: unique indexes deduplicate, a
// transaction-scoped advisory lock per verification serializes its
// rebuilds, and delivery claims skip rows another instance holds.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

var _ kycgate.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a kycgate.Store on PostgreSQL.
type Store struct {
	pool   *pgxpool.Pool
	writes int // ConcurrentWrites

	// How the verifications new events touched were brought up to date:
	// their new events applied to the stored state, or rebuilt from their
	// whole log.
	continued, rebuilt atomic.Int64
}

// StateCounts returns how many times new events were applied to a
// verification's stored state (continued), and how many times a
// verification was rebuilt from its whole log instead, since Open.
func (s *Store) StateCounts() (continued, rebuilt int64) {
	return s.continued.Load(), s.rebuilt.Load()
}

// IsURL reports whether storage names a PostgreSQL database.
func IsURL(storage string) bool {
	return strings.HasPrefix(storage, "postgres://") || strings.HasPrefix(storage, "postgresql://")
}

// LockWait is how long a statement waits for a lock before it fails as
// unavailable, unless the DSN sets lock_timeout: well below the 5 seconds
// the quickest provider waits for an answer, so that a webhook is answered
// 503 in time rather than not at all.
const LockWait = 2 * time.Second

// Open connects to the database at dsn (a postgres:// URL; pool settings
// such as pool_max_conns may be added as parameters). Call Migrate before
// using a new or older database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, set := cfg.ConnConfig.RuntimeParams["lock_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.Itoa(int(LockWait.Milliseconds()))
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, defaultConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		c := cfg.ConnConfig
		return nil, fmt.Errorf("postgres: cannot connect to %s:%d as %s, database %s: is PostgreSQL running there, and do the storage URL's host, port, user and database name it? (%s)",
			c.Host, c.Port, c.User, c.Database, firstLines(err.Error()))
	}
	return &Store{pool: pool, writes: max(1, int(cfg.MaxConns)/2)}, nil
}

// defaultConns is the pool's size unless the DSN sets pool_max_conns: ingest
// keeps up to half of it committing (ConcurrentWrites); deliveries, fetches
// and the API share the rest.
const defaultConns = 8

// ConcurrentWrites says how many batches of events ingest keeps in flight:
// half the pool's connections. Each waits mostly for the server's round
// trips and its commit, so that batches side by side overlap those waits.
func (s *Store) ConcurrentWrites() int { return s.writes }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether a commit can succeed now: it takes, without
// waiting, the lock an insert into events takes (refused while someone
// holds the table locked), and commits a one-row write, which a full disk
// refuses.
func (s *Store) Ping(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE events IN ROW EXCLUSIVE MODE NOWAIT`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO probe (id, at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at`)
		return err
	})
	if err != nil {
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store cannot commit")
	}
	return nil
}

// migrationLock is the advisory lock held while migrating, so that
// instances starting together apply each migration once.
const migrationLock = 7_533_118_420

// Migrate applies the embedded migrations the database has not seen yet,
// under an advisory lock, and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, unavailable(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, unavailable(err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return 0, unavailable(err)
	}
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	applied, rebuild := 0, false
	for _, name := range names {
		prefix, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: name must start with a number", name)
		}
		var seen bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&seen); err != nil {
			return applied, unavailable(err)
		}
		if seen {
			continue
		}
		sql, err := fs.ReadFile(migrations, "migrations/"+name)
		if err != nil {
			return applied, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, version, name, time.Now())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		applied++
		rebuild = rebuild || strings.HasPrefix(string(sql), sqlstore.RebuildMarker)
	}
	if rebuild {
		if _, err := s.rebuildAll(ctx); err != nil {
			return applied, fmt.Errorf("postgres: rebuild verifications after migrating: %w", err)
		}
	} else if _, err := s.rebuildPending(ctx); err != nil {
		return applied, fmt.Errorf("postgres: rebuild the verifications an earlier rebuild left: %w", err)
	}
	return applied, nil
}

// rebuildPending rebuilds, in batches, the verifications whose replay state
// is NULL: a migration's rebuild that was interrupted (the instance killed
// while it started) leaves them so, with their state as the version before
// kept it. It returns how many it rebuilt.
func (s *Store) rebuildPending(ctx context.Context) (int, error) {
	n := 0
	for {
		var batch int
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			batch, _, err = s.rebuildFound(ctx, tx, `SELECT source, id, provider FROM verifications
				WHERE replay_state IS NULL LIMIT $1`, sqlstore.ReprocessBatch)
			return err
		})
		if err != nil || batch == 0 {
			return n, unavailable(err)
		}
		n += batch
	}
}

// unavailable classifies a failure of the database: EUNAVAILABLE when
// trying again may succeed (the connection, a cancelled or timed-out
// statement, a lock, a serialization failure, resources), EINTERNAL when
// the database refused the statement for what it holds, which no retry
// changes.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var app *kycgate.Error
	if errors.As(err, &app) {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && !transient(pg.Code) {
		return kycgate.WrapError(kycgate.EINTERNAL, err, "the store refused the change")
	}
	return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store unavailable")
}

// transient reports whether an error of SQLSTATE code may pass: connection
// exceptions (08), transaction rollbacks such as serialization failures and
// deadlocks (40), insufficient resources such as a full disk (53), operator
// intervention such as a cancelled statement or a shutdown (57), system
// errors (58), a read-only standby (25006) and locks not available (55P03,
// 55006). Anything else is about the statement and its values.
func transient(code string) bool {
	switch {
	case len(code) != 5:
		return true
	case code == "25006" || code == "55P03" || code == "55006":
		return true
	}
	switch code[:2] {
	case "08", "40", "53", "57", "58":
		return true
	}
	return false
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// dialect is how PostgreSQL takes parameters and times.
var dialect = sqlstore.Dialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	Time:        func(t time.Time) any { return t },
	Bytewise:    ` COLLATE "C"`,
}

// queryPage runs query with w, newest first by seq, and returns one page
// and the cursor of the next ("" on the last).
func queryPage[T any](ctx context.Context, s *Store, query string, w *sqlstore.Where, limit int, scan func(sqlstore.Rows) (T, int64, error)) ([]T, string, error) {
	limit = kycgate.PageSize(limit)
	rows, err := s.pool.Query(ctx, query+w.SQL()+w.Limit(limit+1), w.Args()...)
	if err != nil {
		return nil, "", unavailable(err)
	}
	defer rows.Close()
	items, next, err := sqlstore.ReadPage(rows, limit, scan)
	return items, next, unavailable(err)
}

// firstLines returns msg with its repeated lines once: a driver that tries
// a server several ways (with TLS, then without) reports each failure.
func firstLines(msg string) string {
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}
