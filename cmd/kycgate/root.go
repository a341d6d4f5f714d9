package main

import (
	"fmt"
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
	for _, c := range root.Commands() {
		if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
			c.Args, c.RunE = unknownSubcommand, func(c *cobra.Command, _ []string) error { return c.Help() }
			c.SuggestionsMinimumDistance = 2
		}
	}
	return root, started
}

// unknownSubcommand refuses, as a usage error, a word after a command of
// subcommands that names none of them, with the one it may be a typo of.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usageError{fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())}
}

// argsOfUse checks a command's arguments against those its Use names
// (show SOURCE ID): a usage error that names what is missing or extra.
func argsOfUse(cmd *cobra.Command, args []string) error {
	want := strings.Fields(cmd.Use)[1:]
	switch {
	case len(args) < len(want):
		return usageError{fmt.Errorf("%s: missing %s (usage: %s)", cmd.CommandPath(), strings.Join(want[len(args):], " and "), cmd.UseLine())}
	case len(args) > len(want):
		return usageError{fmt.Errorf("%s: takes %s, not %q too (usage: %s)", cmd.CommandPath(), strings.Join(want, " and "), strings.Join(args[len(want):], " "), cmd.UseLine())}
	}
	return nil
}

// noArgs refuses arguments to a command that takes none, as a usage
// error: a configuration file given without its flag says which flag.
func noArgs(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case cmd.Flags().Lookup("config") != nil && (strings.HasSuffix(args[0], ".yaml") || strings.HasSuffix(args[0], ".yml")):
		return usageError{fmt.Errorf("%s takes the file as a flag: --config %s", cmd.CommandPath(), args[0])}
	}
	return usageError{fmt.Errorf("%s takes no arguments, not %q (usage: %s)", cmd.CommandPath(), strings.Join(args, " "), cmd.UseLine())}
}
