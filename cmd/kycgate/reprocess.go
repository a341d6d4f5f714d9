package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/reprocess"
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
again. Beside a running "kycgate serve", ingest waits for the batch being
committed (a webhook may be answered 503 meanwhile: the provider retries,
and the retry is recognised); events that serve stores meanwhile are read
by serve's adapters.

A verification whose state changes is not forwarded again by reprocess:
to tell your services, replay its deliveries ("kycgate events replay").`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			store, _, err := gateway.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			sources, err := gateway.IngestSources(cfg)
			if err != nil {
				return err
			}
			res, err := reprocess.Run(cmd.Context(), store, sources, cmd.ErrOrStderr())
			if err != nil {
				return fmt.Errorf("%w (run kycgate reprocess again to resume)", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reprocessed %d events (%d changed meaning); rebuilt %d verifications\n", res.Events, res.Changed, res.Verifications)
			if res.Events == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "the store holds no events: is --config the configuration your gateway runs with?")
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML) naming the storage and the sources")
	return cmd
}
