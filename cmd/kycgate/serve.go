package main

import (
	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/gateway"
)

func newServeCmd() *cobra.Command {
	var configPath, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: webhook ingest, the API, the dashboard, forwarding, health and metrics",
		Long: `Run the gateway until interrupted (Ctrl-C or SIGTERM), then shut down
gracefully: requests in flight finish and queued events are committed.

Each configured source receives webhooks at POST /webhooks/{name} (or
/webhooks/{name}/{token} for a url_token source). The same address serves
the query API under /api/v1 (its OpenAPI document at /api/v1/openapi.json)
and the web dashboard at /, both open to the tokens in api_tokens, and
/healthz, /readyz and /metrics (Prometheus). Events are forwarded to the
configured destinations, and decided verifications fetched from the
providers' APIs for sources with an api block.

Without --config, kycgate listens on :8080 with SQLite at ./kycgate.db and
no sources.`,
		Example: `  kycgate config example > kycgate.yaml && kycgate serve --config kycgate.yaml
  kycgate serve --config /etc/kycgate.yaml --listen 127.0.0.1:9000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
			}
			app := &gateway.App{Config: cfg, Logger: gateway.NewLogger(cmd.ErrOrStderr(), cfg.Log), Version: version}
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
