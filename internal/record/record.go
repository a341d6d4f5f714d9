// Package record is the one path by which kycgate records an event,
// whoever made it: a provider's webhook, a document fetched from the
// provider's API, an erasure asked through the API. It routes the event to
// its destinations, asks for the verification's document where the event
// warrants it, and commits it durably through the group committer, so that
// a rule about routing or fetching changes in one place.
package record

import (
	"context"

	"github.com/kycgate/kycgate"
)

// Committer commits an event durably (ingest's group committer).
type Committer interface {
	Commit(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error)
}

// Router picks the destinations of an event.
type Router interface {
	Route(typ kycgate.EventType, provider, source string) []string
}

// Recorder records events.
type Recorder struct {
	commit   Committer
	router   Router
	fetching map[string]bool // sources that fetch from their provider's API
}

// New returns a recorder committing through c, routing with router (nil:
// nothing is forwarded), and asking for documents for the sources named in
// fetching.
func New(c Committer, router Router, fetching []string) *Recorder {
	r := &Recorder{commit: c, router: router, fetching: map[string]bool{}}
	for _, s := range fetching {
		r.fetching[s] = true
	}
	return r
}

// Record prepares ev (see Prepare), encodes it on the caller's goroutine
// (kycgate.Event.Encode), so that the committer does not, and commits it.
// The receipt says whether it was a retry of an event already stored.
func (r *Recorder) Record(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error) {
	r.Prepare(ev)
	ev.Encode()
	return r.commit.Commit(ctx, ev)
}

// Prepare sets what the store does with ev beside storing it: an event
// understood as part of a verification goes to the destinations that take
// its type, provider and source; a decision, or a change after one, of a
// source with API credentials asks for the verification's document.
func (r *Recorder) Prepare(ev *kycgate.Event) {
	understood := ev.Flag == kycgate.FlagNone && ev.Type != "" && ev.VerificationID != ""
	ev.Destinations = nil
	if understood && r.router != nil {
		ev.Destinations = r.router.Route(ev.Type, ev.Provider, ev.Source)
	}
	ev.Fetch = understood && r.fetching[ev.Source] && ev.Type.WorthFetching()
}
