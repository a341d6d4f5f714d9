package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/redact"
)

func newMigrateCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations to the store",
		Long: `Apply the schema migrations this version of kycgate embeds and the store
has not seen yet. "kycgate serve" does the same at start; run this first to
upgrade the schema separately from starting the gateway.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			store, n, err := gateway.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "applied %d migration(s) to %s\n", n, redact.URL(cfg.Storage))
			return nil
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML) naming the storage")
	return cmd
}
