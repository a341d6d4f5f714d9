package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/fetch"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

func newReprocessCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "reprocess",
		Short: "Re-read every stored raw event with today's adapters and rebuild all verifications",
		Long: `Re-read every stored raw event with the provider adapters of this version of
kycgate, and rebuild every verification from its events. Run it after an
upgrade: events once stored as unparseable or unknown_event become
understood, and verifications reflect today's mapping. Each event keeps its
id and dedup key, so provider retries are still recognised. Events whose raw
body was purged keep their stored meaning.

It works in batches of 500 events or verifications, each committed with a
checkpoint, and reports its progress on stderr. Interrupted (Ctrl-C, a
crash, a lost connection), it resumes from the last checkpoint when run
again. Beside a running "kycgate serve", ingest waits at most for one
batch; events that serve stores meanwhile are read by serve's adapters.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			store, _, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			// Each configured source's own settings; any other source gets its
			// provider's defaults.
			sources := map[string]*ingest.Source{}
			for _, c := range cfg.Sources {
				src, err := ingest.NewSource(c)
				if err != nil {
					return usageError{err}
				}
				sources[c.Name] = src
			}
			res, err := store.Reprocess(cmd.Context(), renormalizer(sources), reportProgress(cmd.ErrOrStderr()))
			if err != nil {
				return fmt.Errorf("%w (run kycgate reprocess again to resume)", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reprocessed %d events (%d changed meaning); rebuilt %d verifications\n", res.Events, res.Changed, res.Verifications)
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML) naming the storage and the sources")
	return cmd
}

// progressEvery is how many events or verifications pass between two
// progress lines.
const progressEvery = 10_000

// reportProgress writes a line to w when a reprocess resumes, at every
// progressEvery events or verifications, and when a phase ends.
func reportProgress(w io.Writer) func(kycgate.ReprocessProgress) {
	phase, reported, first := "", 0, true
	return func(p kycgate.ReprocessProgress) {
		if first && p.Resumed {
			fmt.Fprintf(w, "resuming an interrupted reprocess: %d events and %d verifications were done\n", p.Events, p.Verifications)
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

// renormalizer reads an event again with today's adapters: a configured
// source's own settings, or its provider's defaults for any other source.
func renormalizer(sources map[string]*ingest.Source) func(*kycgate.Event) {
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
			p provider.Provider
		)
		if src, ok := sources[ev.Source]; ok && src.Adapter.Name == ev.Provider {
			a, p = src.Adapter, src.Provider
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
