package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// RevokeSession records that dashboard session id has ended, until its
// expiry, and forgets revocations past theirs.
func (s *Store) RevokeSession(ctx context.Context, id string, until, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM revoked_sessions WHERE until < $1`, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO revoked_sessions (id, until) VALUES ($1, $2)
			ON CONFLICT (id) DO NOTHING`, id, until)
		return err
	})
	return unavailable(err)
}

// SessionRevoked reports whether dashboard session id has been revoked.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE id = $1)`, id).Scan(&revoked)
	return revoked, unavailable(err)
}
