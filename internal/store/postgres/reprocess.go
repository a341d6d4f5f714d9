package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

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
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+`, headers, body FROM events
			WHERE seq > $1 AND body IS NOT NULL ORDER BY seq LIMIT $2`, after, sqlstore.ReprocessBatch)
		if err != nil {
			return err
		}
		// Read the batch to the end first: the connection runs one statement at a time.
		events, seqs, err := sqlstore.ReadAll(rows, func(r sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(r, true) })
		rows.Close()
		if err != nil {
			return err
		}
		changed, err = sqlstore.Renormalize(events, seqs, renormalize, func(seq int64, ev *kycgate.Event, data []byte) error {
			_, err := tx.Exec(ctx, `UPDATE events SET provider_event = $1, verification_id = $2,
				occurred_at = $3, type = $4, data = $5, flag = $6, flag_detail = $7 WHERE seq = $8`,
				ev.ProviderEvent, ev.VerificationID, nullTime(ev.OccurredAt), string(ev.Type),
				string(data), string(ev.Flag), ev.FlagDetail, seq)
			return err
		})
		if err != nil {
			return err
		}
		n = len(seqs)
		if n > 0 {
			last = seqs[n-1]
		}
		return nil
	})
	return n, last, changed, unavailable(err)
}

// rebuildAll rebuilds every verification that has events, and drops the
// ones that no longer do.
func (s *Store) rebuildAll(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT source, verification_id, provider FROM events
			WHERE verification_id != '' AND type != '' ORDER BY source, verification_id`)
		if err != nil {
			return err
		}
		type key struct {
			k        verificationKey
			provider string
		}
		var keys []key
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.k.source, &k.k.id, &k.provider); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM verifications v WHERE NOT EXISTS (SELECT 1 FROM events e
			WHERE e.source = v.source AND e.verification_id = v.id AND e.type != '')`); err != nil {
			return err
		}
		all := make(map[verificationKey]string, len(keys))
		for _, k := range keys {
			all[k.k] = k.provider
		}
		n = len(keys)
		return rebuildAllOf(ctx, tx, all)
	})
	return n, unavailable(err)
}
