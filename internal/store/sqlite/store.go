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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/kycgate/kycgate"
)

var _ kycgate.Store = (*Store)(nil)

// Store is a kycgate.Store on one SQLite file.
type Store struct {
	path  string
	write *sql.DB // exactly one connection
	read  *sql.DB // query-only connections for the API

	mu      sync.Mutex
	stmts   [statementCount]*sql.Stmt           // prepared by Migrate on the write connection
	updates [1 << len(indexedColumns)]*sql.Stmt // updateVerification of each set of changed columns

	// erased is set when a write purged personal data: the WAL is then
	// checkpointed and truncated (see forgetSoon), so that no copy stays
	// there.
	erased atomic.Bool
	// What forgetSoon keeps: when the WAL was last truncated, whether that
	// is under way, and the timer of the next time when one is due.
	forgetMu   sync.Mutex
	forgotAt   time.Time
	forgetting bool
	forgetNext *time.Timer
	forgets    sync.WaitGroup // the checkpoints under way, for Close
	closed     bool

	// How the verifications new events touched were brought up to date:
	// their new events applied to the stored state (or, for a verification
	// seen for the first time, to none), or rebuilt from their whole log.
	continued, rebuilt atomic.Int64
}

// StateCounts returns how many times new events were applied to a
// verification's stored state (continued), and how many times a
// verification was rebuilt from its whole log instead, since Open.
func (s *Store) StateCounts() (continued, rebuilt int64) {
	return s.continued.Load(), s.rebuilt.Load()
}

// Statements the write path runs for every event, prepared once on the
// write connection: preparing costs as much as running a small statement.
const (
	stmtInsertEvent = iota
	stmtExistingID  // the stored id of a duplicate
	stmtSelectLog   // a verification's log
	stmtCountLog    // the length of a verification's log
	stmtSelectState // a verification and its replay state
	stmtUpsertVerif // a verification and its replay state
	stmtPurgeBodies // a deleted verification's raw bodies
	stmtMarkLate    // new events that arrived late
	stmtSetLate     // which of a rebuilt verification's events arrived late
	stmtInsertDelivery
	stmtRequestFetch  // a verification's document to fetch
	stmtRefetch       // a retried webhook asks for the document again
	stmtCancelFetch   // a deleted verification's fetch
	stmtDueDeliveries // the deliveries a destination may send now
	stmtLeaseDelivery
	stmtCompleteDelivery
	stmtInsertAttempt
	statementCount
)

var statements = [statementCount]string{
	stmtInsertEvent: `INSERT INTO events
		(id, source, provider, dedup_key, provider_event, verification_id, occurred_at,
		 received_at, remote_ip, headers, body, flag, flag_detail, type, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, dedup_key) DO NOTHING`,
	stmtExistingID: `SELECT id FROM events WHERE source = ? AND dedup_key = ?`,
	stmtSelectLog: `SELECT id, seq, dedup_key, type, data, occurred_at, received_at
		FROM events WHERE source = ? AND verification_id = ? AND type != ''`,
	stmtCountLog:    `SELECT count(*) FROM events WHERE source = ? AND verification_id = ? AND type != ''`,
	stmtUpsertVerif: upsertVerification(),
	stmtSelectState: `SELECT doc, replay_state, ` + strings.Join(indexedColumns[:], ", ") + `
		FROM verifications WHERE source = ? AND id = ?`,
	stmtPurgeBodies: `UPDATE events SET body = NULL, data = json_remove(data, '$.metadata')
		WHERE source = ? AND verification_id = ? AND (body IS NOT NULL OR json_extract(data, '$.metadata') IS NOT NULL)`,
	stmtMarkLate: `UPDATE events SET late = 1 WHERE id IN (SELECT value FROM json_each(?))`,
	stmtSetLate: `UPDATE events SET late = (id IN (SELECT value FROM json_each(?3)))
		WHERE source = ?1 AND verification_id = ?2 AND late != (id IN (SELECT value FROM json_each(?3)))`,
	stmtInsertDelivery: `INSERT INTO deliveries (id, destination, event_id, source, verification_id, state,
		next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
	stmtRequestFetch: `INSERT INTO fetches (source, verification_id, provider, state, next_attempt_at, requested_at, updated_at)
		VALUES (?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (source, verification_id) DO UPDATE SET state = 'pending', attempts = 0,
			next_attempt_at = excluded.next_attempt_at, requested_at = excluded.requested_at,
			updated_at = excluded.updated_at`,
	stmtRefetch: `INSERT INTO fetches (source, verification_id, provider, state, next_attempt_at, requested_at, updated_at)
		SELECT ?1, ?2, ?3, 'pending', ?4, ?4, ?4 WHERE EXISTS
			(SELECT 1 FROM verifications WHERE source = ?1 AND id = ?2 AND status != 'deleted')
		ON CONFLICT (source, verification_id) DO UPDATE SET state = 'pending', attempts = 0,
			next_attempt_at = excluded.next_attempt_at, requested_at = excluded.requested_at,
			updated_at = excluded.updated_at`,
	stmtCancelFetch: `DELETE FROM fetches WHERE source = ? AND verification_id = ?`,
	stmtDueDeliveries: `SELECT ` + deliveryColumns + ` FROM deliveries d
		WHERE d.destination = ? AND d.state = 'pending' AND d.next_attempt_at <= ?
		  AND (d.lease_until IS NULL OR d.lease_until <= ?)
		  AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.destination = d.destination
		      AND p.source = d.source AND p.verification_id = d.verification_id
		      AND p.state = 'pending' AND p.seq < d.seq)
		ORDER BY d.next_attempt_at, d.seq LIMIT ?`,
	stmtLeaseDelivery: `UPDATE deliveries SET lease_until = ? WHERE id = ?`,
	stmtCompleteDelivery: `UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?,
		lease_until = NULL, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`,
	stmtInsertAttempt: `INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, error) VALUES (?, ?, ?, ?, ?)`,
}

// prepare prepares the write path's statements. It runs after the
// migrations, outside any transaction: the write pool has one connection, so
// preparing inside a transaction would wait for that transaction.
func (s *Store) prepare(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmts[0] != nil {
		return nil
	}
	for i, q := range statements {
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		s.stmts[i] = st
	}
	for changed := range s.updates {
		st, err := s.write.PrepareContext(ctx, updateVerification(changed))
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		s.updates[changed] = st
	}
	return nil
}

// stmt returns prepared statement i bound to tx.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, i int) (*sql.Stmt, error) {
	s.mu.Lock()
	st := s.stmts[i]
	s.mu.Unlock()
	return bind(ctx, tx, st)
}

// bind returns st, a statement prepared on the write connection, bound to
// tx.
func bind(ctx context.Context, tx *sql.Tx, st *sql.Stmt) (*sql.Stmt, error) {
	if st == nil {
		return nil, kycgate.Errorf(kycgate.EINTERNAL, "sqlite: store used before Migrate")
	}
	return tx.StmtContext(ctx, st), nil
}

// PathFromURL returns the file path of a "sqlite://PATH" storage URL.
func PathFromURL(storage string) (string, error) {
	path, ok := strings.CutPrefix(storage, "sqlite://")
	if !ok || path == "" {
		return "", fmt.Errorf("sqlite: %q is not a sqlite://PATH URL", storage)
	}
	return path, nil
}

// LockWait is how long a statement waits for a lock another process holds
// on the database before it fails as unavailable: well below the 5 seconds
// the quickest provider waits for an answer, so that a webhook is answered
// 503 in time rather than not at all.
const LockWait = 2 * time.Second

// Open opens, creating if needed, the database file at path. Call Migrate
// before using it: it also prepares the statements of the write path.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	params := "_journal_mode=WAL&_synchronous=FULL&_busy_timeout=" + strconv.Itoa(int(LockWait.Milliseconds())) + "&_foreign_keys=on&_secure_delete=on"
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

// forget makes what a committed erasure removed unreadable in every file:
// secure_delete has zeroed the freed space in the pages the erasure
// wrote, and a truncating checkpoint copies those pages over the database
// file and empties the WAL, where the pages as they were before may remain.
// A reader holding an older snapshot keeps the checkpoint from finishing:
// forget then waits for it at most forgetWait, so that the webhooks of the
// batch are not held up, and leaves the checkpoint to the next commit.
func (s *Store) forget(ctx context.Context) error {
	if !s.erased.Swap(false) {
		return nil
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		s.erased.Store(true)
		return unavailable(err)
	}
	defer conn.Close()
	var busy, logFrames, checkpointed int
	_, err = conn.ExecContext(ctx, `PRAGMA busy_timeout = `+strconv.Itoa(int(forgetWait.Milliseconds())))
	if err == nil {
		err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
	}
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = `+strconv.Itoa(int(LockWait.Milliseconds()))); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil || busy != 0 {
		s.erased.Store(true) // the next commit tries again
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "erased data not yet removed from the write-ahead log: a reader holds it")
	}
	return nil
}

// forgetWait is how long forget waits for readers of older snapshots.
const forgetWait = 200 * time.Millisecond

// forgetEvery is how often at most commits that erased personal data are
// followed by a truncating checkpoint (forget). Each checkpoint copies the
// whole log into the database file and syncs it, with the write
// connection to itself: one per commit that holds a deletion took a sixth
// of ingest's throughput when one event in a hundred was one. So an
// erasure is forgotten at once when none was in the last forgetEvery, and
// otherwise, with all that came since, forgetEvery after the last.
const forgetEvery = time.Second

// forgetSoon follows a commit: when it erased personal data, the WAL is
// checkpointed and truncated now, or, when that was done less than
// forgetEvery ago, as soon as forgetEvery has passed, on a goroutine of its
// own. A checkpoint a reader keeps from finishing is tried again
// forgetEvery later, commits or none.
func (s *Store) forgetSoon(ctx context.Context) {
	if !s.erased.Load() {
		return
	}
	s.forgetMu.Lock()
	if s.closed || s.forgetting || s.forgetNext != nil {
		s.forgetMu.Unlock()
		return // the one under way or due sees this erasure; Close does
	}
	if wait := forgetEvery - time.Since(s.forgotAt); wait > 0 {
		s.forgetNext = time.AfterFunc(wait, s.forgetDue)
		s.forgetMu.Unlock()
		return
	}
	s.forgetting, s.forgotAt = true, time.Now()
	s.forgets.Add(1)
	s.forgetMu.Unlock()

	err := s.forget(ctx)

	s.forgetMu.Lock()
	defer s.forgetMu.Unlock()
	s.forgetting = false
	s.forgets.Done()
	if (err != nil || s.erased.Load()) && s.forgetNext == nil && !s.closed {
		// A reader held the log, or an erasure committed meanwhile.
		s.forgetNext = time.AfterFunc(forgetEvery, s.forgetDue)
	}
}

// forgetDue runs when a checkpoint forgetSoon put off is due.
func (s *Store) forgetDue() {
	s.forgetMu.Lock()
	if s.closed {
		s.forgetMu.Unlock()
		return
	}
	s.forgetNext = nil
	s.forgetMu.Unlock()
	s.forgetSoon(context.Background())
}

// Close closes the database, after forgetting what erasures left in the
// WAL when a checkpoint was put off.
func (s *Store) Close() error {
	s.forgetMu.Lock()
	s.closed = true
	if s.forgetNext != nil {
		s.forgetNext.Stop()
		s.forgetNext = nil
	}
	s.forgetMu.Unlock()
	s.forgets.Wait()
	_ = s.forget(context.Background()) // Close's own checkpoint may do it, if this cannot
	s.mu.Lock()
	for i, st := range s.stmts {
		if st != nil {
			st.Close()
			s.stmts[i] = nil
		}
	}
	for i, st := range s.updates {
		if st != nil {
			st.Close()
			s.updates[i] = nil
		}
	}
	s.mu.Unlock()
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping reports whether a commit can succeed now: it takes the write lock
// (waiting at most the busy timeout for another process that holds it) and
// commits a one-row write, which a full disk refuses.
func (s *Store) Ping(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store cannot commit")
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO probe (id, at) VALUES (1, unixepoch('subsec') * 1000)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at`); err != nil {
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store cannot commit")
	}
	if err := tx.Commit(); err != nil {
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store cannot commit")
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

// unavailable classifies a failure of the database: EINTERNAL when SQLite
// refused the statement for what it holds (a constraint, a value too big or
// of the wrong type), which no retry changes; EUNAVAILABLE otherwise (busy,
// locked, I/O, a full disk, an interrupted statement), when trying again
// may succeed.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var app *kycgate.Error
	if errors.As(err, &app) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrConstraint, sqlite3.ErrTooBig, sqlite3.ErrMismatch, sqlite3.ErrRange:
			return kycgate.WrapError(kycgate.EINTERNAL, err, "the store refused the change")
		}
	}
	return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store unavailable")
}
