package delivery

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
)

// Backoff of the retry policy: the first retry waits up to 5 seconds, each
// further one up to twice as long, never more than an hour.
const (
	backoffBase = 5 * time.Second
	backoffCap  = time.Hour
)

// FromConfig builds the configured destinations. NATS destinations connect
// now; close releases them.
func FromConfig(ctx context.Context, cfgs []config.Destination, userAgent string, now func() time.Time) (dests []*Destination, close func(), err error) {
	var closers []func()
	close = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, c := range cfgs {
		d := &Destination{
			Name: c.Name, Include: Include{Raw: c.IncludeRaw, ProviderData: c.IncludeProviderData}, Concurrency: c.Concurrency, Timeout: time.Duration(c.Timeout),
			Policy: Policy{MaxAttempts: c.MaxAttempts, MaxAge: time.Duration(c.MaxAge), Base: backoffBase, Cap: backoffCap},
		}
		if c.RateLimit > 0 {
			d.Limiter = rate.NewLimiter(rate.Limit(c.RateLimit), max(1, int(c.RateLimit)))
		}
		if c.NATS != nil {
			t, err := NewNATSTarget(ctx, c.NATS.URL, c.NATS.Subject, c.NATS.Stream, c.NATS.CreateStream)
			if err != nil {
				close()
				return nil, nil, errors.Join(errors.New("destination "+c.Name), err)
			}
			closers = append(closers, t.Close)
			d.Kind, d.Target = "nats", t
		} else {
			d.Kind = "http"
			d.Target = &HTTPTarget{URL: c.URL, Keys: c.SigningKeys, UserAgent: userAgent, Now: now,
				Client: &http.Client{Timeout: time.Duration(c.Timeout), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		}
		dests = append(dests, d)
	}
	return dests, close, nil
}

// Router picks the destinations of an event by their filters.
type Router struct {
	routes []config.Destination
}

// NewRouter routes by the configured destinations' filters.
func NewRouter(cfgs []config.Destination) *Router { return &Router{routes: cfgs} }

// Route returns the names of the destinations whose filter lets the event through.
func (r *Router) Route(typ kycgate.EventType, provider, source string) []string {
	var out []string
	for _, d := range r.routes {
		if d.Filter.Match(typ, provider, source) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Has reports whether a destination of that name is configured.
func (r *Router) Has(name string) bool {
	return slices.ContainsFunc(r.routes, func(d config.Destination) bool { return d.Name == name })
}
