// Command kycgate receives identity-verification webhooks from the
// providers package registry lists, verifies them with each
// provider's own scheme and stores them durably before answering.
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line or the configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root, started := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "kycgate:", asFlags(err))
	var ue usageError
	var ce gateway.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) || !*started {
		// Errors before a command starts are cobra's: unknown command or flag.
		return exitUsage
	}
	return exitFailure
}

// selfCommand is how the user can run this binary again from the same
// shell, for the commands kycgate prints.
func selfCommand() string {
	exe, _ := os.Executable()
	onPath, _ := exec.LookPath("kycgate")
	return commandName(os.Args[0], exe, onPath)
}

// commandName is "kycgate" when the PATH finds the running executable exe
// under that name (onPath, "" if none), "go run ./cmd/kycgate" for a
// binary go run built, and otherwise the path it was started by (arg0, as
// in "bin/kycgate"), made absolute if it was a bare name.
func commandName(arg0, exe, onPath string) string {
	if exe == "" {
		return arg0
	}
	if onPath != "" && sameFile(onPath, exe) {
		return "kycgate"
	}
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ./cmd/kycgate"
	}
	if strings.ContainsRune(arg0, filepath.Separator) || strings.Contains(arg0, "/") {
		return arg0
	}
	return exe
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// asFlags speaks of the server's query parameters, in an error the API
// answered a command, as the command's flags: "query parameter group_by"
// is --group-by here.
func asFlags(err error) error {
	var apiErr *kycgate.Error
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "query parameter ") {
		return err
	}
	msg := queryParameter.ReplaceAllStringFunc(apiErr.Message, func(m string) string {
		return "--" + strings.ReplaceAll(strings.TrimPrefix(m, "query parameter "), "_", "-")
	})
	return &kycgate.Error{Code: apiErr.Code, Message: msg}
}

var queryParameter = regexp.MustCompile(`query parameter [a-z_]+`)
