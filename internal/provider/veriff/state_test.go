package veriff_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/veriff"
)

const session = "5b2c9fa2-1f0e-4c51-9a8e-2b1f3c1a0d01"

// Attempts of the session.
const (
	attempt1 = "a1a1a1a1-0000-4000-a000-000000000001"
	attempt2 = "a2a2a2a2-0000-4000-a000-000000000002"
)

// decisionAt is a decision webhook decided at hh:mm on the test's day.
func decisionAt(attempt, status string, code int, reasonCode, hhmm string) string {
	reason, decided := "null", "null"
	if reasonCode != "" {
		reason = `"` + reasonCode + `"`
	}
	if hhmm != "" {
		decided = `"2026-11-22T` + hhmm + `:00.000Z"`
	}
	return fmt.Sprintf(`{"status":"success","verification":{"id":%q,"attemptId":%q,"vendorData":"user-1","endUserId":null,"status":%q,"code":%d,"reason":null,"reasonCode":%s,"decisionTime":%s,"acceptanceTime":"2026-11-22T09:55:00.000Z","person":{"firstName":"JANE","lastName":"DOE"},"document":{"type":"PASSPORT","country":"DE"}},"technicalData":{"ip":"186.153.67.122"}}`,
		session, attempt, status, code, reasonCodeJSON(reason), decided)
}

func reasonCodeJSON(quoted string) string {
	if quoted == "null" {
		return quoted
	}
	return quoted[1 : len(quoted)-1] // reasonCode is a number
}

func eventOf(attempt, action string, code int) string {
	return fmt.Sprintf(`{"id":%q,"attemptId":%q,"feature":"selfid","code":%d,"action":%q,"vendorData":"user-1","endUserId":null}`, session, attempt, code, action)
}

func screeningAt(checkType, matchStatus, hhmm string) string {
	return fmt.Sprintf(`{"checkType":%q,"attemptId":%q,"sessionId":%q,"vendorData":"user-1","endUserId":null,"matchStatus":%q,"searchTerm":{"name":"Jane Doe","year":"1990"},"totalHits":0,"createdAt":"2026-11-22T%s:00.000Z","hits":[]}`,
		checkType, attempt1, session, matchStatus, hhmm)
}

// arrive parses bodies with the adapter as they arrive, one second apart
// in the order given: a lost first delivery is a body that comes later.
func arrive(t *testing.T, bodies ...string) []kycgate.LogEntry {
	t.Helper()
	p, err := veriff.New(provider.Config{Secrets: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)
	var log []kycgate.LogEntry
	for i, body := range bodies {
		id, change, err := p.Parse(http.Header{}, []byte(body))
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		if !veriff.Adapter.Known(id.ProviderEvent) {
			t.Fatalf("#%d: %q not in the catalogue", i, id.ProviderEvent)
		}
		ev := kycgate.Event{ID: fmt.Sprintf("evt_%02d", i), Seq: int64(i + 1), Identity: id, Type: veriff.Adapter.Type(id.ProviderEvent), Data: change,
			ReceivedAt: received.Add(time.Duration(i) * time.Second)}
		log = append(log, ev.LogEntry())
	}
	return log
}

type deliveryCase struct {
	name     string
	bodies   []string // in the order they arrive
	status   kycgate.Status
	decision kycgate.Decision
	source   kycgate.Actor
	attempt  int
	late     []int // indexes of the bodies that must be marked late
	reasons  []string
}

var deliveryCases = []deliveryCase{
	{
		name: "in order",
		bodies: []string{eventOf(attempt1, "started", 7001), eventOf(attempt1, "submitted", 7002),
			decisionAt(attempt1, "approved", 9001, "", "10:05")},
		status: "approved", decision: "approved", source: "automatic", attempt: 1, reasons: []string{},
	},
	{
		// Decision webhooks only: the resubmission request's first delivery
		// failed and Veriff's hourly retry came after the next attempt's
		// approval. decisionTime orders them.
		name:   "resubmission request retried after the next attempt's approval",
		bodies: []string{decisionAt(attempt2, "approved", 9001, "", "10:40"), decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05")},
		status: "approved", decision: "approved", source: "automatic", attempt: 2, late: []int{1}, reasons: []string{},
	},
	{
		name: "resubmission, then a new attempt approved",
		bodies: []string{eventOf(attempt1, "started", 7001), eventOf(attempt1, "submitted", 7002),
			decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"),
			eventOf(attempt2, "started", 7001), eventOf(attempt2, "submitted", 7002),
			decisionAt(attempt2, "approved", 9001, "", "10:40")},
		// The event webhook has no time: the new attempt's started and
		// submitted apply before the request that opened it, so they show
		// as late.
		status: "approved", decision: "approved", source: "automatic", attempt: 2, late: []int{3, 4}, reasons: []string{},
	},
	{
		// The user started again: until the next decision, the verification
		// says resubmission_requested (the started applies before it).
		name: "resubmission, the new attempt still open",
		bodies: []string{eventOf(attempt1, "submitted", 7002), decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"),
			eventOf(attempt2, "started", 7001)},
		status: "resubmission_requested", decision: "resubmission_requested", source: "automatic", attempt: 2, late: []int{2}, reasons: []string{"201"},
	},
	{
		// Veriff reviewed the session and declined it; the review's webhook
		// is retried after the decline.
		name:   "review retried after the decline that followed it",
		bodies: []string{eventOf(attempt1, "submitted", 7002), decisionAt(attempt1, "declined", 9102, "106", "12:00"), decisionAt(attempt1, "review", 9121, "", "10:05")},
		status: "declined", decision: "declined", source: "automatic", attempt: 1, late: []int{2}, reasons: []string{"106"},
	},
	{
		name:   "the same decision delivered twice",
		bodies: []string{decisionAt(attempt1, "declined", 9102, "102", "10:05"), decisionAt(attempt1, "declined", 9102, "102", "10:05")},
		status: "declined", decision: "declined", source: "automatic", attempt: 1, reasons: []string{"102"},
	},
	{
		name:   "started retried after the decision",
		bodies: []string{decisionAt(attempt1, "approved", 9001, "", "10:05"), eventOf(attempt1, "started", 7001)},
		status: "approved", decision: "approved", source: "automatic", attempt: 1, late: []int{1}, reasons: []string{},
	},
	{
		name:   "watchlist hit after the approval",
		bodies: []string{decisionAt(attempt1, "approved", 9001, "", "10:05"), screeningAt("updated_result", "possible_match", "12:00")},
		status: "review_needed", decision: "review_needed", source: "screening", attempt: 1, reasons: []string{},
	},
	{
		name:   "watchlist hit delivered before the approval",
		bodies: []string{screeningAt("initial_result", "possible_match", "10:06"), decisionAt(attempt1, "approved", 9001, "", "10:05")},
		status: "review_needed", decision: "review_needed", source: "screening", attempt: 1, late: []int{1}, reasons: []string{},
	},
	{
		name:   "watchlist clean result approves nothing",
		bodies: []string{decisionAt(attempt1, "review", 9121, "", "10:05"), screeningAt("initial_result", "no_match", "10:06")},
		status: "review_needed", decision: "review_needed", source: "automatic", attempt: 1, reasons: []string{},
	},
	{
		name:   "watchlist hit after a decline",
		bodies: []string{decisionAt(attempt1, "declined", 9102, "105", "10:05"), screeningAt("updated_result", "possible_match", "12:00")},
		status: "declined", decision: "declined", source: "automatic", attempt: 1, reasons: []string{"105"},
	},
	{
		// After a hit, Veriff's later decline stands; its later approval
		// does not clear the hit.
		name:   "watchlist hit, then Veriff declines",
		bodies: []string{decisionAt(attempt1, "approved", 9001, "", "10:05"), screeningAt("updated_result", "possible_match", "12:00"), decisionAt(attempt1, "declined", 9102, "105", "13:00")},
		status: "declined", decision: "declined", source: "automatic", attempt: 1, reasons: []string{"105"},
	},
	{
		name:   "watchlist hit, then Veriff approves after its review",
		bodies: []string{decisionAt(attempt1, "review", 9121, "", "10:05"), screeningAt("initial_result", "possible_match", "10:06"), decisionAt(attempt1, "approved", 9001, "", "11:00")},
		status: "review_needed", decision: "review_needed", source: "screening", attempt: 1, reasons: []string{},
	},
	{
		name:   "expiry of a decided session",
		bodies: []string{decisionAt(attempt1, "approved", 9001, "", "10:05"), decisionAt(attempt1, "expired", 9104, "", "")},
		status: "approved", decision: "approved", source: "automatic", attempt: 1, reasons: []string{},
	},
	{
		name:   "abandoned after a resubmission request",
		bodies: []string{decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"), eventOf(attempt2, "started", 7001), decisionAt(attempt2, "abandoned", 9104, "", "")},
		status: "abandoned", decision: "resubmission_requested", source: "automatic", attempt: 2, late: []int{1}, reasons: []string{"201"},
	},
	{
		name:   "abandoned with decisionTime after a resubmission request",
		bodies: []string{decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"), eventOf(attempt2, "started", 7001), decisionAt(attempt2, "abandoned", 9104, "", "10:50")},
		status: "abandoned", decision: "resubmission_requested", source: "automatic", attempt: 2, late: []int{1}, reasons: []string{"201"},
	},
	{
		name:   "abandoned, started arriving after it",
		bodies: []string{decisionAt(attempt1, "abandoned", 9104, "", ""), eventOf(attempt1, "started", 7001)},
		status: "abandoned", decision: "", source: "", attempt: 1, late: []int{1}, reasons: []string{},
	},
}

// TestState_Deliveries: each case of lost, retried and reordered
// deliveries ends in the true state, and what arrived out of order says so.
func TestState_Deliveries(t *testing.T) {
	for _, c := range deliveryCases {
		t.Run(c.name, func(t *testing.T) {
			log := arrive(t, c.bodies...)
			v, effects := kycgate.Replay("src", veriff.Name, session, log)
			if v.Status != c.status || v.Decision != c.decision || v.DecidedBy != c.source || v.Attempt != c.attempt {
				t.Errorf("status %q decision %q by %q attempt %d; want %q %q %q %d", v.Status, v.Decision, v.DecidedBy, v.Attempt, c.status, c.decision, c.source, c.attempt)
			}
			if fmt.Sprint(v.Reasons) != fmt.Sprint(c.reasons) {
				t.Errorf("reasons %v, want %v", v.Reasons, c.reasons)
			}
			late := map[string]bool{}
			for _, i := range c.late {
				late[log[i].ID] = true
			}
			for _, e := range effects {
				if e.Late != late[e.EventID] {
					t.Errorf("event %s late = %v, want %v", e.EventID, e.Late, late[e.EventID])
				}
			}
		})
	}
}

// TestState_ArrivalOrder: any order of arrival, with retries arriving
// again, ends in the same status and decision.
func TestState_ArrivalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range deliveryCases {
		if c.name == "abandoned after a resubmission request" {
			// Without decisionTime, nothing orders the abandonment against
			// the resubmission request but arrival.
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			for range 100 {
				bodies := append([]string{}, c.bodies...)
				for range rng.IntN(3) {
					bodies = append(bodies, bodies[rng.IntN(len(bodies))]) // a retry, stored once
				}
				rng.Shuffle(len(bodies), func(a, b int) { bodies[a], bodies[b] = bodies[b], bodies[a] })
				v := kycgate.Rebuild("src", veriff.Name, session, arrive(t, bodies...))
				if v.Status != c.status || v.Decision != c.decision || v.Attempt != c.attempt {
					t.Fatalf("status %q decision %q attempt %d; want %q %q %d", v.Status, v.Decision, v.Attempt, c.status, c.decision, c.attempt)
				}
			}
		})
	}
}

// TestState_LateResubmissionWithEvents: with the event webhook too, a
// resubmission request retried only after the next attempt's approval
// applies before it, by decisionTime. The store may hand the log over in
// any order: the answer is the same.
func TestState_LateResubmissionWithEvents(t *testing.T) {
	log := arrive(t, eventOf(attempt1, "started", 7001), eventOf(attempt1, "submitted", 7002),
		eventOf(attempt2, "started", 7001), eventOf(attempt2, "submitted", 7002),
		decisionAt(attempt2, "approved", 9001, "", "10:40"),
		decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"))
	rng := rand.New(rand.NewPCG(9, 10))
	for range 50 {
		rng.Shuffle(len(log), func(a, b int) { log[a], log[b] = log[b], log[a] })
		if v := kycgate.Rebuild("src", veriff.Name, session, log); v.Status != "approved" || v.Attempt != 2 || v.OriginalDecision != "resubmission_requested" {
			t.Fatalf("%s attempt %d", v.Status, v.Attempt)
		}
	}
}

// TestState_Document: a decision document fetched after the last webhook
// settles a disagreement with the automatic decision, not a resubmission
// request; an erasure keeps a tombstone.
func TestState_Document(t *testing.T) {
	log := arrive(t, eventOf(attempt1, "submitted", 7002), decisionAt(attempt1, "approved", 9001, "", "10:05"))
	last := log[len(log)-1].ReceivedAt
	doc := func(id string, d kycgate.Decision) kycgate.LogEntry {
		return kycgate.LogEntry{ID: id, DedupKey: "fetch|" + id, Type: kycgate.EventEnriched, OccurredAt: last.Add(time.Minute),
			ReceivedAt: last.Add(time.Minute + time.Second), Change: kycgate.Change{Decision: d, DocumentType: "ID_CARD"}}
	}
	v := kycgate.Rebuild("src", veriff.Name, session, append(log, doc("evt_doc", kycgate.DecisionDeclined)))
	if v.Decision != "declined" || v.DecidedBy != kycgate.ActorProviderAPI || v.DocumentType != "ID_CARD" {
		t.Errorf("settled: %s by %s, document %s", v.Decision, v.DecidedBy, v.DocumentType)
	}

	log = arrive(t, decisionAt(attempt1, "resubmission_requested", 9103, "201", "10:05"))
	if v := kycgate.Rebuild("src", veriff.Name, session, append(log, doc("evt_doc", kycgate.DecisionApproved))); v.Decision != "resubmission_requested" {
		t.Errorf("a document overruled the resubmission request: %s", v.Decision)
	}

	erased := kycgate.LogEntry{ID: "evt_erase", DedupKey: "erase", Type: kycgate.EventDeleted, ReceivedAt: last.Add(time.Hour)}
	log = arrive(t, decisionAt(attempt1, "approved", 9001, "", "10:05"))
	if v := kycgate.Rebuild("src", veriff.Name, session, append(log, erased)); v.Status != kycgate.StatusDeleted || v.Decision != "approved" {
		t.Errorf("erased: %s, %s", v.Status, v.Decision)
	}
}

// TestState_Details: times and drop-off.
func TestState_Details(t *testing.T) {
	log := arrive(t, eventOf(attempt1, "started", 7001), decisionAt(attempt1, "declined", 9102, "102", "10:05"))
	v := kycgate.Rebuild("src", veriff.Name, session, log)
	decided := time.Date(2026, 11, 22, 10, 5, 0, 0, time.UTC)
	if v.DecidedAt == nil || !v.DecidedAt.Equal(decided) || v.DropOff != "102" || v.ExternalUserID != "user-1" || v.DocumentCountry != "DE" {
		t.Errorf("decided %v, drop-off %q, user %q, country %q", v.DecidedAt, v.DropOff, v.ExternalUserID, v.DocumentCountry)
	}
}
