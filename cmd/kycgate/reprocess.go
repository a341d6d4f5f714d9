package main

import (
	"fmt"

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

Stop "kycgate serve" first, or expect ingest to wait while verifications
are rebuilt.`,
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
			res, err := store.Reprocess(cmd.Context(), func(ev *kycgate.Event) {
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
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reprocessed %d events (%d changed meaning); rebuilt %d verifications\n", res.Events, res.Changed, res.Verifications)
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML) naming the storage and the sources")
	return cmd
}
