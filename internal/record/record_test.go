package record_test

import (
	"context"
	"slices"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/record"
)

type committed []*kycgate.Event

func (c *committed) Commit(_ context.Context, ev *kycgate.Event) (kycgate.Receipt, error) {
	*c = append(*c, ev)
	return kycgate.Receipt{ID: ev.ID}, nil
}

type router struct{}

func (router) Route(typ kycgate.EventType, _, _ string) []string {
	if typ == kycgate.EventDecided {
		return []string{"app", "stream"}
	}
	return []string{"stream"}
}

// TestRecorder_Prepare: what an event is routed to and whether it asks for
// the provider's document, whoever made it.
func TestRecorder_Prepare(t *testing.T) {
	var c committed
	r := record.New(&c, router{}, []string{"fetching"})
	for _, tc := range []struct {
		name  string
		ev    kycgate.Event
		dests []string
		fetch bool
	}{
		{"a decision of a fetching source", kycgate.Event{Source: "fetching", Type: kycgate.EventDecided, Identity: kycgate.Identity{VerificationID: "v"}}, []string{"app", "stream"}, true},
		{"a decision of another source", kycgate.Event{Source: "plain", Type: kycgate.EventDecided, Identity: kycgate.Identity{VerificationID: "v"}}, []string{"app", "stream"}, false},
		{"progress", kycgate.Event{Source: "fetching", Type: kycgate.EventStarted, Identity: kycgate.Identity{VerificationID: "v"}}, []string{"stream"}, false},
		{"a fetched document", kycgate.Event{Source: "fetching", Type: kycgate.EventEnriched, Identity: kycgate.Identity{VerificationID: "v"}}, []string{"stream"}, false},
		{"an erasure", kycgate.Event{Source: "fetching", Type: kycgate.EventDeleted, Identity: kycgate.Identity{VerificationID: "v"}}, []string{"stream"}, false},
		{"a flagged body", kycgate.Event{Source: "fetching", Flag: kycgate.FlagUnparseable, Destinations: []string{"stale"}}, nil, false},
		{"no verification", kycgate.Event{Source: "fetching", Type: kycgate.EventDecided}, nil, false},
	} {
		ev := tc.ev
		if _, err := r.Record(context.Background(), &ev); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ev.Destinations, tc.dests) || ev.Fetch != tc.fetch {
			t.Errorf("%s: destinations %v fetch %v; want %v %v", tc.name, ev.Destinations, ev.Fetch, tc.dests, tc.fetch)
		}
	}
	if len(c) != 7 {
		t.Errorf("%d events committed, want 7", len(c))
	}
}
