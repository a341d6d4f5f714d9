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

// providerTime is t as Veriff and MetaMap write it.
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
// they happened, and a third of the time one webhook delivered twice, the
// second time within window of the first; sorted by arrival.
func deliver(r *rand.Rand, j randomJourney, window time.Duration) (inOrder, perturbed []delivery) {
	n := len(j.hooks)
	for i, h := range j.hooks {
		inOrder = append(inOrder, delivery{hook: i, arrival: h.at.Add(time.Duration(1+r.IntN(20)) * time.Second)})
	}
	perturbed = slices.Clone(inOrder)
	for range 1 + r.IntN(3) {
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

// receive reads ds, in their order, with providerName's real adapter;
// each body as sent one second before it arrived.
func receive(t *testing.T, providerName string, j randomJourney, ds []delivery) (string, []kycgate.LogEntry) {
	t.Helper()
	bodies, at := make([]string, len(ds)), make([]time.Time, len(ds))
	for i, d := range ds {
		bodies[i], at[i] = j.hooks[d.hook].body(d.arrival.Add(-time.Second)), d.arrival
	}
	return arriveAt(t, providerName, provider.Config{}, bodies, at)
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
// MetaMap and IDWise, delivered in order, mean what they say; delivered
// as the provider's delivery system would when first deliveries are lost
// (retried later, within its retry window) and some arrive twice, they
// end in the same status, decision and attempt; and applying them one
// webhook at a time as the store does ends as a rebuild does.
func TestState_LateDeliveryRandom(t *testing.T) {
	seeds := uint64(1000)
	if testing.Short() {
		seeds = 100
	}
	for _, c := range []struct {
		provider string
		gen      func(*rand.Rand) randomJourney
		window   time.Duration // how late a webhook may arrive, inside the adapter's RetriesFor
	}{
		{"veriff", genVeriff, 7*24*time.Hour - time.Hour},
		{"sumsub", genSumsub, 24 * time.Hour},
		{"metamap", genMetamap, 26 * time.Minute},
		{"idwise", genIdwise, 30 * time.Minute},
	} {
		t.Run(c.provider, func(t *testing.T) {
			for seed := range seeds {
				r := rand.New(rand.NewPCG(seed, 0xC0FFEE))
				j := c.gen(r)
				inOrder, perturbed := deliver(r, j, c.window)
				vid, log := receive(t, c.provider, j, inOrder)
				want := kycgate.Rebuild("src", c.provider, vid, log)
				if want.Attempt != j.attempt || (j.decision != "" && want.Decision != j.decision) {
					t.Fatalf("seed %d in order: %s %s attempt %d; want %s attempt %d%s", seed, want.Status, want.Decision, want.Attempt, j.decision, j.attempt, arrivalOrder(j, inOrder))
				}
				_, log = receive(t, c.provider, j, perturbed)
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
