package kycgate_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// arrive reads bodies with the provider's real adapter, as ingest does, as
// they arrive, one second apart in the order given: a lost first attempt is
// simply a body that comes later.
func arrive(t *testing.T, providerName string, cfg provider.Config, bodies ...string) (string, []kycgate.LogEntry) {
	t.Helper()
	return arriveApart(t, providerName, cfg, nil, bodies...)
}

// arriveApart is arrive with, before body i, a further wait of gaps[i].
func arriveApart(t *testing.T, providerName string, cfg provider.Config, gaps map[int]time.Duration, bodies ...string) (string, []kycgate.LogEntry) {
	t.Helper()
	received := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)
	at := make([]time.Time, len(bodies))
	for i := range bodies {
		received = received.Add(gaps[i])
		at[i] = received.Add(time.Duration(i) * time.Second)
	}
	return arriveAt(t, providerName, cfg, bodies, at)
}

// arriveAt reads bodies with the provider's real adapter, as ingest does,
// body i arriving at at[i].
func arriveAt(t *testing.T, providerName string, cfg provider.Config, bodies []string, at []time.Time) (string, []kycgate.LogEntry) {
	t.Helper()
	a, ok := registry.Lookup(providerName)
	if !ok {
		t.Fatalf("no adapter %s", providerName)
	}
	p, err := a.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var vid string
	var log []kycgate.LogEntry
	for i, body := range bodies {
		ev := kycgate.Event{ID: fmt.Sprintf("evt_%02d", i), Seq: int64(i + 1), Body: []byte(body), ReceivedAt: at[i]}
		ingest.Normalize(a, p, http.Header{}, &ev)
		if ev.Flag == kycgate.FlagUnparseable {
			t.Fatalf("#%d: %s", i, ev.FlagDetail)
		}
		vid = ev.VerificationID
		log = append(log, ev.LogEntry())
	}
	return vid, log
}

// metamapAt is a MetaMap webhook sent at hh:mm on the test's day.
func metamapAt(event, extra string, hhmm string) string {
	return fmt.Sprintf(`{"resource":"https://api.prod.metamap.com/v2/verifications/mm1","eventName":%q,"flowId":"flow1","metadata":{"userId":"user-1","email":"jane@example.com"},"timestamp":"2026-11-22T%s:00.000Z"%s}`, event, hhmm, extra)
}

func sumsubLevel(typ, level, review string, n int) string {
	return fmt.Sprintf(`{"applicantId":"app1","correlationId":"req-%d","externalUserId":"user-1","levelName":%q,"type":%q,"reviewStatus":"completed","reviewResult":%s,"createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, level, typ, review, n)
}

func vericatoFull(event, status, extra string) string {
	return fmt.Sprintf(`{"event":%q,"timestamp":"2026-11-21T09:00:00.000Z","data":{"verification_id":"vc1","verification_status":%q%s,
		"original_verification":{"created_at":"2026-11-14T09:00:00.000Z","updated_at":"2026-11-14T10:25:00.000Z","purpose":"kyc"}}}`, event, status, extra)
}

const (
	idwRefer    = `,"systemDecision":"Refer"`
	idwComplete = `,"systemDecision":"Complete"`
)

// A delivery case: the bodies in the order they arrive, and the truth.
type deliveryCase struct {
	name     string
	provider string
	cfg      provider.Config
	bodies   []string
	status   kycgate.Status
	decision kycgate.Decision
	source   kycgate.Actor
	attempt  int
	late     []int // indexes in bodies of the events that must be marked late
}

var deliveryCases = []deliveryCase{
	{
		// The automatic approval's first attempt got no 2xx; the reviewer's
		// rejection came through; MetaMap's retry of the approval carries a
		// later send time.
		name: "metamap approval retried after the reviewer's rejection", provider: "metamap",
		bodies: []string{
			metamapAt("verification_started", "", "10:00"),
			metamapAt("verification_inputs_completed", "", "10:02"),
			metamapAt("verification_updated", `,"status":"verified","identityStatus":"rejected"`, "10:10"),
			metamapAt("verification_completed", `,"status":"verified","identityStatus":"verified"`, "10:13"),
		},
		status: "declined", decision: "declined", source: "reviewer", attempt: 1, late: []int{3},
	},
	{
		name: "metamap started re-stamped after the decision", provider: "metamap",
		bodies: []string{
			metamapAt("verification_completed", `,"status":"verified","identityStatus":"verified"`, "10:05"),
			metamapAt("verification_started", "", "10:20"),
		},
		status: "approved", decision: "approved", source: "automatic", attempt: 1, late: []int{1},
	},
	{
		name: "idwise AML clean result after a manual rejection", provider: "idwise",
		bodies: []string{
			idwise("Finished Journey", idwRefer, 1),
			idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`, 2),
			idwise("AML Monitor Update", `,"systemDecision":"Complete","previousSystemDecision":"Refer","updatedAMLVersionNumber":2`, 3),
		},
		status: "declined", decision: "declined", source: "reviewer", attempt: 1,
	},
	{
		name: "idwise AML hit after a manual approval reopens it", provider: "idwise",
		bodies: []string{
			idwise("Finished Journey", idwRefer, 1),
			idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, 2),
			idwise("AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`, 3),
		},
		status: "review_needed", decision: "review_needed", source: "screening", attempt: 1,
	},
	{
		name: "idwise system decision retried after the reviewer's", provider: "idwise",
		bodies: []string{
			idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`, 2),
			idwise("Finished Journey", idwComplete, 1),
		},
		status: "declined", decision: "declined", source: "reviewer", attempt: 1, late: []int{1},
	},
	{
		name: "idwise renewal", provider: "idwise",
		bodies: []string{
			idwise("Finished Journey", idwComplete, 1),
			idwise("Verification Update Required", `,"systemDecision":"Complete","trigger":"KYC Renewal","requiredSteps":[{"stepId":"1","reasonCode":"DOCUMENT_EXPIRED"}]`, 2),
			idwise("Finished User Steps", "", 3),
			idwise("Finished Journey", idwComplete, 4),
		},
		// The first attempt had no Finished User Steps, so the one after the
		// renewal is taken for its late delivery: harmless here.
		status: "approved", decision: "approved", source: "automatic", attempt: 2, late: []int{2},
	},
	{
		name: "idwise renewal still open", provider: "idwise",
		bodies: []string{
			idwise("Finished User Steps", "", 1),
			idwise("Finished Journey", idwComplete, 2),
			idwise("Verification Update Required", `,"systemDecision":"Complete","trigger":"KYC Renewal","requiredSteps":[{"stepId":"1","reasonCode":"DOCUMENT_EXPIRED"}]`, 3),
			idwise("Finished User Steps", "", 4),
		},
		status: "submitted", decision: "resubmission_requested", source: "automatic", attempt: 2,
	},
	{
		name: "idwise resubmission request delivered before the journey's own events", provider: "idwise",
		bodies: []string{
			idwise("Verification Update Required", `,"systemDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"0","reasonCode":"RESUBMIT_BAD_QUALITY"}]`, 3),
			idwise("Finished User Steps", "", 1),
			idwise("Finished Journey", idwRefer, 2),
		},
		status: "resubmission_requested", decision: "resubmission_requested", source: "automatic", attempt: 2, late: []int{1, 2},
	},
	{
		name: "idwise failed spot check of an approved journey", provider: "idwise",
		bodies: []string{
			idwise("Finished Journey", idwComplete, 1),
			idwise("Finished Spot Check", `,"systemDecision":"Refer","spotCheckJourneyId":"sc1"`, 2),
		},
		status: "review_needed", decision: "review_needed", source: "risk", attempt: 1,
	},
	{
		name: "vericato verified, then its invitation expired", provider: "vericato",
		bodies: []string{
			vericatoFull("verification.verified", "verified", `,"verification_date_identified":"2026-11-14T10:25:00.000Z"`),
			vericatoFull("verification.expired", "expired", `,"verification_expired_date":"2026-11-21T09:00:00.000Z"`),
		},
		status: "approved", decision: "approved", source: "automatic", attempt: 1,
	},
	{
		name: "verifyyou face collision, then completion", provider: "verifyyou",
		bodies: []string{verifyyou("liveness_passed", 2), verifyyou("face_collision", 3), verifyyou("verification_completed", 4)},
		status: "declined", decision: "declined", source: "risk", attempt: 1,
	},
	{
		name: "verifyyou completion arrives before the face collision", provider: "verifyyou",
		bodies: []string{verifyyou("verification_completed", 4), verifyyou("face_collision", 3)},
		status: "declined", decision: "declined", source: "risk", attempt: 1, late: []int{1},
	},
	{
		name: "verifyyou failed liveness, never retried", provider: "verifyyou",
		bodies: []string{verifyyou("verification_started", 1), verifyyou("liveness_started", 2), verifyyou("liveness_failed", 3)},
		status: "abandoned", decision: "", source: "", attempt: 1,
	},
	{
		name: "verifyyou completion below the source's minimum trust score", provider: "verifyyou", cfg: provider.Config{MinTrustScore: ptr(0.5)},
		bodies: []string{verifyyou("liveness_passed", 2), verifyyou("verification_completed", 4)}, // trust_score 0.4
		status: "review_needed", decision: "review_needed", source: "automatic", attempt: 1,
	},
	{
		name: "sumsub level changed after the approval", provider: "sumsub",
		bodies: []string{
			sumsubLevel("applicantReviewed", "basic-kyc-level", green, 2),
			sumsubLevel("applicantLevelChanged", "enhanced-kyc-level", noReview, 3),
		},
		status: "pending", decision: "", source: "", attempt: 2,
	},
	{
		name: "sumsub level change arrives after the new level's approval", provider: "sumsub",
		bodies: []string{
			sumsubLevel("applicantReviewed", "basic-kyc-level", green, 2),
			sumsubLevel("applicantReviewed", "enhanced-kyc-level", green, 5),
			sumsubLevel("applicantLevelChanged", "enhanced-kyc-level", noReview, 3),
		},
		status: "approved", decision: "approved", source: "automatic", attempt: 2, late: []int{2},
	},
	{
		name: "sumsub resubmission request, then approval", provider: "sumsub",
		bodies: []string{sumsub("applicantReviewed", green, 5), sumsub("applicantReviewed", redRetry, 3), sumsub("applicantPending", noReview, 4)},
		status: "approved", decision: "approved", source: "automatic", attempt: 2, late: []int{1, 2},
	},
}

func ptr[T any](v T) *T { return &v }

// findCase returns the case of that name.
func findCase(t *testing.T, name string) deliveryCase {
	t.Helper()
	for _, c := range deliveryCases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return deliveryCase{}
}

// TestState_Deliveries: each case of lost, retried, re-stamped and
// reordered deliveries ends in the true state, and the event that arrived
// out of order says so.
func TestState_Deliveries(t *testing.T) {
	for _, c := range deliveryCases {
		t.Run(c.name, func(t *testing.T) {
			vid, log := arrive(t, c.provider, c.cfg, c.bodies...)
			v, effects := kycgate.Replay("src", c.provider, vid, log)
			if v.Status != c.status || v.Decision != c.decision || v.DecidedBy != c.source || v.Attempt != c.attempt {
				t.Errorf("status %q decision %q by %q attempt %d; want %q %q %q %d", v.Status, v.Decision, v.DecidedBy, v.Attempt, c.status, c.decision, c.source, c.attempt)
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

// TestState_ArrivalOrder: for providers whose events carry event times or
// phases that order them, any order of arrival, with retries arriving
// again, ends in the same status and decision.
func TestState_ArrivalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range deliveryCases {
		if c.provider == "idwise" && c.name != "idwise system decision retried after the reviewer's" {
			continue // IDWise sends no time: arrival orders its attempts (TestState_NoTime)
		}
		t.Run(c.name, func(t *testing.T) {
			for range 100 {
				bodies := append([]string{}, c.bodies...)
				for range rng.IntN(3) {
					bodies = append(bodies, bodies[rng.IntN(len(bodies))]) // a retry, stored once
				}
				rng.Shuffle(len(bodies), func(a, b int) { bodies[a], bodies[b] = bodies[b], bodies[a] })
				vid, log := arrive(t, c.provider, c.cfg, bodies...)
				v := kycgate.Rebuild("src", c.provider, vid, log)
				if v.Status != c.status || v.Decision != c.decision || v.Attempt != c.attempt {
					t.Fatalf("arrival %v: status %q decision %q attempt %d; want %q %q %d", ids(log), v.Status, v.Decision, v.Attempt, c.status, c.decision, c.attempt)
				}
			}
		})
	}
}

// TestState_NoTime: without any provider time, arrival orders the attempts:
// a renewal's second decision counts for the new attempt.
func TestState_NoTime(t *testing.T) {
	c := findCase(t, "idwise renewal")
	vid, log := arrive(t, "idwise", provider.Config{}, c.bodies...)
	// The store may hand the log over in any order: the answer is the same.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		rng.Shuffle(len(log), func(a, b int) { log[a], log[b] = log[b], log[a] })
		if v := kycgate.Rebuild("src", "idwise", vid, log); v.Status != "approved" || v.Attempt != 2 {
			t.Fatalf("log %v: %s attempt %d", ids(log), v.Status, v.Attempt)
		}
	}
}

// document is a verification.enriched entry fetched from began, stored a
// second later, deciding d.
func document(id string, began time.Time, d kycgate.Decision) kycgate.LogEntry {
	return kycgate.LogEntry{ID: id, DedupKey: "fetch|" + id, Type: kycgate.EventEnriched, OccurredAt: began, ReceivedAt: began.Add(time.Second),
		Change: kycgate.Change{Decision: d, DocumentType: "PASSPORT"}}
}

// TestState_Reconcile: IDWise sends no time, so a reviewer's approval whose
// first attempt failed and that arrives after the reviewer's later
// rejection cannot be ordered by any rule; the provider's document fetched
// after it settles the decision, and the timeline shows the webhook it
// overruled. A document fetched before a later webhook does not overrule it.
func TestState_Reconcile(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwRefer, 1),
		idwise("Updated Journey", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`, 3),
		idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, 2), // the late retry
	)
	late := log[2]
	if v := kycgate.Rebuild("src", "idwise", vid, log); v.Decision != "approved" {
		t.Fatalf("without the provider's word, arrival decides: %s", v.Decision)
	}

	// A document whose fetch began before the late retry arrived: stale.
	stale := document("evt_doc1", late.ReceivedAt.Add(-500*time.Millisecond), kycgate.DecisionDeclined)
	if v := kycgate.Rebuild("src", "idwise", vid, append(log, stale)); v.Decision != "approved" || v.DecidedBy != "reviewer" || v.DocumentType != "PASSPORT" {
		t.Errorf("a stale document overruled a later webhook: %s by %s (document %q)", v.Decision, v.DecidedBy, v.DocumentType)
	}

	fresh := document("evt_doc2", late.ReceivedAt.Add(time.Minute), kycgate.DecisionDeclined)
	v, effects := kycgate.Replay("src", "idwise", vid, append(log, stale, fresh))
	if v.Status != "declined" || v.Decision != "declined" || v.DecidedBy != kycgate.ActorProviderAPI || v.OriginalDecision != "review_needed" {
		t.Fatalf("reconciled: %s %s by %s, original %s", v.Status, v.Decision, v.DecidedBy, v.OriginalDecision)
	}
	overruled := map[string]kycgate.Actor{}
	for _, e := range effects {
		overruled[e.EventID] = e.OverruledBy
	}
	if overruled[late.ID] != kycgate.ActorProviderAPI || overruled[log[1].ID] != "" {
		t.Errorf("overruled: %v; want the late approval overruled by the provider's API", overruled)
	}

	// A document that agrees changes nothing; one that gives no decision
	// settles nothing.
	agree := document("evt_doc3", late.ReceivedAt.Add(time.Minute), kycgate.DecisionApproved)
	if v := kycgate.Rebuild("src", "idwise", vid, append(log, agree)); v.Decision != "approved" || v.DecidedBy != "reviewer" {
		t.Errorf("an agreeing document: %s by %s", v.Decision, v.DecidedBy)
	}
	if v := kycgate.Rebuild("src", "idwise", vid, append(log, document("evt_doc4", late.ReceivedAt.Add(time.Minute), ""))); v.Decision != "approved" {
		t.Errorf("a document without a decision: %s", v.Decision)
	}
}

// TestState_MetaMapCollapse: a reviewer approves, rejects, then approves
// again; MetaMap's third body equals the first, so it is stored once and
// the webhooks say "rejected". The document fetched after the retry says
// what MetaMap holds.
func TestState_MetaMapCollapse(t *testing.T) {
	a := metamapAt("verification_updated", `,"status":"reviewNeeded","identityStatus":"verified"`, "10:10")
	b := metamapAt("verification_updated", `,"status":"reviewNeeded","identityStatus":"rejected"`, "10:20")
	again := metamapAt("verification_updated", `,"status":"reviewNeeded","identityStatus":"verified"`, "10:30")
	vid, log := arrive(t, "metamap", provider.Config{}, metamapAt("verification_completed", `,"status":"reviewNeeded","identityStatus":"reviewNeeded"`, "10:05"), a, b, again)
	if log[1].DedupKey != log[3].DedupKey {
		t.Fatalf("MetaMap's A again is not the same event as A: %s / %s", log[1].DedupKey, log[3].DedupKey)
	}
	if v := kycgate.Rebuild("src", "metamap", vid, log); v.Decision != "declined" {
		t.Fatalf("webhooks alone: %s", v.Decision)
	}
	v := kycgate.Rebuild("src", "metamap", vid, append(log, document("evt_doc", log[3].ReceivedAt.Add(time.Second), kycgate.DecisionApproved)))
	if v.Decision != "approved" || v.DecidedBy != kycgate.ActorProviderAPI {
		t.Errorf("reconciled: %s by %s", v.Decision, v.DecidedBy)
	}
}

// TestState_Deletion: MetaMap's identityStatus deleted erases like an
// erasure: a tombstone without metadata, whatever arrives after.
func TestState_Deletion(t *testing.T) {
	vid, log := arrive(t, "metamap", provider.Config{},
		metamapAt("verification_completed", `,"status":"verified","identityStatus":"verified"`, "10:05"),
		metamapAt("verification_updated", `,"status":"verified","identityStatus":"deleted"`, "10:10"),
		metamapAt("verification_started", "", "10:15"))
	v := kycgate.Rebuild("src", "metamap", vid, log)
	if v.Status != kycgate.StatusDeleted || v.Metadata != nil || v.Decision != "approved" {
		t.Errorf("deleted: %s metadata %s decision %s", v.Status, v.Metadata, v.Decision)
	}
}

// TestState_Details: the facts beside status and decision.
func TestState_Details(t *testing.T) {
	// Vericato's times come from the payload, not from the send time.
	vid, log := arrive(t, "vericato", provider.Config{}, findCase(t, "vericato verified, then its invitation expired").bodies...)
	v := kycgate.Rebuild("src", "vericato", vid, log)
	created, decided := time.Date(2026, 11, 14, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 14, 10, 25, 0, 0, time.UTC)
	if !v.CreatedAt.Equal(created) || v.FirstDecidedAt == nil || !v.FirstDecidedAt.Equal(decided) || v.DropOff != "" {
		t.Errorf("vericato: created %v, first decided %v, drop-off %q", v.CreatedAt, v.FirstDecidedAt, v.DropOff)
	}
	// VerifyYou: face_collision stays the reason; a failed liveness is where
	// the user stopped.
	vid, log = arrive(t, "verifyyou", provider.Config{}, findCase(t, "verifyyou face collision, then completion").bodies...)
	if v := kycgate.Rebuild("src", "verifyyou", vid, log); len(v.Reasons) != 1 || v.Reasons[0] != "face_collision" || v.DropOff != "face_collision" {
		t.Errorf("face collision: reasons %v drop-off %q", v.Reasons, v.DropOff)
	}
	vid, log = arrive(t, "verifyyou", provider.Config{}, findCase(t, "verifyyou failed liveness, never retried").bodies...)
	if v := kycgate.Rebuild("src", "verifyyou", vid, log); v.DropOff != "liveness.failed" {
		t.Errorf("failed liveness: drop-off %q", v.DropOff)
	}
	vid, log = arrive(t, "verifyyou", provider.Config{}, verifyyou("liveness_failed", 3), verifyyou("liveness_passed", 4), verifyyou("verification_completed", 5))
	if v := kycgate.Rebuild("src", "verifyyou", vid, log); v.Status != "approved" || len(v.Reasons) != 0 || v.DropOff != "" {
		t.Errorf("passed on the second try: %s reasons %v drop-off %q", v.Status, v.Reasons, v.DropOff)
	}
	// Sumsub: the new level is the flow; deactivation shows.
	vid, log = arrive(t, "sumsub", provider.Config{}, findCase(t, "sumsub level changed after the approval").bodies...)
	if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Flow != "enhanced-kyc-level" || v.OriginalDecision != "approved" {
		t.Errorf("level change: flow %q original %q", v.Flow, v.OriginalDecision)
	}
	vid, log = arrive(t, "sumsub", provider.Config{}, sumsub("applicantReviewed", green, 2), sumsub("applicantDeactivated", noReview, 3))
	if v := kycgate.Rebuild("src", "sumsub", vid, log); !v.Deactivated || v.Status != "approved" {
		t.Errorf("deactivated: %v, %s", v.Deactivated, v.Status)
	}
	vid, log = arrive(t, "sumsub", provider.Config{}, sumsub("applicantDeactivated", noReview, 3), sumsub("applicantActivated", noReview, 4))
	if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Deactivated {
		t.Error("activated again, still deactivated")
	}
}
