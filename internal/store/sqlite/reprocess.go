package sqlite

import (
	"context"

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
	events, seqs, err := sqlstore.ReadAll(rows, func(r sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(r, true) })
	rows.Close()
	if err != nil {
		return 0, 0, 0, unavailable(err)
	}
	changed, err = sqlstore.Renormalize(events, seqs, renormalize, func(seq int64, ev *kycgate.Event, data []byte) error {
		_, err := tx.ExecContext(ctx, `UPDATE events SET provider_event = ?, verification_id = ?,
			occurred_at = ?, type = ?, data = ?, flag = ?, flag_detail = ? WHERE seq = ?`,
			ev.ProviderEvent, ev.VerificationID, micros(ev.OccurredAt), string(ev.Type),
			string(data), string(ev.Flag), ev.FlagDetail, seq)
		return err
	})
	if err != nil {
		return 0, 0, 0, unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, unavailable(err)
	}
	if len(seqs) > 0 {
		last = seqs[len(seqs)-1]
	}
	return len(seqs), last, changed, nil
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
