package server

import (
	"slices"
	"strings"

	"github.com/kycgate/kycgate"
)

// accept declares parameters the handler reads other than through q.
func (q *query) accept(names ...string) {
	for _, n := range names {
		if !slices.Contains(q.read, n) {
			q.read = append(q.read, n)
		}
	}
}

// check returns the first problem of the parameters read or, when there is
// none, refuses a parameter the handler does not read: a misspelled filter
// must not quietly select everything.
func (q *query) check() error {
	if q.err != nil {
		return q.err
	}
	var unknown []string
	for name := range q.r.URL.Query() {
		if !slices.Contains(q.read, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	accepted := "none"
	if len(q.read) > 0 {
		accepted = strings.Join(q.read, ", ")
	}
	return kycgate.Errorf(kycgate.EINVALID, "query parameter %q: unknown here; this route accepts %s", unknown[0], accepted)
}
