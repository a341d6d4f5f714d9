package main

import (
	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/config"
)

func newServeCmd() *cobra.Command {
	var configPath, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: webhook ingest, health and metrics",
		Long: `Run the gateway until interrupted (Ctrl-C or SIGTERM), then shut down
gracefully: requests in flight finish and queued events are committed.

Each configured source receives webhooks at POST /webhooks/{name} (or
/webhooks/{name}/{token} for a url_token source). Without --config, kycgate
listens on :8080 with SQLite at ./kycgate.db and no sources.`,
		Example: `  kycgate serve --config kycgate.example.yaml
  kycgate serve --config /etc/kycgate.yaml --listen 127.0.0.1:9000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
			}
			app := &App{Config: cfg, Logger: newLogger(cmd.ErrOrStderr(), cfg.Log)}
			if err := app.Open(cmd.Context()); err != nil {
				return err
			}
			return app.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML); defaults apply without one")
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on, overriding the file's listen (e.g. :8080, 127.0.0.1:0)")
	return cmd
}

// loadConfig loads the file at path, or the defaults when path is empty. A
// bad file is a usage error (exit code 2).
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}
