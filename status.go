package kycgate

// Status is where a verification stands. The wire values never change.
type Status string

const (
	StatusPending               Status = "pending"     // created, not started
	StatusInProgress            Status = "in_progress" // the user is going through the flow
	StatusSubmitted             Status = "submitted"   // all inputs in; the provider is deciding
	StatusOnHold                Status = "on_hold"     // processing paused by the provider
	StatusApproved              Status = "approved"
	StatusDeclined              Status = "declined"
	StatusReviewNeeded          Status = "review_needed"
	StatusResubmissionRequested Status = "resubmission_requested"
	StatusAbandoned             Status = "abandoned" // the user stopped before finishing
	StatusExpired               Status = "expired"
	StatusDeleted               Status = "deleted" // a tombstone: personal data purged
)

// Statuses lists every status.
var Statuses = []Status{
	StatusPending, StatusInProgress, StatusSubmitted, StatusOnHold, StatusApproved,
	StatusDeclined, StatusReviewNeeded, StatusResubmissionRequested, StatusAbandoned,
	StatusExpired, StatusDeleted,
}

// Decision is a provider's verdict on a verification.
type Decision string

const (
	DecisionApproved              Decision = "approved"
	DecisionDeclined              Decision = "declined"
	DecisionReviewNeeded          Decision = "review_needed"
	DecisionResubmissionRequested Decision = "resubmission_requested"
)

// Status returns the status a decision puts a verification in.
func (d Decision) Status() Status { return Status(d) }

// Phase orders events of one verification that carry the same provider time,
// or none at all (some providers send none): a verification is created before it is
// decided, and decided before a reviewer updates the decision.
func (t EventType) Phase() int {
	switch t {
	case EventCreated:
		return 0
	case EventStarted:
		return 1
	case EventStepCompleted, EventOther:
		return 2
	case EventSubmitted:
		return 3
	case EventOnHold:
		return 4
	case EventDecided:
		return 5
	case EventUpdated:
		return 6
	case EventAMLUpdate:
		return 6 // with updates: a reviewer may act on a screening hit, or a hit come after a review
	case EventExpired:
		return 8
	case EventReset:
		return 9
	case EventDeleted:
		return 10
	}
	return 2
}
