package delivery

import (
	"slices"
	"time"

	"github.com/kycgate/kycgate"
)

// Backoff of the retry policy: the first retry waits up to 5 seconds, each
// further one up to twice as long, never more than an hour.
const (
	BackoffBase = 5 * time.Second
	BackoffCap  = time.Hour
)

// Route sends the events Match lets through to the destination Name.
type Route struct {
	Name  string
	Match func(typ kycgate.EventType, provider, source string) bool
}

// Router picks the destinations of an event by their filters.
type Router struct {
	routes []Route
}

// NewRouter routes by routes, one per destination.
func NewRouter(routes []Route) *Router { return &Router{routes: routes} }

// Route returns the names of the destinations whose filter lets the event through.
func (r *Router) Route(typ kycgate.EventType, provider, source string) []string {
	var out []string
	for _, d := range r.routes {
		if d.Match(typ, provider, source) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Has reports whether a destination of that name is configured.
func (r *Router) Has(name string) bool {
	return slices.ContainsFunc(r.routes, func(d Route) bool { return d.Name == name })
}

// Empty reports whether no destination is configured.
func (r *Router) Empty() bool { return len(r.routes) == 0 }
