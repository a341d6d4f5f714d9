package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/provider/registry"
)

func newRootCmd(stdout, stderr io.Writer) (*cobra.Command, *bool) {
	started := new(bool)
	root := &cobra.Command{
		Use:   "kycgate",
		Short: "Receive identity-verification webhooks, verified and stored durably",
		Long: `kycgate receives the webhooks of identity-verification providers
(` + strings.Join(registry.Names(), ", ") + `), checks each with the provider's own
signature or credential, and stores it durably before answering, so that no
verification result is lost, counted twice, or forged.

Start with "kycgate demo": a gateway on a fresh store, fed simulated webhooks
of every provider, with its dashboard. Then write a configuration with
"kycgate config example > kycgate.yaml" and run "kycgate serve --config
kycgate.yaml". The README walks through both.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			*started = true
		},
	}
	root.SetVersionTemplate("kycgate {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServeCmd(), newMigrateCmd(), newReprocessCmd(), newVerificationsCmd(), newEventsCmd(), newDeliveriesCmd(), newStatsCmd(), newSimulateCmd(), newDemoCmd(), newBenchCmd(), newConfigCmd(), newVersionCmd())
	return root, started
}
