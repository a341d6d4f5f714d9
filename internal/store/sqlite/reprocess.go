package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// Reprocess renormalizes every event that still has its raw body, in
// batches, then rebuilds every verification from its log.
func (s *Store) Reprocess(ctx context.Context, renormalize func(*kycgate.Event)) (kycgate.ReprocessResult, error) {
	return sqlstore.Reprocess(
		func(after int64) (int, int64, int, error) { return s.reprocessBatch(ctx, after, renormalize) },
		func() (int, error) { return s.rebuildAll(ctx) })
}

func (s *Store) reprocessBatch(ctx context.Context, after int64, renormalize func(*kycgate.Event)) (n int, last int64, changed int, err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, 0, unavailable(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+`, headers, body FROM events
		WHERE seq > ? AND body IS NOT NULL ORDER BY seq LIMIT ?`, after, sqlstore.ReprocessBatch)
	if err != nil {
		return 0, 0, 0, unavailable(err)
	}
	type row struct {
		seq    int64
		before kycgate.Event
		ev     *kycgate.Event
	}
	var batch []row
	for rows.Next() {
		ev, seq, err := scanEvent(rows, true)
		if err != nil {
			rows.Close()
			return 0, 0, 0, err
		}
		batch = append(batch, row{seq: seq, before: *ev, ev: ev})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, 0, unavailable(err)
	}
	for _, r := range batch {
		renormalize(r.ev)
		if sqlstore.SameMeaning(&r.before, r.ev) {
			continue
		}
		changed++
		data, err := json.Marshal(r.ev.Data)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("sqlite: encode data: %w", err)
		}
		// The dedup key stays: it is what recognises the provider's retries.
		if _, err := tx.ExecContext(ctx, `UPDATE events SET provider_event = ?, verification_id = ?,
			occurred_at = ?, type = ?, data = ?, flag = ?, flag_detail = ? WHERE seq = ?`,
			r.ev.ProviderEvent, r.ev.VerificationID, micros(r.ev.OccurredAt), string(r.ev.Type),
			string(data), string(r.ev.Flag), r.ev.FlagDetail, r.seq); err != nil {
			return 0, 0, 0, unavailable(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, unavailable(err)
	}
	if len(batch) > 0 {
		last = batch[len(batch)-1].seq
	}
	return len(batch), last, changed, nil
}

// rebuildAll rebuilds every verification that has events, and drops the
// ones that no longer do.
func (s *Store) rebuildAll(ctx context.Context) (int, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, unavailable(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT source, verification_id, provider FROM events
		WHERE verification_id != '' AND type != ''`)
	if err != nil {
		return 0, unavailable(err)
	}
	keys := map[verificationKey]string{}
	for rows.Next() {
		var k verificationKey
		var provider string
		if err := rows.Scan(&k.source, &k.id, &provider); err != nil {
			rows.Close()
			return 0, unavailable(err)
		}
		keys[k] = provider
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, unavailable(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM verifications WHERE NOT EXISTS (SELECT 1 FROM events e
		WHERE e.source = verifications.source AND e.verification_id = verifications.id AND e.type != '')`); err != nil {
		return 0, unavailable(err)
	}
	for k, provider := range keys {
		if err := s.rebuild(ctx, tx, k, provider); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, unavailable(err)
	}
	return len(keys), nil
}
