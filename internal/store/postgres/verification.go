package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// queryer is what both a pool and a transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readLog(ctx context.Context, q queryer, source, vid string) ([]kycgate.LogEntry, error) {
	rows, err := q.Query(ctx, selectLog, source, vid)
	if err != nil {
		return nil, unavailable(err)
	}
	return scanLog(rows)
}

// scanLog reads and closes rows of selectLog.
func scanLog(rows pgx.Rows) ([]kycgate.LogEntry, error) {
	defer rows.Close()
	var log []kycgate.LogEntry
	for rows.Next() {
		var (
			e        kycgate.LogEntry
			typ      string
			data     string
			occurred *time.Time
		)
		if err := rows.Scan(&e.ID, &e.Seq, &e.DedupKey, &typ, &data, &occurred, &e.ReceivedAt); err != nil {
			return nil, unavailable(err)
		}
		e.Type, e.ReceivedAt = kycgate.EventType(typ), e.ReceivedAt.UTC()
		if occurred != nil {
			e.OccurredAt = occurred.UTC()
		}
		if err := json.Unmarshal([]byte(data), &e.Change); err != nil {
			return nil, fmt.Errorf("postgres: decode data of %s: %w", e.ID, err)
		}
		log = append(log, e)
	}
	return log, unavailable(rows.Err())
}

// logColumns are what a log entry is read from.
const logColumns = `id, seq, dedup_key, type, data, occurred_at, received_at`

const selectLog = `SELECT ` + logColumns + `
	FROM events WHERE source = $1 AND verification_id = $2 AND type != ''`

// applyAll brings the verifications of keys up to date with their new
// events, each under a lock of that verification so that instances storing
// its events at the same time take turns: applied to its stored state when
// they all sort after what it was built from, else rebuilt from its whole
// log. Locks are taken in a fixed order, so that two instances cannot
// deadlock, and the statements go in pipelined batches.
func (s *Store) applyAll(ctx context.Context, tx pgx.Tx, keys map[verificationKey]*newEvents) error {
	if len(keys) == 0 {
		return nil
	}
	sorted := make([]verificationKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, func(a, b verificationKey) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.id, b.id))
	})
	batch := &pgx.Batch{}
	for _, k := range sorted {
		batch.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))`, k.source, k.id)
		if keys[k].log != nil {
			// Without a row, the length of its log tells whether the new
			// events are all of it.
			batch.Queue(`SELECT v.doc, v.replay_state, CASE WHEN v.id IS NULL THEN
					(SELECT count(*) FROM events WHERE source = $1 AND verification_id = $2 AND type != '') END
				FROM (SELECT 1) AS one LEFT JOIN verifications v ON v.source = $1 AND v.id = $2`, k.source, k.id)
		}
	}
	type saved struct {
		v       kycgate.Verification
		st      kycgate.ReplayState
		effects []kycgate.Effect // of its new events, or of its whole log when rebuilt
		rebuilt bool
	}
	done := make(map[verificationKey]saved, len(sorted))
	results := tx.SendBatch(ctx, batch)
	for _, k := range sorted {
		if _, err := results.Exec(); err != nil {
			results.Close()
			return err
		}
		n := keys[k]
		if n.log == nil {
			continue
		}
		var (
			doc, state *string
			logged     *int
		)
		if err := results.QueryRow().Scan(&doc, &state, &logged); err != nil {
			results.Close()
			return err
		}
		if doc == nil {
			if *logged == len(n.log) { // seen for the first time: its new events are its whole log
				v, effects, st := kycgate.RebuildState(k.source, n.provider, k.id, n.log)
				done[k] = saved{v, st, effects, false}
			}
			continue // else events of it were stored before without it: rebuilt below
		}
		if state == nil {
			continue // rebuilt below
		}
		v, st, err := sqlstore.DecodeState(*doc, *state)
		if err != nil {
			continue // a state this version cannot read: rebuilt below
		}
		v.Provider = n.provider
		if v, st, effects, ok := kycgate.Continue(v, st, n.log); ok {
			done[k] = saved{v, st, effects, false}
		}
	}
	if err := results.Close(); err != nil {
		return err
	}
	var rebuild []verificationKey
	batch = &pgx.Batch{}
	for _, k := range sorted {
		if _, ok := done[k]; !ok {
			rebuild = append(rebuild, k)
			batch.Queue(selectLog, k.source, k.id)
		}
	}
	if len(rebuild) > 0 {
		results = tx.SendBatch(ctx, batch)
		for _, k := range rebuild {
			rows, err := results.Query()
			if err != nil {
				results.Close()
				return err
			}
			log, err := scanLog(rows)
			if err != nil {
				results.Close()
				return err
			}
			v, effects, st := kycgate.RebuildState(k.source, keys[k].provider, k.id, log)
			done[k] = saved{v, st, effects, true}
		}
		if err := results.Close(); err != nil {
			return err
		}
	}
	s.continued.Add(int64(len(sorted) - len(rebuild)))
	s.rebuilt.Add(int64(len(rebuild)))
	batch = &pgx.Batch{}
	for _, k := range sorted {
		late := sqlstore.LateIDs(done[k].effects)
		switch {
		case done[k].rebuilt:
			batch.Queue(`UPDATE events SET late = (id = ANY($3)) WHERE source = $1 AND verification_id = $2
				AND late != (id = ANY($3))`, k.source, k.id, late)
		case len(late) > 0: // new events arrived in another order than they apply
			batch.Queue(`UPDATE events SET late = true WHERE id = ANY($1)`, late)
		}
		if err := queueSave(batch, done[k].v, done[k].st); err != nil {
			return err
		}
	}
	return tx.SendBatch(ctx, batch).Close()
}

// queueSave queues the upsert of v and its replay state, and the purge of
// its raw bodies when it ends deleted.
func queueSave(b *pgx.Batch, v kycgate.Verification, st kycgate.ReplayState) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("postgres: encode verification: %w", err)
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("postgres: encode replay state: %w", err)
	}
	b.Queue(`INSERT INTO verifications
		(source, id, provider, external_user_id, status, decision, created_at, updated_at, doc,
		 flow, tracker, stage, drop_off, decision_us, decision_clock, replay_state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (source, id) DO UPDATE SET provider = excluded.provider,
			external_user_id = excluded.external_user_id, status = excluded.status,
			decision = excluded.decision, created_at = excluded.created_at,
			updated_at = excluded.updated_at, doc = excluded.doc, flow = excluded.flow,
			tracker = excluded.tracker, stage = excluded.stage, drop_off = excluded.drop_off,
			decision_us = excluded.decision_us, decision_clock = excluded.decision_clock,
			replay_state = excluded.replay_state`,
		v.Source, v.ID, v.Provider, v.ExternalUserID, string(v.Status), string(v.Decision),
		time.UnixMicro(sqlstore.CreatedMicros(&v)).UTC(), v.UpdatedAt, string(doc), v.Flow, v.Tracker, v.Stage.Rank(), v.DropOff, sqlstore.DecisionMicros(&v), string(v.DecisionClock), string(state))
	if v.Status == kycgate.StatusDeleted {
		b.Queue(`UPDATE events SET body = NULL, data = data - 'metadata'
			WHERE source = $1 AND verification_id = $2 AND (body IS NOT NULL OR data ? 'metadata')`, v.Source, v.ID)
		b.Queue(`DELETE FROM fetches WHERE source = $1 AND verification_id = $2`, v.Source, v.ID)
	}
	return nil
}

// ListLog returns a verification's log.
func (s *Store) ListLog(ctx context.Context, source, verificationID string) ([]kycgate.LogEntry, error) {
	return readLog(ctx, s.pool, source, verificationID)
}

// FindVerification returns one verification.
func (s *Store) FindVerification(ctx context.Context, source, id string) (*kycgate.Verification, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT doc FROM verifications WHERE source = $1 AND id = $2`, source, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	vs, next, err := queryPage(ctx, s, `SELECT seq, doc FROM verifications`, w, f.Limit, sqlstore.ScanVerification)
	return vs, sqlstore.NextVerifications(f, vs, next), err
}

// Counts returns totals for metrics.
func (s *Store) Counts(ctx context.Context) (kycgate.Counts, error) {
	c, err := sqlstore.Counts(s.query(ctx), sqlstore.CountVerifications)
	return c, unavailable(err)
}

// Funnel counts the funnel of q in the database.
func (s *Store) Funnel(ctx context.Context, q kycgate.FunnelQuery) (*kycgate.Funnel, error) {
	f, err := sqlstore.Funnel(dialect, q, s.query(ctx))
	return f, unavailable(err)
}

// query runs queries for the shared SQL of package sqlstore.
func (s *Store) query(ctx context.Context) sqlstore.Query {
	return func(query string, args ...any) (sqlstore.Rows, func(), error) {
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, rows.Close, nil
	}
}
