package stripe_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/stripe"
)

// t0 is when the test's session was created.
const t0 = 1764669600

// ev is a Stripe event of the test's session: its id, its name after
// identity.verification_session., seconds after t0, and the last_error
// code it carries.
func ev(id, name string, after int64, code string) string {
	lastError := "null"
	if code != "" {
		lastError = fmt.Sprintf(`{"code":%q,"reason":"r"}`, code)
	}
	status := map[string]string{"created": "requires_input", "processing": "processing", "requires_input": "requires_input",
		"verified": "verified", "canceled": "canceled", "redacted": "verified"}[name]
	return fmt.Sprintf(`{"id":"evt_%s","object":"event","api_version":"2024-06-20","created":%d,"data":{"object":{"id":"vs_state","object":"identity.verification_session","client_reference_id":"user-1","created":%d,"last_error":%s,"livemode":false,"metadata":{"plan":"gold"},"status":%q,"type":"document"}},"livemode":false,"pending_webhooks":1,"type":"identity.verification_session.%s"}`,
		id, t0+after, t0, lastError, status, name)
}

// arrive parses bodies with the adapter as they arrive, a second apart in
// the order given: a lost delivery retried late is a body that comes later.
func arrive(t *testing.T, bodies ...string) []kycgate.LogEntry {
	t.Helper()
	p, err := stripe.New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var log []kycgate.LogEntry
	for i, body := range bodies {
		id, change, err := p.Parse(http.Header{}, []byte(body))
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		e := kycgate.Event{ID: fmt.Sprintf("e%02d", i), Seq: int64(i + 1), Identity: id, Type: stripe.Adapter.Type(id.ProviderEvent),
			Data: change, ReceivedAt: received.Add(time.Duration(i) * time.Second)}
		log = append(log, e.LogEntry())
	}
	return log
}

var (
	created      = ev("created", "created", 0, "")
	processing   = ev("proc1", "processing", 60, "")
	failed       = ev("fail1", "requires_input", 90, "selfie_face_mismatch")
	processing2  = ev("proc2", "processing", 300, "")
	verified     = ev("verified", "verified", 330, "")
	verified1    = ev("verified1", "verified", 90, "") // verified at the first try
	redacted     = ev("redacted", "redacted", 900, "")
	canceled     = ev("canceled", "canceled", 600, "")
	declined     = ev("consent", "requires_input", 30, "consent_declined")
	sameSecondOK = ev("fast", "verified", 60, "") // checks done within processing's second
)

type stateCase struct {
	name     string
	bodies   []string // in the order they arrive
	status   kycgate.Status
	decision kycgate.Decision
	attempt  int
	late     []int // indexes of bodies that arrive after events that apply after them
}

var stateCases = []stateCase{
	{name: "approved in order", bodies: []string{created, processing, verified1},
		status: "approved", decision: "approved", attempt: 1},
	{name: "failed first attempt, then verified", bodies: []string{created, processing, failed, processing2, verified},
		status: "approved", decision: "approved", attempt: 2},
	{name: "the failure of the first attempt lost and retried after the verification", bodies: []string{created, processing, processing2, verified, failed},
		status: "approved", decision: "approved", attempt: 2, late: []int{4}},
	{name: "verified arrives before processing and created", bodies: []string{verified1, processing, created},
		status: "approved", decision: "approved", attempt: 1, late: []int{1, 2}},
	{name: "checks done in the second of processing, arriving first", bodies: []string{sameSecondOK, created, processing},
		status: "approved", decision: "approved", attempt: 1, late: []int{1, 2}},
	{name: "failed, not tried again", bodies: []string{created, processing, failed},
		status: "resubmission_requested", decision: "resubmission_requested", attempt: 2},
	{name: "failed, then canceled", bodies: []string{created, processing, failed, canceled},
		status: "abandoned", decision: "resubmission_requested", attempt: 2},
	{name: "canceled arrives before the failure", bodies: []string{created, processing, canceled, failed},
		status: "abandoned", decision: "resubmission_requested", attempt: 2, late: []int{3}},
	{name: "consent declined, then the user came back", bodies: []string{created, declined, processing, verified1},
		status: "approved", decision: "approved", attempt: 1},
	{name: "consent declined", bodies: []string{created, declined},
		status: "abandoned", decision: "", attempt: 1},
	{name: "canceled unused", bodies: []string{created, canceled},
		status: "abandoned", decision: "", attempt: 1},
	{name: "redacted, then a retry of the verification", bodies: []string{created, processing, verified1, redacted, verified1},
		status: "deleted", decision: "approved", attempt: 1},
	{name: "redacted before anything else arrives", bodies: []string{redacted, verified1, processing, created},
		status: "deleted", decision: "approved", attempt: 1, late: []int{2, 3}},
}

// TestState_Deliveries: each case of lost, retried and reordered deliveries
// ends in the true state, and the events that arrived out of order say so.
func TestState_Deliveries(t *testing.T) {
	for _, c := range stateCases {
		t.Run(c.name, func(t *testing.T) {
			log := arrive(t, c.bodies...)
			v, effects := kycgate.Replay("src", stripe.Name, "vs_state", log)
			if v.Status != c.status || v.Decision != c.decision || v.Attempt != c.attempt {
				t.Errorf("status %q decision %q attempt %d; want %q %q %d", v.Status, v.Decision, v.Attempt, c.status, c.decision, c.attempt)
			}
			if v.Decision != "" && v.DecidedBy != kycgate.ActorAutomatic {
				t.Errorf("decision by %q: every Stripe decision is its checks'", v.DecidedBy)
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
// again, ends in the same status, decision and attempt.
func TestState_ArrivalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range stateCases {
		t.Run(c.name, func(t *testing.T) {
			for range 200 {
				bodies := append([]string{}, c.bodies...)
				for range rng.IntN(3) {
					bodies = append(bodies, bodies[rng.IntN(len(bodies))]) // a retry, stored once
				}
				rng.Shuffle(len(bodies), func(a, b int) { bodies[a], bodies[b] = bodies[b], bodies[a] })
				v := kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, bodies...))
				if v.Status != c.status || v.Decision != c.decision || v.Attempt != c.attempt {
					t.Fatalf("status %q decision %q attempt %d; want %q %q %d", v.Status, v.Decision, v.Attempt, c.status, c.decision, c.attempt)
				}
			}
		})
	}
}

// TestState_Retry: Stripe re-signs a retry with a new timestamp and may
// change pending_webhooks; the event id makes it one event.
func TestState_Retry(t *testing.T) {
	retried := strings.Replace(verified1, `"pending_webhooks":1`, `"pending_webhooks":0`, 1)
	if retried == verified1 {
		t.Fatal("the retry's body is not different")
	}
	log := arrive(t, created, processing, verified1, retried)
	if log[2].DedupKey != log[3].DedupKey {
		t.Fatalf("a retry has a dedup key of its own: %s, %s", log[2].DedupKey, log[3].DedupKey)
	}
	v := kycgate.Rebuild("src", stripe.Name, "vs_state", log)
	if v.Events != 3 || v.Status != "approved" {
		t.Errorf("%d events, %s; want 3, approved", v.Events, v.Status)
	}
	// Two events of the same kind are two events.
	if log := arrive(t, processing, processing2); log[0].DedupKey == log[1].DedupKey {
		t.Error("two processing events share a dedup key")
	}
}

// TestState_Details: what the verification says beside its status.
func TestState_Details(t *testing.T) {
	v := kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, created, processing, failed, processing2, verified))
	if v.OriginalDecision != "resubmission_requested" || len(v.Reasons) != 0 || v.ExternalUserID != "user-1" || v.Flow != "document" || !v.Sandbox {
		t.Errorf("after a failed attempt and a verification: %+v", v)
	}
	if want := time.Unix(t0, 0).UTC(); !v.CreatedAt.Equal(want) || v.DecisionClock != kycgate.ClockEvent {
		t.Errorf("created %s, decision clock %q", v.CreatedAt, v.DecisionClock)
	}
	v = kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, created, processing, failed, canceled))
	if v.DropOff != "selfie_face_mismatch" || v.Stage != kycgate.StageDecided {
		t.Errorf("failed then canceled: drop-off %q, stage %q", v.DropOff, v.Stage)
	}
	v = kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, created, declined))
	if v.DropOff != "consent_declined" || v.Stage != kycgate.StageCreated {
		t.Errorf("consent declined: drop-off %q, stage %q", v.DropOff, v.Stage)
	}
	v = kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, created, verified1, redacted))
	if v.Metadata != nil || v.Decision != "approved" {
		t.Errorf("redacted: metadata %s, decision %q", v.Metadata, v.Decision)
	}
	if v := kycgate.Rebuild("src", stripe.Name, "vs_state", arrive(t, created)); string(v.Metadata) != `{"plan":"gold"}` {
		t.Errorf("metadata %s", v.Metadata)
	}
}
