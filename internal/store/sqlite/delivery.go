package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// createDeliveries adds ev's deliveries to the outbox, inside tx.
func (s *Store) createDeliveries(ctx context.Context, tx *sql.Tx, ev *kycgate.Event, destinations []string) error {
	if len(destinations) == 0 {
		return nil
	}
	insert, err := s.stmt(ctx, tx, stmtInsertDelivery)
	if err != nil {
		return err
	}
	now := ev.ReceivedAt.UnixMicro()
	for _, d := range destinations {
		if _, err := insert.ExecContext(ctx, kycgate.NewID("dlv", ev.ReceivedAt), d, ev.ID, ev.Source, ev.VerificationID, now, now, now); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

const deliveryColumns = `seq, id, destination, event_id, source, verification_id, state, attempts,
	next_attempt_at, last_status, last_error, created_at, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (*kycgate.Delivery, int64, error) {
	var (
		d                         kycgate.Delivery
		seq, next, created, updat int64
		state                     string
	)
	if err := row.Scan(&seq, &d.ID, &d.Destination, &d.EventID, &d.Source, &d.VerificationID, &state,
		&d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &updat); err != nil {
		return nil, 0, err
	}
	d.State = kycgate.DeliveryState(state)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = time.UnixMicro(next).UTC(), time.UnixMicro(created).UTC(), time.UnixMicro(updat).UTC()
	return &d, seq, nil
}

// ClaimDeliveries leases the due deliveries that are first in line for
// their verification; see kycgate.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, destination string, now time.Time, leaseFor time.Duration, limit int) ([]*kycgate.Delivery, error) {
	var out []*kycgate.Delivery
	err := s.bookkeeping(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.claim(ctx, tx, destination, now, leaseFor, limit)
		return err
	})
	return out, err
}

func (s *Store) claim(ctx context.Context, tx *sql.Tx, destination string, now time.Time, leaseFor time.Duration, limit int) ([]*kycgate.Delivery, error) {
	due, err := s.stmt(ctx, tx, stmtDueDeliveries)
	if err != nil {
		return nil, err
	}
	lease, err := s.stmt(ctx, tx, stmtLeaseDelivery)
	if err != nil {
		return nil, err
	}
	at := now.UnixMicro()
	rows, err := due.QueryContext(ctx, destination, at, at, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	var out []*kycgate.Delivery
	for rows.Next() {
		d, _, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, unavailable(err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	for _, d := range out {
		if _, err := lease.ExecContext(ctx, now.Add(leaseFor).UnixMicro(), d.ID); err != nil {
			return nil, unavailable(err)
		}
	}
	return out, nil
}

// CompleteDeliveries records attempts and their outcomes in one
// transaction, as bookkeeping.
func (s *Store) CompleteDeliveries(ctx context.Context, cs []kycgate.Completion) error {
	return s.bookkeeping(ctx, func(tx *sql.Tx) error { return s.complete(ctx, tx, cs) })
}

func (s *Store) complete(ctx context.Context, tx *sql.Tx, cs []kycgate.Completion) error {
	update, err := s.stmt(ctx, tx, stmtCompleteDelivery)
	if err != nil {
		return err
	}
	insert, err := s.stmt(ctx, tx, stmtInsertAttempt)
	if err != nil {
		return err
	}
	for _, c := range cs {
		a, next := c.Attempt, c.RetryAt
		if next.IsZero() {
			next = a.At
		}
		res, err := update.ExecContext(ctx, string(c.State), next.UnixMicro(), a.StatusCode, a.Error, a.At.UnixMicro(), c.ID)
		if err != nil {
			return unavailable(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return unavailable(err)
		} else if n == 0 {
			continue // erased since it was claimed
		}
		if _, err := insert.ExecContext(ctx, c.ID, a.At.UnixMicro(), a.StatusCode, a.LatencyMS, a.Error); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// bookkeeping runs f in a write transaction that commits without waiting
// for the disk (synchronous=NORMAL): a delivery's lease and outcome. A
// power cut may undo the last of them, never an event, and never out of
// order: the write-ahead log keeps commits in order, and the next event's
// commit syncs all before it. What is undone is sent again, and delivery
// is at least once. The connection goes back to synchronous=FULL before
// anything else uses it, or is closed.
func (s *Store) bookkeeping(ctx context.Context, f func(tx *sql.Tx) error) (err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return unavailable(err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		conn.Close()
		return unavailable(err)
	}
	defer func() {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`); rerr != nil {
			// Never leave the connection of events' commits less durable.
			conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, unavailable(rerr))
		}
		conn.Close()
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return unavailable(tx.Commit())
}

// ReleaseDeliveries ends leases.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := s.write.ExecContext(ctx, `UPDATE deliveries SET lease_until = NULL WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	return unavailable(err)
}

// FindDelivery returns one delivery with its attempts.
func (s *Store) FindDelivery(ctx context.Context, id string) (*kycgate.Delivery, error) {
	d, _, err := scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "delivery %q not found", id)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY at`, id)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	d.History = []kycgate.Attempt{}
	for rows.Next() {
		var a kycgate.Attempt
		var at int64
		if err := rows.Scan(&at, &a.StatusCode, &a.LatencyMS, &a.Error); err != nil {
			return nil, unavailable(err)
		}
		a.At = time.UnixMicro(at).UTC()
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
	return queryPage(ctx, s.read, `SELECT `+deliveryColumns+` FROM deliveries`, w, f.Limit,
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
	at := now.UnixMicro()
	res, err := s.write.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?,
		lease_until = NULL, updated_at = ?`+w.SQL(), append([]any{at, at}, w.Args()...)...)
	if err != nil {
		return 0, unavailable(err)
	}
	n, err := res.RowsAffected()
	return int(n), unavailable(err)
}

// ReplayEvent creates new deliveries of a stored event.
func (s *Store) ReplayEvent(ctx context.Context, eventID string, destinations []string, now time.Time) ([]*kycgate.Delivery, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback()
	ev := &kycgate.Event{ID: eventID, ReceivedAt: now}
	var typ string
	err = tx.QueryRowContext(ctx, `SELECT source, verification_id, type FROM events WHERE id = ?`, eventID).Scan(&ev.Source, &ev.VerificationID, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "event %q not found", eventID)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if typ == "" || ev.VerificationID == "" {
		return nil, kycgate.Errorf(kycgate.EUNPROCESSABLE, "event %q was not understood, so it is not forwarded; see its flag", eventID)
	}
	if err := s.createDeliveries(ctx, tx, ev, destinations); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, unavailable(err)
	}
	out, _, err := s.ListDeliveries(ctx, kycgate.DeliveryFilter{EventID: eventID, Limit: len(destinations)})
	return out, err
}
