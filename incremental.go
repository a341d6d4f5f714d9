package kycgate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// replayFormat is the version of replayState: a state of another version
// is not continued, the verification is rebuilt from its log. Version 2
// keeps Arrived whatever orders the webhooks; version 3 places webhooks
// without a time among timed ones, and keeps Latest; version 5 keeps, of
// the event that opened each attempt, its arrival and event time (Opened)
// in place of the count of attempts; version 6 is there so that every
// verification is rebuilt once under the rules that came with it: a late
// opener takes its place by event time (open, reopen), a webhook without a
// time applies after those sent before it (placeUntimed), and a later word
// of the provider's checks may reopen a decision (Change.Reopens).
const replayFormat = 6

// The parts of a log, in the order they apply.
const (
	partWebhooks  = iota // the provider's webhooks
	partDocuments        // documents fetched from the provider's API
	partDeletions        // deletions
)

// ReplayState is what applying a verification's log leaves besides the
// verification: enough for Continue to apply events that sort after all of
// it, as a rebuild from the whole log would. It is opaque; it encodes to
// JSON, to be stored beside the verification. The zero ReplayState
// continues nothing.
type ReplayState struct{ s replayState }

type replayState struct {
	Format int `json:"f"`
	// Untimed: arrival cuts the webhooks applied into attempts, as order
	// does when clocks says so.
	Untimed bool  `json:"u,omitempty"`
	Part    int   `json:"p,omitempty"` // the last part of the log applied
	Last    *mark `json:"l,omitempty"` // the last entry applied, of Part
	// Arrived is the webhook that arrived last; when Untimed, Seen and
	// Opened are how far arrival has cut the webhooks into attempts.
	Arrived *mark  `json:"r,omitempty"`
	Seen    []kind `json:"s,omitempty"`
	// Opened is what was kept of the event that opened each attempt.
	Opened []opening `json:"o,omitempty"`
	// Latest is the latest event time of the webhooks applied, where a
	// webhook without a time that arrives next applies (see place).
	Latest time.Time `json:"lt,omitzero"`
	// Arrival: a webhook applied needs arrival to order it; Evented: one
	// has an event time (see clocks).
	Arrival bool `json:"ar,omitempty"`
	Evented bool `json:"ev,omitempty"`
	// LastDecisive is when the last webhook that could change the decision
	// arrived: a document fetched after it settles the decision.
	LastDecisive time.Time `json:"d"`
	// The replayer's own state.
	Authority       int    `json:"ra,omitempty"`
	Decided         int    `json:"rd"`
	DecidedByOpener bool   `json:"ro,omitempty"`
	CreatedBy       string `json:"cb,omitempty"`
	FirstBy         string `json:"fb,omitempty"`
	CreatedClock    Clock  `json:"cc,omitempty"`
	FirstClock      Clock  `json:"fc,omitempty"`
}

// MarshalJSON encodes the state.
func (s ReplayState) MarshalJSON() ([]byte, error) { return json.Marshal(s.s) }

// UnmarshalJSON decodes a state MarshalJSON encoded.
func (s *ReplayState) UnmarshalJSON(b []byte) error {
	var st replayState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("decode replay state: %w", err)
	}
	s.s = st
	return nil
}

// mark is where an applied entry sorts: the fields the order of its part
// of the log compares.
type mark struct {
	At       time.Time `json:"t"` // the provider's time
	Phase    int       `json:"p,omitempty"`
	Attempt  int       `json:"a,omitempty"`
	Opener   int       `json:"o,omitempty"`
	Received time.Time `json:"r"`
	Seq      int64     `json:"q,omitempty"`
	ID       string    `json:"i"`
	DedupKey string    `json:"k,omitempty"`
}

func markOf(e *LogEntry, k sortKey) mark {
	return mark{At: k.at, Phase: k.phase, Attempt: k.attempt, Opener: k.opener,
		Received: e.ReceivedAt, Seq: e.Seq, ID: e.ID, DedupKey: e.DedupKey}
}

// arrival orders marks as compareArrival orders their entries.
func (m mark) arrival(o mark) int {
	return cmp.Or(m.Received.Compare(o.Received), cmp.Compare(m.Seq, o.Seq), cmp.Compare(m.ID, o.ID), cmp.Compare(m.DedupKey, o.DedupKey))
}

// timed orders webhook marks as sortTimed orders their entries, ties by
// arrival.
func (m mark) timed(o mark) int {
	return cmp.Or(m.At.Compare(o.At), cmp.Compare(m.Phase, o.Phase), m.arrival(o))
}

// untimed orders webhook marks as sortUntimed orders their entries, ties
// by arrival.
func (m mark) untimed(o mark) int {
	return cmp.Or(cmp.Compare(m.Attempt, o.Attempt), cmp.Compare(o.Opener, m.Opener), cmp.Compare(m.Phase, o.Phase),
		m.At.Compare(o.At), m.arrival(o))
}

// document orders document marks as order does, ties by arrival.
func (m mark) document(o mark) int { return cmp.Or(m.At.Compare(o.At), m.arrival(o)) }

// Continue applies next, events not yet in the log v and s came from, to v,
// and returns the verification and state a rebuild from the whole log
// would, with what each event of next did (as Replay says it; what the
// events applied before did stays as it was). It reports false, and
// applies nothing, when it cannot: an event of next sorts before one
// already applied (it happened earlier, or arrived late into an attempt),
// a webhook of next arrived before one already applied (so that one may
// now be late), a webhook of next makes the log ordered otherwise (one
// without a time that decides joins webhooks event time ordered, so that
// arrival now orders them all, or the first event time joins webhooks that
// had none), a webhook comes after documents
// or deletions were applied, or s is of another version. The caller then
// rebuilds from the whole log.
func Continue(v Verification, s ReplayState, next []LogEntry) (Verification, ReplayState, []Effect, bool) {
	st := s.s
	if st.Format != replayFormat {
		return v, s, nil, false
	}
	if len(next) == 0 {
		return v, s, nil, true
	}
	entries := dedupe(next)
	keys, documents, deletions := split(entries)
	orig := v
	v.Reasons, v.Steps = slices.Clone(v.Reasons), slices.Clone(v.Steps) // applying changes them in place
	r := replayer{v: v, base: v.Events, authority: st.Authority, decided: st.Decided, decidedByOpener: st.DecidedByOpener,
		createdBy: st.CreatedBy, firstBy: st.FirstBy, createdClock: st.CreatedClock, firstClock: st.FirstClock}
	if len(keys) > 0 {
		if st.Part != partWebhooks {
			return orig, s, nil, false
		}
		st.Arrival, st.Evented = clocks(entries, keys, st.Arrival, st.Evented)
		timed := !st.Arrival && st.Evented
		if st.Arrived != nil && markOf(&entries[keys[0].i], keys[0]).arrival(*st.Arrived) <= 0 {
			// Arrived before a webhook applied: the attempts may change, and
			// so may which of the webhooks applied arrived late.
			return orig, s, nil, false
		}
		if timed == st.Untimed && st.Last != nil {
			return orig, s, nil, false // the webhooks applied are now ordered otherwise
		}
		after := mark.timed
		if !timed {
			l := latest(entries, keys, st.Latest)
			for _, k := range keys {
				e := &entries[k.i]
				if !e.opensAttempt() || eventTime(e).IsZero() {
					continue
				}
				if eventTime(e).Before(l) || afterDecision(st.Seen, len(st.Opened)) {
					// It opens an attempt before webhooks applied, or after what
					// came after a decision, which it may take (see reopen).
					return orig, s, nil, false
				}
			}
			att := attempts{seen: make(map[kind]bool, len(st.Seen)+len(keys)), opened: slices.Clone(st.Opened)}
			for _, k := range st.Seen {
				att.seen[k] = true
			}
			att.assign(entries, keys)
			if att.moved {
				// A late opener moved webhooks of this batch; the attempts of
				// those before it may change too.
				return orig, s, nil, false
			}
			placeUntimed(entries, keys, st.Latest)
			st.Arrived = ptr(markOf(&entries[keys[len(keys)-1].i], keys[len(keys)-1]))
			st.Seen, st.Opened = att.list(), att.opened
			sortUntimed(keys)
			after = mark.untimed
		} else {
			place(entries, keys, st.Latest)
			st.Arrived = ptr(markOf(&entries[keys[len(keys)-1].i], keys[len(keys)-1]))
			sortTimed(keys)
		}
		if st.Last != nil && after(markOf(&entries[keys[0].i], keys[0]), *st.Last) <= 0 {
			return orig, s, nil, false // sorts before a webhook applied
		}
		st.Untimed, st.Latest = !timed, latest(entries, keys, st.Latest)
		webhooks := make([]int, len(keys))
		for n, k := range keys {
			webhooks[n] = k.i
			e := &entries[k.i]
			r.webhook(e)
			if e.decisive() && e.ReceivedAt.After(st.LastDecisive) {
				st.LastDecisive = e.ReceivedAt
			}
		}
		markLate(webhooks, r.effects)
		st.Last = ptr(markOf(&entries[keys[len(keys)-1].i], keys[len(keys)-1]))
	}
	if len(documents) > 0 {
		if st.Part > partDocuments {
			return orig, s, nil, false
		}
		slices.SortStableFunc(documents, func(a, b int) int { return entries[a].OccurredAt.Compare(entries[b].OccurredAt) })
		if st.Part == partDocuments && markOf(&entries[documents[0]], sortKey{at: entries[documents[0]].OccurredAt}).document(*st.Last) <= 0 {
			return orig, s, nil, false // fetched before a document applied
		}
		for _, i := range documents {
			r.document(&entries[i], entries[i].OccurredAt.After(st.LastDecisive))
		}
		st.Part, st.Last = partDocuments, ptr(markOf(&entries[documents[len(documents)-1]], sortKey{at: entries[documents[len(documents)-1]].OccurredAt}))
	}
	if len(deletions) > 0 {
		if st.Part == partDeletions && markOf(&entries[deletions[0]], sortKey{}).arrival(*st.Last) <= 0 {
			return orig, s, nil, false
		}
		for _, i := range deletions {
			r.erase(&entries[i])
		}
		st.Part, st.Last = partDeletions, ptr(markOf(&entries[deletions[len(deletions)-1]], sortKey{at: entries[deletions[len(deletions)-1]].OccurredAt}))
	}
	r.finish(&st)
	return r.v, ReplayState{st}, r.effects, true
}

func ptr[T any](v T) *T { return &v }

// afterDecision reports whether seen holds, in attempt n, a kind of event
// that comes after a decision.
func afterDecision(seen []kind, n int) bool {
	return slices.ContainsFunc(seen, func(k kind) bool { return k.Attempt == n && k.Type.Phase() > EventDecided.Phase() })
}
