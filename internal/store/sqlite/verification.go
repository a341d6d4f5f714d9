package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/store/sqlstore"
)

type verificationKey struct{ source, id string }

// apply brings one verification up to date with its new events, stored
// in tx: applied to its stored state when they all sort after what it was
// built from, else rebuilt from its whole log. A verification seen for the
// first time is built from its new events alone, which are its whole log.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, k verificationKey, provider string, next []kycgate.LogEntry) error {
	sel, err := s.stmt(ctx, tx, stmtSelectState)
	if err != nil {
		return err
	}
	var (
		doc   string
		state sql.NullString
		row   indexed
	)
	err = sel.QueryRowContext(ctx, k.source, k.id).Scan(&doc, &state, &row.provider, &row.user, &row.status, &row.created, &row.updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s.create(ctx, tx, k, provider, next)
	}
	if err != nil {
		return unavailable(err)
	}
	if !state.Valid {
		return s.rebuild(ctx, tx, k, provider, &row)
	}
	v, st, err := sqlstore.DecodeState(doc, state.String)
	if err != nil {
		return s.rebuild(ctx, tx, k, provider, &row) // a state this version cannot read
	}
	v.Provider = provider
	v, st, effects, ok := kycgate.Continue(v, st, next)
	if !ok {
		return s.rebuild(ctx, tx, k, provider, &row)
	}
	s.continued.Add(1)
	if err := s.markLate(ctx, tx, effects); err != nil {
		return err
	}
	return s.save(ctx, tx, k, v, st, &row)
}

// create saves a verification that has no row yet. Its log is then the
// events this batch stored, unless events of it were stored before without
// it (a reprocess that gave old events its id and has not rebuilt it yet):
// then it is rebuilt from its whole log.
func (s *Store) create(ctx context.Context, tx *sql.Tx, k verificationKey, provider string, next []kycgate.LogEntry) error {
	count, err := s.stmt(ctx, tx, stmtCountLog)
	if err != nil {
		return err
	}
	var n int
	if err := count.QueryRowContext(ctx, k.source, k.id).Scan(&n); err != nil {
		return unavailable(err)
	}
	if n != len(next) {
		return s.rebuild(ctx, tx, k, provider, nil)
	}
	v, effects, st := kycgate.RebuildState(k.source, provider, k.id, next)
	s.continued.Add(1)
	if err := s.markLate(ctx, tx, effects); err != nil {
		return err
	}
	return s.save(ctx, tx, k, v, st, nil)
}

// rebuild recomputes one verification from its whole log and saves it;
// row is its row as stored, nil when not read.
func (s *Store) rebuild(ctx context.Context, tx *sql.Tx, k verificationKey, provider string, row *indexed) error {
	selectLog, err := s.stmt(ctx, tx, stmtSelectLog)
	if err != nil {
		return err
	}
	rows, err := selectLog.QueryContext(ctx, k.source, k.id)
	if err != nil {
		return unavailable(err)
	}
	log, err := scanLog(rows)
	if err != nil {
		return err
	}
	v, effects, st := kycgate.RebuildState(k.source, provider, k.id, log)
	s.rebuilt.Add(1)
	set, err := s.stmt(ctx, tx, stmtSetLate)
	if err != nil {
		return err
	}
	if _, err := set.ExecContext(ctx, k.source, k.id, jsonArray(sqlstore.LateIDs(effects))); err != nil {
		return unavailable(err)
	}
	return s.save(ctx, tx, k, v, st, row)
}

// markLate marks the events of effects, new events, that arrived late.
func (s *Store) markLate(ctx context.Context, tx *sql.Tx, effects []kycgate.Effect) error {
	ids := sqlstore.LateIDs(effects)
	if len(ids) == 0 {
		return nil // the common case: events arrive in the order they apply
	}
	mark, err := s.stmt(ctx, tx, stmtMarkLate)
	if err != nil {
		return err
	}
	_, err = mark.ExecContext(ctx, jsonArray(ids))
	return unavailable(err)
}

// jsonArray encodes ids as a JSON array, for json_each.
func jsonArray(ids []string) string {
	b, _ := json.Marshal(ids) // strings always encode
	return string(b)
}

// indexedColumns are the verifications columns an index covers, besides
// the key, and otherColumns the others: SQLite rewrites a column's index
// entries whenever an UPDATE sets it, to the value it had or not, and each
// entry of an old verification is on a page of its own. So an update sets
// only the indexed columns that changed.
var (
	indexedColumns = [...]string{"provider", "external_user_id", "status", "created_at", "updated_at"}
	otherColumns   = [...]string{"decision", "doc", "flow", "tracker", "stage", "drop_off", "decision_us", "decision_clock", "replay_state"}
)

// indexed holds a verification's values of indexedColumns, in that order.
type indexed struct {
	provider, user, status string
	created, updated       int64
}

func (r indexed) values() [len(indexedColumns)]any {
	return [...]any{r.provider, r.user, r.status, r.created, r.updated}
}

// columns returns a verification's values of indexedColumns and of
// otherColumns, doc and state being its encoding and its replay state's.
func columns(v *kycgate.Verification, doc, state []byte) (indexed, []any) {
	return indexed{provider: v.Provider, user: v.ExternalUserID, status: string(v.Status),
			created: v.CreatedAt.UnixMicro(), updated: v.UpdatedAt.UnixMicro()},
		[]any{string(v.Decision), string(doc), v.Flow, v.Tracker, v.Stage.Rank(), v.DropOff,
			sqlstore.DecisionMicros(v), string(v.DecisionClock), string(state)}
}

// upsertVerification is the statement that inserts a verification's row,
// or sets every column of it. Its parameters are the key, then the values
// of indexedColumns, then of otherColumns.
func upsertVerification() string {
	cols := append(append([]string{"source", "id"}, indexedColumns[:]...), otherColumns[:]...)
	set := make([]string, 0, len(cols)-2)
	for _, c := range cols[2:] {
		set = append(set, c+" = excluded."+c)
	}
	return "INSERT INTO verifications (" + strings.Join(cols, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) +
		") ON CONFLICT (source, id) DO UPDATE SET " + strings.Join(set, ", ")
}

// updateVerification is the statement that updates a verification's row,
// setting the indexed columns whose bit is set in changed (bit i for
// indexedColumns[i]) and every other column. Its parameters are the values
// of those indexed columns, then of otherColumns, then the key.
func updateVerification(changed int) string {
	var set []string
	for i, c := range indexedColumns {
		if changed&(1<<i) != 0 {
			set = append(set, c+" = ?")
		}
	}
	for _, c := range otherColumns {
		set = append(set, c+" = ?")
	}
	return "UPDATE verifications SET " + strings.Join(set, ", ") + " WHERE source = ? AND id = ?"
}

// save stores a verification and its replay state; row is its row as
// stored, nil for none or not read. A verification that ends deleted has
// its events' raw bodies purged.
func (s *Store) save(ctx context.Context, tx *sql.Tx, k verificationKey, v kycgate.Verification, st kycgate.ReplayState, row *indexed) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sqlite: encode verification: %w", err)
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("sqlite: encode replay state: %w", err)
	}
	now, others := columns(&v, doc, state)
	if row == nil {
		err = s.upsert(ctx, tx, k, now, others)
	} else {
		err = s.update(ctx, tx, k, *row, now, others)
	}
	if err != nil {
		return err
	}
	if v.Status == kycgate.StatusDeleted {
		purge, err := s.stmt(ctx, tx, stmtPurgeBodies)
		if err != nil {
			return err
		}
		if _, err := purge.ExecContext(ctx, k.source, k.id); err != nil {
			return unavailable(err)
		}
		s.erased.Store(true)
		cancel, err := s.stmt(ctx, tx, stmtCancelFetch)
		if err != nil {
			return err
		}
		if _, err := cancel.ExecContext(ctx, k.source, k.id); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// upsert inserts the row of verification k, or sets every column of it.
func (s *Store) upsert(ctx context.Context, tx *sql.Tx, k verificationKey, now indexed, others []any) error {
	upsert, err := s.stmt(ctx, tx, stmtUpsertVerif)
	if err != nil {
		return err
	}
	is := now.values()
	_, err = upsert.ExecContext(ctx, append(append([]any{k.source, k.id}, is[:]...), others...)...)
	return unavailable(err)
}

// update updates the row of verification k from old to now, setting the
// indexed columns that changed and every other column (others, in the
// order of updateVerification).
func (s *Store) update(ctx context.Context, tx *sql.Tx, k verificationKey, old, now indexed, others []any) error {
	changed, args := 0, make([]any, 0, len(indexedColumns)+len(others)+2)
	was, is := old.values(), now.values()
	for i := range is {
		if is[i] != was[i] {
			changed |= 1 << i
			args = append(args, is[i])
		}
	}
	s.mu.Lock()
	st := s.updates[changed]
	s.mu.Unlock()
	st, err := bind(ctx, tx, st)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, append(append(args, others...), k.source, k.id)...)
	return unavailable(err)
}

// scanLog reads and closes rows of stmtSelectLog.
func scanLog(rows *sql.Rows) ([]kycgate.LogEntry, error) {
	defer rows.Close()
	var log []kycgate.LogEntry
	for rows.Next() {
		var (
			e        kycgate.LogEntry
			typ      string
			data     string
			occurred sql.NullInt64
			received int64
		)
		if err := rows.Scan(&e.ID, &e.Seq, &e.DedupKey, &typ, &data, &occurred, &received); err != nil {
			return nil, unavailable(err)
		}
		e.Type, e.ReceivedAt = kycgate.EventType(typ), time.UnixMicro(received).UTC()
		if occurred.Valid {
			e.OccurredAt = time.UnixMicro(occurred.Int64).UTC()
		}
		if err := json.Unmarshal([]byte(data), &e.Change); err != nil {
			return nil, fmt.Errorf("sqlite: decode data of %s: %w", e.ID, err)
		}
		log = append(log, e)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(err)
	}
	return log, nil
}

// ListLog returns a verification's log.
func (s *Store) ListLog(ctx context.Context, source, verificationID string) ([]kycgate.LogEntry, error) {
	rows, err := s.read.QueryContext(ctx, statements[stmtSelectLog], source, verificationID)
	if err != nil {
		return nil, unavailable(err)
	}
	return scanLog(rows)
}

// FindVerification returns one verification.
func (s *Store) FindVerification(ctx context.Context, source, id string) (*kycgate.Verification, error) {
	var doc string
	err := s.read.QueryRowContext(ctx, `SELECT doc FROM verifications WHERE source = ? AND id = ?`, source, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
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
	vs, next, err := queryPage(ctx, s.read, `SELECT seq, doc FROM verifications`, w, f.Limit, sqlstore.ScanVerification)
	return vs, sqlstore.NextVerifications(f, vs, next), err
}

// Counts returns totals for metrics; verifications are counted by the
// counters the transactions that change them keep (migration 0014).
func (s *Store) Counts(ctx context.Context) (kycgate.Counts, error) {
	c, err := sqlstore.Counts(s.query(ctx), `SELECT provider, status, n FROM verification_counts WHERE n != 0`)
	return c, unavailable(err)
}

// Funnel counts the funnel of q in the database.
func (s *Store) Funnel(ctx context.Context, q kycgate.FunnelQuery) (*kycgate.Funnel, error) {
	f, err := sqlstore.Funnel(dialect, q, s.query(ctx))
	return f, unavailable(err)
}

// query runs read-only queries for the shared SQL of package sqlstore.
func (s *Store) query(ctx context.Context) sqlstore.Query {
	return func(query string, args ...any) (sqlstore.Rows, func(), error) {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return rows, func() { rows.Close() }, nil
	}
}
