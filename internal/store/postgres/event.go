package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
)

type verificationKey struct{ source, id string }

// CreateEvents stores a batch in one transaction; see kycgate.Store.
func (s *Store) CreateEvents(ctx context.Context, events []*kycgate.Event) ([]kycgate.Receipt, error) {
	var receipts []kycgate.Receipt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		receipts = make([]kycgate.Receipt, len(events))
		touched := map[verificationKey]string{}
		for i, ev := range events {
			headers, err := json.Marshal(ev.Header)
			if err != nil {
				return fmt.Errorf("postgres: encode headers: %w", err)
			}
			data, err := json.Marshal(ev.Data)
			if err != nil {
				return fmt.Errorf("postgres: encode data: %w", err)
			}
			var id string
			err = tx.QueryRow(ctx, `INSERT INTO events (id, source, provider, dedup_key, provider_event,
				verification_id, occurred_at, received_at, remote_ip, headers, body, flag, flag_detail, type, data)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
				ON CONFLICT (source, dedup_key) DO NOTHING RETURNING id`,
				ev.ID, ev.Source, ev.Provider, ev.DedupKey, ev.ProviderEvent, ev.VerificationID,
				nullTime(ev.OccurredAt), ev.ReceivedAt, ev.RemoteIP, string(headers), ev.Body,
				string(ev.Flag), ev.FlagDetail, string(ev.Type), string(data)).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				if err := tx.QueryRow(ctx, `SELECT id FROM events WHERE source = $1 AND dedup_key = $2`, ev.Source, ev.DedupKey).Scan(&id); err != nil {
					return unavailable(err)
				}
				receipts[i] = kycgate.Receipt{ID: id, Duplicate: true}
				continue
			}
			if err != nil {
				return unavailable(err)
			}
			receipts[i] = kycgate.Receipt{ID: id}
			if err := createDeliveries(ctx, tx, ev, ev.Destinations); err != nil {
				return err
			}
			if ev.VerificationID != "" && ev.Type != "" {
				touched[verificationKey{ev.Source, ev.VerificationID}] = ev.Provider
			}
		}
		// Rebuild in a fixed order, so that two instances locking the same
		// verifications cannot deadlock.
		keys := make([]verificationKey, 0, len(touched))
		for k := range touched {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b verificationKey) int {
			return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.id, b.id))
		})
		for _, k := range keys {
			if err := rebuild(ctx, tx, k, touched[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return receipts, nil
}

const eventColumns = `seq, id, source, provider, dedup_key, provider_event, verification_id,
	occurred_at, received_at, remote_ip, flag, flag_detail, type, data`

func scanEvent(row pgx.Row, withRaw bool) (*kycgate.Event, int64, error) {
	var (
		ev        kycgate.Event
		seq       int64
		occurred  *time.Time
		flag, typ string
		data      string
		headers   string
	)
	dest := []any{&seq, &ev.ID, &ev.Source, &ev.Provider, &ev.DedupKey, &ev.ProviderEvent,
		&ev.VerificationID, &occurred, &ev.ReceivedAt, &ev.RemoteIP, &flag, &ev.FlagDetail, &typ, &data}
	if withRaw {
		dest = append(dest, &headers, &ev.Body)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, 0, err
	}
	if occurred != nil {
		ev.OccurredAt = occurred.UTC()
	}
	ev.ReceivedAt = ev.ReceivedAt.UTC()
	ev.Flag, ev.Type = kycgate.Flag(flag), kycgate.EventType(typ)
	if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
		return nil, 0, fmt.Errorf("postgres: decode data of %s: %w", ev.ID, err)
	}
	if withRaw {
		ev.Header = http.Header{}
		if err := json.Unmarshal([]byte(headers), &ev.Header); err != nil {
			return nil, 0, fmt.Errorf("postgres: decode headers of %s: %w", ev.ID, err)
		}
	}
	return &ev, seq, nil
}

// FindEvent returns one stored event with its raw body.
func (s *Store) FindEvent(ctx context.Context, id string) (*kycgate.Event, error) {
	ev, _, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+`, headers, body FROM events WHERE id = $1`, id), true)
	if errors.Is(err, pgx.ErrNoRows) {
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
		w.conds = append(w.conds, "flag != ''")
	}
	if !f.Since.IsZero() {
		w.add("received_at >= ?", f.Since)
	}
	if err := w.cursor(f.Cursor); err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s, `SELECT `+eventColumns+` FROM events`, &w, f.Limit,
		func(rows pgx.Rows) (*kycgate.Event, int64, error) { return scanEvent(rows, false) })
}
