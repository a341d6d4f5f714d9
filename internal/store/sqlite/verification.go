package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

type verificationKey struct{ source, id string }

// apply brings one verification up to date with its new events, stored
// in tx: applied to its stored state when they all sort after what it was
// built from, else rebuilt from its whole log. A verification seen for the
// first time is built from its new events alone, which are its whole log.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, k verificationKey, provider string, next []kycgate.LogEntry) error {
	sel, err := s.stmt(ctx, tx, stmtSelectState)
	if err != nil {
		return err
	}
	var (
		doc   string
		state sql.NullString
	)
	err = sel.QueryRowContext(ctx, k.source, k.id).Scan(&doc, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return s.create(ctx, tx, k, provider, next)
	}
	if err == nil && !state.Valid {
		return s.rebuild(ctx, tx, k, provider)
	}
	if err != nil {
		return unavailable(err)
	}
	v, st, err := sqlstore.DecodeState(doc, state.String)
	if err != nil {
		return s.rebuild(ctx, tx, k, provider) // a state this version cannot read
	}
	v.Provider = provider
	v, st, ok := kycgate.Continue(v, st, next)
	if !ok {
		return s.rebuild(ctx, tx, k, provider)
	}
	s.continued.Add(1)
	return s.save(ctx, tx, k, v, st)
}

// create saves a verification that has no row yet. Its log is then the
// events this batch stored, unless events of it were stored before without
// it (a reprocess that gave old events its id and has not rebuilt it yet):
// then it is rebuilt from its whole log.
func (s *Store) create(ctx context.Context, tx *sql.Tx, k verificationKey, provider string, next []kycgate.LogEntry) error {
	count, err := s.stmt(ctx, tx, stmtCountLog)
	if err != nil {
		return err
	}
	var n int
	if err := count.QueryRowContext(ctx, k.source, k.id).Scan(&n); err != nil {
		return unavailable(err)
	}
	if n != len(next) {
		return s.rebuild(ctx, tx, k, provider)
	}
	v, st := kycgate.RebuildState(k.source, provider, k.id, next)
	s.continued.Add(1)
	return s.save(ctx, tx, k, v, st)
}

// rebuild recomputes one verification from its whole log and saves it.
func (s *Store) rebuild(ctx context.Context, tx *sql.Tx, k verificationKey, provider string) error {
	selectLog, err := s.stmt(ctx, tx, stmtSelectLog)
	if err != nil {
		return err
	}
	rows, err := selectLog.QueryContext(ctx, k.source, k.id)
	if err != nil {
		return unavailable(err)
	}
	log, err := scanLog(rows)
	if err != nil {
		return err
	}
	v, st := kycgate.RebuildState(k.source, provider, k.id, log)
	s.rebuilt.Add(1)
	return s.save(ctx, tx, k, v, st)
}

// save stores a verification and its replay state; a verification that
// ends deleted has its events' raw bodies purged.
func (s *Store) save(ctx context.Context, tx *sql.Tx, k verificationKey, v kycgate.Verification, st kycgate.ReplayState) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sqlite: encode verification: %w", err)
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sqlite: encode replay state: %w", err)
	}
	upsert, err := s.stmt(ctx, tx, stmtUpsertVerif)
	if err != nil {
		return err
	}
	if _, err := upsert.ExecContext(ctx, v.Source, v.ID, v.Provider, v.ExternalUserID, string(v.Status), string(v.Decision),
		v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro(), string(doc),
		v.Flow, v.Tracker, v.Stage.Rank(), v.DropOff, sqlstore.DecisionMicros(&v), string(v.DecisionClock), string(state)); err != nil {
		return unavailable(err)
	}
	if v.Status == kycgate.StatusDeleted {
		purge, err := s.stmt(ctx, tx, stmtPurgeBodies)
		if err != nil {
			return err
		}
		if _, err := purge.ExecContext(ctx, k.source, k.id); err != nil {
			return unavailable(err)
		}
		s.erased.Store(true)
		cancel, err := s.stmt(ctx, tx, stmtCancelFetch)
		if err != nil {
			return err
		}
		if _, err := cancel.ExecContext(ctx, k.source, k.id); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// scanLog reads and closes rows of stmtSelectLog.
func scanLog(rows *sql.Rows) ([]kycgate.LogEntry, error) {
	defer rows.Close()
	var log []kycgate.LogEntry
	for rows.Next() {
		var (
			e        kycgate.LogEntry
			typ      string
			data     string
			occurred sql.NullInt64
			received int64
		)
		if err := rows.Scan(&e.ID, &e.Seq, &e.DedupKey, &typ, &data, &occurred, &received); err != nil {
			return nil, unavailable(err)
		}
		e.Type, e.ReceivedAt = kycgate.EventType(typ), time.UnixMicro(received).UTC()
		if occurred.Valid {
			e.OccurredAt = time.UnixMicro(occurred.Int64).UTC()
		}
		if err := json.Unmarshal([]byte(data), &e.Change); err != nil {
			return nil, fmt.Errorf("sqlite: decode data of %s: %w", e.ID, err)
		}
		log = append(log, e)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	return log, nil
}

// ListLog returns a verification's log.
func (s *Store) ListLog(ctx context.Context, source, verificationID string) ([]kycgate.LogEntry, error) {
	rows, err := s.read.QueryContext(ctx, statements[stmtSelectLog], source, verificationID)
	if err != nil {
		return nil, unavailable(err)
	}
	return scanLog(rows)
}

// FindVerification returns one verification.
func (s *Store) FindVerification(ctx context.Context, source, id string) (*kycgate.Verification, error) {
	var doc string
	err := s.read.QueryRowContext(ctx, `SELECT doc FROM verifications WHERE source = ? AND id = ?`, source, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "verification %q of source %q not found", id, source)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return sqlstore.DecodeVerification(doc)
}

// ListVerifications returns verifications matching f, newest first.
func (s *Store) ListVerifications(ctx context.Context, f kycgate.VerificationFilter) ([]*kycgate.Verification, string, error) {
	w, err := sqlstore.Verifications(dialect, f)
	if err != nil {
		return nil, "", err
	}
	vs, next, err := queryPage(ctx, s.read, `SELECT seq, doc FROM verifications`, w, f.Limit, sqlstore.ScanVerification)
	return vs, sqlstore.NextVerifications(f, vs, next), err
}

// Counts returns totals for metrics.
func (s *Store) Counts(ctx context.Context) (kycgate.Counts, error) {
	c, err := sqlstore.Counts(s.query(ctx))
	return c, unavailable(err)
}

// Funnel counts the funnel of q in the database.
func (s *Store) Funnel(ctx context.Context, q kycgate.FunnelQuery) (*kycgate.Funnel, error) {
	f, err := sqlstore.Funnel(dialect, q, s.query(ctx))
	return f, unavailable(err)
}

// query runs read-only queries for the shared SQL of package sqlstore.
func (s *Store) query(ctx context.Context) sqlstore.Query {
	return func(query string, args ...any) (sqlstore.Rows, func(), error) {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, func() { rows.Close() }, nil
	}
}
