// Command testsummary runs go test with its arguments and prints what go
// test prints without -v (each package's ok or FAIL line, and the output
// of the tests that failed), then every skipped test with the reason it
// gave, so that a skipped test never hides behind "ok". It exits with go
// test's exit code.
//
//	go run ./internal/testsummary -race -timeout 5m ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fatal(err)
	}
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	r := newReport(os.Stdout)
	if err := r.read(stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		io.Copy(io.Discard, stdout) // let go test finish
	}
	err = cmd.Wait()
	r.printSkips()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "testsummary:", err)
	os.Exit(1)
}
