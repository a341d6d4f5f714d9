package kycgate_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	idwiseapi "github.com/kycgate/kycgate/internal/provider/idwise"
)

// idwiseSummary is IDWise's journey summary fetched from began, parsed by
// the real adapter, as the fetcher stores it.
// The cases below were found by trying to break the state rules; each
// failed before its fix.

// idwiseSummary is a journey summary fetched from IDWise's API from began.
func idwiseSummary(t *testing.T, id string, began time.Time, summary string) kycgate.LogEntry {
	t.Helper()
	c, err := idwiseapi.ParseJourney([]byte(summary))
	if err != nil {
		t.Fatal(err)
	}
	return kycgate.LogEntry{ID: id, DedupKey: "fetch|j1|" + id, Type: kycgate.EventEnriched, OccurredAt: began, ReceivedAt: began.Add(time.Second), Change: c}
}

const (
	idwRenewal = `,"systemDecision":"Complete","trigger":"KYC Renewal","requiredSteps":[{"stepId":"1","reasonCode":"DOCUMENT_EXPIRED"}]`
	idwAMLHit  = `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`
)

// R1: after a renewal, an AML hit (or a failed spot check) of the renewed
// journey is filed under the first attempt because the first attempt had
// no event of its kind; the new attempt's automatic approval stands.
func TestState_AMLHitAfterRenewalIsLost(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwComplete, 1),
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("Finished Journey", idwComplete, 3),
		idwise("AML Monitor Update", idwAMLHit, 4), // days later: a watchlist hit
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Status != "review_needed" || v.Decision != "review_needed" || v.DecidedBy != "screening" {
		t.Errorf("AML hit after renewal: %s %s by %s attempt %d; want review_needed by screening", v.Status, v.Decision, v.DecidedBy, v.Attempt)
	}
	for _, e := range effects {
		if e.EventID == log[3].ID && e.Late {
			t.Errorf("the AML hit, delivered first time in order, is marked late (attempt %d)", e.Attempt)
		}
	}
}

func TestState_FailedSpotCheckAfterRenewalIsLost(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwComplete, 1),
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("Finished Journey", idwComplete, 3),
		idwise("Finished Spot Check", `,"systemDecision":"Refer","spotCheckJourneyId":"sc1"`, 4),
	)
	// With an api block the spot check asks for the journey; IDWise's
	// summary still says Complete, so it agrees with the wrong state.
	doc := idwiseSummary(t, "evt_doc", log[3].ReceivedAt.Add(2*time.Second), `{"journey_id":"j1","system_decision":"Complete","final_decision":"Complete"}`)
	for _, l := range [][]kycgate.LogEntry{log, append(log, doc)} {
		v := kycgate.Rebuild("src", "idwise", vid, l)
		if v.Decision != "review_needed" || v.DecidedBy != "risk" {
			t.Errorf("failed spot check after renewal (%d entries): %s %s by %s; want review_needed by risk", len(l), v.Status, v.Decision, v.DecidedBy)
		}
	}
}

// R2: a reviewer rejects the renewed (or resubmitted) journey that the
// system had passed; the rejection is filed under the first attempt.
func TestState_ReviewerRejectionAfterRenewalIsFiledUnderTheOldAttempt(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwComplete, 1),
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("Finished Journey", idwComplete, 3),
		idwise("Updated Journey", `,"systemDecision":"Complete","manualDecision":"Rejected","finalDecision":"Rejected"`, 4),
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Decision != "declined" || v.DecidedBy != "reviewer" {
		t.Errorf("reviewer rejected the renewed journey: %s %s by %s attempt %d; want declined by reviewer", v.Status, v.Decision, v.DecidedBy, v.Attempt)
	}
	// The envelope of the rejection (current state when it was stored) says approved.
	for _, e := range effects {
		if e.EventID == log[3].ID && (e.Attempt != 2 || e.Late) {
			t.Errorf("the rejection's effect: attempt %d late %v; want attempt 2, not late", e.Attempt, e.Late)
		}
	}
}

// R3: with an api block, an AML hit after a manual approval asks for the
// journey; its summary carries the reviewer's manual_decision Approved, and
// as the fetch began after the hit it "settles": approved by provider_api.
func TestState_DocumentOverrulesScreeningHit(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwRefer, 1),
		idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, 2),
		idwise("AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`, 3),
	)
	doc := idwiseSummary(t, "evt_doc", log[2].ReceivedAt.Add(2*time.Second),
		`{"journey_id":"j1","system_decision":"Refer","manual_decision":"Approved","final_decision":"Approved"}`)
	v := kycgate.Rebuild("src", "idwise", vid, append(log, doc))
	if v.Decision != "review_needed" {
		t.Errorf("AML hit, then the journey fetched: %s %s by %s; want review_needed (screening never approves; the summary knows nothing of the hit)", v.Status, v.Decision, v.DecidedBy)
	}
}

// R4: a renewal (Verification Update Required) asks for the journey; IDWise's
// summary can only say Complete/Refer/Approved/Rejected (ParseJourney never
// yields resubmission_requested), so the fetch that follows every renewal
// turns it back into the old approval.
func TestState_DocumentUndoesRenewal(t *testing.T) {
	c := findCase(t, "idwise renewal still open")
	vid, log := arrive(t, "idwise", provider.Config{}, c.bodies[:3]...)
	doc := idwiseSummary(t, "evt_doc", log[2].ReceivedAt.Add(2*time.Second), `{"journey_id":"j1","system_decision":"Complete","final_decision":"Complete"}`)
	v := kycgate.Rebuild("src", "idwise", vid, append(log, doc))
	if v.Decision != "resubmission_requested" || v.Status != "resubmission_requested" {
		t.Errorf("renewal due, journey fetched after it: %s %s by %s attempt %d; want resubmission_requested", v.Status, v.Decision, v.DecidedBy, v.Attempt)
	}
}

// R5: KYC Renewal Deadline Exceeded always follows a renewal; the attempt
// before the renewal never had an expiry, so the expiry is filed under it
// and the missed renewal shows as resubmission_requested.
func TestState_RenewalDeadlineExceededIsFiledUnderTheOldAttempt(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwComplete, 1),
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("KYC Renewal Deadline Exceeded", `,"requiredSteps":[{"stepId":"1","renewalDeadline":"2026-12-01"}]`, 3),
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Status != "expired" {
		t.Errorf("renewal deadline missed: status %s decision %s attempt %d; want expired", v.Status, v.Decision, v.Attempt)
	}
	for _, e := range effects {
		if e.EventID == log[2].ID && e.Late {
			t.Errorf("the deadline, delivered in order, is marked late")
		}
	}
}

// R6: a failed selfie spot check after a reviewer's approval is "overruled
// by reviewer": the reviewer never saw it, yet the journey stays approved
// (idwise.md: a failed spot check "reopens the journey as review_needed").
func TestState_FailedSpotCheckAfterManualApprovalIsIgnored(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwRefer, 1),
		idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, 2),
		idwise("Finished Spot Check", `,"systemDecision":"Refer","spotCheckJourneyId":"sc1"`, 3),
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Decision != "review_needed" {
		t.Errorf("spot check failed after the manual approval: %s %s by %s; want review_needed by risk", v.Status, v.Decision, v.DecidedBy)
	}
	for _, e := range effects {
		if e.OverruledBy != "" {
			t.Logf("%s overruled by %s", e.EventID, e.OverruledBy)
		}
	}
}

// R3b: the same with a failed spot check of an automatically approved
// journey (state_test.go's own case): the spot check asks for the journey,
// whose summary still says Complete, and the document approves it.
func TestState_DocumentOverrulesFailedSpotCheck(t *testing.T) {
	c := findCase(t, "idwise failed spot check of an approved journey")
	vid, log := arrive(t, "idwise", provider.Config{}, c.bodies...)
	doc := idwiseSummary(t, "evt_doc", log[1].ReceivedAt.Add(2*time.Second), `{"journey_id":"j1","system_decision":"Complete","final_decision":"Complete"}`)
	v := kycgate.Rebuild("src", "idwise", vid, append(log, doc))
	if v.Decision != "review_needed" || v.DecidedBy != "risk" {
		t.Errorf("failed spot check, then the journey fetched: %s %s by %s; want review_needed by risk", v.Status, v.Decision, v.DecidedBy)
	}
}

// R7: a reviewer clears an AML hit. Within an attempt aml_update (phase 7)
// always applies after the reviewer's update (phase 6), so without an api
// block the hit the reviewer cleared stands for ever.
func TestState_ReviewerCannotClearAMLHit(t *testing.T) {
	vid, log := arrive(t, "idwise", provider.Config{},
		idwise("Finished Journey", idwComplete, 1),
		idwise("AML Monitor Update", idwAMLHit, 2),
		idwise("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, 3),
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Decision != "approved" || v.DecidedBy != "reviewer" {
		t.Errorf("reviewer approved after seeing the AML hit: %s %s by %s; want approved by reviewer", v.Status, v.Decision, v.DecidedBy)
	}
	for _, e := range effects {
		if e.EventID == log[2].ID && e.Late {
			t.Errorf("the reviewer's approval, delivered in order, is marked late")
		}
	}
}

// R8 (hostile log): two entries with one id, seq and arrival but different
// dedup keys (a corrupt import, a reprocess of a bad table): the result
// depends on the order the store hands them over.
func TestState_SameIDDifferentDedupKeyIsOrderDependent(t *testing.T) {
	at := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)
	a := kycgate.LogEntry{ID: "evt_1", Seq: 1, DedupKey: "a", Type: kycgate.EventDecided, ReceivedAt: at, Change: kycgate.Change{Decision: "approved", Clock: kycgate.ClockNone}}
	b := a
	b.DedupKey, b.Change.Decision = "b", "declined"
	x := kycgate.Rebuild("src", "idwise", "j1", []kycgate.LogEntry{a, b})
	y := kycgate.Rebuild("src", "idwise", "j1", []kycgate.LogEntry{b, a})
	if x.Decision != y.Decision {
		t.Errorf("same set, two orders: %s vs %s", x.Decision, y.Decision)
	}
}

// veriffEvent and veriffDecision are Veriff's event and decision webhooks
// of session vf1; decided is its decisionTime, "" for none (null).
func veriffEvent(action, attempt string, code int) string {
	return fmt.Sprintf(`{"id":"10aaaaaa-0000-4000-8000-00000000000a","attemptId":%q,"feature":"selfid","code":%d,"action":%q,"vendorData":"u10","endUserId":null}`, attempt, code, action)
}

func veriffDecision(status, attempt string, code int, decided string) string {
	at := "null"
	if decided != "" {
		at = `"2026-04-01T` + decided + `:00.000Z"`
	}
	return fmt.Sprintf(`{"status":"success","verification":{"id":"10aaaaaa-0000-4000-8000-00000000000a","attemptId":%q,"code":%d,"status":%q,"reason":null,"reasonCode":null,"vendorData":"u10","decisionTime":%s,"acceptanceTime":"2026-04-01T10:00:00.000Z","document":{"type":"PASSPORT","country":"GB"}}}`, attempt, code, status, at)
}

// R7: one webhook without a time (Veriff's expiry with decisionTime null,
// as in Veriff's own example) made arrival order every webhook of the
// session: the second attempt's approval was taken for a late delivery of
// the first attempt, and the session showed expired.
func TestState_UntimedExpiryAfterApproval(t *testing.T) {
	vid, log := arrive(t, "veriff", provider.Config{},
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffDecision("expired", "a2", 9104, ""),
	)
	v, effects := kycgate.Replay("src", "veriff", vid, log)
	if v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
		t.Errorf("an expiry without a time after the approval: %s %s attempt %d; want approved, attempt 2", v.Status, v.Decision, v.Attempt)
	}
	for _, e := range effects {
		if (e.EventID == log[5].ID || e.EventID == log[6].ID) && e.Late {
			t.Errorf("%s, delivered in order, is marked late", e.EventID)
		}
	}
}

// R8: a Sumsub webhook without a time (tags changed, createdAtMs missing)
// made arrival order the others: a late retry of a resubmission request
// was taken for the latest word, after the approval of the resubmission.
// A createdAtMs without milliseconds is a time.
func TestState_UntimedSumsubWebhookKeepsEventOrder(t *testing.T) {
	for name, tags := range map[string]string{
		"no createdAtMs":             `{"applicantId":"app1","correlationId":"req-9","externalUserId":"user-1","type":"applicantTagsChanged"}`,
		"createdAtMs without millis": `{"applicantId":"app1","correlationId":"req-9","externalUserId":"user-1","type":"applicantTagsChanged","createdAtMs":"2026-11-22 10:00:09"}`,
	} {
		vid, log := arrive(t, "sumsub", provider.Config{},
			sumsub("applicantReviewed", `{"reviewAnswer":"GREEN"}`, 2),
			sumsub("applicantReviewed", `{"reviewAnswer":"RED","reviewRejectType":"RETRY"}`, 1), // a late retry
			tags,
		)
		if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Status != kycgate.StatusApproved || v.Attempt != 2 {
			t.Errorf("%s: %s attempt %d, want approved, attempt 2", name, v.Status, v.Attempt)
		}
	}
}

// R9: Sumsub webhooks without a correlationId were keyed by their content
// without createdAtMs, so a second GREEN after a RED was taken for a retry
// of the first GREEN and dropped; a retry repeats createdAtMs.
func TestState_SumsubRepeatedReviewWithoutCorrelationID(t *testing.T) {
	review := func(answer string, n int) string {
		return fmt.Sprintf(`{"applicantId":"app1","externalUserId":"user-1","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":%q},"createdAtMs":"2026-11-22 10:00:%02d.000"}`, answer, n)
	}
	vid, log := arrive(t, "sumsub", provider.Config{}, review("GREEN", 1), review("RED", 2), review("GREEN", 3), review("GREEN", 3))
	if log[0].DedupKey == log[2].DedupKey || log[2].DedupKey != log[3].DedupKey {
		t.Errorf("dedup keys %q %q %q %q: want the third distinct from the first, and the fourth a retry of it", log[0].DedupKey, log[1].DedupKey, log[2].DedupKey, log[3].DedupKey)
	}
	if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Status != kycgate.StatusApproved {
		t.Errorf("GREEN, RED, GREEN: %s, want approved", v.Status)
	}
}

// R10: Persona's workflows mark an inquiry for review after it completes
// or fails, and Persona's own examples give both one created-at: at the
// same time and phase, arrival orders them, so the review stands. (A rule
// that put a review before a final decision at a tie, as an analyst's
// decision follows a review in Onfido, turned these into approvals.)
func TestState_PersonaReviewAfterCompletion(t *testing.T) {
	fixture := func(name string) string {
		b, err := os.ReadFile("internal/provider/persona/testdata/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, first := range []string{"inquiry.completed", "inquiry.failed"} {
		vid, log := arrive(t, "persona", provider.Config{}, fixture(first), fixture("inquiry.marked-for-review"))
		if v := kycgate.Rebuild("src", "persona", vid, log); v.Decision != kycgate.DecisionReviewNeeded {
			t.Errorf("%s, then marked for review: %s by %s, want review_needed", first, v.Decision, v.DecidedBy)
		}
	}
}

const idwRenewalDeadline = `,"systemDecision":"Complete"`

// R9: a journey kycgate first hears of at its renewal (the gateway was set
// up after the first journey): the renewed journey's events, three days
// later, are no late delivery of the journey before, since IDWise stops
// retrying within half an hour. They decide the renewal.
func TestState_JourneyFirstSeenAtRenewal(t *testing.T) {
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	vid, log := arriveApart(t, "idwise", provider.Config{}, map[int]time.Duration{1: days(3)},
		idwise("Verification Update Required", idwRenewal, 1),
		idwise("Finished Step", `,"stepId":"1","stepResult":{"status":"Passed"}`, 2),
		idwise("Finished User Steps", "", 3),
		idwise("Finished Journey", idwComplete, 4),
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Status != "approved" || v.Decision != "approved" || v.Attempt != 2 {
		t.Errorf("renewal, then its journey: %s %s attempt %d; want approved, attempt 2", v.Status, v.Decision, v.Attempt)
	}
	for _, e := range effects {
		if e.Late {
			t.Errorf("%s, delivered in order, is marked late", e.EventID)
		}
	}
}

// R10: approved, renewed, the renewal's deadline missed, renewed again, and
// the second renewal's journey finished a day later: approved in the third
// attempt.
func TestState_SecondRenewalAfterMissedDeadline(t *testing.T) {
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	vid, log := arriveApart(t, "idwise", provider.Config{}, map[int]time.Duration{1: days(300), 2: days(30), 3: days(30), 4: days(1)},
		idwise("Finished Journey", idwComplete, 1),
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("KYC Renewal Deadline Exceeded", idwRenewalDeadline, 3),
		idwise("Verification Update Required", idwRenewal, 4),
		idwise("Finished Step", `,"stepId":"1","stepResult":{"status":"Passed"}`, 5),
		idwise("Finished User Steps", "", 6),
		idwise("Finished Journey", idwComplete, 7),
	)
	if v := kycgate.Rebuild("src", "idwise", vid, log); v.Status != "approved" || v.Decision != "approved" || v.Attempt != 3 {
		t.Errorf("second renewal finished: %s %s attempt %d; want approved, attempt 3", v.Status, v.Decision, v.Attempt)
	}
}

// R11: referred, two resubmission requests, then, hours later, the user's
// new journey referred again: it needs a review; the requests are behind it.
func TestState_ReferredAgainAfterTwoRequests(t *testing.T) {
	request := `,"systemDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"0","reasonCode":"RESUBMIT_BAD_QUALITY"}]`
	vid, log := arriveApart(t, "idwise", provider.Config{}, map[int]time.Duration{1: time.Hour, 2: time.Hour, 3: 5 * time.Hour},
		idwise("Finished Journey", idwRefer, 1),
		idwise("Verification Update Required", request, 2),
		idwise("Verification Update Required", request, 3),
		idwise("Finished Journey", idwRefer, 4),
	)
	if v := kycgate.Rebuild("src", "idwise", vid, log); v.Status != "review_needed" || v.Decision != "review_needed" || v.Attempt != 3 {
		t.Errorf("referred after two requests: %s %s attempt %d; want review_needed, attempt 3", v.Status, v.Decision, v.Attempt)
	}
}

// R12: within IDWise's retry window the journey's own Finished Journey,
// whose first delivery failed, still counts for the journey before the
// renewal: the renewal stands, waiting for the renewed journey.
func TestState_RetryWithinWindowBelongsToTheJourneyBefore(t *testing.T) {
	vid, log := arriveApart(t, "idwise", provider.Config{}, map[int]time.Duration{1: 40 * time.Minute},
		idwise("Verification Update Required", idwRenewal, 2),
		idwise("Finished Journey", idwComplete, 1), // IDWise's third retry
	)
	v, effects := kycgate.Replay("src", "idwise", vid, log)
	if v.Status != "resubmission_requested" || v.Decision != "resubmission_requested" || v.Attempt != 2 {
		t.Errorf("renewal, then the journey before it retried: %s %q attempt %d; want resubmission_requested, attempt 2", v.Status, v.Decision, v.Attempt)
	}
	for _, e := range effects {
		if e.EventID == log[1].ID && !e.Late {
			t.Errorf("the retried Finished Journey is not marked late")
		}
	}
}

// veriffScreening is a watchlist screening of session vf1's attempt a1
// without createdAt.
func veriffScreening(matchStatus string) string {
	return veriffScreeningOf("updated_result", "a1", matchStatus, time.Time{})
}

// R13: a webhook that decides without a time (a screening without
// createdAt, a decision with decisionTime null) makes arrival order the
// session; the resubmission request is the first attempt's decision, so
// the second attempt's approval is no late delivery of the first.
func TestState_UntimedDecisionAfterResubmission(t *testing.T) {
	for name, last := range map[string][]string{
		"screening without createdAt": {veriffScreening("no_match"), veriffDecision("approved", "a2", 9001, "10:40")},
		"decision without time":       {veriffDecision("approved", "a2", 9001, "")},
	} {
		t.Run(name, func(t *testing.T) {
			vid, log := arrive(t, "veriff", provider.Config{}, append([]string{
				veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
				veriffDecision("resubmission_requested", "a1", 9103, "10:05"),
				veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
			}, last...)...)
			v, effects := kycgate.Replay("src", "veriff", vid, log)
			if v.Status != kycgate.StatusApproved || v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
				t.Errorf("%s %s attempt %d; want approved, attempt 2", v.Status, v.Decision, v.Attempt)
			}
			// The screening, without a time, applies after the approval by
			// its phase; what arrived before it is then late. Nothing else is.
			for _, e := range effects {
				if e.Late && !(len(last) == 2 && e.EventID == log[len(log)-1].ID) {
					t.Errorf("%s, delivered in order, is marked late", e.EventID)
				}
			}
		})
	}
}

// sumsubNoTime is a Sumsub webhook without createdAtMs.
func sumsubNoTime(typ, review string, n int) string {
	return fmt.Sprintf(`{"applicantId":"app1","correlationId":"req-%d","externalUserId":"user-1","levelName":"basic-kyc-level","type":%q,"reviewStatus":"completed","reviewResult":%s,"sandboxMode":"false"}`, n, typ, review)
}

// R14: an approval re-reviewed to a resubmission request, the approval's
// first delivery lost and its retry arriving after the request, with one
// of the two without a time (so arrival orders the applicant): the user has
// not resubmitted, the request stands.
func TestState_ApprovalRetriedAfterTheRequestThatFollowedIt(t *testing.T) {
	for name, bodies := range map[string][]string{
		"request without time":  {sumsub("applicantPending", noReview, 1), sumsubNoTime("applicantReviewed", redRetry, 3), sumsub("applicantReviewed", green, 2)},
		"approval without time": {sumsub("applicantPending", noReview, 1), sumsub("applicantReviewed", redRetry, 3), sumsubNoTime("applicantReviewed", green, 2)},
	} {
		t.Run(name, func(t *testing.T) {
			vid, log := arriveApart(t, "sumsub", provider.Config{}, map[int]time.Duration{2: 10 * time.Minute}, bodies...)
			if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Decision != kycgate.DecisionResubmissionRequested || v.Attempt != 2 {
				t.Errorf("%s %s attempt %d; want resubmission_requested, attempt 2", v.Status, v.Decision, v.Attempt)
			}
		})
	}
	// Veriff: a review, then a resubmission request, the review retried
	// after it, with a screening without a time.
	vid, log := arriveApart(t, "veriff", provider.Config{}, map[int]time.Duration{4: 30 * time.Minute},
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffScreening("no_match"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:20"),
		veriffDecision("review", "a1", 9121, "10:05"), // the retry
	)
	if v := kycgate.Rebuild("src", "veriff", vid, log); v.Decision != kycgate.DecisionResubmissionRequested {
		t.Errorf("veriff: %s %s attempt %d; want resubmission_requested", v.Status, v.Decision, v.Attempt)
	}
}

// R15: Sumsub webhooks whose createdAtMs is a number keep event time
// ordering: a resubmission request retried after the approval that
// followed it does not undo the approval.
func TestState_NumericCreatedAtMsOrders(t *testing.T) {
	b := func(typ, review string, n int) string {
		return fmt.Sprintf(`{"applicantId":"app1","correlationId":"req-%d","externalUserId":"user-1","levelName":"basic-kyc-level","type":%q,"reviewStatus":"completed","reviewResult":%s,"createdAtMs":%d}`, n, typ, review, 1795341600000+int64(n)*1000)
	}
	vid, log := arrive(t, "sumsub", provider.Config{}, b("applicantReviewed", green, 5), b("applicantReviewed", redRetry, 3), b("applicantPending", noReview, 4))
	if v := kycgate.Rebuild("src", "sumsub", vid, log); v.Decision != kycgate.DecisionApproved || v.Attempt != 2 {
		t.Errorf("%s %s attempt %d; want approved, attempt 2", v.Status, v.Decision, v.Attempt)
	}
}
