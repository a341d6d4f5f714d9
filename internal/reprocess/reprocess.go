// Package reprocess reads every stored event again with this version's
// provider adapters, and rebuilds every verification from its events.
package reprocess

import (
	"context"
	"fmt"
	"io"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/fetch"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// Store is what a reprocess needs of the store.
type Store interface {
	Reprocess(ctx context.Context, renormalize func(*kycgate.Event), progress func(kycgate.ReprocessProgress)) (kycgate.ReprocessResult, error)
}

// Run reprocesses st: each event of a configured source is read with that
// source's settings, any other with its provider's defaults. It reports
// its progress on progress, and resumes from the last checkpoint an
// interrupted run left.
func Run(ctx context.Context, st Store, sources []*ingest.Source, progress io.Writer) (kycgate.ReprocessResult, error) {
	byName := make(map[string]*ingest.Source, len(sources))
	for _, src := range sources {
		byName[src.Name] = src
	}
	return st.Reprocess(ctx, Renormalizer(byName), Progress(progress))
}

// progressEvery is how many events or verifications pass between two
// progress lines.
const progressEvery = 10_000

// Progress writes a line to w when a reprocess resumes, at every
// progressEvery events or verifications, and when a phase ends.
func Progress(w io.Writer) func(kycgate.ReprocessProgress) {
	phase, reported, first := "", 0, true
	return func(p kycgate.ReprocessProgress) {
		if first && p.Resumed {
			fmt.Fprintf(w, "resumed an interrupted reprocess: %d events and %d verifications done so far\n", p.Events, p.Verifications)
		}
		first = false
		count := p.Events
		if p.Phase != kycgate.PhaseEvents {
			count = p.Verifications
		}
		switch {
		case p.Phase != phase && phase != "":
			fmt.Fprintf(w, "%s: done\n", phase)
			reported = 0
		case count-reported >= progressEvery:
			if p.Phase == kycgate.PhaseEvents {
				fmt.Fprintf(w, "events: %d renormalized, %d changed meaning\n", p.Events, p.Changed)
			} else {
				fmt.Fprintf(w, "verifications: %d rebuilt\n", p.Verifications)
			}
			reported = count
		}
		phase = p.Phase
	}
}

// Renormalizer reads an event again with today's adapters: a configured
// source's own settings, or its provider's defaults for any other source.
func Renormalizer(sources map[string]*ingest.Source) func(*kycgate.Event) {
	return func(ev *kycgate.Event) {
		if ev.ProviderEvent == fetch.ProviderEvent {
			// A document fetched from the provider's API.
			if parse := fetch.Parser(ev.Provider); parse != nil {
				fetch.Normalize(parse, ev)
			}
			return
		}
		var (
			a provider.Adapter
			p provider.Webhooks
		)
		if src, ok := sources[ev.Source]; ok && src.Adapter.Name == ev.Provider {
			a, p = src.Adapter, src.Webhooks
		} else if a, ok = registry.Lookup(ev.Provider); ok {
			p, _ = a.New(provider.Config{})
		}
		if p == nil {
			return // a provider this version no longer knows: keep what is stored
		}
		key := ev.DedupKey
		ingest.Normalize(a, p, ev.Header, ev)
		ev.DedupKey = key
	}
}
