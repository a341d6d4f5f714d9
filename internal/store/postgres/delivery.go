package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// queueDeliveries queues ev's deliveries; each is inserted only when ev
// itself was (a retry's copy of an event has an id of its own, which the
// store never keeps).
func queueDeliveries(b *pgx.Batch, ev *kycgate.Event, destinations []string) {
	for _, d := range destinations {
		b.Queue(`INSERT INTO deliveries (id, destination, event_id, source, verification_id, state,
			next_attempt_at, created_at, updated_at)
			SELECT $1, $2, $3, $4, $5, 'pending', $6, $6, $6 WHERE EXISTS (SELECT 1 FROM events WHERE id = $3)`,
			kycgate.NewID("dlv", ev.ReceivedAt), d, ev.ID, ev.Source, ev.VerificationID, ev.ReceivedAt)
	}
}

func createDeliveries(ctx context.Context, tx pgx.Tx, ev *kycgate.Event, destinations []string) error {
	b := &pgx.Batch{}
	queueDeliveries(b, ev, destinations)
	return tx.SendBatch(ctx, b).Close()
}

const deliveryColumns = `seq, id, destination, event_id, source, verification_id, state, attempts,
	next_attempt_at, last_status, last_error, created_at, updated_at`

func scanDelivery(row pgx.Row) (*kycgate.Delivery, int64, error) {
	var (
		d     kycgate.Delivery
		seq   int64
		state string
	)
	if err := row.Scan(&seq, &d.ID, &d.Destination, &d.EventID, &d.Source, &d.VerificationID, &state,
		&d.Attempts, &d.NextAttemptAt, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, 0, err
	}
	d.State = kycgate.DeliveryState(state)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, seq, nil
}

// ClaimDeliveries leases the due deliveries first in line for their
// verification. Rows another instance is claiming are skipped, not waited for.
func (s *Store) ClaimDeliveries(ctx context.Context, destination string, now time.Time, lease time.Duration, limit int) ([]*kycgate.Delivery, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
		SELECT d.seq FROM deliveries d
		WHERE d.destination = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2
		  AND (d.lease_until IS NULL OR d.lease_until <= $2)
		  AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.destination = d.destination
		      AND p.source = d.source AND p.verification_id = d.verification_id
		      AND p.state = 'pending' AND p.seq < d.seq)
		ORDER BY d.next_attempt_at, d.seq LIMIT $3
		FOR UPDATE SKIP LOCKED)
		UPDATE deliveries SET lease_until = $4 FROM due WHERE deliveries.seq = due.seq
		RETURNING deliveries.seq, deliveries.id, deliveries.destination, deliveries.event_id, deliveries.source,
			deliveries.verification_id, deliveries.state, deliveries.attempts, deliveries.next_attempt_at,
			deliveries.last_status, deliveries.last_error, deliveries.created_at, deliveries.updated_at`,
		destination, now, limit, now.Add(lease))
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	type claimed struct {
		d   *kycgate.Delivery
		seq int64
	}
	var out []claimed
	for rows.Next() {
		d, seq, err := scanDelivery(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, claimed{d, seq})
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	slices.SortFunc(out, func(a, b claimed) int {
		return cmp.Or(a.d.NextAttemptAt.Compare(b.d.NextAttemptAt), cmp.Compare(a.seq, b.seq))
	})
	ds := make([]*kycgate.Delivery, len(out))
	for i, c := range out {
		ds[i] = c.d
	}
	return ds, nil
}

// CompleteDeliveries records attempts and their outcomes in one
// transaction, its statements sent in one pipelined batch. It commits
// without waiting for the server's disk (synchronous_commit off): a crash
// of the server may undo the last outcomes, in order, never an event, and
// what is undone is sent again, as delivery is at least once.
func (s *Store) CompleteDeliveries(ctx context.Context, cs []kycgate.Completion) error {
	return unavailable(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SET LOCAL synchronous_commit = off`)
		for _, c := range cs {
			a, next := c.Attempt, c.RetryAt
			if next.IsZero() {
				next = a.At
			}
			// The attempt is inserted only when the delivery is still
			// stored: one erased since it was claimed is passed over.
			b.Queue(`WITH done AS (UPDATE deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2,
					lease_until = NULL, last_status = $3, last_error = $4, updated_at = $5 WHERE id = $6 RETURNING id)
				INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, error)
				SELECT id, $5, $3, $7, $4 FROM done`,
				string(c.State), next, a.StatusCode, a.Error, a.At, c.ID, a.LatencyMS)
		}
		return tx.SendBatch(ctx, &b).Close()
	}))
}

// ReleaseDeliveries ends leases.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1)`, ids)
	return unavailable(err)
}

// FindDelivery returns one delivery with its attempts.
func (s *Store) FindDelivery(ctx context.Context, id string) (*kycgate.Delivery, error) {
	d, _, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "delivery %q not found", id)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY at`, id)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	d.History = []kycgate.Attempt{}
	for rows.Next() {
		var a kycgate.Attempt
		if err := rows.Scan(&a.At, &a.StatusCode, &a.LatencyMS, &a.Error); err != nil {
			return nil, unavailable(err)
		}
		a.At = a.At.UTC()
		d.History = append(d.History, a)
	}
	return d, unavailable(rows.Err())
}

// ListDeliveries returns deliveries matching f, newest first.
func (s *Store) ListDeliveries(ctx context.Context, f kycgate.DeliveryFilter) ([]*kycgate.Delivery, string, error) {
	w, err := sqlstore.Deliveries(dialect, f)
	if err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s, `SELECT `+deliveryColumns+` FROM deliveries`, w, f.Limit,
		func(rows sqlstore.Rows) (*kycgate.Delivery, int64, error) { return scanDelivery(rows) })
}

// RetryDeliveries makes matching dead or pending deliveries due now.
func (s *Store) RetryDeliveries(ctx context.Context, f kycgate.DeliveryFilter, now time.Time) (int, error) {
	f.Cursor = ""
	w, err := sqlstore.Deliveries(dialect, f)
	if err != nil {
		return 0, err
	}
	w.AddRaw("state IN ('dead', 'pending')")
	n := len(w.Args())
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $`+strconv.Itoa(n+1)+`,
		lease_until = NULL, updated_at = $`+strconv.Itoa(n+1)+w.SQL(), append(w.Args(), now)...)
	if err != nil {
		return 0, unavailable(err)
	}
	return int(tag.RowsAffected()), nil
}

// ReplayEvent creates new deliveries of a stored event.
func (s *Store) ReplayEvent(ctx context.Context, eventID string, destinations []string, now time.Time) ([]*kycgate.Delivery, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ev := &kycgate.Event{ID: eventID, ReceivedAt: now}
		var typ string
		err := tx.QueryRow(ctx, `SELECT source, verification_id, type FROM events WHERE id = $1`, eventID).Scan(&ev.Source, &ev.VerificationID, &typ)
		if errors.Is(err, pgx.ErrNoRows) {
			return kycgate.Errorf(kycgate.ENOTFOUND, "event %q not found", eventID)
		}
		if err != nil {
			return err
		}
		if typ == "" || ev.VerificationID == "" {
			return kycgate.Errorf(kycgate.EUNPROCESSABLE, "event %q was not understood, so it is not forwarded; see its flag", eventID)
		}
		return createDeliveries(ctx, tx, ev, destinations)
	})
	if err != nil {
		return nil, unavailable(err)
	}
	out, _, err := s.ListDeliveries(ctx, kycgate.DeliveryFilter{EventID: eventID, Limit: len(destinations)})
	return out, err
}
