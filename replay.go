package kycgate

import (
	"cmp"
	"slices"
	"time"
)

// Clock says what an event's provider time (OccurredAt) is.
type Clock string

const (
	// ClockEvent: when the thing happened. Event times order events against
	// each other.
	ClockEvent Clock = "event"
	// ClockSent: only when the webhook was sent; a retry may carry a later
	// one. It never orders an event past a later phase.
	ClockSent Clock = "sent"
	// ClockNone: the provider sends no time.
	ClockNone Clock = "none"
)

// Actor says who made a decision. Within one attempt, a decision stands
// against a later one of a lower rank: see docs/state.md.
type Actor string

const (
	ActorAutomatic Actor = "automatic" // the provider's automatic checks
	// ActorRisk is a fraud or risk signal (a face seen on another
	// verification, a failed spot check): an automatic approval does not
	// overrule it; a reviewer does.
	ActorRisk     Actor = "risk"
	ActorReviewer Actor = "reviewer" // a person at the provider
	// ActorScreening is an ongoing AML or watchlist update: a hit reopens a
	// decided verification as review_needed; a clean result approves
	// nothing.
	ActorScreening Actor = "screening"
	// ActorProviderAPI is the provider's own document, fetched from its API
	// after the last webhook that changed the decision: it settles the
	// decision when webhooks disagree or cannot be ordered.
	ActorProviderAPI Actor = "provider_api"
)

// rank orders actors for precedence within an attempt.
func (a Actor) rank() int {
	switch a {
	case ActorRisk:
		return 2
	case ActorScreening:
		return 3
	case ActorReviewer:
		return 4
	}
	return 1
}

// LogEntry is one event of a verification's log, as Rebuild needs it.
type LogEntry struct {
	ID         string
	Seq        int64 // the store's order of arrival; 0 when not stored
	DedupKey   string
	Type       EventType
	OccurredAt time.Time // zero when the provider sends no time
	ReceivedAt time.Time
	Change     Change
}

// clock is the entry's clock, for entries stored before adapters said it:
// a provider time was taken for an event time.
func (e LogEntry) clock() Clock {
	switch {
	case e.Change.Clock != "":
		return e.Change.Clock
	case e.OccurredAt.IsZero():
		return ClockNone
	}
	return ClockEvent
}

// opensAttempt reports whether the entry starts a new attempt.
func (e LogEntry) opensAttempt() bool {
	c := e.Change
	return e.Type == EventReset || c.NewAttempt || (c.Decision == DecisionResubmissionRequested && c.By != ActorScreening)
}

// deletes reports whether the entry erases the verification.
func (e LogEntry) deletes() bool {
	return e.Type == EventDeleted || e.Change.Status == StatusDeleted
}

// decisive reports whether the entry may change the decision: what a
// document fetched from the provider's API must be newer than to settle it.
func (e LogEntry) decisive() bool {
	return e.Change.Decision != "" || e.opensAttempt() || e.Type == EventExpired
}

// compareArrival orders entries by when they arrived.
func compareArrival(a, b LogEntry) int {
	return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID), cmp.Compare(a.DedupKey, b.DedupKey))
}

// Effect is what one event of a log did to its verification.
type Effect struct {
	EventID  string
	Attempt  int
	Status   Status   // the verification's status right after the event
	Decision Decision // its decision right after the event
	// Late is true when the event arrived after events that apply after
	// it: a retry of a lost first attempt, a reordered delivery.
	Late bool
	// OverruledBy names who outranked the decision the event carried (a
	// reviewer, a risk signal, the provider's API); empty when it stood or
	// carried none.
	OverruledBy Actor
}

// Rebuild returns the verification (source, provider, id) that its log
// describes; see Replay.
func Rebuild(source, provider, id string, log []LogEntry) Verification {
	v, _ := Replay(source, provider, id, log)
	return v
}

// Replay applies a verification's log and returns the verification and
// what each event did, in the order they apply. The log may come in any
// order and hold the same event twice: the answer depends only on the set
// of events, each with its arrival. See docs/state.md for the rules.
func Replay(source, provider, id string, log []LogEntry) (Verification, []Effect) {
	v, effects, _ := replay(source, provider, id, log)
	return v, effects
}

// RebuildState is Replay, and also returns what Continue needs to apply
// later events to the verification without its log.
func RebuildState(source, provider, id string, log []LogEntry) (Verification, []Effect, ReplayState) {
	v, effects, st := replay(source, provider, id, log)
	return v, effects, ReplayState{st}
}

func replay(source, provider, id string, log []LogEntry) (Verification, []Effect, replayState) {
	entries, keys, att, documents, deletions := order(log)
	r := replayer{v: Verification{Source: source, Provider: provider, ID: id, Status: StatusPending, Stage: StageCreated,
		Reasons: []string{}, Steps: []Step{}, Attempt: 1}, decided: -1, effects: make([]Effect, 0, len(entries))}
	st := replayState{Format: replayFormat, Untimed: att != nil, Latest: latest(entries, keys, time.Time{})}
	st.Arrival, st.Evented = clocks(entries, keys, false, false)
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
	if len(keys) > 0 {
		st.Last = ptr(markOf(&entries[keys[len(keys)-1].i], keys[len(keys)-1]))
	}
	if att != nil {
		st.Seen, st.Opened = att.list(), att.opened
	}
	if len(keys) > 0 {
		last := slices.MaxFunc(keys, func(a, b sortKey) int { return cmp.Compare(a.i, b.i) })
		st.Arrived = ptr(markOf(&entries[last.i], last))
	}
	for _, i := range documents {
		r.document(&entries[i], entries[i].OccurredAt.After(st.LastDecisive))
		st.Part, st.Last = partDocuments, ptr(markOf(&entries[i], sortKey{at: entries[i].OccurredAt}))
	}
	for _, i := range deletions {
		r.erase(&entries[i])
		st.Part, st.Last = partDeletions, ptr(markOf(&entries[i], sortKey{at: entries[i].OccurredAt}))
	}
	r.finish(&st)
	return r.v, r.effects, st
}

// finish sets what the verification derives from the whole of what was
// applied, and keeps the replayer's state in st.
func (r *replayer) finish(st *replayState) {
	r.v.DropOff = r.v.dropOff()
	r.v.DecisionClock = r.decisionClock()
	st.Authority, st.Decided, st.DecidedByOpener = r.authority, r.decided, r.decidedByOpener
	st.CreatedBy, st.FirstBy, st.CreatedClock, st.FirstClock = r.createdBy, r.firstBy, r.createdClock, r.firstClock
}

// decisionClock is the clock the time from creation to first decision is
// measured on: the weaker of the two times' clocks, and none when one
// event both created and decided the verification (there is no interval
// to measure); "" without a decision.
func (r *replayer) decisionClock() Clock {
	switch {
	case r.v.FirstDecidedAt == nil:
		return ""
	case r.firstBy == r.createdBy:
		return ClockNone
	case r.createdClock == ClockNone || r.firstClock == ClockNone:
		return ClockNone
	case r.createdClock == ClockSent || r.firstClock == ClockSent:
		return ClockSent
	}
	return ClockEvent
}

// order removes duplicates (the first to arrive stays) and returns the
// entries in arrival order, with the sort keys of the provider's webhooks
// in the order they apply, the attempts that arrival assigned them (nil
// when every webhook carries an event time and event time orders them), the
// indexes of the documents fetched from the provider's API by when each
// fetch began, and of the deletions.
//
// When every webhook carries an event time, event time orders them; a
// webhook without a time that neither decides nor opens an attempt (a tag
// change, an expiry) does not change that: it applies at the latest event
// time of those that arrived before it (see place). Else arrival cuts the
// log into attempts at each event that opens one (see assignAttempts), and
// within an attempt the lifecycle phase orders, then the provider's time,
// then arrival: a send time or a late arrival never moves an event past a
// later phase.
func order(log []LogEntry) (entries []LogEntry, keys []sortKey, att *attempts, documents, deletions []int) {
	entries = dedupe(log)
	keys, documents, deletions = split(entries)
	if arrival, evented := clocks(entries, keys, false, false); !arrival && evented {
		place(entries, keys, time.Time{})
		sortTimed(keys)
	} else {
		att = &attempts{seen: map[kind]bool{}}
		att.assign(entries, keys)
		placeUntimed(entries, keys, time.Time{})
		sortUntimed(keys)
	}
	slices.SortStableFunc(documents, func(a, b int) int { return entries[a].OccurredAt.Compare(entries[b].OccurredAt) })
	return entries, keys, att, documents, deletions
}

// dedupe returns log in arrival order without duplicates: the first to
// arrive stays.
func dedupe(log []LogEntry) []LogEntry {
	sorted := slices.Clone(log)
	slices.SortFunc(sorted, compareArrival)
	entries := sorted[:0]
	seen := make(map[string]bool, len(sorted))
	for _, e := range sorted {
		key := e.DedupKey
		if key == "" {
			key = "id:" + e.ID
		}
		if !seen[key] {
			seen[key] = true
			entries = append(entries, e) // in place: never ahead of the reading
		}
	}
	return entries
}

// split returns, in arrival order, the sort keys of the webhooks and the
// indexes of the documents and of the deletions among entries.
func split(entries []LogEntry) (keys []sortKey, documents, deletions []int) {
	for i := range entries {
		e := &entries[i]
		switch {
		case e.deletes():
			deletions = append(deletions, i)
		case e.Type == EventEnriched:
			documents = append(documents, i)
		default:
			keys = append(keys, sortKey{i: i, phase: e.Type.Phase(), at: e.OccurredAt})
		}
	}
	return keys, documents, deletions
}

// placeable reports whether a webhook keeps event time ordering a log: it
// carries an event time, or it has none and neither decides nor opens an
// attempt, so that where it applies among the others cannot change a
// decision.
func (e LogEntry) placeable() bool {
	switch e.clock() {
	case ClockEvent:
		return true
	case ClockNone:
		return e.Change.Decision == "" && !e.opensAttempt()
	}
	return false
}

// clocks reports, of webhooks arriving after some for which it was
// arrival and evented, whether one needs arrival to order it (it has a send
// time, or no time and decides or opens an attempt), and whether one has an
// event time. Event time orders a log that has one, and none of the other.
func clocks(entries []LogEntry, keys []sortKey, arrival, evented bool) (bool, bool) {
	for _, k := range keys {
		e := &entries[k.i]
		arrival = arrival || !e.placeable()
		evented = evented || e.clock() == ClockEvent
	}
	return arrival, evented
}

// latest returns the latest event time of the webhooks of keys, or t when
// it is later.
func latest(entries []LogEntry, keys []sortKey, t time.Time) time.Time {
	for _, k := range keys {
		if at := eventTime(&entries[k.i]); at.After(t) {
			t = at
		}
	}
	return t
}

// place gives each of keys, in arrival order and arriving after webhooks
// whose latest event time was last, the time it applies at: its event
// time, or, for one without a time, the latest event time of those that
// arrived before it, as it came after what the provider had told by then.
func place(entries []LogEntry, keys []sortKey, last time.Time) {
	for n := range keys {
		e := &entries[keys[n].i]
		if e.clock() != ClockEvent {
			keys[n].at = last
		} else if e.OccurredAt.After(last) {
			last = e.OccurredAt
		}
	}
}

// sortTimed puts keys, in arrival order and placed, in the order they
// apply when event time orders them.
func sortTimed(keys []sortKey) {
	slices.SortStableFunc(keys, func(a, b sortKey) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.phase, b.phase)) })
}

// placeUntimed gives each of keys without a time of its own, in arrival
// order and arriving after webhooks whose latest event time was last, the
// latest event time of those that arrived before it, as place does; a
// webhook with a time (an event time or a send time) keeps it. So within
// a phase of an attempt, a webhook without a time applies after those that
// the provider had sent when it came (a reviewer's second word after the
// first), not before every timed one.
func placeUntimed(entries []LogEntry, keys []sortKey, last time.Time) {
	for n := range keys {
		e := &entries[keys[n].i]
		if e.OccurredAt.IsZero() {
			keys[n].at = last
		} else if t := eventTime(e); t.After(last) {
			last = t
		}
	}
}

// sortUntimed puts keys, in arrival order, with their attempts and placed
// (placeUntimed), in the order they apply.
func sortUntimed(keys []sortKey) {
	slices.SortStableFunc(keys, func(a, b sortKey) int {
		return cmp.Or(cmp.Compare(a.attempt, b.attempt), cmp.Compare(b.opener, a.opener), cmp.Compare(a.phase, b.phase),
			a.at.Compare(b.at))
	})
}

// sortKey places the webhook at index i of the arrival order; at is the
// time it applies at (its event time, or where place put it).
type sortKey struct {
	i, phase, attempt, opener int
	at                        time.Time
}

// kind is what assignAttempts remembers of a webhook: its attempt, its type
// and its step's name.
type kind struct {
	Attempt int       `json:"a"`
	Type    EventType `json:"t"`
	Step    string    `json:"s,omitempty"`
}

// attempts is how far assign has cut webhooks into attempts: the kinds of
// event each attempt holds, and the event that opened each attempt
// (opened[n-1] for attempt n, so that the latest attempt is len(opened)).
type attempts struct {
	seen   map[kind]bool
	opened []opening
	// moved is set when an opener that arrived late moved webhooks that
	// arrived before it into another attempt (see open).
	moved bool
}

// opening is what assign keeps of the event that opened an attempt: when
// it arrived, and its event time (zero when it has none).
type opening struct {
	Received time.Time `json:"r"`
	At       time.Time `json:"t,omitzero"`
}

// assign assigns each of the webhooks, in arrival order and arriving after
// those assigned so far, to an attempt. An event that opens one starts an
// attempt (see open). Any other event belongs to the latest attempt unless
// it happened before that attempt began, when it is a late delivery of
// the attempt before (a retry of a first delivery that failed):
//   - when it and the attempt's opener both carry event times, those tell;
//   - otherwise, a step of the flow up to the decision is taken for a late
//     delivery when the attempt before lacks an event of its kind (its
//     type and step name), since a new attempt repeats what the one before
//     went through; not, though (see retried), when it arrived after the
//     provider's retry window of the opener, or when it is a decision and
//     its attempt has begun. What comes after a decision (a reviewer's
//     update, a screening, an expiry) stays where it arrives.
func (a *attempts) assign(entries []LogEntry, keys []sortKey) {
	for i := range keys { // in arrival order
		e := &entries[keys[i].i]
		if e.opensAttempt() {
			a.open(entries, keys[:i+1])
			continue
		}
		k := kindOf(e, len(a.opened))
		for k.Attempt > 0 {
			if before, known := a.happenedBefore(e, k.Attempt); known {
				if !before {
					break
				}
			} else if e.Type.Phase() > EventDecided.Phase() || !a.retried(e, k.Attempt) || a.seen[kindOf(e, k.Attempt-1)] {
				break
			}
			k.Attempt--
		}
		keys[i].attempt, a.seen[k] = k.Attempt, true
	}
}

// happenedBefore reports, when e and the event that opened attempt n both
// carry event times (known), whether e happened before that event.
func (a *attempts) happenedBefore(e *LogEntry, n int) (before, known bool) {
	t, o := eventTime(e), a.opened[n-1].At
	if t.IsZero() || o.IsZero() {
		return false, false
	}
	return t.Before(o), true
}

// open starts the attempt of the event that opens one, the last of keys
// (in arrival order, the others assigned). It comes after the attempts
// whose openers happened before it: an opener that arrives late (a retry
// of a first delivery that failed) and happened before the opener of the
// latest attempt comes before that attempt, whose number, and that of
// every attempt after it, grows by one. Then reopen gives it the events
// that happened after it.
func (a *attempts) open(entries []LogEntry, keys []sortKey) {
	last := len(keys) - 1
	e := &entries[keys[last].i]
	o := opening{Received: e.ReceivedAt, At: eventTime(e)}
	n := len(a.opened) + 1 // its attempt
	for n > 1 && !o.At.IsZero() && a.opened[n-2].At.After(o.At) {
		n--
	}
	a.opened = slices.Insert(a.opened, n-1, o)
	keys[last].attempt, keys[last].opener = n, 1
	shifted := n < len(a.opened)
	if shifted {
		for j := range keys[:last] {
			if keys[j].attempt >= n {
				keys[j].attempt++
			}
		}
	}
	if a.reopen(entries, keys[:last], n, o.At) || shifted {
		a.moved = true
		clear(a.seen)
		for _, k := range keys[:last] {
			if k.opener == 0 {
				a.seen[kindOf(&entries[k.i], k.attempt)] = true
			}
		}
	}
}

// reopen moves into attempt n, opened at t by an event that arrived late,
// webhooks of the attempt before it (of keys, in arrival order), and
// reports whether it moved any:
//   - those that happened after t (a later event time);
//   - those without a time that arrived after one that moved, when they
//     come after a decision (a screening, an expiry) or a decision moved
//     before them: they came after what the provider had told by then;
//   - those without a time that come after a decision and arrived after
//     t, wherever they arrived: they may have followed the opener, and a
//     watchlist hit taken into the new attempt by mistake makes it wait for
//     review, where one left behind by mistake would let an approval stand.
//
// A step of the flow without a time stays (a late delivery of the attempt
// before: arrival cannot tell), and so does the attempt's own opener.
func (a *attempts) reopen(entries []LogEntry, keys []sortKey, n int, t time.Time) bool {
	if t.IsZero() {
		return false
	}
	moved, decision := false, false
	for j := range keys {
		k, e := &keys[j], &entries[keys[j].i]
		if k.attempt != n-1 || k.opener == 1 {
			continue
		}
		at := eventTime(e)
		if at.After(t) || (moved && at.IsZero() && (decision || e.Type.Phase() > EventDecided.Phase())) {
			k.attempt, moved = n, true
			decision = decision || e.Type.Phase() == EventDecided.Phase()
		}
	}
	for j := range keys {
		k, e := &keys[j], &entries[keys[j].i]
		if k.attempt == n-1 && k.opener == 0 && eventTime(e).IsZero() && e.Type.Phase() > EventDecided.Phase() && e.ReceivedAt.After(t) {
			k.attempt, moved = n, true
		}
	}
	return moved
}

// kindOf is the kind of e in attempt n.
func kindOf(e *LogEntry, n int) kind {
	k := kind{Attempt: n, Type: e.Type}
	if e.Change.Step != nil {
		k.Step = e.Change.Step.Name
	}
	return k
}

// retried reports whether e, when it or the event that opened attempt n
// has no event time, may be a late delivery of the attempt before attempt
// n. Not when it arrived after its provider's retry window of the event
// that opened attempt n (a provider that stopped retrying delivers nothing
// late: a journey first seen at its renewal), nor when e is a decision and
// attempt n has begun: the user went through the flow again after the
// request (a session's second attempt), so a decision that follows is
// that attempt's. Without those, a decision retried after a request that
// came after it (an approval re-reviewed to a resubmission request) goes
// back to its attempt.
func (a *attempts) retried(e *LogEntry, n int) bool {
	o := a.opened[n-1]
	if w := e.Change.RetryWindowSeconds; w > 0 && e.ReceivedAt.After(o.Received.Add(time.Duration(w)*time.Second)) {
		return false
	}
	return e.Type.Phase() != EventDecided.Phase() || !a.begun(n)
}

// begun reports whether an event of the flow up to the decision belongs to
// attempt n.
func (a *attempts) begun(n int) bool {
	for k := range a.seen {
		if k.Attempt == n && k.Type.Phase() < EventDecided.Phase() {
			return true
		}
	}
	return false
}

// eventTime is when the event happened, as its provider says; zero when
// it carries no event time.
func eventTime(e *LogEntry) time.Time {
	if e.clock() != ClockEvent {
		return time.Time{}
	}
	return e.OccurredAt
}

// list returns the kinds seen, in a stable order.
func (a *attempts) list() []kind {
	l := make([]kind, 0, len(a.seen))
	for k := range a.seen {
		l = append(l, k)
	}
	slices.SortFunc(l, func(x, y kind) int {
		return cmp.Or(cmp.Compare(x.Attempt, y.Attempt), cmp.Compare(x.Type, y.Type), cmp.Compare(x.Step, y.Step))
	})
	return l
}

// markLate marks the effects of webhooks (indexes in arrival order, in the
// order they apply) that arrived after one that applies after them.
func markLate(webhooks []int, effects []Effect) {
	earliest := -1 // the first to arrive of the webhooks applied after
	for n := len(webhooks) - 1; n >= 0; n-- {
		i := webhooks[n]
		if earliest >= 0 && earliest < i {
			effects[n].Late = true
		}
		if earliest < 0 || i < earliest {
			earliest = i
		}
	}
}

// replayer applies a log's entries one by one.
type replayer struct {
	v         Verification
	effects   []Effect // of the entries applied by this replayer
	base      int      // how many entries were applied before them
	authority int      // the rank of the actor whose decision stands in this attempt
	decided   int      // the entry, counted in the order they apply, whose decision stands; -1 for none
	// decidedByOpener: the decision that stands is the one that opened the
	// attempt (a resubmission request, a renewal).
	decidedByOpener bool
	// The events that gave CreatedAt and FirstDecidedAt ("" for a
	// creation time the provider stated), and the clocks of those times.
	createdBy, firstBy       string
	createdClock, firstClock Clock
}

// at is the entry's time on the verification's clock: its provider time,
// else its arrival.
func at(e *LogEntry) time.Time {
	if e.OccurredAt.IsZero() {
		return e.ReceivedAt
	}
	return e.OccurredAt
}

// count records an entry's times and adds its effect.
func (r *replayer) count(e *LogEntry, overruled Actor) {
	v := &r.v
	t := at(e)
	if v.Events == 0 || t.Before(v.CreatedAt) {
		v.CreatedAt, r.createdBy, r.createdClock = t, e.ID, e.clock()
	}
	if c := e.Change.CreatedAt; c != nil && c.Before(v.CreatedAt) {
		v.CreatedAt, r.createdBy, r.createdClock = c.UTC(), "", ClockEvent
	}
	if t.After(v.LastEventAt) {
		v.LastEventAt = t
	}
	if e.ReceivedAt.After(v.UpdatedAt) {
		v.UpdatedAt = e.ReceivedAt
	}
	v.Events++
	r.effects = append(r.effects, Effect{EventID: e.ID, Attempt: v.Attempt, Status: v.Status, Decision: v.Decision, OverruledBy: overruled})
}

// webhook applies one provider webhook.
func (r *replayer) webhook(e *LogEntry) {
	v, c := &r.v, e.Change
	if e.opensAttempt() {
		r.newAttempt(e)
	}
	v.setFields(c)
	if e.Type == EventReset {
		v.Status, v.Decision, v.OriginalDecision, v.DecidedBy, v.DecidedAt, v.FirstDecidedAt = StatusPending, "", "", "", nil, nil
		v.Stage = StageCreated
		v.Reasons, v.Steps = []string{}, []Step{}
		r.count(e, "")
		return
	}
	if s := stageOf(*e); s.Rank() > v.Stage.Rank() {
		v.Stage = s
	}
	if c.Step != nil {
		v.setStep(*c.Step)
	}
	for _, s := range c.Steps {
		v.setStep(s)
	}
	var overruled Actor
	stood := false
	if c.Decision != "" {
		overruled, stood = r.decide(e)
	} else {
		if c.Reasons != nil {
			v.Reasons = slices.Clone(c.Reasons)
		}
		if c.Status != "" && !v.holdsDecision(c) {
			v.Status = c.Status
		}
	}
	r.count(e, overruled)
	if stood {
		r.decided, r.decidedByOpener = r.v.Events-1, e.opensAttempt()
	}
}

// newAttempt closes the current attempt: the decision it ended with stays
// in the timeline, and the next one starts undecided.
func (r *replayer) newAttempt(e *LogEntry) {
	v := &r.v
	v.Attempt++
	r.authority, r.decided, r.decidedByOpener = 0, -1, false
	if e.Change.Decision == "" {
		v.Decision, v.DecidedBy, v.DecidedAt = "", "", nil
		v.Status = cmp.Or(e.Change.Status, StatusPending)
		v.Reasons = []string{}
	}
}

// decide applies the decision e carries, unless a decision of higher rank
// stands in this attempt: it returns who overruled it, and whether the
// decision stands.
func (r *replayer) decide(e *LogEntry) (Actor, bool) {
	v, c := &r.v, e.Change
	by := cmp.Or(c.By, ActorAutomatic)
	d := c.Decision
	if c.DecidedOnly && v.Decision == "" {
		return "", false
	}
	switch {
	case by == ActorScreening:
		// A clean result approves nothing, and a declined verification stays
		// declined; a hit reopens anything else for review.
		if d == DecisionApproved || v.Decision == DecisionDeclined {
			return "", false
		}
		d = DecisionReviewNeeded
		r.authority = max(r.authority, by.rank())
	case by.rank() >= r.authority:
		r.authority = by.rank()
	case d == DecisionDeclined && v.DecidedBy == ActorScreening:
		// A decline after a screening hit: the stricter word stands, and
		// only what outranks the hit approves again.
	case by == ActorRisk && v.Decision != DecisionDeclined,
		c.Reopens && d != DecisionApproved && v.Decision != DecisionDeclined:
		// A risk signal after a decision that outranks it (a failed spot
		// check after a reviewer's approval), or a later word of the
		// provider's checks that reopens, was not seen by whoever made that
		// decision: it reopens it for review, until a reviewer decides
		// again.
		d = DecisionReviewNeeded
	default:
		if v.OriginalDecision == "" {
			v.OriginalDecision = cmp.Or(c.OriginalDecision, d)
		}
		return v.DecidedBy, false
	}
	if v.OriginalDecision == "" {
		v.OriginalDecision = cmp.Or(c.OriginalDecision, d)
		first := at(e)
		v.FirstDecidedAt, r.firstBy, r.firstClock = &first, e.ID, e.clock()
	}
	if c.Reasons != nil {
		v.Reasons = slices.Clone(c.Reasons)
	}
	v.Decision, v.DecidedBy = d, by
	decided := at(e)
	v.DecidedAt = &decided
	v.Status = d.Status()
	if by != ActorScreening && c.Status != "" {
		v.Status = c.Status
	}
	v.Stage = StageDecided
	return "", true
}

// document applies a document fetched from the provider's API. When the
// fetch began after the last webhook that could change the decision
// (settles), it is the provider's current word: its fields replace the
// webhooks', and its decision gives one they never brought or overrules
// theirs when they disagree. Otherwise it only fills what is empty.
func (r *replayer) document(e *LogEntry, settles bool) {
	v, c := &r.v, e.Change
	if settles {
		v.setFields(c) // the provider's current word on the document, the user, the flow
	}
	v.enrich(c, e.ReceivedAt)
	if settles && c.Decision != "" && c.Decision != v.Decision && r.settleable(c) {
		if i := r.decided - r.base; r.decided >= 0 && i >= 0 {
			r.effects[i].OverruledBy = ActorProviderAPI
		}
		r.settle(e)
	}
	r.count(e, "")
}

// settleable reports whether a document may settle the decision: one the
// webhooks never brought in the verification's first attempt, or one of
// the provider's checks, a reviewer or an earlier document. A document does
// not say what a screening hit, a risk signal, or the request that opened a
// new attempt said, so it does not overrule them; nor does it decide a new
// attempt the webhooks left undecided (a level change), unless it is the
// current attempt's (c.Current).
func (r *replayer) settleable(c Change) bool {
	v := &r.v
	if v.Decision == "" {
		return v.Attempt == 1 || c.Current
	}
	switch v.DecidedBy {
	case ActorAutomatic, ActorReviewer, ActorProviderAPI:
		return !r.decidedByOpener
	}
	return false
}

// settle makes the document's decision the verification's.
func (r *replayer) settle(e *LogEntry) {
	v, c := &r.v, e.Change
	if v.OriginalDecision == "" {
		v.OriginalDecision = cmp.Or(c.OriginalDecision, c.Decision)
		first := e.ReceivedAt
		v.FirstDecidedAt, r.firstBy, r.firstClock = &first, e.ID, ClockNone
	}
	v.Decision, v.DecidedBy = c.Decision, ActorProviderAPI
	decided := e.ReceivedAt
	v.DecidedAt = &decided
	v.Status = c.Decision.Status()
	v.Stage = StageDecided
	r.decided = -1
}

// erase makes the verification a tombstone: ids, decision and times stay;
// metadata goes (the store purges the raw bodies).
func (r *replayer) erase(e *LogEntry) {
	r.v.Status, r.v.Metadata = StatusDeleted, nil
	r.count(e, "")
}
