package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/loadgen"
	"github.com/kycgate/kycgate/internal/provider/sim"
	"github.com/kycgate/kycgate/internal/simulator"
)

// benchSource is where the load tool sends one provider's webhooks, and the
// credential it signs them with.
type benchSource struct {
	provider, path, secret string
}

// demoBenchSources are the sources of demoConfig with the secrets s.
func demoBenchSources(s demo.Secrets) []benchSource {
	var out []benchSource
	for _, p := range simulator.Providers() {
		out = append(out, benchSource{p, s.WebhookPath(p), s.Credential(p)})
	}
	return out
}

// configBenchSources takes, for each provider, the first source of cfg the
// load tool can send to as the provider does. It also says why it passed
// over the others.
func configBenchSources(cfg *config.Config) ([]benchSource, []string) {
	var (
		out     []benchSource
		skipped []string
		have    = map[string]bool{}
	)
	for _, src := range cfg.Sources {
		if have[src.Provider] {
			continue
		}
		b := benchSource{provider: src.Provider, path: "/webhooks/" + src.Name}
		auth := src.Auth
		why := ""
		switch simulator.CredentialOf(src.Provider) {
		case sim.CredentialBearer:
			if auth == nil || auth.Bearer == "" || auth.Basic != nil || auth.Header != nil {
				why = "its webhooks carry a bearer token, and this source takes another credential"
			}
			if auth != nil {
				b.secret = auth.Bearer
			}
		case sim.CredentialNone:
			switch {
			case auth == nil:
			case auth.URLToken != "" && auth.Basic == nil && auth.Header == nil && auth.Bearer == "":
				b.path += "/" + auth.URLToken
			default:
				why = "its provider sends no credential but a URL token, and this source takes another"
			}
		default:
			if len(src.Secrets) == 0 || auth != nil {
				why = "its webhooks are signed, and this source has no signing secret or also takes another credential"
			} else {
				b.secret = src.Secrets[0]
			}
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("source %q: %s", src.Name, why))
			continue
		}
		have[src.Provider] = true
		out = append(out, b)
	}
	return out, skipped
}

// traffic makes signed webhooks of its sources' providers, in turn, a
// fraction dup of them repeats of one made before.
type traffic struct {
	sources []benchSource
	dup     float64
	mu      sync.Mutex // guards r
	r       *rand.Rand
}

func newTraffic(sources []benchSource, dup float64, seed uint64) *traffic {
	return &traffic{sources: sources, dup: dup, r: rand.New(rand.NewPCG(seed, 2))}
}

// make returns n requests along fresh journeys.
func (t *traffic) make(n int) ([]loadgen.Request, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	per := make([][]loadgen.Request, len(t.sources))
	for i, s := range t.sources {
		for len(per[i]) < n/len(t.sources)+1 {
			js, err := simulator.NewJourneys(simulator.Options{Provider: s.provider, Count: 500, Rand: t.r, Creds: simulator.Credentials{Secret: s.secret}})
			if err != nil {
				return nil, err
			}
			for _, j := range js {
				for _, d := range j.Deliveries {
					per[i] = append(per[i], loadgen.Request{Path: s.path, Header: d.Header, Body: d.Body})
				}
			}
		}
	}
	out := make([]loadgen.Request, 0, n)
	for fresh := 0; len(out) < n; {
		if len(out) > 0 && t.r.Float64() < t.dup {
			out = append(out, out[t.r.IntN(len(out))])
			continue
		}
		out = append(out, per[fresh%len(t.sources)][fresh/len(t.sources)])
		fresh++
	}
	return out, nil
}

// stream makes requests in the background, ahead of need, until ctx ends:
// for runs longer than any prepared set lasts, where wrapping around would
// turn the whole load into retries. err reports why it stopped early.
func (t *traffic) stream(ctx context.Context) (next func() loadgen.Request, err func() error) {
	const chunk = 5000
	ch := make(chan loadgen.Request, 10*chunk)
	var failed error
	var once sync.Mutex
	go func() {
		defer close(ch)
		for ctx.Err() == nil {
			reqs, err := t.make(chunk)
			if err != nil {
				once.Lock()
				failed = err
				once.Unlock()
				return
			}
			for _, r := range reqs {
				select {
				case ch <- r:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return func() loadgen.Request { return <-ch }, func() error {
		once.Lock()
		defer once.Unlock()
		return failed
	}
}
