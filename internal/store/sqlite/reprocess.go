package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

// Reprocess renormalizes every event that still has its raw body, then
// rebuilds every verification from its log, in batches that each commit
// with a checkpoint: an interrupted run resumes from it, and no
// transaction holds more than a batch's logs.
func (s *Store) Reprocess(ctx context.Context, renormalize func(*kycgate.Event), progress func(kycgate.ReprocessProgress)) (kycgate.ReprocessResult, error) {
	return sqlstore.Reprocess(sqlstore.ReprocessSteps{
		Load: func() (sqlstore.Checkpoint, error) { return s.loadCheckpoint(ctx) },
		Events: func(cp sqlstore.Checkpoint) (sqlstore.Checkpoint, error) {
			return s.reprocessBatch(ctx, cp, renormalize)
		},
		Rebuild: func(cp sqlstore.Checkpoint) (sqlstore.Checkpoint, error) { return s.rebuildBatch(ctx, cp, true) },
		Finish: func() error {
			return s.inTx(ctx, func(tx *sql.Tx) error {
				if err := pruneVerifications(ctx, tx); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `DELETE FROM reprocess_checkpoint`)
				return err
			})
		},
	}, progress)
}

// inTx runs f in a write transaction and commits it.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

func (s *Store) loadCheckpoint(ctx context.Context) (sqlstore.Checkpoint, error) {
	var cp sqlstore.Checkpoint
	err := s.write.QueryRowContext(ctx, `SELECT phase, after_seq, after_source, after_id, events, changed, verifications
		FROM reprocess_checkpoint WHERE id = 1`).Scan(&cp.Phase, &cp.AfterSeq, &cp.After[0], &cp.After[1],
		&cp.Result.Events, &cp.Result.Changed, &cp.Result.Verifications)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.Checkpoint{}, nil
	}
	cp.Resumed = true
	return cp, unavailable(err)
}

func saveCheckpoint(ctx context.Context, tx *sql.Tx, cp sqlstore.Checkpoint) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO reprocess_checkpoint
		(id, phase, after_seq, after_source, after_id, events, changed, verifications)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+`, headers, body FROM events
			WHERE seq > ? AND body IS NOT NULL ORDER BY seq LIMIT ?`, cp.AfterSeq, sqlstore.ReprocessBatch)
		if err != nil {
			return err
		}
		events, seqs, err := sqlstore.ReadAll(rows, func(r sqlstore.Rows) (*kycgate.Event, int64, error) { return scanEvent(r, true) })
		rows.Close()
		if err != nil {
			return err
		}
		changed, err := sqlstore.Renormalize(events, seqs, renormalize, func(seq int64, ev *kycgate.Event, data []byte) error {
			// The verifications the event belonged to and now belongs to
			// are rebuilt from their logs from now on, not carried forward
			// from what the event meant before.
			if _, err := tx.ExecContext(ctx, `UPDATE verifications SET replay_state = NULL
				WHERE replay_state IS NOT NULL AND source = ? AND id IN (SELECT verification_id FROM events WHERE seq = ?)`,
				ev.Source, seq); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET provider_event = ?, verification_id = ?,
				occurred_at = ?, type = ?, data = ?, flag = ?, flag_detail = ? WHERE seq = ?`,
				ev.ProviderEvent, ev.VerificationID, micros(ev.OccurredAt), string(ev.Type),
				string(data), string(ev.Flag), ev.FlagDetail, seq); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE verifications SET replay_state = NULL
				WHERE replay_state IS NOT NULL AND source = ? AND id = ?`, ev.Source, ev.VerificationID)
			return err
		})
		if err != nil {
			return err
		}
		if len(seqs) > 0 {
			next.AfterSeq = seqs[len(seqs)-1]
		}
		next.Result.Events += len(seqs)
		next.Result.Changed += changed
		next = next.Next(len(seqs), kycgate.PhaseVerifications)
		return saveCheckpoint(ctx, tx, next)
	})
	if err != nil {
		return cp, err
	}
	return next, nil
}

// rebuildBatch rebuilds the verifications after cp's, in order, and saves
// the next checkpoint when save is set, in one transaction.
func (s *Store) rebuildBatch(ctx context.Context, cp sqlstore.Checkpoint, save bool) (sqlstore.Checkpoint, error) {
	next := cp
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		keys, err := s.rebuildFound(ctx, tx, `SELECT source, verification_id, min(provider) FROM events
			WHERE verification_id != '' AND type != '' AND (source, verification_id) > (?, ?)
			GROUP BY source, verification_id ORDER BY source, verification_id LIMIT ?`,
			cp.After[0], cp.After[1], sqlstore.ReprocessBatch)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			last := keys[len(keys)-1].k
			next.After = [2]string{last.source, last.id}
		}
		next.Result.Verifications += len(keys)
		next = next.Next(len(keys), kycgate.PhaseDone)
		if !save {
			return nil
		}
		return saveCheckpoint(ctx, tx, next)
	})
	if err != nil {
		return cp, err
	}
	return next, nil
}

// foundKey is a verification a query found to rebuild, with its provider.
type foundKey struct {
	k        verificationKey
	provider string
}

// rebuildFound rebuilds in tx, from their logs, the verifications query
// finds (rows of source, id and provider), in its order, and returns them.
func (s *Store) rebuildFound(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]foundKey, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var keys []foundKey
	for rows.Next() {
		var k foundKey
		if err := rows.Scan(&k.k.source, &k.k.id, &k.provider); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := s.rebuild(ctx, tx, k.k, k.provider, nil); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// pruneVerifications drops the verifications that no longer have events.
func pruneVerifications(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM verifications WHERE NOT EXISTS (SELECT 1 FROM events e
		WHERE e.source = verifications.source AND e.verification_id = verifications.id AND e.type != '')`)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error { return pruneVerifications(ctx, tx) })
	return cp.Result.Verifications, err
}
