package kycgate

import (
	"context"
	"time"
)

// Store is the storage contract every backend implements and the behavioural
// suite in internal/store/storetest checks. Callers declare the smaller
// interfaces they need; this one names the whole contract.
type Store interface {
	// CreateEvents commits a batch of events in one transaction and returns a
	// receipt per event, in order. An event whose (Source, DedupKey) is already
	// stored, or appears earlier in the same batch, is not stored again: its
	// receipt carries the stored event's ID and Duplicate. In the same
	// transaction, every verification a new event belongs to is brought up
	// to date, exactly as a rebuild from its log would give it: its new
	// events applied to its stored state when they sort after all of it
	// (kycgate.Continue), else rebuilt from its log; and a verification that
	// ends deleted has its events' raw bodies purged. Values no column or index of any store could hold as
	// sent are first changed in place, and the event flagged, by
	// Event.MakeStorable; the raw body is stored as received. When the error
	// is non-nil nothing of the batch was committed: its code is
	// EUNAVAILABLE when retrying may succeed, anything else when the store
	// refuses the batch as it is.
	CreateEvents(ctx context.Context, events []*Event) ([]Receipt, error)

	// FindEvent returns one stored event with its raw body, or ENOTFOUND.
	FindEvent(ctx context.Context, id string) (*Event, error)

	// FindForwarded returns what a destination receives of one stored
	// event: the event with its raw body, whether it arrived late, and its
	// verification as stored now.
	FindForwarded(ctx context.Context, id string) (*Forwarded, error)

	// ListEvents returns events matching f, newest first, without raw
	// bodies, and the cursor of the next page ("" on the last).
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, string, error)

	// FindVerification returns one verification, or ENOTFOUND.
	FindVerification(ctx context.Context, source, id string) (*Verification, error)

	// ListVerifications returns verifications matching f, most recently
	// created first, and the cursor of the next page ("" on the last).
	ListVerifications(ctx context.Context, f VerificationFilter) ([]*Verification, string, error)

	// Reprocess passes every stored event that still has its raw body to
	// renormalize, which updates it in place (identity, type, data, flag),
	// saves the results and rebuilds every verification from its log. It
	// works in bounded batches, each committed with a checkpoint, so that
	// a run that is interrupted resumes where it stopped; progress, when
	// not nil, hears after each batch.
	Reprocess(ctx context.Context, renormalize func(*Event), progress func(ReprocessProgress)) (ReprocessResult, error)

	// ListLog returns a verification's log, for rebuilding its state as of
	// one of its events.
	ListLog(ctx context.Context, source, verificationID string) ([]LogEntry, error)

	// ClaimDeliveries leases up to limit deliveries of destination that are
	// due at now and first in line for their verification, until now+lease.
	ClaimDeliveries(ctx context.Context, destination string, now time.Time, lease time.Duration, limit int) ([]*Delivery, error)

	// CompleteDeliveries records attempts and their outcomes, and ends the
	// leases, in one transaction; a delivery no longer stored (erased since
	// it was claimed) is passed over.
	CompleteDeliveries(ctx context.Context, cs []Completion) error

	// ReleaseDeliveries ends the leases of claimed deliveries not attempted.
	ReleaseDeliveries(ctx context.Context, ids []string) error

	// FindDelivery returns one delivery with its attempts, or ENOTFOUND.
	FindDelivery(ctx context.Context, id string) (*Delivery, error)

	// ListDeliveries returns deliveries matching f, newest first.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, string, error)

	// RetryDeliveries makes the dead or pending deliveries matching f due
	// now, with a fresh count of attempts, and returns how many it changed.
	RetryDeliveries(ctx context.Context, f DeliveryFilter, now time.Time) (int, error)

	// ReplayEvent creates a new delivery of a stored event to each of
	// destinations, after the verification's other deliveries.
	ReplayEvent(ctx context.Context, eventID string, destinations []string, now time.Time) ([]*Delivery, error)

	// PurgeRawBodies removes the raw bodies of events received before
	// before, at most limit of them, and returns how many it purged.
	PurgeRawBodies(ctx context.Context, before time.Time, limit int) (int, error)

	// RequestFetch asks for the verification's document to be fetched from
	// its provider's API at now, superseding any earlier request, and
	// returns the job; ENOTFOUND when there is no such verification.
	RequestFetch(ctx context.Context, source, id string, now time.Time) (*Fetch, error)

	// ClaimFetches leases up to limit fetches of source that are due at
	// now, until now+lease.
	ClaimFetches(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]*Fetch, error)

	// CompleteFetch records an attempt of f and ends its lease. When the
	// job was requested again since f was claimed, the attempt is recorded
	// but the job stays pending for the newer request.
	CompleteFetch(ctx context.Context, f *Fetch, o FetchOutcome) error

	// FindFetch returns a verification's fetch job, or ENOTFOUND.
	FindFetch(ctx context.Context, source, id string) (*Fetch, error)

	// Funnel counts the funnel of the verifications q selects, per group.
	Funnel(ctx context.Context, q FunnelQuery) (*Funnel, error)

	// Counts returns how many verifications there are by provider and
	// status, the deliveries by destination and state, and the fetches by
	// source and state, for metrics.
	Counts(ctx context.Context) (Counts, error)

	// RevokeSession records that dashboard session id ended (logged out)
	// before its expiry until, so that every instance refuses it; it
	// forgets revocations whose sessions expired before now.
	RevokeSession(ctx context.Context, id string, until, now time.Time) error

	// SessionRevoked reports whether dashboard session id was revoked.
	SessionRevoked(ctx context.Context, id string) (bool, error)

	// Ping reports whether a commit can succeed now.
	Ping(ctx context.Context) error

	Close() error
}

// Page limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// VerificationFilter selects verifications. Empty fields select all.
type VerificationFilter struct {
	ID             string
	Source         string
	Provider       string
	Status         Status
	ExternalUserID string
	// Search selects the verifications whose id or external user id starts
	// with it (case-sensitive).
	Search string
	Since  time.Time // updated at or after
	// ByCreation orders newest created first, instead of in the order
	// kycgate first stored them; pages stay stable unless a verification's
	// creation time moves (a late event dated earlier).
	ByCreation bool
	Cursor     string
	Limit      int
}

// EventFilter selects events. Empty fields select all.
type EventFilter struct {
	Source         string
	Provider       string
	VerificationID string
	Type           EventType
	Flag           Flag
	Flagged        bool      // only events with a flag
	Since          time.Time // received at or after
	Cursor         string
	Limit          int
}

// Reprocess phases, in order.
const (
	PhaseEvents        = "events"        // renormalizing stored events
	PhaseVerifications = "verifications" // rebuilding every verification from its log
	PhaseDone          = "done"
)

// ReprocessProgress is how far a Reprocess has come.
type ReprocessProgress struct {
	Phase   string
	Resumed bool // the run resumed an interrupted one; the counts include its work
	ReprocessResult
}

// ReprocessResult counts what Reprocess did.
type ReprocessResult struct {
	Events        int // events renormalized
	Changed       int // of which the meaning changed
	Verifications int // verifications rebuilt
}

// PageSize returns limit bounded to 1..MaxPageSize, DefaultPageSize when 0.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// Counts are the store's totals, for metrics.
type Counts struct {
	Verifications []VerificationCount
	Deliveries    []DeliveryCount
	Fetches       []FetchCount
}

// VerificationCount counts verifications of one provider in one status.
type VerificationCount struct {
	Provider string
	Status   Status
	Count    int
}

// DeliveryCount counts deliveries to one destination in one state; Oldest
// is when the oldest of them was created.
type DeliveryCount struct {
	Destination string
	State       DeliveryState
	Count       int
	Oldest      time.Time
}

// Forwarded is a stored event as a destination receives it.
type Forwarded struct {
	Event *Event
	// Late is true when the event arrived after events that apply after
	// it (Effect.Late, as of the verification's latest rebuild or of the
	// event's own arrival).
	Late bool
	// Verification is the event's verification as stored now: every event
	// stored so far applied.
	Verification Verification
}
