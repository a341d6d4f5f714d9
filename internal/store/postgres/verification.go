package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate"
)

// queryer is what both a pool and a transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readLog(ctx context.Context, q queryer, source, vid string) ([]kycgate.LogEntry, error) {
	rows, err := q.Query(ctx, `SELECT id, dedup_key, type, data, occurred_at, received_at
		FROM events WHERE source = $1 AND verification_id = $2 AND type != ''`, source, vid)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var log []kycgate.LogEntry
	for rows.Next() {
		var (
			e        kycgate.LogEntry
			typ      string
			data     string
			occurred *time.Time
		)
		if err := rows.Scan(&e.ID, &e.DedupKey, &typ, &data, &occurred, &e.ReceivedAt); err != nil {
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

// rebuild recomputes one verification from its whole log under a lock of
// that verification, so that instances storing its events at the same time
// take turns; a verification that ends deleted has its raw bodies purged.
func rebuild(ctx context.Context, tx pgx.Tx, k verificationKey, provider string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))`, k.source, k.id); err != nil {
		return unavailable(err)
	}
	log, err := readLog(ctx, tx, k.source, k.id)
	if err != nil {
		return err
	}
	v := kycgate.Rebuild(k.source, provider, k.id, log)
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("postgres: encode verification: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO verifications
		(source, id, provider, external_user_id, status, decision, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (source, id) DO UPDATE SET provider = excluded.provider,
			external_user_id = excluded.external_user_id, status = excluded.status,
			decision = excluded.decision, created_at = excluded.created_at,
			updated_at = excluded.updated_at, doc = excluded.doc`,
		v.Source, v.ID, v.Provider, v.ExternalUserID, string(v.Status), string(v.Decision),
		v.CreatedAt, v.UpdatedAt, string(doc)); err != nil {
		return unavailable(err)
	}
	if v.Status == kycgate.StatusDeleted {
		if _, err := tx.Exec(ctx, `UPDATE events SET body = NULL WHERE source = $1 AND verification_id = $2 AND body IS NOT NULL`, k.source, k.id); err != nil {
			return unavailable(err)
		}
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
	return decodeVerification(doc)
}

// ListVerifications returns verifications matching f, newest first.
func (s *Store) ListVerifications(ctx context.Context, f kycgate.VerificationFilter) ([]*kycgate.Verification, string, error) {
	var w where
	w.eq("source", f.Source)
	w.eq("provider", f.Provider)
	w.eq("status", string(f.Status))
	w.eq("external_user_id", f.ExternalUserID)
	if !f.Since.IsZero() {
		w.add("updated_at >= ?", f.Since)
	}
	if err := w.cursor(f.Cursor); err != nil {
		return nil, "", err
	}
	return queryPage(ctx, s, `SELECT seq, doc FROM verifications`, &w, f.Limit, func(rows pgx.Rows) (*kycgate.Verification, int64, error) {
		var (
			seq int64
			doc string
		)
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, 0, err
		}
		v, err := decodeVerification(doc)
		return v, seq, err
	})
}

func decodeVerification(doc string) (*kycgate.Verification, error) {
	var v kycgate.Verification
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, fmt.Errorf("postgres: decode verification: %w", err)
	}
	return &v, nil
}
