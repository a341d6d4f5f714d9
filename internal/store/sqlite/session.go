package sqlite

import (
	"context"
	"time"
)

// RevokeSession records that dashboard session id has ended, until its
// expiry, and forgets revocations past theirs.
func (s *Store) RevokeSession(ctx context.Context, id string, until, now time.Time) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM revoked_sessions WHERE until < ?`, now.UnixMicro()); err != nil {
		return unavailable(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO revoked_sessions (id, until) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, id, until.UnixMicro()); err != nil {
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

// SessionRevoked reports whether dashboard session id has been revoked.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE id = ?)`, id).Scan(&revoked)
	return revoked, unavailable(err)
}
