package kycgate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Stage is how far a verification has gone through the funnel every
// provider shares: created, started (the user began), submitted (all inputs
// in) and decided. Stages only grow, except that a reset starts over.
type Stage string

const (
	StageCreated   Stage = "created"
	StageStarted   Stage = "started"
	StageSubmitted Stage = "submitted"
	StageDecided   Stage = "decided"
)

// Stages lists the funnel's stages in order.
var Stages = []Stage{StageCreated, StageStarted, StageSubmitted, StageDecided}

// Rank is the stage's position in Stages: 0 for created.
func (s Stage) Rank() int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return 0
}

// stageOf is the stage an event proves the verification reached.
func stageOf(e LogEntry) Stage {
	c := e.Change
	switch {
	case c.Decision != "":
		return StageDecided
	case e.Type == EventSubmitted || c.Status == StatusSubmitted || c.Status == StatusOnHold:
		return StageSubmitted
	case e.Type == EventStarted || e.Type == EventStepCompleted || c.Status == StatusInProgress || c.Step != nil:
		return StageStarted
	}
	return StageCreated
}

// Ended reports whether a verification in status s ended without approval:
// the ones the funnel's drop-off counts.
func (s Status) Ended() bool {
	switch s {
	case StatusDeclined, StatusResubmissionRequested, StatusAbandoned, StatusExpired:
		return true
	}
	return false
}

// dropOff is the code of where a verification that ended without approval
// stopped: its last failed or cancelled step and how it ended
// ("liveness.cancelled"), else its first reason as the provider sent it (a
// reject label, an error code), else its status.
func (v *Verification) dropOff() string {
	if !v.Status.Ended() {
		return ""
	}
	for i := len(v.Steps) - 1; i >= 0; i-- {
		if s := v.Steps[i]; s.Outcome == OutcomeFailed || s.Outcome == OutcomeCancelled {
			return s.Name + "." + s.Outcome
		}
	}
	if len(v.Reasons) > 0 {
		return v.Reasons[0]
	}
	return string(v.Status)
}

// DropOffLabel says a drop-off code in words: "liveness.cancelled" is
// "Liveness cancelled", "UNSATISFACTORY_PHOTOS" is "Unsatisfactory photos",
// "face_collision" is "Face collision".
func DropOffLabel(code string) string {
	words := code
	if name, outcome, ok := cutLast(code, "."); ok && (outcome == OutcomeFailed || outcome == OutcomeCancelled) {
		words = name + " " + outcome
	}
	if words == strings.ToUpper(words) {
		words = strings.ToLower(words)
	}
	words = strings.NewReplacer("_", " ", "-", " ").Replace(words)
	r, n := utf8.DecodeRuneInString(words)
	return string(unicode.ToUpper(r)) + words[n:]
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// FunnelQuery selects the verifications a funnel counts and how it groups
// them. Empty fields select all; the time range is on created_at.
type FunnelQuery struct {
	Source   string
	Provider string
	Flow     string
	Since    time.Time // created at or after
	Until    time.Time // created before
	GroupBy  FunnelGroup
	TopN     int // drop-off labels per group; DefaultTopN when 0
}

// FunnelGroup is what a funnel is grouped by.
type FunnelGroup string

const (
	GroupByProvider FunnelGroup = "provider"
	GroupBySource   FunnelGroup = "source"
	GroupByFlow     FunnelGroup = "flow"
	GroupByTracker  FunnelGroup = "tracker"
)

// FunnelGroups lists what a funnel can be grouped by.
var FunnelGroups = []FunnelGroup{GroupByProvider, GroupBySource, GroupByFlow, GroupByTracker}

// How many drop-off labels a funnel group lists: by default, and at most.
const (
	DefaultTopN = 10
	MaxTopN     = 100
)

// Validate checks the query and fills its defaults.
func (q *FunnelQuery) Validate() error {
	if q.GroupBy == "" {
		q.GroupBy = GroupByProvider
	}
	valid := false
	for _, g := range FunnelGroups {
		valid = valid || g == q.GroupBy
	}
	if !valid {
		return Errorf(EINVALID, "group_by %q is not one of provider, source, flow, tracker", q.GroupBy)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return Errorf(EINVALID, "until (%s) must be after since (%s)", q.Until.Format(time.RFC3339), q.Since.Format(time.RFC3339))
	}
	switch {
	case q.TopN == 0:
		q.TopN = DefaultTopN
	case q.TopN < 0 || q.TopN > MaxTopN:
		return Errorf(EINVALID, "top %d is outside 1..%d", q.TopN, MaxTopN)
	}
	return nil
}

// Funnel is the funnel of each group of verifications.
type Funnel struct {
	GroupBy FunnelGroup   `json:"group_by"`
	Groups  []FunnelStats `json:"groups"`
}

// FunnelStats is one group's funnel.
type FunnelStats struct {
	Group string `json:"group"` // the provider, source, flow or tracker; "" for none
	Total int    `json:"total"`
	// Stages counts the verifications that reached each stage, in the order
	// of Stages; Conversion is the share of each stage's count that reached
	// the next one.
	Stages     []StageCount       `json:"stages"`
	Decisions  map[Decision]int   `json:"decisions"` // the latest decision of each decided verification
	Abandoned  int                `json:"abandoned"`
	Expired    int                `json:"expired"`
	DropOff    []DropOffCount     `json:"drop_off"` // where the ones that ended without approval stopped, most first
	ToDecision *DecisionDurations `json:"time_to_decision"`
	// ToDecisionLeftOut counts the decided verifications ToDecision leaves
	// out: their creation or first decision has no provider time, or one
	// event both created and decided them.
	ToDecisionLeftOut int `json:"time_to_decision_left_out"`
}

// StageCount is how many verifications reached a stage.
type StageCount struct {
	Stage Stage `json:"stage"`
	Count int   `json:"count"`
	// Conversion is Count over the previous stage's count (1 for created,
	// 0 when the previous stage is empty).
	Conversion float64 `json:"conversion"`
}

// DropOffCount counts verifications that stopped at one place.
type DropOffCount struct {
	// Code is the verifications' drop_off: a step and how it ended
	// ("liveness.cancelled"), a reason as the provider sent it
	// ("UNSATISFACTORY_PHOTOS", "face_collision") or a status ("expired").
	Code  string `json:"code"`
	Label string `json:"label"` // Code in words, for people
	Count int    `json:"count"`
}

// DecisionDurations are the nearest-rank percentiles, in seconds, of the
// time from a verification's creation to its first decision, over Count
// decided verifications that have a provider time for both.
type DecisionDurations struct {
	Count int `json:"count"`
	// Clock is what the times are: event (when things happened) for every
	// one counted, or sent when some are only when webhooks were sent.
	Clock Clock   `json:"clock"`
	P50   float64 `json:"p50_seconds"`
	P90   float64 `json:"p90_seconds"`
	P99   float64 `json:"p99_seconds"`
}

// SetConversion fills each stage's conversion from the counts.
func (f *FunnelStats) SetConversion() {
	for i := range f.Stages {
		switch {
		case i == 0:
			f.Stages[i].Conversion = 1
		case f.Stages[i-1].Count > 0:
			f.Stages[i].Conversion = float64(f.Stages[i].Count) / float64(f.Stages[i-1].Count)
		default:
			f.Stages[i].Conversion = 0
		}
	}
}

// Rank returns the nearest-rank position (from 1) of percentile p of n
// sorted values: the smallest rank whose value is at or above p percent.
func Rank(p, n int) int { return (n*p + 99) / 100 }
