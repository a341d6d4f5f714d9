package gateway

import (
	"context"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/delivery"
)

// destinations builds the configured destinations. NATS destinations connect
// now; close releases them.
func destinations(ctx context.Context, cfgs []config.Destination, userAgent string, now func() time.Time) (dests []*delivery.Destination, close func(), err error) {
	var closers []func()
	close = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, c := range cfgs {
		d := &delivery.Destination{
			Name: c.Name, Include: delivery.Include{Raw: c.IncludeRaw, ProviderData: c.IncludeProviderData}, Concurrency: c.Concurrency, Timeout: time.Duration(c.Timeout),
			Policy: delivery.Policy{MaxAttempts: c.MaxAttempts, MaxAge: time.Duration(c.MaxAge), Base: delivery.BackoffBase, Cap: delivery.BackoffCap},
		}
		if c.RateLimit > 0 {
			d.Limiter = rate.NewLimiter(rate.Limit(c.RateLimit), max(1, int(c.RateLimit)))
		}
		if c.NATS != nil {
			t, err := delivery.NewNATSTarget(ctx, c.NATS.URL, c.NATS.Subject, c.NATS.Stream, c.NATS.CreateStream)
			if err != nil {
				close()
				return nil, nil, errors.Join(errors.New("destination "+c.Name), err)
			}
			closers = append(closers, t.Close)
			d.Kind, d.Target = "nats", t
		} else {
			d.Kind = "http"
			client := delivery.NewHTTPClient(c.Concurrency, time.Duration(c.Timeout))
			closers = append(closers, client.CloseIdleConnections)
			d.Target = &delivery.HTTPTarget{URL: c.URL, Keys: c.SigningKeys, UserAgent: userAgent, Now: now, Client: client}
		}
		dests = append(dests, d)
	}
	return dests, close, nil
}

// routes are the configured destinations' filters.
func routes(cfgs []config.Destination) []delivery.Route {
	out := make([]delivery.Route, 0, len(cfgs))
	for _, c := range cfgs {
		out = append(out, delivery.Route{Name: c.Name, Match: c.Filter.Match})
	}
	return out
}
