//go:build unix

package sqlite

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockServing takes the lock that one kycgate serve holds on the database
// file at path for as long as it runs, and returns what releases it: a
// second serve of the same file is refused, since both would forward the
// same deliveries and contend for every commit. Commands that work beside
// a running serve (migrate, reprocess) do not take it. The lock is a file
// beside the database (path-serve.lock) holding the process id; the
// system releases it when the process ends, however it ends.
func LockServing(path string) (release func(), err error) {
	name := path + "-serve.lock"
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite: another kycgate serve (process %s) serves %s: run one per SQLite file, or several on PostgreSQL (docs/deployment.md)",
				cmp.Or(strings.TrimSpace(string(pid)), "unknown"), path)
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
