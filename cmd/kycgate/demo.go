package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/simulator"
)

func newDemoCmd() *cobra.Command {
	p := demo.Params{LogLevel: "warn", Version: version}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the gateway on a fresh store and feed it simulated journeys from every provider",
		Long: `The newcomer's first run. kycgate starts on a fresh embedded store with one
source per provider (` + strings.Join(simulator.Providers(), ", ") + `) and fresh
random secrets, plays realistic journeys of every provider at it, with
duplicated and reordered deliveries, and prints where the API is, the token to
use, and a summary of the verifications by provider and status, read back
from the API. It keeps serving until Ctrl-C. Nothing leaves this machine.
The commands it suggests include one to send journeys of your own, to one
more source (` + demo.OwnSource() + `).

--store names a file to keep the demo's data in. It must not exist yet, so
that the demo starts fresh; add --reuse to play more journeys into a store
an earlier demo left (the summary then counts its verifications too).`,
		Example: `  kycgate demo
  kycgate demo --listen 127.0.0.1:9090 --count 100 --store ./demo.db`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p.Count < 1 {
				return usageError{fmt.Errorf("--count: at least 1")}
			}
			if p.Reuse && p.Store == "" {
				return usageError{fmt.Errorf("--reuse: only with --store FILE, the store to play more journeys into")}
			}
			p.Command = selfCommand()
			return demo.Run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), p)
		},
	}
	cmd.Flags().StringVar(&p.Listen, "listen", "127.0.0.1:8080", "address to serve on")
	cmd.Flags().StringVar(&p.Store, "store", "", "SQLite file to keep the demo in; it must not exist yet (default: a new one in a temporary directory, removed on exit)")
	cmd.Flags().BoolVar(&p.Reuse, "reuse", false, "with --store: use the file even if an earlier demo left it")
	cmd.Flags().IntVar(&p.Count, "count", 40, "journeys per provider")
	return cmd
}
