package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a configuration file, or print an example to start from",
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
		Args:    noArgs,
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
	example := &cobra.Command{
		Use:   "example",
		Short: "Print a configuration with a source of every provider and demo secrets",
		Long: `Print the example configuration (kycgate.example.yaml in the source tree):
one source of every provider with demo secrets, SQLite at ./kycgate.db, the
API token demo-api-token, and comments on what each key means. Replace the
demo secrets with your providers' own, best as ${VAR} references, before
anything but a trial on your own machine.`,
		Example: `  kycgate config example > kycgate.yaml
  kycgate serve --config kycgate.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(kycgate.ExampleConfig)
			return err
		},
	}
	cmd.AddCommand(check, example)
	return cmd
}
