package kycgate_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// hook is one webhook of a generated journey.
type hook struct {
	label string
	at    time.Time // when it happened
	// body is the webhook as sent at sent (MetaMap stamps every delivery,
	// a retry too, with its send time; the others ignore sent).
	body func(sent time.Time) string
	// pinned is never lost nor duplicated.
	pinned bool
}

// randomJourney is a generated journey: its webhooks in the order they
// happened, and the attempt and decision it means ("" when undecided).
type randomJourney struct {
	hooks    []hook
	attempt  int
	decision kycgate.Decision
}

// add appends a webhook that happened at at with a fixed body.
func (j *randomJourney) add(label string, at time.Time, body string) {
	j.hooks = append(j.hooks, hook{label: label, at: at, body: func(time.Time) string { return body }})
}

// journeyStart is when every generated journey begins.
var journeyStart = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// between is a random duration in [lo, hi].
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// providerTime is t as Veriff, MetaMap, Persona and Vericato write it.
func providerTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// veriffDecisionAt is veriffDecision decided at any time.
func veriffDecisionAt(status, attempt string, code int, at time.Time) string {
	return strings.Replace(veriffDecision(status, attempt, code, "00:00"), `"2026-04-01T00:00:00.000Z"`, `"`+providerTime(at)+`"`, 1)
}

// veriffScreeningOf is a watchlist screening of session vf1's attempt,
// created at at, or without createdAt when at is zero.
func veriffScreeningOf(check, attempt, match string, at time.Time) string {
	created, hits := "", 0
	if !at.IsZero() {
		created = fmt.Sprintf(`,"createdAt":%q`, providerTime(at))
	}
	if match == "possible_match" {
		hits = 1
	}
	return fmt.Sprintf(`{"checkType":%q,"attemptId":%q,"sessionId":"10aaaaaa-0000-4000-8000-00000000000a","vendorData":"u10","endUserId":null,"matchStatus":%q,"searchTerm":{"name":"Jane Doe"},"totalHits":%d%s,"hits":[]}`, check, attempt, match, hits, created)
}

// sumsubAt is sumsub created at any time.
func sumsubAt(typ, review string, n int, at time.Time) string {
	return strings.Replace(sumsub(typ, review, n), fmt.Sprintf(`"2026-11-22 10:00:%02d.000"`, n), `"`+at.UTC().Format("2006-01-02 15:04:05.000")+`"`, 1)
}

// metamapSent is a MetaMap webhook sent at sent.
func metamapSent(event, extra string, sent time.Time) string {
	return fmt.Sprintf(`{"resource":"https://api.prod.metamap.com/v2/verifications/mm1","eventName":%q,"flowId":"flow1","metadata":{"userId":"user-1","email":"jane@example.com"},"timestamp":%q%s}`, event, providerTime(sent), extra)
}

// genVeriff: attempts a1..aN, each started, submitted and decided (maybe
// reviewed first); a resubmission request opens the next attempt; the
// last ends approved, declined or in review (maybe decided after the
// review), or undecided; up to two watchlist screenings, with or without
// createdAt, may follow the last decision, a possible match putting an
// approval back in review.
func genVeriff(r *rand.Rand) randomJourney {
	var j randomJourney
	t := journeyStart
	n := 1 + r.IntN(3)
	for i := 1; i <= n; i++ {
		a := fmt.Sprintf("a%d", i)
		if i > 1 {
			t = t.Add(between(r, 2*time.Minute, 48*time.Hour)) // the user comes back
		}
		j.add(a+" started", t, veriffEvent("started", a, 7001))
		t = t.Add(between(r, time.Minute, 20*time.Minute))
		j.add(a+" submitted", t, veriffEvent("submitted", a, 7002))
		decide := func(status string, code int, d kycgate.Decision) {
			t = t.Add(between(r, 30*time.Second, 3*time.Hour))
			j.add(a+" "+status, t, veriffDecisionAt(status, a, code, t))
			j.decision = d
		}
		if i < n {
			if r.IntN(5) == 0 {
				decide("review", 9121, kycgate.DecisionReviewNeeded)
			}
			decide("resubmission_requested", 9103, kycgate.DecisionResubmissionRequested)
			continue
		}
		switch r.IntN(8) { // 7: undecided (after a request, the request stands)
		case 0, 1, 2:
			decide("approved", 9001, kycgate.DecisionApproved)
		case 3:
			decide("declined", 9102, kycgate.DecisionDeclined)
		case 4:
			decide("review", 9121, kycgate.DecisionReviewNeeded)
		case 5, 6:
			decide("review", 9121, kycgate.DecisionReviewNeeded)
			if r.IntN(2) == 0 {
				decide("approved", 9001, kycgate.DecisionApproved)
			} else {
				decide("declined", 9102, kycgate.DecisionDeclined)
			}
		}
		decided := j.decision != "" && j.decision != kycgate.DecisionResubmissionRequested
		for s := 0; decided && s < 2 && r.IntN(5) < 2; s++ {
			t = t.Add(between(r, 10*time.Second, 30*time.Minute))
			check := []string{"initial_result", "updated_result"}[r.IntN(2)]
			match := []string{"possible_match", "no_match"}[r.IntN(2)]
			created, label := t, fmt.Sprintf("%s %s %s", a, check, match)
			if r.IntN(10) >= 6 {
				created, label = time.Time{}, label+" (no createdAt)"
			}
			j.add(label, t, veriffScreeningOf(check, a, match, created))
			if match == "possible_match" && j.decision != kycgate.DecisionDeclined {
				j.decision = kycgate.DecisionReviewNeeded
			}
		}
	}
	j.attempt = n
	return j
}

// genSumsub: applicantCreated; per attempt applicantPending then
// applicantReviewed; RED RETRY asks for a resubmission (the next attempt);
// the last ends GREEN, RED FINAL, either re-reviewed to the other, or
// undecided.
func genSumsub(r *rand.Rand) randomJourney {
	var j randomJourney
	t, c := journeyStart, 0
	add := func(typ, review, label string) {
		c++
		j.add(label, t, sumsubAt(typ, review, c, t))
	}
	add("applicantCreated", noReview, "created")
	n := 1 + r.IntN(3)
	for i := 1; i <= n; i++ {
		if i == 1 {
			t = t.Add(between(r, time.Minute, 30*time.Minute))
		} else {
			t = t.Add(between(r, 2*time.Minute, 20*time.Hour))
		}
		add("applicantPending", noReview, fmt.Sprintf("#%d pending", i))
		review := func(review string, d kycgate.Decision, label string) {
			t = t.Add(between(r, 10*time.Second, 2*time.Hour))
			add("applicantReviewed", review, fmt.Sprintf("#%d %s", i, label))
			j.decision = d
		}
		if i < n {
			review(redRetry, kycgate.DecisionResubmissionRequested, "RED RETRY")
			continue
		}
		switch r.IntN(6) {
		case 0, 1:
			review(green, kycgate.DecisionApproved, "GREEN")
		case 2:
			review(redFinal, kycgate.DecisionDeclined, "RED FINAL")
		case 3:
			review(green, kycgate.DecisionApproved, "GREEN")
			review(redFinal, kycgate.DecisionDeclined, "RED FINAL (re-review)")
		case 4:
			review(redFinal, kycgate.DecisionDeclined, "RED FINAL")
			review(green, kycgate.DecisionApproved, "GREEN (re-review)")
		}
	}
	j.attempt = n
	return j
}

// genMetamap: started, two steps (document reading maybe failed), inputs
// completed, completed (verified, reviewNeeded or rejected), then maybe a
// reviewer's update, or two. Every body carries its send time, a retry's
// too. The first of two updates is pinned: retried, re-stamped, after the
// second it would read as the later word (a documented limit).
func genMetamap(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t := journeyStart
	add := func(event, extra, label string) {
		j.hooks = append(j.hooks, hook{label: label, at: t, body: func(sent time.Time) string { return metamapSent(event, extra, sent) }})
		t = t.Add(between(r, 5*time.Second, 15*time.Minute))
	}
	add("verification_started", "", "started")
	add("step_completed", `,"step":{"status":200,"id":"liveness","error":null}`, "step liveness")
	if r.IntN(2) == 0 {
		add("step_completed", `,"step":{"status":200,"id":"document-reading","error":{"type":"StepError","code":"documentReading.notReadable","message":"m"}}`, "step document-reading failed")
	} else {
		add("step_completed", `,"step":{"status":200,"id":"document-reading","error":null}`, "step document-reading")
	}
	add("verification_inputs_completed", "", "inputs completed")
	decisions := map[string]kycgate.Decision{"verified": kycgate.DecisionApproved, "reviewNeeded": kycgate.DecisionReviewNeeded, "rejected": kycgate.DecisionDeclined}
	status := []string{"verified", "reviewNeeded", "rejected"}[r.IntN(3)]
	add("verification_completed", fmt.Sprintf(`,"status":%q,"identityStatus":%q`, status, status), "completed "+status)
	j.decision = decisions[status]
	if status != "reviewNeeded" || r.IntN(10) >= 7 {
		return j
	}
	update := func(word, label string) {
		t = t.Add(between(r, 30*time.Second, 3*time.Hour))
		add("verification_updated", fmt.Sprintf(`,"status":"reviewNeeded","identityStatus":%q`, word), label)
		j.decision = decisions[word]
	}
	first := []string{"verified", "rejected"}[r.IntN(2)]
	update(first, "updated "+first)
	if r.IntN(4) == 0 {
		j.hooks[len(j.hooks)-1].pinned = true
		second := map[string]string{"verified": "rejected", "rejected": "verified"}[first]
		update(second, "updated "+second+" (second word)")
	}
	return j
}

// genIdwise: per attempt two steps, Finished User Steps and Finished
// Journey (Complete or Refer); a Refer is reviewed (Approved, Rejected)
// or asks for an update (the next attempt, at most three); an AML hit may
// follow an approval. No IDWise webhook carries a time.
func genIdwise(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t, c := journeyStart, 0
	add := func(event, extra, label string) {
		c++
		j.add(label, t, idwise(event, extra, c))
		t = t.Add(between(r, 10*time.Second, 10*time.Minute))
	}
	for i := 1; ; i++ {
		if i > 1 {
			t = t.Add(between(r, 10*time.Minute, 20*time.Hour))
		}
		add("Finished Step", `,"stepId":"0","stepType":"Document"`, fmt.Sprintf("#%d step Document", i))
		add("Finished Step", `,"stepId":"1","stepType":"Selfie"`, fmt.Sprintf("#%d step Selfie", i))
		add("Finished User Steps", "", fmt.Sprintf("#%d Finished User Steps", i))
		if r.IntN(3) == 0 {
			add("Finished Journey", idwComplete, fmt.Sprintf("#%d Finished Journey Complete", i))
			j.decision = kycgate.DecisionApproved
		} else {
			add("Finished Journey", idwRefer, fmt.Sprintf("#%d Finished Journey Refer", i))
			j.decision = kycgate.DecisionReviewNeeded
			t = t.Add(between(r, time.Minute, 4*time.Hour))
			switch k := r.IntN(4); {
			case k == 0 && i < 3:
				add("Verification Update Required", `,"systemDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"1","reasonCode":"RESUBMIT_BAD_QUALITY"}]`, fmt.Sprintf("#%d Update Required", i))
				j.attempt++
				continue
			case k == 1:
				add("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`, fmt.Sprintf("#%d Manually Reviewed Rejected", i))
				j.decision = kycgate.DecisionDeclined
			case k >= 2:
				add("Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`, fmt.Sprintf("#%d Manually Reviewed Approved", i))
				j.decision = kycgate.DecisionApproved
			}
		}
		if j.decision == kycgate.DecisionApproved && r.IntN(5) == 0 {
			t = t.Add(between(r, time.Hour, 48*time.Hour))
			add("AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`, fmt.Sprintf("#%d AML hit", i))
			j.decision = kycgate.DecisionReviewNeeded
		}
		return j
	}
}

// personaInquiry is Persona event id named name about inquiry inq_r1 in
// status, created at at; reviewer is the inquiry's reviewer ("" none).
func personaInquiry(id, name, status string, at time.Time, reviewer, comment string) string {
	rev, cmt := `{}`, "null"
	if reviewer != "" {
		rev = fmt.Sprintf(`{"type":"user","id":%q}`, reviewer)
	}
	if comment != "" {
		cmt = fmt.Sprintf("%q", comment)
	}
	return fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":%q,"created-at":%q,"payload":{"data":{"type":"inquiry","id":"inq_r1","attributes":{"status":%q,"reference-id":"user-1","reviewer-comment":%s,"created-at":%q},"relationships":{"reviewer":{"data":%s}}},"included":[]}}}}`,
		id, name, providerTime(at), status, cmt, providerTime(journeyStart), rev)
}

// personaMatch is a report/watchlist.matched of inquiry inq_r1 at at.
func personaMatch(id string, at time.Time) string {
	return fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":"report/watchlist.matched","created-at":%q,"payload":{"data":{"type":"report/watchlist","id":"rep_%s","attributes":{"status":"ready","has-match":true},"relationships":{"inquiry":{"data":{"type":"inquiry","id":"inq_r1"}}}}}}}}`,
		id, providerTime(at), id)
}

// personaVerification is Persona event id about a government-id
// verification of inquiry inq_r1, named name, in status, at at.
func personaVerification(id, name, status string, at time.Time) string {
	return fmt.Sprintf(`{"data":{"type":"event","id":%q,"attributes":{"name":%q,"created-at":%q,"payload":{"data":{"type":"verification/government-id","id":"ver_%s","attributes":{"status":%q,"id-class":"pp","country-code":"DE","created-at":%q},"relationships":{"inquiry":{"data":{"type":"inquiry","id":"inq_r1"}}}}}}}}`,
		id, name, providerTime(at), id, status, providerTime(at))
}

// genPersona: created, started, a government id verified (failed and
// retried at most twice); completed or failed; with decisioning a
// workflow's approved, declined or marked-for-review follows, and a
// marked-for-review inquiry is mostly decided by a dashboard reviewer,
// whose relationship then stays on the inquiry; a workflow may run again
// later (marking for review or declining). An inquiry left undecided
// expires, and may be resumed and finished. A watchlist match may come
// while the inquiry is undecided (its workflow weighs it) or after the
// decision (monitoring: it reopens for review, a decline stays), and a
// reviewer may then decide again; the inquiry may be redacted at the end.
func genPersona(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t, n := journeyStart, 0
	reviewer := "" // the inquiry's reviewer relationship
	add := func(label, status, comment string) {
		n++
		name, _, _ := strings.Cut(label, " ")
		j.add(label, t, personaInquiry(fmt.Sprintf("evt_%02d", n), name, status, t, reviewer, comment))
	}
	verification := func(name, status string) {
		n++
		j.add(name, t, personaVerification(fmt.Sprintf("evt_%02d", n), name, status, t))
	}
	match := func(label string) {
		n++
		j.add(label, t, personaMatch(fmt.Sprintf("evt_%02d", n), t))
	}
	next := func(lo, hi time.Duration) { t = t.Add(between(r, lo, hi)) }
	add("inquiry.created", "created", "")
	next(10*time.Second, 30*time.Minute)
	add("inquiry.started", "pending", "")
	if r.IntN(8) == 0 {
		next(time.Hour, 24*time.Hour)
		add("inquiry.expired", "expired", "")
		if r.IntN(2) == 0 {
			return j
		}
		next(time.Minute, 48*time.Hour) // resumed
		add("inquiry.started (resumed)", "pending", "")
	}
	failed := false
	for k := 0; k < 3; k++ {
		next(time.Second, 5*time.Minute)
		verification("verification.created", "initiated")
		next(time.Second, 5*time.Minute)
		verification("verification.submitted", "submitted")
		next(time.Second, time.Minute)
		if k < 2 && r.IntN(3) > 0 {
			verification("verification.passed", "passed")
			break
		}
		verification("verification.failed", "failed")
		failed = k == 2
	}
	next(time.Second, 2*time.Minute)
	if r.IntN(3) == 0 {
		match("report/watchlist.matched (undecided)")
		next(time.Second, 2*time.Minute)
	}
	if failed {
		add("inquiry.failed", "failed", "")
		j.decision = kycgate.DecisionDeclined
	} else {
		add("inquiry.completed", "completed", "")
		j.decision = kycgate.DecisionApproved
	}
	byPerson := false
	if r.IntN(3) > 0 { // decisioning: a workflow decides after completion
		next(time.Second, 5*time.Minute)
		switch r.IntN(3) {
		case 0:
			add("inquiry.approved", "approved", "")
			j.decision = kycgate.DecisionApproved
		case 1:
			add("inquiry.declined", "declined", "")
			j.decision = kycgate.DecisionDeclined
		case 2:
			add("inquiry.marked-for-review", "needs_review", "")
			j.decision = kycgate.DecisionReviewNeeded
		}
	}
	personDecides := func() {
		next(5*time.Minute, 30*time.Hour)
		reviewer, byPerson = "user_ann", true
		if r.IntN(2) == 0 {
			add("inquiry.approved (reviewer)", "approved", "")
			j.decision = kycgate.DecisionApproved
		} else {
			add("inquiry.declined (reviewer)", "declined", "blurry document")
			j.decision = kycgate.DecisionDeclined
		}
	}
	if j.decision == kycgate.DecisionReviewNeeded && r.IntN(4) > 0 {
		personDecides()
		if r.IntN(5) == 0 { // a workflow runs again later
			next(time.Hour, 72*time.Hour)
			if r.IntN(2) == 0 {
				reviewer = "" // as in Persona's examples of workflow decisions
			}
			// Without the reviewer it reopens the person's decision for
			// review (a decline stays declined); with it, it counts as
			// the person's own.
			word, d := "inquiry.marked-for-review (re-run)", kycgate.DecisionReviewNeeded
			if r.IntN(2) == 0 {
				word, d = "inquiry.declined (re-run)", kycgate.DecisionDeclined
			}
			add(word, map[kycgate.Decision]string{kycgate.DecisionReviewNeeded: "needs_review", kycgate.DecisionDeclined: "declined"}[d], "")
			switch {
			case reviewer != "":
				j.decision = d
			case j.decision == kycgate.DecisionApproved:
				j.decision = kycgate.DecisionReviewNeeded
			}
		}
	}
	if r.IntN(4) == 0 {
		next(time.Minute, 72*time.Hour)
		match("report/watchlist.matched (monitoring)")
		if j.decision != kycgate.DecisionDeclined {
			j.decision = kycgate.DecisionReviewNeeded
			if byPerson && r.IntN(2) == 0 {
				personDecides()
			}
		}
	}
	if r.IntN(6) == 0 {
		next(time.Hour, 30*24*time.Hour)
		add("inquiry.redacted", "approved", "")
	}
	return j
}

// stripeSession is Stripe event id of type identity.verification_session.
// name about session vs_r1, created at at, the session in status with
// last_error code ("" none).
func stripeSession(id, name, status string, at time.Time, code string) string {
	lastError := "null"
	if code != "" {
		lastError = fmt.Sprintf(`{"code":%q,"reason":"r"}`, code)
	}
	return fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2024-06-20","created":%d,"data":{"object":{"id":"vs_r1","object":"identity.verification_session","client_reference_id":"user-1","created":%d,"last_error":%s,"livemode":false,"metadata":{"plan":"gold"},"status":%q,"type":"document"}},"livemode":false,"pending_webhooks":1,"type":"identity.verification_session.%s"}`,
		id, at.Unix(), journeyStart.Unix(), lastError, status, name)
}

// genStripe: created; the user may leave first (requires_input
// abandoned) and come back; per attempt processing, then verified or
// requires_input with a failed check (the next attempt, at most three;
// the checks may end within processing's second); a session left with
// failed checks may be canceled; one that got that far may be redacted.
func genStripe(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t, n := journeyStart, 0
	add := func(name, status, code string) {
		n++
		label := name
		if code != "" {
			label += " " + code
		}
		j.add(label, t, stripeSession(fmt.Sprintf("evt_%02d", n), name, status, t, code))
	}
	add("created", "requires_input", "")
	if r.IntN(5) == 0 {
		t = t.Add(between(r, 30*time.Second, 20*time.Minute))
		add("requires_input", "requires_input", []string{"abandoned", "consent_declined", "device_not_supported"}[r.IntN(3)])
		if r.IntN(3) == 0 {
			t = t.Add(between(r, time.Minute, 48*time.Hour))
			add("canceled", "canceled", "")
			return j
		}
		t = t.Add(between(r, time.Minute, 24*time.Hour)) // the user comes back
	}
	for i := 1; ; i++ {
		t = t.Add(between(r, time.Minute, 15*time.Minute))
		add("processing", "processing", "")
		t = t.Add(between(r, 0, 10*time.Minute))
		if i == 3 || r.IntN(2) == 0 {
			add("verified", "verified", "")
			j.decision = kycgate.DecisionApproved
			break
		}
		add("requires_input", "requires_input", []string{"document_expired", "document_unverified_other", "selfie_face_mismatch", "id_number_mismatch"}[r.IntN(4)])
		j.decision = kycgate.DecisionResubmissionRequested
		j.attempt++
		if r.IntN(4) == 0 {
			t = t.Add(between(r, time.Hour, 72*time.Hour))
			add("canceled", "canceled", "")
			break
		}
		t = t.Add(between(r, 2*time.Minute, 48*time.Hour)) // the user tries again
	}
	if r.IntN(5) == 0 {
		status := "verified" // a redaction keeps the session's status
		if j.decision != kycgate.DecisionApproved {
			status = "canceled"
		}
		t = t.Add(between(r, time.Hour, 30*24*time.Hour))
		add("redacted", status, "")
	}
	return j
}

// onfidoRunID is the generated workflow run.
const onfidoRunID = "aa77c6e5-753a-4580-96a6-aaed3e5a8d19"

// onfidoTask is a workflow_task event of the run's task def at at.
func onfidoTask(action, def string, at time.Time) string {
	status, field := "started", "started_at_iso8601"
	if action == "workflow_task.completed" {
		status, field = "completed", "completed_at_iso8601"
	}
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_task","action":%q,"object":{"id":"%s_1","task_def_id":%q,"workflow_run_id":%q,"status":%q,%q:%q,"href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s/tasks/%s_1"}}}`,
		action, def, def, onfidoRunID, status, field, at.UTC().Format(time.RFC3339), onfidoRunID, def)
}

// onfidoRunCompleted is workflow_run.completed of the run in status,
// started at started, completed at done and updated at updated.
func onfidoRunCompleted(status string, started, done, updated time.Time, reasons string) string {
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":%q,"status":%q,"started_at_iso8601":%q,"completed_at_iso8601":%q,"href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s"},"resource":{"id":%q,"workflow_id":"wf","status":%q,"customer_user_id":"user-1","updated_at":%q,"reasons":[%s]}}}`,
		onfidoRunID, status, started.UTC().Format(time.RFC3339), done.UTC().Format(time.RFC3339), onfidoRunID, onfidoRunID, status, updated.UTC().Format(time.RFC3339), reasons)
}

// onfidoRunStarted is workflow_run.started of the run at at.
func onfidoRunStarted(at time.Time) string {
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.started","object":{"id":%q,"status":"processing","started_at_iso8601":%q,"href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s"}}}`,
		onfidoRunID, at.UTC().Format(time.RFC3339), onfidoRunID)
}

// onfidoTimelineFile is the run's workflow_timeline_file.created: no time.
func onfidoTimelineFile(id string) string {
	return fmt.Sprintf(`{"payload":{"resource_type":"workflow_timeline_file","action":"workflow_timeline_file.created","object":{"id":%q,"href":"https://api.eu.onfido.com/v3.6/workflow_runs/%s/timeline_file/%s"}}}`,
		id, onfidoRunID, id)
}

// genOnfidoRun: a Studio workflow run started, its tasks each started and
// completed (the user may stop at the document photo: abandoned), then
// workflow_run.completed approved, declined, review or error; an analyst
// may decide a run in review or in error (a later workflow_run.completed,
// its updated_at later); a timeline file (no time) may follow each
// completion.
func genOnfidoRun(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t := journeyStart
	started := t
	j.add("run started", t, onfidoRunStarted(t))
	timeline := func(k int) {
		if r.IntN(3) == 0 {
			t = t.Add(between(r, time.Second, time.Minute))
			id := fmt.Sprintf("3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5%d", k)
			j.add(fmt.Sprintf("timeline file %d (no time)", k), t, onfidoTimelineFile(id))
		}
	}
	abandon := r.IntN(8) == 0
	for _, def := range []string{"profile_data", "document_photo", "face_photo", "document_check", "face_check"} {
		t = t.Add(between(r, 2*time.Second, 3*time.Minute))
		j.add("started "+def, t, onfidoTask("workflow_task.started", def, t))
		if abandon && def == "document_photo" {
			t = t.Add(between(r, time.Hour, 24*time.Hour))
			j.add("run abandoned", t, onfidoRunCompleted("abandoned", started, t, t, ""))
			return j
		}
		t = t.Add(between(r, 2*time.Second, 3*time.Minute))
		j.add("completed "+def, t, onfidoTask("workflow_task.completed", def, t))
	}
	t = t.Add(between(r, 2*time.Second, time.Minute))
	done := t
	switch r.IntN(4) {
	case 0:
		j.add("run approved", t, onfidoRunCompleted("approved", started, done, done, ""))
		j.decision = kycgate.DecisionApproved
	case 1:
		j.add("run declined", t, onfidoRunCompleted("declined", started, done, done, `"document_authenticity"`))
		j.decision = kycgate.DecisionDeclined
	case 2, 3:
		status := []string{"review", "error"}[r.IntN(2)]
		j.add("run "+status, t, onfidoRunCompleted(status, started, done, done, `"document_check_consider"`))
		j.decision = kycgate.DecisionReviewNeeded
		timeline(1)
		if r.IntN(4) > 0 {
			t = t.Add(between(r, 5*time.Minute, 30*time.Hour))
			word := []string{"approved", "declined"}[r.IntN(2)]
			j.add("analyst "+word, t, onfidoRunCompleted(word, started, done, t, ""))
			j.decision = map[string]kycgate.Decision{"approved": kycgate.DecisionApproved, "declined": kycgate.DecisionDeclined}[word]
		}
	}
	timeline(2)
	return j
}

// onfidoCheckID is the generated classic check.
const onfidoCheckID = "9946921-123123-123123"

// onfidoCheck is a check event at at; result "" for none.
func onfidoCheck(action, status, field string, at time.Time, result string) string {
	res := ""
	if result != "" {
		res = fmt.Sprintf(`,"resource":{"id":%q,"status":%q,"result":%q}`, onfidoCheckID, status, result)
	}
	return fmt.Sprintf(`{"payload":{"resource_type":"check","action":%q,"object":{"id":%q,"status":%q,%q:%q,"href":"https://api.onfido.com/v3.6/checks/%s"}%s}}`,
		action, onfidoCheckID, status, field, at.UTC().Format(time.RFC3339), onfidoCheckID, res)
}

// onfidoReport is report.completed of the check's report name, completed
// at at with result.
func onfidoReport(name string, at time.Time, result string) string {
	id := fmt.Sprintf("6e4e7bf4-5b8e-4a4e-a2b9-%012d", at.Unix())
	if name == "facial_similarity_photo" {
		id = fmt.Sprintf("7f5f8cf5-5b8e-4a4e-a2b9-%012d", at.Unix())
	}
	return fmt.Sprintf(`{"payload":{"resource_type":"report","action":"report.completed","object":{"id":%q,"status":"complete","completed_at_iso8601":%q,"href":"https://api.onfido.com/v3.6/reports/%s"},"resource":{"id":%q,"name":%q,"status":"complete","result":%q,"check_id":%q}}}`,
		id, at.UTC().Format(time.RFC3339), id, id, name, result, onfidoCheckID)
}

// genOnfidoCheck: a classic check started, its document and facial
// similarity reports completed, then the check completed (clear or
// consider, or without a result: Onfido's documented example); a check may
// instead be withdrawn undecided; a completed check may be reopened, its
// reports run again and it completed again, up to three runs.
func genOnfidoCheck(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t := journeyStart
	j.add("check.started", t, onfidoCheck("check.started", "in_progress", "started_at_iso8601", t, ""))
	if r.IntN(10) == 0 {
		t = t.Add(between(r, time.Minute, 24*time.Hour))
		j.add("check.withdrawn", t, onfidoCheck("check.withdrawn", "withdrawn", "completed_at_iso8601", t, ""))
		return j
	}
	for i := 1; ; i++ {
		result := "clear"
		for _, name := range []string{"document", "facial_similarity_photo"} {
			t = t.Add(between(r, 5*time.Second, time.Hour))
			res := []string{"clear", "clear", "consider"}[r.IntN(3)]
			if res == "consider" {
				result = "consider"
			}
			j.add(fmt.Sprintf("#%d report %s %s", i, name, res), t, onfidoReport(name, t, res))
		}
		t = t.Add(between(r, time.Second, 5*time.Minute))
		if r.IntN(6) == 0 {
			j.add(fmt.Sprintf("#%d check.completed (no result)", i), t, onfidoCheck("check.completed", "complete", "completed_at_iso8601", t, ""))
			j.decision = ""
		} else {
			j.add(fmt.Sprintf("#%d check.completed %s", i, result), t, onfidoCheck("check.completed", "complete", "completed_at_iso8601", t, result))
			j.decision = map[string]kycgate.Decision{"clear": kycgate.DecisionApproved, "consider": kycgate.DecisionReviewNeeded}[result]
		}
		if i == 3 || r.IntN(2) == 0 {
			return j
		}
		t = t.Add(between(r, 10*time.Minute, 48*time.Hour))
		j.add(fmt.Sprintf("#%d check.reopened", i), t, onfidoCheck("check.reopened", "reopened", "started_at_iso8601", t, ""))
		j.attempt++
		j.decision = ""
		if r.IntN(5) == 0 {
			return j // not completed again yet
		}
	}
}

// verifyyouStage is a VerifyYou webhook of stage at at.
func verifyyouStage(stage string, at time.Time, score string) string {
	return fmt.Sprintf(`{"stage":%q,"occurred_at":%q,"verification_id":"vy_r1","external_id":"user-1","external_tracker":"spring","trust_score":%s}`,
		stage, at.UTC().Format("2006-01-02T15:04:05.000000")+"+00:00", score)
}

// genVerifyyou: initialized, started, account, consent, liveness (failed
// and retried up to twice, or cancelled, or failed for good), then maybe a
// face collision and the completion (below the source's 0.5 minimum, it
// needs review).
func genVerifyyou(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	t := journeyStart
	score := []string{"0.92", "0.4"}[r.IntN(2)]
	add := func(stage string) {
		j.add(stage, t, verifyyouStage(stage, t, score))
		t = t.Add(between(r, time.Second, 5*time.Minute))
	}
	for _, s := range []string{"verification_initialized", "verification_started", "account_created", "consent_granted", "liveness_started"} {
		add(s)
	}
	for k := 0; k < 2 && r.IntN(3) == 0; k++ {
		add("liveness_failed")
		if r.IntN(4) == 0 {
			return j // never tried again
		}
		add("liveness_started")
	}
	if r.IntN(8) == 0 {
		add("liveness_cancelled")
		return j
	}
	add("liveness_passed")
	collision := r.IntN(5) == 0
	after := r.IntN(2) == 0 // the collision found after the completion
	if collision && !after {
		add("face_collision")
	}
	add("verification_completed")
	if collision && after {
		add("face_collision")
	}
	switch {
	case collision:
		j.decision = kycgate.DecisionDeclined
	case score == "0.4":
		j.decision = kycgate.DecisionReviewNeeded
	default:
		j.decision = kycgate.DecisionApproved
	}
	return j
}

// vericatoEvent is Vericato's event for verification vc_r1, sent at sent;
// data is the event's own fields; updated the verification's last change.
func vericatoEvent(event, status, data string, updated, sent time.Time) string {
	return fmt.Sprintf(`{"event":%q,"timestamp":%q,"data":{"verification_id":"vc_r1","verification_status":%q,"verification_original_name":"Jane Doe","verification_method":"passport"%s,"original_verification":{"created_at":%q,"updated_at":%q,"expires_at":%q,"email":"jane@example.com","purpose":"kyc"}}}`,
		event, providerTime(sent), status, data, providerTime(journeyStart), providerTime(updated), providerTime(journeyStart.Add(7*24*time.Hour)))
}

// genVericato: an invitation verified or failed, maybe followed by its
// expiry (Vericato sends it after a verification too), or never completed
// and expired. Each event happens once.
func genVericato(r *rand.Rand) randomJourney {
	j := randomJourney{attempt: 1}
	expires := journeyStart.Add(7 * 24 * time.Hour)
	updated := journeyStart
	hookAt := func(label string, at time.Time, body func(sent time.Time) string) {
		j.hooks = append(j.hooks, hook{label: label, at: at, body: body})
	}
	if r.IntN(5) > 0 {
		at := journeyStart.Add(between(r, time.Minute, 6*24*time.Hour))
		updated = at
		if r.IntN(3) > 0 {
			hookAt("verified", at, func(sent time.Time) string {
				return vericatoEvent("verification.verified", "verified", fmt.Sprintf(`,"verification_verified_name":"Jane A Doe","verification_date_identified":%q`, providerTime(at)), at, sent)
			})
			j.decision = kycgate.DecisionApproved
		} else {
			hookAt("failed", at, func(sent time.Time) string {
				return vericatoEvent("verification.failed", "failed", `,"verification_failed_reason":"Document verification failed"`, at, sent)
			})
			j.decision = kycgate.DecisionDeclined
		}
		if r.IntN(2) == 0 {
			return j
		}
	}
	hookAt("expired", expires, func(sent time.Time) string {
		return vericatoEvent("verification.expired", "expired", fmt.Sprintf(`,"verification_expired_date":%q`, providerTime(expires)), updated, sent)
	})
	return j
}

// delivery is one delivery of hook number hook.
type delivery struct {
	hook    int
	arrival time.Time
	late    bool // the retry of a lost first delivery
	dup     bool // a second delivery
}

// deliver returns j's deliveries in order (each 1-20 s after it
// happened), and perturbed: up to three first deliveries lost and retried
// after 1..k of the webhooks that followed, still within window of when
// they happened (a journey of one webhook loses none), and a third of the
// time one webhook delivered twice, the second time within window of the
// first; sorted by arrival.
func deliver(r *rand.Rand, j randomJourney, window time.Duration) (inOrder, perturbed []delivery) {
	n := len(j.hooks)
	for i, h := range j.hooks {
		inOrder = append(inOrder, delivery{hook: i, arrival: h.at.Add(time.Duration(1+r.IntN(20)) * time.Second)})
	}
	perturbed = slices.Clone(inOrder)
	for k := 1 + r.IntN(3); n > 1 && k > 0; k-- {
		i := r.IntN(n - 1) // the last has nothing to come after
		if perturbed[i].late || j.hooks[i].pinned {
			continue
		}
		k := 0 // how many may come before the retry
		for k+1 < n-i && inOrder[i+k+1].arrival.Sub(j.hooks[i].at) < window {
			k++
		}
		if k == 0 {
			continue
		}
		k = 1 + r.IntN(k)
		lo, hi := inOrder[i+k].arrival, j.hooks[i].at.Add(window)
		if i+k+1 < n && inOrder[i+k+1].arrival.Before(hi) {
			hi = inOrder[i+k+1].arrival
		}
		if !hi.After(lo) {
			continue
		}
		perturbed[i].arrival = lo.Add(time.Duration(1 + r.Int64N(int64(hi.Sub(lo)))))
		perturbed[i].late = true
	}
	if i := r.IntN(n); r.IntN(3) == 0 && !j.hooks[i].pinned {
		again := perturbed[i].arrival.Add(time.Duration(1 + r.Int64N(int64(window))))
		perturbed = append(perturbed, delivery{hook: i, arrival: again, dup: true})
	}
	slices.SortStableFunc(perturbed, func(a, b delivery) int { return a.arrival.Compare(b.arrival) })
	return inOrder, perturbed
}

// receive reads ds, in their order, with providerName's real adapter
// configured with cfg; each body as sent one second before it arrived.
func receive(t *testing.T, providerName string, cfg provider.Config, j randomJourney, ds []delivery) (string, []kycgate.LogEntry) {
	t.Helper()
	bodies, at := make([]string, len(ds)), make([]time.Time, len(ds))
	for i, d := range ds {
		bodies[i], at[i] = j.hooks[d.hook].body(d.arrival.Add(-time.Second)), d.arrival
	}
	return arriveAt(t, providerName, cfg, bodies, at)
}

// arrivalOrder lists ds for a failure message: which webhook, when it
// happened and arrived, how it was perturbed, and the body.
func arrivalOrder(j randomJourney, ds []delivery) string {
	var b strings.Builder
	for _, d := range ds {
		h := j.hooks[d.hook]
		mark := ""
		switch {
		case d.late:
			mark = " LATE"
		case d.dup:
			mark = " DUPLICATE"
		}
		fmt.Fprintf(&b, "\n  [%d] %s: happened %s, arrived %s%s\n      %s", d.hook, h.label,
			h.at.Format("01-02 15:04:05"), d.arrival.Format("01-02 15:04:05.000"), mark, h.body(d.arrival.Add(-time.Second)))
	}
	return b.String()
}

// sameState reports whether a and b agree on status, decision and attempt.
func sameState(a, b kycgate.Verification) bool {
	return a.Status == b.Status && a.Decision == b.Decision && a.Attempt == b.Attempt
}

// TestState_LateDeliveryRandom: realistic journeys of Veriff, Sumsub,
// MetaMap, IDWise, Persona, Stripe Identity, Onfido (workflow runs and
// classic checks), VerifyYou and Vericato, delivered in order, mean what
// they say; delivered as the provider's delivery system would when first
// deliveries are lost (retried later, within its retry window) and some
// arrive twice, they end in the same status, decision and attempt; and
// applying them one webhook at a time as the store does ends as a rebuild
// does.
func TestState_LateDeliveryRandom(t *testing.T) {
	onfido := provider.Config{Secrets: []string{"s"}}
	for _, c := range []struct {
		name, provider string
		cfg            provider.Config
		gen            func(*rand.Rand) randomJourney
		// window is how late a webhook may arrive: inside the adapter's
		// RetriesFor, or a day where the provider's schedule is unknown.
		window time.Duration
		// seeds: about 1.3 s each with -race (a tenth with -short); each
		// generator passed 50,000 seeds when it was written.
		seeds uint64
	}{
		{"veriff", "veriff", provider.Config{}, genVeriff, 7*24*time.Hour - time.Hour, 600},
		{"sumsub", "sumsub", provider.Config{}, genSumsub, 24 * time.Hour, 600},
		{"metamap", "metamap", provider.Config{}, genMetamap, 26 * time.Minute, 500},
		{"idwise", "idwise", provider.Config{}, genIdwise, 30 * time.Minute, 600},
		{"persona", "persona", provider.Config{}, genPersona, 55 * time.Minute, 400},
		{"stripe", "stripe", provider.Config{}, genStripe, 72 * time.Hour, 600},
		{"onfido-run", "onfido", onfido, genOnfidoRun, 24 * time.Hour, 300},
		{"onfido-check", "onfido", onfido, genOnfidoCheck, 24 * time.Hour, 500},
		{"verifyyou", "verifyyou", provider.Config{MinTrustScore: ptr(0.5)}, genVerifyyou, 24 * time.Hour, 400},
		{"vericato", "vericato", provider.Config{}, genVericato, 24 * time.Hour, 2000},
	} {
		t.Run(c.name, func(t *testing.T) {
			seeds := c.seeds
			if testing.Short() {
				seeds /= 10
			}
			for seed := range seeds {
				r := rand.New(rand.NewPCG(seed, 0xC0FFEE))
				j := c.gen(r)
				inOrder, perturbed := deliver(r, j, c.window)
				vid, log := receive(t, c.provider, c.cfg, j, inOrder)
				want := kycgate.Rebuild("src", c.provider, vid, log)
				if want.Attempt != j.attempt || (j.decision != "" && want.Decision != j.decision) {
					t.Fatalf("seed %d in order: %s %s attempt %d; want %s attempt %d%s", seed, want.Status, want.Decision, want.Attempt, j.decision, j.attempt, arrivalOrder(j, inOrder))
				}
				_, log = receive(t, c.provider, c.cfg, j, perturbed)
				got := kycgate.Rebuild("src", c.provider, vid, log)
				if !sameState(got, want) {
					t.Fatalf("seed %d perturbed: %s %s attempt %d; in order %s %s attempt %d%s", seed, got.Status, got.Decision, got.Attempt, want.Status, want.Decision, want.Attempt, arrivalOrder(j, perturbed))
				}
				if inc := applyOneByOne(t, c.provider, vid, log); !sameState(inc, got) {
					t.Fatalf("seed %d one by one: %s %s attempt %d; rebuilt %s %s attempt %d%s", seed, inc.Status, inc.Decision, inc.Attempt, got.Status, got.Decision, got.Attempt, arrivalOrder(j, perturbed))
				}
			}
		})
	}
}
