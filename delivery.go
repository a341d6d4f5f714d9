package kycgate

import "time"

// DeliveryState is where a delivery of an event to a destination stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // to be sent, or to be retried at NextAttemptAt
	DeliveryDelivered DeliveryState = "delivered" // the destination acknowledged it
	DeliveryDead      DeliveryState = "dead"      // given up on; replayable
)

// DeliveryStates lists every delivery state.
var DeliveryStates = []DeliveryState{DeliveryPending, DeliveryDelivered, DeliveryDead}

// Delivery is one event on its way to one destination. Deliveries of one
// verification to one destination go out in the order they were created:
// one is not sent before the previous was delivered or dead-lettered.
type Delivery struct {
	ID             string        `json:"id"` // dlv_<ULID>
	Destination    string        `json:"destination"`
	EventID        string        `json:"event_id"`
	Source         string        `json:"source"`
	VerificationID string        `json:"verification_id"`
	State          DeliveryState `json:"state"`
	Attempts       int           `json:"attempts"` // since it was created or last retried by hand
	NextAttemptAt  time.Time     `json:"next_attempt_at"`
	LastStatus     int           `json:"last_status"` // HTTP status of the last attempt; 0 for none or no answer
	LastError      string        `json:"last_error"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	History        []Attempt     `json:"attempts_log,omitempty"` // only on FindDelivery
}

// Attempt is one try to deliver.
type Attempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
}

// Outcome is what a delivery attempt led to.
type Outcome struct {
	Attempt Attempt
	State   DeliveryState // DeliveryDelivered, DeliveryDead, or DeliveryPending to retry at RetryAt
	RetryAt time.Time
}

// Completion is one attempted delivery and what the attempt led to.
type Completion struct {
	ID string
	Outcome
}

// DeliveryFilter selects deliveries. Empty fields select all.
type DeliveryFilter struct {
	ID          string
	Destination string
	State       DeliveryState
	EventID     string
	Cursor      string
	Limit       int
}
