package kycgate

// EventType is a canonical event type. Every provider event name maps to
// exactly one of them. The wire values never change.
type EventType string

const (
	EventCreated       EventType = "verification.created"
	EventStarted       EventType = "verification.started"
	EventStepCompleted EventType = "verification.step_completed"
	EventSubmitted     EventType = "verification.submitted"
	EventOnHold        EventType = "verification.on_hold"
	EventDecided       EventType = "verification.decided"
	EventUpdated       EventType = "verification.updated"
	EventExpired       EventType = "verification.expired"
	EventReset         EventType = "verification.reset"
	EventDeleted       EventType = "verification.deleted"
	EventAMLUpdate     EventType = "verification.aml_update"
	EventOther         EventType = "verification.other"
	// EventEnriched is kycgate's own: the verification's document was
	// fetched from the provider's API. It fills what the webhooks left empty.
	EventEnriched EventType = "verification.enriched"
)

// EventTypes lists every canonical event type.
var EventTypes = []EventType{
	EventCreated, EventStarted, EventStepCompleted, EventSubmitted, EventOnHold,
	EventDecided, EventUpdated, EventExpired, EventReset, EventDeleted,
	EventAMLUpdate, EventOther, EventEnriched,
}

// WorthFetching reports whether an event of type t makes its verification's
// full document worth fetching from the provider's API: a decision, or a
// change after one.
func (t EventType) WorthFetching() bool {
	return t == EventDecided || t == EventUpdated || t == EventAMLUpdate
}

// DecisionChanges are the types that may change a verification's decision
// once it is made, besides EventDecided: a reviewer's update, a screening,
// an expiry, a reset, a deletion, the provider's own document. A
// destination that takes EventDecided takes them too, so that the last
// message it gets carries the decision as it stands.
var DecisionChanges = []EventType{EventUpdated, EventAMLUpdate, EventExpired, EventReset, EventDeleted, EventEnriched}
