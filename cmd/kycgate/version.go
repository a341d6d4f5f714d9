package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time: go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc123"
// (make build and make install do). Without them, the version and commit
// come from the module build information that go build and go install
// record.
var (
	version = "dev"
	commit  = ""
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "kycgate "+versionString())
		},
	}
}

// versionString is what kycgate version and kycgate --version print after
// "kycgate ".
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	v, c := buildVersion(version, commit, info)
	return fmt.Sprintf("%s (commit %s, %s)", v, c, runtime.Version())
}

// buildVersion is the version and commit to report: those set with -ldflags
// when there are any, else the module's version and VCS revision recorded in
// info (go install pkg@v1.2.3 records the tag; a build in a git checkout
// records a pseudo-version and the revision).
func buildVersion(version, commit string, info *debug.BuildInfo) (string, string) {
	if info == nil {
		return version, or(commit, "unknown")
	}
	if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		version = info.Main.Version
	}
	if commit == "" {
		var revision, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(revision) > 12 {
			revision = revision[:12]
		}
		if revision != "" && modified == "true" {
			revision += "-dirty"
		}
		commit = revision
	}
	return version, or(commit, "unknown")
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
