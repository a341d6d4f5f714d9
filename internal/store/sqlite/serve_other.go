//go:build !unix

package sqlite

// LockServing is a no-op where the system has no flock: run one kycgate
// serve per SQLite file.
func LockServing(string) (func(), error) { return func() {}, nil }
