package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kycgate/kycgate"
)

// requestFetch asks, inside tx, for a verification's document to be
// fetched at now, superseding an earlier request.
func (s *Store) requestFetch(ctx context.Context, tx *sql.Tx, source, id, provider string, now time.Time) error {
	st, err := s.stmt(ctx, tx, stmtRequestFetch)
	if err != nil {
		return err
	}
	at := now.UnixMicro()
	_, err = st.ExecContext(ctx, source, id, provider, at, at, at)
	return unavailable(err)
}

// RequestFetch asks for a verification's document to be fetched now.
func (s *Store) RequestFetch(ctx context.Context, source, id string, now time.Time) (*kycgate.Fetch, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback()
	var provider, status string
	err = tx.QueryRowContext(ctx, `SELECT provider, status FROM verifications WHERE source = ? AND id = ?`, source, id).Scan(&provider, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "verification %q of source %q not found", id, source)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if kycgate.Status(status) == kycgate.StatusDeleted {
		return nil, kycgate.Errorf(kycgate.ECONFLICT, "verification %q of source %q was erased: its provider data is not fetched again", id, source)
	}
	if err := s.requestFetch(ctx, tx, source, id, provider, now); err != nil {
		return nil, err
	}
	f, err := scanFetch(tx.QueryRowContext(ctx, `SELECT `+fetchColumns+` FROM fetches WHERE source = ? AND verification_id = ?`, source, id))
	if err != nil {
		return nil, unavailable(err)
	}
	return f, unavailable(tx.Commit())
}

const fetchColumns = `source, verification_id, provider, state, attempts, next_attempt_at,
	last_status, last_error, requested_at, fetched_at, event_id, updated_at`

func scanFetch(row interface{ Scan(...any) error }) (*kycgate.Fetch, error) {
	var (
		f                          kycgate.Fetch
		state                      string
		next, requested, updatedAt int64
		fetched                    sql.NullInt64
	)
	if err := row.Scan(&f.Source, &f.VerificationID, &f.Provider, &state, &f.Attempts, &next,
		&f.LastStatus, &f.LastError, &requested, &fetched, &f.EventID, &updatedAt); err != nil {
		return nil, err
	}
	f.State = kycgate.FetchState(state)
	f.NextAttemptAt, f.RequestedAt, f.UpdatedAt = time.UnixMicro(next).UTC(), time.UnixMicro(requested).UTC(), time.UnixMicro(updatedAt).UTC()
	if fetched.Valid {
		t := time.UnixMicro(fetched.Int64).UTC()
		f.FetchedAt = &t
	}
	return &f, nil
}

// ClaimFetches leases the due fetches of a source.
func (s *Store) ClaimFetches(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]*kycgate.Fetch, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback()
	at := now.UnixMicro()
	rows, err := tx.QueryContext(ctx, `SELECT `+fetchColumns+` FROM fetches
		WHERE source = ? AND state = 'pending' AND next_attempt_at <= ?
		  AND (lease_until IS NULL OR lease_until <= ?)
		ORDER BY next_attempt_at LIMIT ?`, source, at, at, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	var out []*kycgate.Fetch
	for rows.Next() {
		f, err := scanFetch(rows)
		if err != nil {
			rows.Close()
			return nil, unavailable(err)
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	for _, f := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE fetches SET lease_until = ? WHERE source = ? AND verification_id = ?`,
			now.Add(lease).UnixMicro(), f.Source, f.VerificationID); err != nil {
			return nil, unavailable(err)
		}
	}
	return out, unavailable(tx.Commit())
}

// CompleteFetch records an attempt and ends the lease.
func (s *Store) CompleteFetch(ctx context.Context, f *kycgate.Fetch, o kycgate.FetchOutcome) error {
	next := o.RetryAt
	if next.IsZero() {
		next = o.At
	}
	var fetched any
	if o.State == kycgate.FetchDone {
		fetched = o.At.UnixMicro()
	}
	// The attempt's facts always; its state only when no newer request came.
	_, err := s.write.ExecContext(ctx, `UPDATE fetches SET lease_until = NULL, last_status = ?, last_error = ?,
		updated_at = ?, fetched_at = coalesce(?, fetched_at),
		event_id = CASE WHEN ? != '' THEN ? ELSE event_id END,
		state = CASE WHEN requested_at = ? THEN ? ELSE state END,
		attempts = CASE WHEN requested_at = ? THEN attempts + 1 ELSE attempts END,
		next_attempt_at = CASE WHEN requested_at = ? THEN ? ELSE next_attempt_at END
		WHERE source = ? AND verification_id = ?`,
		o.StatusCode, o.Error, o.At.UnixMicro(), fetched, o.EventID, o.EventID,
		f.RequestedAt.UnixMicro(), string(o.State), f.RequestedAt.UnixMicro(),
		f.RequestedAt.UnixMicro(), next.UnixMicro(), f.Source, f.VerificationID)
	return unavailable(err)
}

// FindFetch returns a verification's fetch job.
func (s *Store) FindFetch(ctx context.Context, source, id string) (*kycgate.Fetch, error) {
	f, err := scanFetch(s.read.QueryRowContext(ctx, `SELECT `+fetchColumns+` FROM fetches WHERE source = ? AND verification_id = ?`, source, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "no provider fetch for verification %q of source %q", id, source)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return f, nil
}
