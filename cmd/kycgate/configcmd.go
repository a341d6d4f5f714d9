package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a configuration file",
	}
	var path string
	check := &cobra.Command{
		Use:   "check --config FILE",
		Short: "Validate a configuration and print it as kycgate reads it, secrets masked",
		Long: `Validate a configuration file as "kycgate serve" would, with ${VAR}
references expanded and *_file secrets read, and print the result with every
secret replaced by <redacted>, defaults included. Exit code 2 and a message
naming the key when the file is invalid. Nothing is started or opened.`,
		Example: `  kycgate config check --config /etc/kycgate.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return usageError{fmt.Errorf("--config: required")}
			}
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			dump, err := cfg.Masked()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# %s is valid: %d source(s), %d destination(s)\n%s", path, len(cfg.Sources), len(cfg.Destinations), dump)
			return nil
		},
	}
	check.Flags().StringVarP(&path, "config", "c", "", "configuration file (YAML)")
	cmd.AddCommand(check)
	return cmd
}
