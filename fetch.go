package kycgate

import "time"

// FetchState is where fetching a verification's document from its
// provider's API stands.
type FetchState string

const (
	FetchPending FetchState = "pending" // to be fetched, or retried at NextAttemptAt
	FetchDone    FetchState = "done"    // fetched; the document is in the log
	FetchFailed  FetchState = "failed"  // given up on: LastError says why
)

// FetchStates lists every fetch state.
var FetchStates = []FetchState{FetchPending, FetchDone, FetchFailed}

// Fetch is the job of fetching one verification's document from its
// provider's API. A verification has at most one: a new request (a later
// decision, a refresh) supersedes the previous one.
type Fetch struct {
	Source         string     `json:"source"`
	VerificationID string     `json:"verification_id"`
	Provider       string     `json:"provider"`
	State          FetchState `json:"state"`
	Attempts       int        `json:"attempts"` // since it was last requested
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	LastStatus     int        `json:"last_status"` // the provider's HTTP status; 0 for none
	LastError      string     `json:"last_error"`
	RequestedAt    time.Time  `json:"requested_at"`
	FetchedAt      *time.Time `json:"fetched_at"` // the last success
	EventID        string     `json:"event_id"`   // the verification.enriched event of the last success
	UpdatedAt      time.Time  `json:"updated_at"`
}

// FetchOutcome is what one attempt to fetch led to.
type FetchOutcome struct {
	At         time.Time
	State      FetchState // FetchDone, FetchFailed, or FetchPending to retry at RetryAt
	RetryAt    time.Time
	StatusCode int
	Error      string
	EventID    string // on success: the stored verification.enriched event
}

// FetchCount counts the fetches of one source in one state, for metrics.
type FetchCount struct {
	Source string
	State  FetchState
	Count  int
}
