package kycgate_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// journey is a provider's sequence of webhooks for one verification, in the
// order they happened, and what the verification must end as.
type journey struct {
	provider, name string
	bodies         []string
	status         kycgate.Status
	decision       kycgate.Decision
	original       kycgate.Decision
}

func sumsub(typ, review string, n int) string {
	return fmt.Sprintf(`{"applicantId":"app1","correlationId":"req-%d","externalUserId":"user-1","levelName":"basic-kyc-level","type":%q,"reviewStatus":"completed","reviewResult":%s,"sandboxMode":"false","createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, typ, review, n)
}

func metamap(event, extra string, n int) string {
	return fmt.Sprintf(`{"resource":"https://api.prod.metamap.com/v2/verifications/mm1","eventName":%q,"flowId":"flow1","metadata":{"userId":"user-1"},"timestamp":"2026-11-22T10:00:%02d.000Z"%s}`, event, n, extra)
}

func idwise(event, extra string, n int) string {
	return fmt.Sprintf(`{"event":%q,"body":{"eventId":"e-%d","journeyId":"j1","referenceNo":"user-1"%s}}`, event, n, extra)
}

func verifyyou(stage string, n int) string {
	return fmt.Sprintf(`{"stage":%q,"occurred_at":"2026-11-22T10:00:%02d.123456+00:00","verification_id":"vy1","external_id":"user-1","external_tracker":"spring","trust_score":0.%d}`, stage, n, n)
}

func vericato(event, extra string, n int) string {
	return fmt.Sprintf(`{"event":%q,"timestamp":"2026-11-22T10:00:%02d.000Z","data":{"verification_id":"vc1"%s}}`, event, n, extra)
}

const (
	green      = `{"reviewAnswer":"GREEN"}`
	redFinal   = `{"reviewAnswer":"RED","reviewRejectType":"FINAL","rejectLabels":["FORGERY"]}`
	redRetry   = `{"reviewAnswer":"RED","reviewRejectType":"RETRY","rejectLabels":["BAD_PROOF_OF_ADDRESS"]}`
	noReview   = `null`
	mmVerified = `,"status":"verified","identityStatus":"verified"`
)

var journeys = []journey{
	{"sumsub", "approved", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantPending", noReview, 2), sumsub("applicantReviewed", green, 3)}, "approved", "approved", "approved"},
	{"sumsub", "declined", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantPending", noReview, 2), sumsub("applicantReviewed", redFinal, 3)}, "declined", "declined", "declined"},
	{"sumsub", "resubmission then approval", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantPending", noReview, 2), sumsub("applicantReviewed", redRetry, 3), sumsub("applicantPending", noReview, 4), sumsub("applicantReviewed", green, 5)}, "approved", "approved", "resubmission_requested"},
	{"sumsub", "re-review after approval", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantReviewed", green, 2), sumsub("applicantReviewed", redFinal, 3)}, "declined", "declined", "approved"},
	{"sumsub", "on hold", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantPending", noReview, 2), sumsub("applicantOnHold", noReview, 3)}, "on_hold", "", ""},
	{"sumsub", "reset", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantReviewed", redFinal, 2), sumsub("applicantReset", noReview, 3)}, "pending", "", ""},
	{"sumsub", "deleted", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantReviewed", green, 2), sumsub("applicantDeleted", noReview, 3), sumsub("applicantTagsChanged", green, 4)}, "deleted", "approved", "approved"},
	{"sumsub", "action events leave the applicant's decision", []string{sumsub("applicantCreated", noReview, 1), sumsub("applicantReviewed", green, 2), sumsub("applicantActionReviewed", redFinal, 3)}, "approved", "approved", "approved"},
	{"metamap", "review then manual approval", []string{metamap("verification_started", "", 1), metamap("step_completed", `,"step":{"status":200,"id":"liveness","error":null}`, 2), metamap("step_completed", `,"step":{"status":200,"id":"alteration-detection","error":{"type":"StepError","code":"alterationDetection.negligence","message":"m"}}`, 3), metamap("verification_inputs_completed", "", 4), metamap("verification_completed", `,"status":"reviewNeeded","identityStatus":"reviewNeeded"`, 5), metamap("verification_updated", `,"status":"reviewNeeded","identityStatus":"verified"`, 6)}, "approved", "approved", "review_needed"},
	{"metamap", "expired", []string{metamap("verification_started", "", 1), metamap("verification_expired", "", 2)}, "expired", "", ""},
	{"metamap", "progress reported after the decision", []string{metamap("verification_started", "", 1), metamap("verification_completed", mmVerified, 2), metamap("verification_inputs_completed", "", 3)}, "approved", "approved", "approved"},
	{"idwise", "refer then manual rejection", []string{idwise("Finished Step", `,"stepId":"0","stepType":"Document"`, 1), idwise("Finished User Steps", "", 2), idwise("Finished Journey", `,"systemDecision":"Refer"`, 3), idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`, 4)}, "declined", "declined", "review_needed"},
	{"idwise", "incomplete", []string{idwise("Finished Step", `,"stepId":"0","stepType":"Selfie"`, 1), idwise("Finished Journey", `,"systemDecision":"Incomplete"`, 2)}, "abandoned", "", ""},
	{"idwise", "AML update after approval", []string{idwise("Finished Journey", `,"systemDecision":"Complete"`, 1), idwise("AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`, 2)}, "review_needed", "review_needed", "approved"},
	{"idwise", "resubmission required", []string{idwise("Finished Journey", `,"systemDecision":"Refer"`, 1), idwise("Verification Update Required", `,"systemDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"1","reasonCode":"RESUBMIT_BAD_QUALITY"}]`, 2)}, "resubmission_requested", "resubmission_requested", "review_needed"},
	{"verifyyou", "approved after a failed liveness", []string{verifyyou("verification_initialized", 1), verifyyou("verification_started", 2), verifyyou("consent_granted", 3), verifyyou("liveness_started", 4), verifyyou("liveness_failed", 5), verifyyou("liveness_passed", 6), verifyyou("verification_completed", 7)}, "approved", "approved", "approved"},
	{"verifyyou", "abandoned at liveness", []string{verifyyou("verification_initialized", 1), verifyyou("verification_started", 2), verifyyou("liveness_started", 3), verifyyou("liveness_cancelled", 4)}, "abandoned", "", ""},
	{"verifyyou", "face collision", []string{verifyyou("verification_initialized", 1), verifyyou("liveness_passed", 2), verifyyou("face_collision", 3)}, "declined", "declined", "declined"},
	{"vericato", "verified", []string{vericato("verification.verified", `,"verification_status":"verified"`, 1)}, "approved", "approved", "approved"},
	{"vericato", "failed", []string{vericato("verification.failed", `,"verification_status":"failed","verification_failed_reason":"Document verification failed"`, 1)}, "declined", "declined", "declined"},
	{"vericato", "expired", []string{vericato("verification.expired", `,"verification_status":"expired"`, 1)}, "expired", "", ""},
}

// log parses a journey's bodies with the real adapter, as arriving one
// second apart in order.
func (j journey) log(t *testing.T) (string, []kycgate.LogEntry) {
	t.Helper()
	a, ok := registry.Lookup(j.provider)
	if !ok {
		t.Fatalf("no adapter %s", j.provider)
	}
	p, err := a.New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)
	var vid string
	var log []kycgate.LogEntry
	for i, body := range j.bodies {
		id, change, err := p.Parse(http.Header{}, []byte(body))
		if err != nil {
			t.Fatalf("%s #%d: %v", j.name, i, err)
		}
		vid = id.VerificationID
		ev := kycgate.Event{ID: fmt.Sprintf("evt_%02d", i), Identity: id, Type: a.Type(id.ProviderEvent), Data: change, ReceivedAt: received.Add(time.Duration(i) * time.Second)}
		log = append(log, ev.LogEntry())
	}
	return vid, log
}

func TestRebuild_Journeys(t *testing.T) {
	for _, j := range journeys {
		t.Run(j.provider+"/"+j.name, func(t *testing.T) {
			vid, log := j.log(t)
			v := kycgate.Rebuild("src", j.provider, vid, log)
			if v.Status != j.status || v.Decision != j.decision || v.OriginalDecision != j.original {
				t.Errorf("status %q decision %q original %q; want %q %q %q", v.Status, v.Decision, v.OriginalDecision, j.status, j.decision, j.original)
			}
			if v.Events != len(log) {
				t.Errorf("%d events applied, want %d", v.Events, len(log))
			}
		})
	}
}

// TestRebuild_Permutations: every order of a journey's log, with
// duplicates inserted, rebuilds the same verification as the sorted log.
func TestRebuild_Permutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, j := range journeys {
		t.Run(j.provider+"/"+j.name, func(t *testing.T) {
			vid, log := j.log(t)
			want := kycgate.Rebuild("src", j.provider, vid, log)
			for range 200 {
				shuffled := append([]kycgate.LogEntry{}, log...)
				for range rng.IntN(len(log) + 1) { // duplicates: the same event again
					shuffled = append(shuffled, log[rng.IntN(len(log))])
				}
				rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
				got := kycgate.Rebuild("src", j.provider, vid, shuffled)
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(want)
					t.Fatalf("order %v gives\n%s\nwant\n%s", ids(shuffled), g, w)
				}
			}
		})
	}
}

func ids(log []kycgate.LogEntry) []string {
	out := make([]string, len(log))
	for i, e := range log {
		out[i] = e.ID
	}
	return out
}

// TestRebuild_NoProviderTime: IDWise sends no time, and a retry of
// "Finished Journey" may arrive after the reviewer's decision; the
// reviewer's decision still stands.
func TestRebuild_NoProviderTime(t *testing.T) {
	j := journeys[11] // idwise refer then manual rejection
	vid, log := j.log(t)
	// Deliver the manual review first, then the system's decision.
	log[2].ReceivedAt, log[3].ReceivedAt = log[3].ReceivedAt, log[2].ReceivedAt
	v := kycgate.Rebuild("src", "idwise", vid, log)
	if v.Decision != kycgate.DecisionDeclined || v.OriginalDecision != kycgate.DecisionReviewNeeded {
		t.Fatalf("decision %q original %q; want declined, review_needed", v.Decision, v.OriginalDecision)
	}
}

func TestRebuild_Fields(t *testing.T) {
	vid, log := journeys[8].log(t) // metamap review then manual approval
	v := kycgate.Rebuild("src", "metamap", vid, log)
	if v.ID != "mm1" || v.ExternalUserID != "user-1" || v.Flow != "flow1" || v.ResourceURL == "" {
		t.Errorf("fields: %+v", v)
	}
	if len(v.Steps) != 2 || v.Steps[1] != (kycgate.Step{Name: "alteration-detection", Outcome: "failed", ErrorCode: "alterationDetection.negligence"}) {
		t.Errorf("steps: %+v", v.Steps)
	}
	if len(v.Reasons) != 1 || v.Reasons[0] != "alterationDetection.negligence" {
		t.Errorf("reasons: %v", v.Reasons)
	}
	if v.DecidedAt == nil || !v.DecidedAt.Equal(time.Date(2026, 11, 22, 10, 0, 6, 0, time.UTC)) {
		t.Errorf("decided_at %v, want the manual update's time", v.DecidedAt)
	}
	if !v.CreatedAt.Equal(time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC)) || !v.LastEventAt.Equal(time.Date(2026, 11, 22, 10, 0, 6, 0, time.UTC)) {
		t.Errorf("created %v last event %v", v.CreatedAt, v.LastEventAt)
	}
	vid, log = journeys[15].log(t) // verifyyou
	v = kycgate.Rebuild("src", "verifyyou", vid, log)
	if v.Score == nil || *v.Score != 0.7 || v.Tracker != "spring" {
		t.Errorf("score %v tracker %q", v.Score, v.Tracker)
	}
	vid, log = journeys[6].log(t) // sumsub deleted
	v = kycgate.Rebuild("src", "sumsub", vid, log)
	if v.Status != kycgate.StatusDeleted || v.Metadata != nil {
		t.Errorf("deleted verification: %+v", v)
	}
}

// BenchmarkRebuild rebuilds a MetaMap verification of six events.
func BenchmarkRebuild(b *testing.B) {
	vid, log := journeys[8].log(&testing.T{})
	b.ReportAllocs()
	for b.Loop() {
		kycgate.Rebuild("src", "metamap", vid, log)
	}
}

// TestRebuild_Funnel: every journey's furthest stage and drop-off label.
func TestRebuild_Funnel(t *testing.T) {
	want := map[string]struct {
		stage   kycgate.Stage
		dropOff string
	}{
		"sumsub/approved":                   {"decided", ""},
		"sumsub/declined":                   {"decided", "FORGERY"},
		"sumsub/resubmission then approval": {"decided", ""},
		"sumsub/re-review after approval":   {"decided", "FORGERY"},
		"sumsub/on hold":                    {"submitted", ""},
		"sumsub/reset":                      {"created", ""},
		"sumsub/deleted":                    {"decided", ""},
		"sumsub/action events leave the applicant's decision": {"decided", ""},
		"metamap/review then manual approval":                 {"decided", ""},
		"metamap/expired":                                     {"started", "expired"},
		"metamap/progress reported after the decision":        {"decided", ""},
		"idwise/refer then manual rejection":                  {"decided", "declined"},
		"idwise/incomplete":                                   {"started", "Incomplete"},
		"idwise/AML update after approval":                    {"decided", ""},
		"idwise/resubmission required":                        {"decided", "RESUBMIT_BAD_QUALITY"},
		"verifyyou/approved after a failed liveness":          {"decided", ""},
		"verifyyou/abandoned at liveness":                     {"started", "liveness.cancelled"},
		"verifyyou/face collision":                            {"decided", "face_collision"},
		"vericato/verified":                                   {"decided", ""},
		"vericato/failed":                                     {"decided", "Document verification failed"},
		"vericato/expired":                                    {"created", "expired"},
	}
	for _, j := range journeys {
		name := j.provider + "/" + j.name
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expected funnel for journey %q", name)
			}
			vid, log := j.log(t)
			v := kycgate.Rebuild("src", j.provider, vid, log)
			if v.Stage != w.stage || v.DropOff != w.dropOff {
				t.Errorf("stage %q drop-off %q; want %q %q", v.Stage, v.DropOff, w.stage, w.dropOff)
			}
			if (v.FirstDecidedAt != nil) != (v.OriginalDecision != "") {
				t.Errorf("first_decided_at %v with original decision %q", v.FirstDecidedAt, v.OriginalDecision)
			}
		})
	}
}

// TestRebuild_FirstDecision: a post-decision update moves decided_at but
// not first_decided_at, the start of time to decision.
func TestRebuild_FirstDecision(t *testing.T) {
	vid, log := journeys[3].log(t) // sumsub re-review after approval
	v := kycgate.Rebuild("src", "sumsub", vid, log)
	first, last := time.Date(2026, 11, 22, 10, 0, 2, 0, time.UTC), time.Date(2026, 11, 22, 10, 0, 3, 0, time.UTC)
	if v.FirstDecidedAt == nil || !v.FirstDecidedAt.Equal(first) || v.DecidedAt == nil || !v.DecidedAt.Equal(last) {
		t.Errorf("first decided %v decided %v; want %v and %v", v.FirstDecidedAt, v.DecidedAt, first, last)
	}
}

// TestDropOffLabel: a drop-off code in words, for the dashboard and the
// funnel's labels.
func TestDropOffLabel(t *testing.T) {
	for code, want := range map[string]string{
		"liveness.cancelled":           "Liveness cancelled",
		"document-reading.failed":      "Document reading failed",
		"UNSATISFACTORY_PHOTOS":        "Unsatisfactory photos",
		"face_collision":               "Face collision",
		"Incomplete":                   "Incomplete",
		"expired":                      "Expired",
		"Document verification failed": "Document verification failed",
		"v1.2":                         "V1.2",
	} {
		if got := kycgate.DropOffLabel(code); got != want {
			t.Errorf("DropOffLabel(%q) = %q, want %q", code, got, want)
		}
	}
}
