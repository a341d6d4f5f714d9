package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// CreateEvents stores a batch in one transaction; see kycgate.Store.
func (s *Store) CreateEvents(ctx context.Context, events []*kycgate.Event) ([]kycgate.Receipt, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	defer tx.Rollback()
	insert, err := s.stmt(ctx, tx, stmtInsertEvent)
	if err != nil {
		return nil, err
	}
	existing, err := s.stmt(ctx, tx, stmtExistingID)
	if err != nil {
		return nil, err
	}
	receipts := make([]kycgate.Receipt, len(events))
	encs := make([]*kycgate.Encoding, len(events))
	for i, ev := range events {
		if encs[i], err = ev.Encoding(); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	touched := map[verificationKey]*newEvents{}
	for i, ev := range events {
		res, err := insert.ExecContext(ctx, ev.ID, ev.Source, ev.Provider, ev.DedupKey,
			ev.ProviderEvent, ev.VerificationID, micros(ev.OccurredAt), ev.ReceivedAt.UnixMicro(),
			ev.RemoteIP, string(encs[i].Header), ev.Body, string(ev.Flag), ev.FlagDetail, string(ev.Type), string(encs[i].Data))
		if err != nil {
			return nil, unavailable(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, unavailable(err)
		} else if n == 1 {
			receipts[i] = kycgate.Receipt{ID: ev.ID}
			if err := s.createDeliveries(ctx, tx, ev, ev.Destinations); err != nil {
				return nil, err
			}
			if ev.Fetch && ev.VerificationID != "" {
				if err := s.requestFetch(ctx, tx, ev.Source, ev.VerificationID, ev.Provider, ev.ReceivedAt); err != nil {
					return nil, err
				}
			}
			if ev.VerificationID != "" && ev.Type != "" {
				seq, err := res.LastInsertId()
				if err != nil {
					return nil, unavailable(err)
				}
				e := logEntry(ev, seq, encs[i].Change)
				k := verificationKey{ev.Source, ev.VerificationID}
				if touched[k] == nil {
					touched[k] = &newEvents{}
				}
				touched[k].provider = ev.Provider
				touched[k].log = append(touched[k].log, e)
			}
			continue
		}
		var id string
		if err := existing.QueryRowContext(ctx, ev.Source, ev.DedupKey).Scan(&id); err != nil {
			return nil, unavailable(err)
		}
		receipts[i] = kycgate.Receipt{ID: id, Duplicate: true}
		if ev.Fetch && ev.VerificationID != "" {
			// A retry may contradict what was stored since its first
			// delivery (a provider without event ids sends the same body
			// for a reviewer's A, B, then A): the provider's document
			// settles it.
			refetch, err := s.stmt(ctx, tx, stmtRefetch)
			if err != nil {
				return nil, err
			}
			if _, err := refetch.ExecContext(ctx, ev.Source, ev.VerificationID, ev.Provider, ev.ReceivedAt.UnixMicro()); err != nil {
				return nil, unavailable(err)
			}
		}
	}
	for k, n := range touched {
		if err := s.apply(ctx, tx, k, n.provider, n.log); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, unavailable(err)
	}
	s.forgetSoon(ctx)
	return receipts, nil
}

// newEvents are the events a batch stored for one verification.
type newEvents struct {
	provider string
	log      []kycgate.LogEntry
}

// logEntry returns ev, stored at seq with data decoded from what was
// stored (Encoding.Change), as stmtSelectLog will read it back: times to
// the microsecond.
func logEntry(ev *kycgate.Event, seq int64, change kycgate.Change) kycgate.LogEntry {
	e := kycgate.LogEntry{ID: ev.ID, Seq: seq, DedupKey: ev.DedupKey, Type: ev.Type,
		ReceivedAt: time.UnixMicro(ev.ReceivedAt.UnixMicro()).UTC(), Change: change}
	if !ev.OccurredAt.IsZero() {
		e.OccurredAt = time.UnixMicro(ev.OccurredAt.UnixMicro()).UTC()
	}
	return e
}

const eventColumns = `seq, id, source, provider, dedup_key, provider_event, verification_id,
	occurred_at, received_at, remote_ip, flag, flag_detail, type, data`

// scanEvent reads eventColumns, and the headers and body when withRaw,
// then any more columns into more.
func scanEvent(row interface{ Scan(...any) error }, withRaw bool, more ...any) (*kycgate.Event, int64, error) {
	var (
		ev              kycgate.Event
		seq, received   int64
		occurred        sql.NullInt64
		flag, typ, data string
		headers         sql.NullString
		dest            []any
	)
	dest = append(dest, &seq, &ev.ID, &ev.Source, &ev.Provider, &ev.DedupKey, &ev.ProviderEvent,
		&ev.VerificationID, &occurred, &received, &ev.RemoteIP, &flag, &ev.FlagDetail, &typ, &data)
	if withRaw {
		dest = append(dest, &headers, &ev.Body)
	}
	if err := row.Scan(append(dest, more...)...); err != nil {
		return nil, 0, err
	}
	if occurred.Valid {
		ev.OccurredAt = time.UnixMicro(occurred.Int64).UTC()
	}
	ev.ReceivedAt = time.UnixMicro(received).UTC()
	ev.Seq, ev.Flag, ev.Type = seq, kycgate.Flag(flag), kycgate.EventType(typ)
	if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
		return nil, 0, fmt.Errorf("sqlite: decode data of %s: %w", ev.ID, err)
	}
	if withRaw {
		ev.Header = http.Header{}
		if err := json.Unmarshal([]byte(headers.String), &ev.Header); err != nil {
			return nil, 0, fmt.Errorf("sqlite: decode headers of %s: %w", ev.ID, err)
		}
	}
	return &ev, seq, nil
}

// FindEvent returns one stored event with its raw body.
func (s *Store) FindEvent(ctx context.Context, id string) (*kycgate.Event, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+eventColumns+`, headers, body FROM events WHERE id = ?`, id)
	ev, _, err := scanEvent(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "event %q not found", id)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return ev, nil
}

// FindForwarded returns one stored event with its raw body, whether it
// arrived late, and its verification as stored now (see
// sqlstore.Forwarded).
func (s *Store) FindForwarded(ctx context.Context, id string) (*kycgate.Forwarded, error) {
	var (
		late int
		doc  sql.NullString
	)
	row := s.read.QueryRowContext(ctx, `SELECT `+eventColumns+`, headers, body, late,
		(SELECT doc FROM verifications v WHERE v.source = events.source AND v.id = events.verification_id
			AND v.replay_state IS NOT NULL)
		FROM events WHERE id = ?`, id)
	ev, _, err := scanEvent(row, true, &late, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "event %q not found", id)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var d *string
	if doc.Valid {
		d = &doc.String
	}
	return sqlstore.Forwarded(ev, late != 0, d, func() ([]kycgate.LogEntry, error) {
		return s.ListLog(ctx, ev.Source, ev.VerificationID)
	})
}

// ListEvents returns events matching f, newest first.
func (s *Store) ListEvents(ctx context.Context, f kycgate.EventFilter) ([]*kycgate.Event, string, error) {
	w, err := sqlstore.Events(dialect, f)
	if err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s.read, `SELECT `+eventColumns+` FROM events`, w, f.Limit,
		func(rows sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(rows, false) })
}

// dialect is how SQLite takes parameters and times.
var dialect = sqlstore.Dialect{
	Placeholder: func(int) string { return "?" },
	Time:        func(t time.Time) any { return t.UnixMicro() },
}

// queryPage runs query with w, newest first by seq, and returns one page
// and the cursor of the next ("" on the last).
func queryPage[T any](ctx context.Context, db *sql.DB, query string, w *sqlstore.Where, limit int, scan func(sqlstore.Rows) (T, int64, error)) ([]T, string, error) {
	limit = kycgate.PageSize(limit)
	rows, err := db.QueryContext(ctx, query+w.SQL()+w.Limit(limit+1), w.Args()...)
	if err != nil {
		return nil, "", unavailable(err)
	}
	defer rows.Close()
	items, next, err := sqlstore.ReadPage(rows, limit, scan)
	return items, next, unavailable(err)
}

// PurgeRawBodies removes the raw bodies of events received before before.
func (s *Store) PurgeRawBodies(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE events SET body = NULL WHERE seq IN
		(SELECT seq FROM events WHERE received_at < ? AND body IS NOT NULL LIMIT ?)`, before.UnixMicro(), limit)
	if err != nil {
		return 0, unavailable(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, unavailable(err)
	}
	if n > 0 {
		s.erased.Store(true)
	}
	return int(n), s.forget(ctx)
}
