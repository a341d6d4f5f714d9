package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

type verificationKey struct{ source, id string }

// CreateEvents stores a batch in one transaction; see kycgate.Store. The
// statements go to the server in pipelined batches, so a batch of events
// costs a few round trips, not a few per event.
func (s *Store) CreateEvents(ctx context.Context, events []*kycgate.Event) ([]kycgate.Receipt, error) {
	encs := make([]*kycgate.Encoding, len(events))
	for i, ev := range events {
		var err error
		if encs[i], err = ev.Encoding(); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	var receipts []kycgate.Receipt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			err    error
			stored []kycgate.LogEntry
		)
		receipts, stored, err = insertEvents(ctx, tx, events, encs)
		if err != nil {
			return err
		}
		touched := map[verificationKey]*newEvents{}
		for i, ev := range events {
			if !receipts[i].Duplicate && ev.VerificationID != "" && ev.Type != "" {
				k := verificationKey{ev.Source, ev.VerificationID}
				if touched[k] == nil {
					touched[k] = &newEvents{log: []kycgate.LogEntry{}}
				}
				touched[k].provider = ev.Provider
				touched[k].log = append(touched[k].log, stored[i])
			}
		}
		return s.applyAll(ctx, tx, touched)
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return receipts, nil
}

// newEvents are the events a batch stored for one verification; log is
// nil when the verification is to be rebuilt from its whole log.
type newEvents struct {
	provider string
	log      []kycgate.LogEntry
}

// insertEvents inserts the events and their deliveries in one pipelined
// batch, then looks up the stored ids of the duplicates in another. It
// returns each new event as the log will read it back (nothing for a
// duplicate).
func insertEvents(ctx context.Context, tx pgx.Tx, events []*kycgate.Event, encs []*kycgate.Encoding) ([]kycgate.Receipt, []kycgate.LogEntry, error) {
	batch := &pgx.Batch{}
	for i, ev := range events {
		batch.Queue(`INSERT INTO events (id, source, provider, dedup_key, provider_event,
			verification_id, occurred_at, received_at, remote_ip, headers, body, flag, flag_detail, type, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (source, dedup_key) DO NOTHING
			RETURNING `+logColumns,
			ev.ID, ev.Source, ev.Provider, ev.DedupKey, ev.ProviderEvent, ev.VerificationID,
			nullTime(ev.OccurredAt), ev.ReceivedAt, ev.RemoteIP, string(encs[i].Header), ev.Body,
			string(ev.Flag), ev.FlagDetail, string(ev.Type), string(encs[i].Data))
		queueDeliveries(batch, ev, ev.Destinations)
		if ev.Fetch && ev.VerificationID != "" {
			queueFetchRequest(batch, ev.Source, ev.VerificationID, ev.Provider, ev.ReceivedAt, ev.ID)
		}
	}
	results := tx.SendBatch(ctx, batch)
	receipts := make([]kycgate.Receipt, len(events))
	stored := make([]kycgate.LogEntry, len(events))
	for i, ev := range events {
		rows, err := results.Query()
		if err != nil {
			results.Close()
			return nil, nil, err
		}
		log, err := scanLog(rows)
		if err != nil {
			results.Close()
			return nil, nil, err
		}
		receipts[i] = kycgate.Receipt{ID: ev.ID, Duplicate: len(log) == 0}
		if len(log) > 0 {
			stored[i] = log[0]
		}
		queued := len(ev.Destinations)
		if ev.Fetch && ev.VerificationID != "" {
			queued++
		}
		for range queued {
			if _, err := results.Exec(); err != nil {
				results.Close()
				return nil, nil, err
			}
		}
	}
	if err := results.Close(); err != nil {
		return nil, nil, err
	}
	for i, ev := range events {
		if receipts[i].Duplicate {
			if err := tx.QueryRow(ctx, `SELECT id FROM events WHERE source = $1 AND dedup_key = $2`, ev.Source, ev.DedupKey).Scan(&receipts[i].ID); err != nil {
				return nil, nil, err
			}
		}
	}
	return receipts, stored, nil
}

const eventColumns = `seq, id, source, provider, dedup_key, provider_event, verification_id,
	occurred_at, received_at, remote_ip, flag, flag_detail, type, data`

func scanEvent(row pgx.Row, withRaw bool, more ...any) (*kycgate.Event, int64, error) {
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
	if err := row.Scan(append(dest, more...)...); err != nil {
		return nil, 0, err
	}
	if occurred != nil {
		ev.OccurredAt = occurred.UTC()
	}
	ev.ReceivedAt = ev.ReceivedAt.UTC()
	ev.Seq, ev.Flag, ev.Type = seq, kycgate.Flag(flag), kycgate.EventType(typ)
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

// FindForwarded returns one stored event with its raw body, whether it
// arrived late, and its verification as stored now (see
// sqlstore.Forwarded).
func (s *Store) FindForwarded(ctx context.Context, id string) (*kycgate.Forwarded, error) {
	var (
		late bool
		doc  *string
	)
	row := s.pool.QueryRow(ctx, `SELECT `+eventColumns+`, headers, body, late,
		(SELECT doc FROM verifications v WHERE v.source = events.source AND v.id = events.verification_id
			AND v.replay_state IS NOT NULL)
		FROM events WHERE id = $1`, id)
	ev, _, err := scanEvent(row, true, &late, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "event %q not found", id)
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return sqlstore.Forwarded(ev, late, doc, func() ([]kycgate.LogEntry, error) {
		return s.ListLog(ctx, ev.Source, ev.VerificationID)
	})
}

// ListEvents returns events matching f, newest first.
func (s *Store) ListEvents(ctx context.Context, f kycgate.EventFilter) ([]*kycgate.Event, string, error) {
	w, err := sqlstore.Events(dialect, f)
	if err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s, `SELECT `+eventColumns+` FROM events`, w, f.Limit,
		func(rows sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(rows, false) })
}

// PurgeRawBodies removes the raw bodies of events received before before.
func (s *Store) PurgeRawBodies(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE events SET body = NULL WHERE seq IN
		(SELECT seq FROM events WHERE received_at < $1 AND body IS NOT NULL LIMIT $2)`, before, limit)
	if err != nil {
		return 0, unavailable(err)
	}
	return int(tag.RowsAffected()), nil
}
