// Package sqlstore holds what kycgate's two SQL stores share beyond their
// dialects: turning filters into WHERE clauses, paging cursors, and the
// reprocess loop. Each store keeps its own SQL.
package sqlstore

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
)

// Dialect is how a store writes parameters and times.
type Dialect struct {
	Placeholder func(n int) string    // the nth parameter, from 1: "?" or "$n"
	Time        func(t time.Time) any // a time as the store keeps it
	// Bytewise follows a text column in a comparison that must order by
	// bytes, as an index of that column's prefixes does: "" when text
	// already compares so, ` COLLATE "C"` in PostgreSQL.
	Bytewise string
}

// Where builds a WHERE clause from optional conditions.
type Where struct {
	d     Dialect
	conds []string
	args  []any
	order string // the ORDER BY of Limit: "seq DESC" unless set
}

// NewWhere returns an empty clause in dialect d.
func NewWhere(d Dialect) *Where { return &Where{d: d} }

// Add adds a condition with one parameter, written "?".
func (w *Where) Add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", w.d.Placeholder(len(w.args)), 1))
}

// AddN adds a condition with several parameters, each written "?".
func (w *Where) AddN(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", w.d.Placeholder(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

// AddRaw adds a condition without parameters.
func (w *Where) AddRaw(cond string) { w.conds = append(w.conds, cond) }

// Eq adds "column = value" unless value is empty.
func (w *Where) Eq(column, value string) {
	if value != "" {
		w.Add(column+" = ?", value)
	}
}

// Cursor continues after the page that ended at the cursor's seq.
func (w *Where) Cursor(c string) error {
	if c == "" {
		return nil
	}
	seq, err := strconv.ParseInt(c, 10, 64)
	if err != nil || seq <= 0 {
		return kycgate.Errorf(kycgate.EINVALID, "cursor %q is not one this server returned", c)
	}
	w.Add("seq < ?", seq)
	return nil
}

// SQL returns " WHERE …", or "" with no conditions.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args returns the parameters in order.
func (w *Where) Args() []any { return w.args }

// Limit appends limit as the next parameter and returns " ORDER BY seq
// DESC LIMIT …" for a page of newest-first rows.
func (w *Where) Limit(limit int) string {
	w.args = append(w.args, limit)
	return " ORDER BY " + cmp.Or(w.order, "seq DESC") + " LIMIT " + w.d.Placeholder(len(w.args))
}

// Events returns the clause for an event filter.
func Events(d Dialect, f kycgate.EventFilter) (*Where, error) {
	w := NewWhere(d)
	w.Eq("source", f.Source)
	w.Eq("provider", f.Provider)
	w.Eq("verification_id", f.VerificationID)
	w.Eq("type", string(f.Type))
	w.Eq("flag", string(f.Flag))
	if f.Flagged {
		w.AddRaw("flag != ''")
	}
	if !f.Since.IsZero() {
		w.Add("received_at >= ?", d.Time(f.Since))
	}
	return w, w.Cursor(f.Cursor)
}

// Verifications returns the clause for a verification filter.
func Verifications(d Dialect, f kycgate.VerificationFilter) (*Where, error) {
	w := NewWhere(d)
	w.Eq("id", f.ID)
	w.Eq("source", f.Source)
	w.Eq("provider", f.Provider)
	w.Eq("status", string(f.Status))
	w.Eq("external_user_id", f.ExternalUserID)
	if f.Search != "" {
		// A range on each column, which its index of bytewise order
		// serves. U+10FFFF is a noncharacter no id holds, and sorts after
		// every other character in UTF-8.
		lo, hi := f.Search, f.Search+"\U0010FFFF"
		id, uid := "id"+d.Bytewise, "external_user_id"+d.Bytewise
		w.AddN("(("+id+" >= ? AND "+id+" < ?) OR ("+uid+" >= ? AND "+uid+" < ?))", lo, hi, lo, hi)
	}
	if !f.Since.IsZero() {
		w.Add("updated_at >= ?", d.Time(f.Since))
	}
	if !f.ByCreation {
		return w, w.Cursor(f.Cursor)
	}
	w.order = "created_at DESC, seq DESC"
	if f.Cursor == "" {
		return w, nil
	}
	micros, seq, ok := strings.Cut(f.Cursor, ".")
	m, err1 := strconv.ParseInt(micros, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return nil, kycgate.Errorf(kycgate.EINVALID, "cursor %q is not one this server returned", f.Cursor)
	}
	at := d.Time(time.UnixMicro(m).UTC())
	w.AddN("(created_at < ? OR (created_at = ? AND seq < ?))", at, at, n)
	return w, nil
}

// NextVerifications returns the cursor after a page of verifications that
// ReadPage ended at next, for the order of f.
func NextVerifications(f kycgate.VerificationFilter, page []*kycgate.Verification, next string) string {
	if !f.ByCreation || next == "" || len(page) == 0 {
		return next
	}
	return strconv.FormatInt(CreatedMicros(page[len(page)-1]), 10) + "." + next
}

// CreatedMicros is v's creation time as both stores keep it in their
// created_at column: in whole microseconds, so that a page's cursor
// compares equal to it.
func CreatedMicros(v *kycgate.Verification) int64 { return v.CreatedAt.UnixMicro() }

// Deliveries returns the clause for a delivery filter.
func Deliveries(d Dialect, f kycgate.DeliveryFilter) (*Where, error) {
	w := NewWhere(d)
	w.Eq("id", f.ID)
	w.Eq("destination", f.Destination)
	w.Eq("state", string(f.State))
	w.Eq("event_id", f.EventID)
	return w, w.Cursor(f.Cursor)
}

// Rows is what both drivers' result sets offer (*sql.Rows, pgx.Rows). The
// caller closes them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadAll reads every row with scan, which returns the item and its seq.
func ReadAll[T any](rows Rows, scan func(Rows) (T, int64, error)) ([]T, []int64, error) {
	var (
		items []T
		seqs  []int64
	)
	for rows.Next() {
		item, seq, err := scan(rows)
		if err != nil {
			return nil, nil, err
		}
		items, seqs = append(items, item), append(seqs, seq)
	}
	return items, seqs, rows.Err()
}

// ReadPage reads the rows of a query ended by Where.Limit(limit+1) and
// returns one page and the cursor of the next ("" on the last).
func ReadPage[T any](rows Rows, limit int, scan func(Rows) (T, int64, error)) ([]T, string, error) {
	var (
		items []T
		last  int64
	)
	for rows.Next() {
		item, seq, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		if len(items) == limit {
			return items, strconv.FormatInt(last, 10), nil
		}
		items, last = append(items, item), seq
	}
	return items, "", rows.Err()
}

// ScanVerification reads a row of (seq, doc).
func ScanVerification(rows Rows) (*kycgate.Verification, int64, error) {
	var (
		seq int64
		doc string
	)
	if err := rows.Scan(&seq, &doc); err != nil {
		return nil, 0, err
	}
	v, err := DecodeVerification(doc)
	return v, seq, err
}

// DecodeVerification decodes a verification as the stores keep it.
func DecodeVerification(doc string) (*kycgate.Verification, error) {
	var v kycgate.Verification
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, fmt.Errorf("decode verification: %w", err)
	}
	return &v, nil
}

// DecodeState decodes a verification and its replay state as stored.
func DecodeState(doc, state string) (kycgate.Verification, kycgate.ReplayState, error) {
	var (
		v  kycgate.Verification
		st kycgate.ReplayState
	)
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return v, st, fmt.Errorf("decode verification: %w", err)
	}
	if err := json.Unmarshal([]byte(state), &st); err != nil {
		return v, st, err
	}
	return v, st, nil
}

// Renormalize passes each stored event (at seqs) to renormalize, and
// update each whose meaning changed with its new data encoded; it returns
// how many changed. update must keep the stored dedup key: it is what
// recognises the provider's retries.
func Renormalize(events []*kycgate.Event, seqs []int64, renormalize func(*kycgate.Event), update func(seq int64, ev *kycgate.Event, data []byte) error) (int, error) {
	changed := 0
	for i, ev := range events {
		before := *ev
		renormalize(ev)
		ev.MakeStorable()
		if SameMeaning(&before, ev) {
			continue
		}
		changed++
		data, err := json.Marshal(ev.Data)
		if err != nil {
			return changed, fmt.Errorf("encode data: %w", err)
		}
		if err := update(seqs[i], ev, data); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// ReprocessBatch is how many events one transaction renormalizes, and
// how many verifications one transaction rebuilds.
const ReprocessBatch = 500

// Checkpoint is where a Reprocess stands: its phase, the last event or
// verification done, and the counts so far. Each batch commits the
// checkpoint it reached, so an interrupted run resumes from it.
type Checkpoint struct {
	Phase    string
	AfterSeq int64                   // events: the last seq renormalized
	After    [2]string               // verifications: the last (source, id) rebuilt
	Result   kycgate.ReprocessResult // counted so far
	Resumed  bool                    // loaded from an interrupted run
}

// ReprocessSteps are what a backend does for Reprocess. Events and
// Rebuild each run one batch after cp in a transaction of their own that
// saves the next checkpoint; Finish drops the verifications left without
// events and the checkpoint.
type ReprocessSteps struct {
	Load    func() (Checkpoint, error)
	Events  func(cp Checkpoint) (Checkpoint, error)
	Rebuild func(cp Checkpoint) (Checkpoint, error)
	Finish  func() error
}

// Next returns cp in phase next when a batch of n was the last of its
// phase (not full), else cp.
func (cp Checkpoint) Next(n int, next string) Checkpoint {
	if n < ReprocessBatch {
		cp.Phase = next
	}
	return cp
}

// Reprocess runs steps from the saved checkpoint, if any, to the end,
// telling progress after each batch.
func Reprocess(steps ReprocessSteps, progress func(kycgate.ReprocessProgress)) (kycgate.ReprocessResult, error) {
	if progress == nil {
		progress = func(kycgate.ReprocessProgress) {}
	}
	cp, err := steps.Load()
	if err != nil {
		return kycgate.ReprocessResult{}, err
	}
	if cp.Phase == "" {
		cp.Phase = kycgate.PhaseEvents
	}
	resumed := cp.Resumed
	for cp.Phase != kycgate.PhaseDone {
		step := steps.Events
		if cp.Phase == kycgate.PhaseVerifications {
			step = steps.Rebuild
		}
		phase := cp.Phase
		if cp, err = step(cp); err != nil {
			return cp.Result, err
		}
		progress(kycgate.ReprocessProgress{Phase: phase, Resumed: resumed, ReprocessResult: cp.Result})
	}
	if err := steps.Finish(); err != nil {
		return cp.Result, err
	}
	progress(kycgate.ReprocessProgress{Phase: kycgate.PhaseDone, Resumed: resumed, ReprocessResult: cp.Result})
	return cp.Result, nil
}

// SameMeaning compares what is stored of two versions of an event.
func SameMeaning(a, b *kycgate.Event) bool {
	da, errA := json.Marshal(a.Data)
	db, errB := json.Marshal(b.Data)
	return a.ProviderEvent == b.ProviderEvent && a.VerificationID == b.VerificationID &&
		a.OccurredAt.Equal(b.OccurredAt) && a.Type == b.Type && a.Flag == b.Flag &&
		a.FlagDetail == b.FlagDetail && errA == nil && errB == nil && bytes.Equal(da, db)
}

// Forwarded returns what a destination receives of ev: late says whether
// it arrived late, and doc is its verification as stored. doc is nil when
// the stored verification may not be its log's: it has no row yet, or its
// replay state is NULL (a reprocess rewrote its events and has not rebuilt
// it yet, or an upgrade has not). The verification and the late flag are
// then replayed from the log readLog returns.
func Forwarded(ev *kycgate.Event, late bool, doc *string, readLog func() ([]kycgate.LogEntry, error)) (*kycgate.Forwarded, error) {
	f := &kycgate.Forwarded{Event: ev, Late: late}
	if doc == nil {
		log, err := readLog()
		if err != nil {
			return nil, err
		}
		v, effects := kycgate.Replay(ev.Source, ev.Provider, ev.VerificationID, log)
		f.Verification, f.Late = v, false
		for _, ef := range effects {
			if ef.EventID == ev.ID {
				f.Late = ef.Late
			}
		}
		return f, nil
	}
	v, err := DecodeVerification(*doc)
	if err != nil {
		return nil, fmt.Errorf("verification of %s: %w", ev.ID, err)
	}
	f.Verification = *v
	return f, nil
}

// LateIDs returns the ids of the events of effects that arrived late.
func LateIDs(effects []kycgate.Effect) []string {
	ids := []string{}
	for _, ef := range effects {
		if ef.Late {
			ids = append(ids, ef.EventID)
		}
	}
	return ids
}
