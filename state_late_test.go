package kycgate_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// lateCase is a journey whose webhooks arrive out of order: first
// deliveries lost and retried after what followed them, with gaps[i]
// before webhook i.
type lateCase struct {
	name     string
	provider string
	gaps     map[int]time.Duration
	bodies   []string
	status   kycgate.Status
	decision kycgate.Decision
	attempt  int
}

// lateCases were found by trying to break the rules for an event that
// opens an attempt (a resubmission request) arriving after events of the
// attempt it opened; each failed before its fix.
var lateCases = []lateCase{{
	name:     "veriff: the request retried after the next attempt's approval",
	provider: "veriff", gaps: map[int]time.Duration{5: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"), // the retry
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 2,
}, {
	// A screening without createdAt hands the session to arrival order.
	name:     "veriff: the request retried after the approval, with a screening without a time",
	provider: "veriff", gaps: map[int]time.Duration{6: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffScreening("no_match"),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 2,
}, {
	name:     "veriff: a watchlist hit after the approval stays with the attempt the late request opened",
	provider: "veriff", gaps: map[int]time.Duration{6: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffScreening("possible_match"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusReviewNeeded, decision: kycgate.DecisionReviewNeeded, attempt: 2,
}, {
	name:     "veriff: a watchlist hit that arrived before the approval stays with it when the request comes late",
	provider: "veriff", gaps: map[int]time.Duration{6: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffHit("a2", ""),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusReviewNeeded, decision: kycgate.DecisionReviewNeeded, attempt: 2,
}, {
	name:     "veriff: a watchlist hit before the third attempt's approval, the second request late",
	provider: "veriff", gaps: map[int]time.Duration{9: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffEvent("started", "a3", 7001), veriffEvent("submitted", "a3", 7002),
		veriffHit("a3", ""), veriffDecision("approved", "a3", 9001, "10:50"),
		veriffDecision("resubmission_requested", "a2", 9103, "10:30"),
	},
	status: kycgate.StatusReviewNeeded, decision: kycgate.DecisionReviewNeeded, attempt: 3,
}, {
	name:     "veriff: a watchlist hit before the approval, the request after a review late",
	provider: "veriff", gaps: map[int]time.Duration{7: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffDecision("review", "a1", 9121, "10:05"),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffHit("a2", ""), veriffDecision("approved", "a2", 9001, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusReviewNeeded, decision: kycgate.DecisionReviewNeeded, attempt: 2,
}, {
	// An outage: both retried in the order they happened.
	name:     "veriff: a watchlist hit, then the request and the approval retried",
	provider: "veriff", gaps: map[int]time.Duration{5: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffHit("a2", ""),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
		veriffDecision("approved", "a2", 9001, "10:30"),
	},
	status: kycgate.StatusReviewNeeded, decision: kycgate.DecisionReviewNeeded, attempt: 2,
}, {
	// The hit's createdAt puts it before the request: the first attempt's.
	name:     "veriff: the first attempt's timed hit retried after the next attempt's approval",
	provider: "veriff", gaps: map[int]time.Duration{8: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffDecision("review", "a1", 9121, "10:05"),
		veriffScreening("no_match"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffHit("a1", "10:07"),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 2,
}, {
	name:     "veriff: the request retried after the next attempt's decline",
	provider: "veriff", gaps: map[int]time.Duration{6: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffScreening("no_match"),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("declined", "a2", 9102, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusDeclined, decision: kycgate.DecisionDeclined, attempt: 2,
}, {
	name:     "veriff: the request and the review before it both retried after the approval",
	provider: "veriff", gaps: map[int]time.Duration{6: 2 * time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffDecision("approved", "a2", 9001, "10:30"),
		veriffScreening("no_match"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
		veriffDecision("review", "a1", 9121, "10:05"),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 2,
}, {
	// After an outage the older event has backed off longer: it comes last.
	name:     "veriff: two requests retried after the third attempt's approval, the older last",
	provider: "veriff", gaps: map[int]time.Duration{8: 2 * time.Hour, 9: time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffEvent("started", "a3", 7001), veriffEvent("submitted", "a3", 7002),
		veriffScreening("no_match"),
		veriffDecision("approved", "a3", 9001, "10:50"),
		veriffDecision("resubmission_requested", "a2", 9103, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 3,
}, {
	name:     "veriff: two requests retried, the older last, every decision timed",
	provider: "veriff", gaps: map[int]time.Duration{7: 2 * time.Hour, 8: time.Hour},
	bodies: []string{
		veriffEvent("started", "a1", 7001), veriffEvent("submitted", "a1", 7002),
		veriffEvent("started", "a2", 7001), veriffEvent("submitted", "a2", 7002),
		veriffEvent("started", "a3", 7001), veriffEvent("submitted", "a3", 7002),
		veriffDecision("approved", "a3", 9001, "10:50"),
		veriffDecision("resubmission_requested", "a2", 9103, "10:30"),
		veriffDecision("resubmission_requested", "a1", 9103, "10:10"),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 3,
}, {
	name:     "sumsub: a reviewer's decline without a time after the approval",
	provider: "sumsub",
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantReviewed", green, 4),
		sumsubNoTime("applicantReviewed", redFinal, 6),
	},
	status: kycgate.StatusDeclined, decision: kycgate.DecisionDeclined, attempt: 1,
}, {
	name:     "sumsub: a reviewer's approval without a time after the decline",
	provider: "sumsub", gaps: map[int]time.Duration{2: 48 * time.Hour},
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantReviewed", redFinal, 2),
		sumsubNoTime("applicantReviewed", green, 3),
	},
	status: kycgate.StatusApproved, decision: kycgate.DecisionApproved, attempt: 1,
}, {
	name:     "sumsub: the request retried after the resubmission's approval and the reviewer's decline without a time",
	provider: "sumsub", gaps: map[int]time.Duration{4: time.Hour},
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantPending", noReview, 3),
		sumsub("applicantReviewed", green, 4),
		sumsubNoTime("applicantReviewed", redFinal, 6),
		sumsub("applicantReviewed", redRetry, 2), // the retry
	},
	status: kycgate.StatusDeclined, decision: kycgate.DecisionDeclined, attempt: 2,
}, {
	name:     "sumsub: the request retried, then the reviewer's decline",
	provider: "sumsub", gaps: map[int]time.Duration{3: time.Hour},
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantPending", noReview, 3),
		sumsubNoTime("applicantReviewed", green, 4),
		sumsub("applicantReviewed", redRetry, 2), // the retry
		sumsub("applicantReviewed", redFinal, 6),
	},
	status: kycgate.StatusDeclined, decision: kycgate.DecisionDeclined, attempt: 2,
}, {
	name:     "sumsub: an older request retried after a second request without a time",
	provider: "sumsub", gaps: map[int]time.Duration{6: time.Hour},
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantPending", noReview, 3),
		sumsub("applicantReviewed", green, 4),
		sumsubNoTime("applicantReviewed", redRetry, 5),
		sumsub("applicantPending", noReview, 6),
		sumsub("applicantReviewed", redFinal, 7),
		sumsub("applicantReviewed", redRetry, 2), // the retry
	},
	status: kycgate.StatusDeclined, decision: kycgate.DecisionDeclined, attempt: 3,
}, {
	// The approval, without a time, re-reviewed to a request; both first
	// deliveries lost, retried in order after the user resubmitted: the
	// approval stays with the attempt it arrived in, not the new one.
	name:     "sumsub: an approval without a time and the request after it, retried after the resubmission",
	provider: "sumsub", gaps: map[int]time.Duration{2: 10 * time.Minute},
	bodies: []string{
		sumsub("applicantPending", noReview, 1),
		sumsub("applicantPending", noReview, 4), // the user resubmits
		sumsubNoTime("applicantReviewed", green, 2),
		sumsub("applicantReviewed", redRetry, 3),
	},
	status: kycgate.StatusSubmitted, decision: kycgate.DecisionResubmissionRequested, attempt: 2,
}}

// TestState_LateOpener: each journey shows what a KYC team would see as
// true, rebuilt from its log and applied one webhook at a time alike, and
// the late request is marked late.
func TestState_LateOpener(t *testing.T) {
	for _, c := range lateCases {
		t.Run(c.name, func(t *testing.T) {
			vid, log := arriveApart(t, c.provider, provider.Config{}, c.gaps, c.bodies...)
			v, effects := kycgate.Replay("src", c.provider, vid, log)
			if v.Status != c.status || v.Decision != c.decision || v.Attempt != c.attempt {
				t.Errorf("%s %s attempt %d; want %s %s attempt %d", v.Status, v.Decision, v.Attempt, c.status, c.decision, c.attempt)
				for _, e := range effects {
					t.Logf("  %s attempt %d: %s %s late=%v", e.EventID, e.Attempt, e.Status, e.Decision, e.Late)
				}
			}
			if inc := applyOneByOne(t, c.provider, vid, log); inc.Status != v.Status || inc.Decision != v.Decision || inc.Attempt != v.Attempt {
				t.Errorf("one by one: %s %s attempt %d; rebuilt: %s %s attempt %d", inc.Status, inc.Decision, inc.Attempt, v.Status, v.Decision, v.Attempt)
			}
		})
	}
}

// TestState_LateOpenerIsMarkedLate: the request retried after the
// approval is marked late in the timeline; the approval is not.
func TestState_LateOpenerIsMarkedLate(t *testing.T) {
	c := lateCases[0]
	vid, log := arriveApart(t, c.provider, provider.Config{}, c.gaps, c.bodies...)
	_, effects := kycgate.Replay("src", c.provider, vid, log)
	late := map[string]bool{}
	for _, e := range effects {
		late[e.EventID] = e.Late
	}
	if !late[log[5].ID] || late[log[4].ID] {
		t.Errorf("late: request %v, approval %v; want true, false", late[log[5].ID], late[log[4].ID])
	}
}

// veriffHit is a watchlist screening of session vf1's attempt that found
// a possible match, created at hh:mm on Veriff's test day ("" for no
// createdAt).
func veriffHit(attempt, created string) string {
	var at time.Time
	if created != "" {
		at, _ = time.Parse("2006-01-02T15:04", "2026-04-01T"+created)
	}
	return veriffScreeningOf("initial_result", attempt, "possible_match", at)
}

// applyOneByOne applies log one webhook at a time, as the store does:
// a duplicate (a dedup key already stored) is not stored again; the rest
// carried forward with Continue where it can, rebuilt where it cannot.
func applyOneByOne(t *testing.T, providerName, vid string, log []kycgate.LogEntry) kycgate.Verification {
	t.Helper()
	seen := map[string]bool{}
	log = slices.DeleteFunc(slices.Clone(log), func(e kycgate.LogEntry) bool {
		dup := seen[e.DedupKey]
		seen[e.DedupKey] = true
		return dup
	})
	v, _, st := kycgate.RebuildState("src", providerName, vid, nil)
	for i := range log {
		e := log[i]
		e.Seq = int64(i + 1)
		next, nextState, _, ok := kycgate.Continue(roundTrip(t, v), roundTrip(t, st), []kycgate.LogEntry{stored(t, e)})
		if !ok {
			next, _, nextState = kycgate.RebuildState("src", providerName, vid, log[:i+1])
		}
		v, st = next, nextState
	}
	return v
}
