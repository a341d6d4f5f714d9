package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
)

const upsertFetch = `ON CONFLICT (source, verification_id) DO UPDATE SET state = 'pending', attempts = 0,
	next_attempt_at = excluded.next_attempt_at, requested_at = excluded.requested_at,
	updated_at = excluded.updated_at`

// queueFetchRequest queues the request for a verification's document made
// by the event eventID: when that event was stored, or when it is a retry
// of a verification that was not erased, since a retry may contradict what
// was stored since its first delivery (a provider without event ids sends
// the same body for a reviewer's A, B, then A) and the provider's document
// settles it.
func queueFetchRequest(b *pgx.Batch, source, id, provider string, now time.Time, eventID string) {
	b.Queue(`INSERT INTO fetches (source, verification_id, provider, state, next_attempt_at, requested_at, updated_at)
		SELECT $1, $2, $3, 'pending', $4, $4, $4 WHERE EXISTS (SELECT 1 FROM events WHERE id = $5)
			OR EXISTS (SELECT 1 FROM verifications WHERE source = $1 AND id = $2 AND status != 'deleted') `+upsertFetch,
		source, id, provider, now, eventID)
}

// RequestFetch asks for a verification's document to be fetched now.
func (s *Store) RequestFetch(ctx context.Context, source, id string, now time.Time) (*kycgate.Fetch, error) {
	var f *kycgate.Fetch
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var provider, status string
		err := tx.QueryRow(ctx, `SELECT provider, status FROM verifications WHERE source = $1 AND id = $2 FOR UPDATE`, source, id).Scan(&provider, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return kycgate.Errorf(kycgate.ENOTFOUND, "verification %q of source %q not found", id, source)
		}
		if err != nil {
			return err
		}
		if kycgate.Status(status) == kycgate.StatusDeleted {
			return kycgate.Errorf(kycgate.ECONFLICT, "verification %q of source %q was erased: its provider data is not fetched again", id, source)
		}
		f, err = scanFetch(tx.QueryRow(ctx, `INSERT INTO fetches (source, verification_id, provider, state, next_attempt_at, requested_at, updated_at)
			VALUES ($1, $2, $3, 'pending', $4, $4, $4) `+upsertFetch+` RETURNING `+fetchColumns, source, id, provider, now))
		return err
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return f, nil
}

const fetchColumns = `source, verification_id, provider, state, attempts, next_attempt_at,
	last_status, last_error, requested_at, fetched_at, event_id, updated_at`

func scanFetch(row pgx.Row) (*kycgate.Fetch, error) {
	var (
		f     kycgate.Fetch
		state string
	)
	if err := row.Scan(&f.Source, &f.VerificationID, &f.Provider, &state, &f.Attempts, &f.NextAttemptAt,
		&f.LastStatus, &f.LastError, &f.RequestedAt, &f.FetchedAt, &f.EventID, &f.UpdatedAt); err != nil {
		return nil, err
	}
	f.State = kycgate.FetchState(state)
	f.NextAttemptAt, f.RequestedAt, f.UpdatedAt = f.NextAttemptAt.UTC(), f.RequestedAt.UTC(), f.UpdatedAt.UTC()
	if f.FetchedAt != nil {
		t := f.FetchedAt.UTC()
		f.FetchedAt = &t
	}
	return &f, nil
}

// ClaimFetches leases the due fetches of a source. Rows another instance
// is claiming are skipped, not waited for.
func (s *Store) ClaimFetches(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]*kycgate.Fetch, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
		SELECT source, verification_id FROM fetches
		WHERE source = $1 AND state = 'pending' AND next_attempt_at <= $2
		  AND (lease_until IS NULL OR lease_until <= $2)
		ORDER BY next_attempt_at LIMIT $3
		FOR UPDATE SKIP LOCKED)
		UPDATE fetches f SET lease_until = $4 FROM due
		WHERE f.source = due.source AND f.verification_id = due.verification_id
		RETURNING f.source, f.verification_id, f.provider, f.state, f.attempts, f.next_attempt_at,
			f.last_status, f.last_error, f.requested_at, f.fetched_at, f.event_id, f.updated_at`,
		source, now, limit, now.Add(lease))
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*kycgate.Fetch
	for rows.Next() {
		f, err := scanFetch(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, f)
	}
	return out, unavailable(rows.Err())
}

// CompleteFetch records an attempt and ends the lease.
func (s *Store) CompleteFetch(ctx context.Context, f *kycgate.Fetch, o kycgate.FetchOutcome) error {
	next := o.RetryAt
	if next.IsZero() {
		next = o.At
	}
	var fetched *time.Time
	if o.State == kycgate.FetchDone {
		fetched = &o.At
	}
	// The attempt's facts always; its state only when no newer request came.
	_, err := s.pool.Exec(ctx, `UPDATE fetches SET lease_until = NULL, last_status = $1, last_error = $2,
		updated_at = $3, fetched_at = coalesce($4, fetched_at),
		event_id = CASE WHEN $5 != '' THEN $5 ELSE event_id END,
		state = CASE WHEN requested_at = $6 THEN $7 ELSE state END,
		attempts = CASE WHEN requested_at = $6 THEN attempts + 1 ELSE attempts END,
		next_attempt_at = CASE WHEN requested_at = $6 THEN $8 ELSE next_attempt_at END
		WHERE source = $9 AND verification_id = $10`,
		o.StatusCode, o.Error, o.At, fetched, o.EventID, f.RequestedAt, string(o.State), next, f.Source, f.VerificationID)
	return unavailable(err)
}

// FindFetch returns a verification's fetch job.
func (s *Store) FindFetch(ctx context.Context, source, id string) (*kycgate.Fetch, error) {
	f, err := scanFetch(s.pool.QueryRow(ctx, `SELECT `+fetchColumns+` FROM fetches WHERE source = $1 AND verification_id = $2`, source, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "no provider fetch for verification %q of source %q", id, source)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return f, nil
}
