package bench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3"

	"github.com/kycgate/kycgate/internal/store/postgres"
)

// minimalWriter is the limit durable ingest is measured against: the least
// a durable webhook receiver does. Each request's body is read, keyed by
// its hash, and queued; one writer takes what queued while it last
// committed and inserts it, one row per event, in one transaction on the
// same kind of store with the same durability as kycgate's (SQLite in WAL
// mode with synchronous=FULL, or PostgreSQL); each request is answered
// once its transaction commits. It checks no signature, parses nothing and
// keeps no state.
type minimalWriter struct {
	db      *sql.DB
	insert  string
	queue   chan minimalEvent
	ln      net.Listener
	cleanup func()
}

type minimalEvent struct {
	key  string
	body []byte
	done chan error
}

// minimalBatch bounds one transaction, as the gateway's group commit does.
const minimalBatch = 512

// startMinimalWriter serves the minimal writer on loopback, on storage:
// a PostgreSQL URL (a table of its own, dropped at the end) or, for
// anything else, a new SQLite file.
func startMinimalWriter(ctx context.Context, storage string) (*minimalWriter, error) {
	m := &minimalWriter{queue: make(chan minimalEvent, 4*minimalBatch), cleanup: func() {}}
	var err error
	if postgres.IsURL(storage) {
		if m.db, err = sql.Open("pgx", storage); err != nil {
			return nil, fmt.Errorf("minimal writer: %w", err)
		}
		m.insert = `INSERT INTO bench_minimal_events (key, body) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
		err = execAll(ctx, m.db, `DROP TABLE IF EXISTS bench_minimal_events`,
			`CREATE TABLE bench_minimal_events (seq BIGSERIAL PRIMARY KEY, key TEXT NOT NULL UNIQUE, body BYTEA NOT NULL)`)
		m.cleanup = func() { m.db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_minimal_events`) }
	} else {
		dir, derr := os.MkdirTemp("", "kycgate-bench-minimal-")
		if derr != nil {
			return nil, derr
		}
		m.cleanup = func() { os.RemoveAll(dir) }
		path := filepath.Join(dir, "minimal.db")
		if m.db, err = sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=2000&_txlock=immediate"); err != nil {
			m.cleanup()
			return nil, fmt.Errorf("minimal writer: %w", err)
		}
		m.db.SetMaxOpenConns(1)
		m.insert = `INSERT INTO events (key, body) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
		err = execAll(ctx, m.db, `CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, body BLOB NOT NULL)`)
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("minimal writer: %w", err)
	}
	if m.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		m.Close()
		return nil, err
	}
	go m.write(ctx)
	go http.Serve(m.ln, http.HandlerFunc(m.serve))
	return m, nil
}

func execAll(ctx context.Context, db *sql.DB, stmts ...string) error {
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// URL is where the minimal writer answers.
func (m *minimalWriter) URL() string { return "http://" + m.ln.Addr().String() }

func (m *minimalWriter) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	sum := sha256.Sum256(append([]byte(r.URL.Path+"\n"), body...))
	ev := minimalEvent{key: hex.EncodeToString(sum[:]), body: body, done: make(chan error, 1)}
	select {
	case m.queue <- ev:
	case <-r.Context().Done():
		return
	}
	select {
	case err := <-ev.done:
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"id":"evt_01M80RWW3VPBYKXEBS3R6QT5BJ","duplicate":false}` + "\n"))
}

// write is the one writer: a batch is what queued while the last one
// committed.
func (m *minimalWriter) write(ctx context.Context) {
	batch := make([]minimalEvent, 0, minimalBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-m.queue:
			batch = append(batch[:0], ev)
		}
	drain:
		for len(batch) < minimalBatch {
			select {
			case ev := <-m.queue:
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		err := m.commit(ctx, batch)
		for _, ev := range batch {
			ev.done <- err
		}
	}
}

func (m *minimalWriter) commit(ctx context.Context, batch []minimalEvent) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, m.insert)
	if err != nil {
		return err
	}
	for _, ev := range batch {
		if _, err := stmt.ExecContext(ctx, ev.key, ev.body); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Close stops serving and removes the minimal writer's data.
func (m *minimalWriter) Close() {
	if m.ln != nil {
		m.ln.Close()
	}
	m.cleanup()
	if m.db != nil {
		m.db.Close()
	}
}
