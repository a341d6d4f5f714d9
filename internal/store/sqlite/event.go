package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
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
	touched := map[verificationKey]string{} // -> provider
	for i, ev := range events {
		headers, err := json.Marshal(ev.Header)
		if err != nil {
			return nil, fmt.Errorf("sqlite: encode headers: %w", err)
		}
		data, err := json.Marshal(ev.Data)
		if err != nil {
			return nil, fmt.Errorf("sqlite: encode data: %w", err)
		}
		res, err := insert.ExecContext(ctx, ev.ID, ev.Source, ev.Provider, ev.DedupKey,
			ev.ProviderEvent, ev.VerificationID, micros(ev.OccurredAt), ev.ReceivedAt.UnixMicro(),
			ev.RemoteIP, string(headers), ev.Body, string(ev.Flag), ev.FlagDetail, string(ev.Type), string(data))
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
			if ev.VerificationID != "" && ev.Type != "" {
				touched[verificationKey{ev.Source, ev.VerificationID}] = ev.Provider
			}
			continue
		}
		var id string
		if err := existing.QueryRowContext(ctx, ev.Source, ev.DedupKey).Scan(&id); err != nil {
			return nil, unavailable(err)
		}
		receipts[i] = kycgate.Receipt{ID: id, Duplicate: true}
	}
	for k, provider := range touched {
		if err := s.rebuild(ctx, tx, k, provider); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, unavailable(err)
	}
	return receipts, nil
}

const eventColumns = `seq, id, source, provider, dedup_key, provider_event, verification_id,
	occurred_at, received_at, remote_ip, flag, flag_detail, type, data`

// scanEvent reads eventColumns, and the headers and body when withRaw.
func scanEvent(row interface{ Scan(...any) error }, withRaw bool) (*kycgate.Event, int64, error) {
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
	if err := row.Scan(dest...); err != nil {
		return nil, 0, err
	}
	if occurred.Valid {
		ev.OccurredAt = time.UnixMicro(occurred.Int64).UTC()
	}
	ev.ReceivedAt = time.UnixMicro(received).UTC()
	ev.Flag, ev.Type = kycgate.Flag(flag), kycgate.EventType(typ)
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

// ListEvents returns events matching f, newest first.
func (s *Store) ListEvents(ctx context.Context, f kycgate.EventFilter) ([]*kycgate.Event, string, error) {
	var w where
	w.eq("source", f.Source)
	w.eq("provider", f.Provider)
	w.eq("verification_id", f.VerificationID)
	w.eq("type", string(f.Type))
	w.eq("flag", string(f.Flag))
	if f.Flagged {
		w.add("flag != ''")
	}
	if !f.Since.IsZero() {
		w.add("received_at >= ?", f.Since.UnixMicro())
	}
	if err := w.cursor(f.Cursor); err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s.read, `SELECT `+eventColumns+` FROM events`, &w, f.Limit,
		func(rows *sql.Rows) (*kycgate.Event, int64, error) { return scanEvent(rows, false) })
}

// where builds a WHERE clause from optional conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds "column = value" unless value is empty.
func (w *where) eq(column, value string) {
	if value != "" {
		w.add(column+" = ?", value)
	}
}

// cursor continues after the page that ended at the cursor's seq.
func (w *where) cursor(c string) error {
	if c == "" {
		return nil
	}
	seq, err := strconv.ParseInt(c, 10, 64)
	if err != nil || seq <= 0 {
		return kycgate.Errorf(kycgate.EINVALID, "cursor %q is not one this server returned", c)
	}
	w.add("seq < ?", seq)
	return nil
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// queryPage runs query with w, newest first by seq, and returns one page
// and the cursor of the next ("" on the last). It fetches one row more than
// the page to know whether another follows.
func queryPage[T any](ctx context.Context, db *sql.DB, query string, w *where, limit int, scan func(*sql.Rows) (T, int64, error)) ([]T, string, error) {
	limit = kycgate.PageSize(limit)
	rows, err := db.QueryContext(ctx, query+w.sql()+` ORDER BY seq DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", unavailable(err)
	}
	defer rows.Close()
	var (
		items []T
		last  int64
	)
	for rows.Next() {
		item, seq, err := scan(rows)
		if err != nil {
			return nil, "", unavailable(err)
		}
		if len(items) == limit {
			return items, strconv.FormatInt(last, 10), nil
		}
		items, last = append(items, item), seq
	}
	return items, "", unavailable(rows.Err())
}
