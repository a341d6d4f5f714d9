package kycgate

import "context"

// Store is the storage contract every backend implements and the behavioural
// suite in internal/store/storetest checks. Callers declare the smaller
// interfaces they need; this one names the whole contract.
type Store interface {
	// CreateEvents commits a batch of events in one transaction and returns a
	// receipt per event, in order. An event whose (Source, DedupKey) is already
	// stored, or appears earlier in the same batch, is not stored again: its
	// receipt carries the stored event's ID and Duplicate. When the error is
	// non-nil nothing of the batch was committed.
	CreateEvents(ctx context.Context, events []*Event) ([]Receipt, error)

	// FindEvent returns one stored event, or an ENOTFOUND error.
	FindEvent(ctx context.Context, id string) (*Event, error)

	// Ping reports whether the store can serve reads and writes.
	Ping(ctx context.Context) error

	Close() error
}
