package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// Reprocess renormalizes every event that still has its raw body, then
// rebuilds every verification from its log, in batches that each commit
// with a checkpoint: an interrupted run resumes from it, and no
// transaction holds more than a batch's locks and logs.
func (s *Store) Reprocess(ctx context.Context, renormalize func(*kycgate.Event), progress func(kycgate.ReprocessProgress)) (kycgate.ReprocessResult, error) {
	return sqlstore.Reprocess(sqlstore.ReprocessSteps{
		Load: func() (sqlstore.Checkpoint, error) { return s.loadCheckpoint(ctx) },
		Events: func(cp sqlstore.Checkpoint) (sqlstore.Checkpoint, error) {
			return s.reprocessBatch(ctx, cp, renormalize)
		},
		Rebuild: func(cp sqlstore.Checkpoint) (sqlstore.Checkpoint, error) { return s.rebuildBatch(ctx, cp, true) },
		Finish: func() error {
			return unavailable(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if err := pruneVerifications(ctx, tx); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `DELETE FROM reprocess_checkpoint`)
				return err
			}))
		},
	}, progress)
}

func (s *Store) loadCheckpoint(ctx context.Context) (sqlstore.Checkpoint, error) {
	var cp sqlstore.Checkpoint
	err := s.pool.QueryRow(ctx, `SELECT phase, after_seq, after_source, after_id, events, changed, verifications
		FROM reprocess_checkpoint WHERE id = 1`).Scan(&cp.Phase, &cp.AfterSeq, &cp.After[0], &cp.After[1],
		&cp.Result.Events, &cp.Result.Changed, &cp.Result.Verifications)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.Checkpoint{}, nil
	}
	cp.Resumed = true
	return cp, unavailable(err)
}

func saveCheckpoint(ctx context.Context, tx pgx.Tx, cp sqlstore.Checkpoint) error {
	_, err := tx.Exec(ctx, `INSERT INTO reprocess_checkpoint
		(id, phase, after_seq, after_source, after_id, events, changed, verifications)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, after_seq = excluded.after_seq,
			after_source = excluded.after_source, after_id = excluded.after_id, events = excluded.events,
			changed = excluded.changed, verifications = excluded.verifications`,
		cp.Phase, cp.AfterSeq, cp.After[0], cp.After[1], cp.Result.Events, cp.Result.Changed, cp.Result.Verifications)
	return err
}

// reprocessBatch renormalizes the events after cp and saves the next
// checkpoint, in one transaction.
func (s *Store) reprocessBatch(ctx context.Context, cp sqlstore.Checkpoint, renormalize func(*kycgate.Event)) (sqlstore.Checkpoint, error) {
	next := cp
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+`, headers, body FROM events
			WHERE seq > $1 AND body IS NOT NULL ORDER BY seq LIMIT $2`, cp.AfterSeq, sqlstore.ReprocessBatch)
		if err != nil {
			return err
		}
		// Read the batch to the end first: the connection runs one statement at a time.
		events, seqs, err := sqlstore.ReadAll(rows, func(r sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(r, true) })
		rows.Close()
		if err != nil {
			return err
		}
		changed, err := sqlstore.Renormalize(events, seqs, renormalize, func(seq int64, ev *kycgate.Event, data []byte) error {
			// The verifications the event belonged to and now belongs to
			// are rebuilt from their logs from now on, not carried forward
			// from what the event meant before.
			if _, err := tx.Exec(ctx, `UPDATE verifications SET replay_state = NULL
				WHERE replay_state IS NOT NULL AND source = $1 AND id IN (SELECT verification_id FROM events WHERE seq = $2)`,
				ev.Source, seq); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE events SET provider_event = $1, verification_id = $2,
				occurred_at = $3, type = $4, data = $5, flag = $6, flag_detail = $7 WHERE seq = $8`,
				ev.ProviderEvent, ev.VerificationID, nullTime(ev.OccurredAt), string(ev.Type),
				string(data), string(ev.Flag), ev.FlagDetail, seq); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE verifications SET replay_state = NULL
				WHERE replay_state IS NOT NULL AND source = $1 AND id = $2`, ev.Source, ev.VerificationID)
			return err
		})
		if err != nil {
			return err
		}
		next = cp
		if len(seqs) > 0 {
			next.AfterSeq = seqs[len(seqs)-1]
		}
		next.Result.Events += len(seqs)
		next.Result.Changed += changed
		next = next.Next(len(seqs), kycgate.PhaseVerifications)
		return saveCheckpoint(ctx, tx, next)
	})
	if err != nil {
		return cp, unavailable(err)
	}
	return next, nil
}

// rebuildBatch rebuilds the verifications after cp's, in order, and saves
// the next checkpoint when save is set, in one transaction.
func (s *Store) rebuildBatch(ctx context.Context, cp sqlstore.Checkpoint, save bool) (sqlstore.Checkpoint, error) {
	next := cp
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n, last, err := s.rebuildFound(ctx, tx, `SELECT source, verification_id, min(provider) FROM events
			WHERE verification_id != '' AND type != '' AND (source, verification_id) > ($1, $2)
			GROUP BY source, verification_id ORDER BY source, verification_id LIMIT $3`,
			cp.After[0], cp.After[1], sqlstore.ReprocessBatch)
		if err != nil {
			return err
		}
		next = cp
		if n > 0 {
			next.After = last
		}
		next.Result.Verifications += n
		next = next.Next(n, kycgate.PhaseDone)
		if !save {
			return nil
		}
		return saveCheckpoint(ctx, tx, next)
	})
	if err != nil {
		return cp, unavailable(err)
	}
	return next, nil
}

// rebuildFound rebuilds in tx, from their logs, the verifications query
// finds (rows of source, id and provider), and returns how many it found
// and the last one's key.
func (s *Store) rebuildFound(ctx context.Context, tx pgx.Tx, query string, args ...any) (int, [2]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return 0, [2]string{}, err
	}
	keys := map[verificationKey]*newEvents{}
	var last [2]string
	for rows.Next() {
		var k verificationKey
		var provider string
		if err := rows.Scan(&k.source, &k.id, &provider); err != nil {
			rows.Close()
			return 0, last, err
		}
		keys[k], last = &newEvents{provider: provider}, [2]string{k.source, k.id}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, last, err
	}
	return len(keys), last, s.applyAll(ctx, tx, keys)
}

// pruneVerifications drops the verifications that no longer have events.
func pruneVerifications(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `DELETE FROM verifications v WHERE NOT EXISTS (SELECT 1 FROM events e
		WHERE e.source = v.source AND e.verification_id = v.id AND e.type != '')`)
	return err
}

// rebuildAll rebuilds every verification that has events, in batches, and
// drops the ones that no longer do.
func (s *Store) rebuildAll(ctx context.Context) (int, error) {
	cp := sqlstore.Checkpoint{Phase: kycgate.PhaseVerifications}
	for cp.Phase == kycgate.PhaseVerifications {
		var err error
		if cp, err = s.rebuildBatch(ctx, cp, false); err != nil {
			return cp.Result.Verifications, err
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return pruneVerifications(ctx, tx) })
	return cp.Result.Verifications, unavailable(err)
}
