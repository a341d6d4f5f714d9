// Package simulator plays identity-verification providers: it builds each
// provider's webhooks in the provider's exact shapes, along realistic
// journeys, signs them with the provider's scheme, and sends them like the
// provider does, retries included. The CLI's simulate and demo commands, the
// end-to-end tests and the load tool use it.
package simulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Delivery is one webhook as the provider sends it.
type Delivery = sim.Delivery

// Journey is one verification's webhooks in the order they happened, and
// the status the verification must end in.
type Journey = sim.Journey

// Credentials authenticate the simulated provider to the receiver: the
// signing secret of a provider that signs, the credential of one that
// sends one; a provider that sends none ignores them.
type Credentials = sim.Credentials

// providers are the players of every provider that declares one.
var providers = func() map[string]*sim.Player {
	out := map[string]*sim.Player{}
	for _, a := range registry.All() {
		if a.Play != nil {
			out[a.Name] = a.Play
		}
	}
	return out
}()

// Providers lists the providers the simulator plays.
func Providers() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Scenarios lists a provider's scenarios with the status each ends in.
func Scenarios(provider string) (map[string]kycgate.Status, error) {
	p, ok := providers[provider]
	if !ok {
		return nil, fmt.Errorf("simulator: unknown provider %q (one of %s)", provider, strings.Join(Providers(), ", "))
	}
	out := map[string]kycgate.Status{}
	for name, s := range p.Scenarios {
		out[name] = s.Want
	}
	return out, nil
}

// CredentialOf returns what a provider sends to authenticate its webhooks.
func CredentialOf(provider string) sim.Credential {
	if p, ok := providers[provider]; ok {
		return p.Credential
	}
	return ""
}

// RetrySchedule returns the delays after which the provider retries a
// delivery that failed.
func RetrySchedule(provider string) []time.Duration {
	p, ok := providers[provider]
	if !ok {
		return nil
	}
	return slices.Clone(p.Retries)
}

// Options shape the journeys NewJourneys builds.
type Options struct {
	Provider string
	Scenario string // a scenario name, or "mix" (or "") for all in turn
	Count    int    // journeys
	Start    time.Time
	// Every is the time between the starts of two journeys; 7 s when zero.
	// The demo spreads its journeys over the past week with it.
	Every time.Duration
	// Users is the pool of external user ids journeys draw from; sharing a
	// pool across providers gives users verified by several providers.
	// Empty: every journey has a user of its own.
	Users []string
	Rand  *rand.Rand
	Creds Credentials
}

// NewJourneys builds opts.Count journeys, signed, with timestamps advancing
// from opts.Start.
func NewJourneys(opts Options) ([]Journey, error) {
	p, ok := providers[opts.Provider]
	if !ok {
		return nil, fmt.Errorf("simulator: unknown provider %q (one of %s)", opts.Provider, strings.Join(Providers(), ", "))
	}
	names := make([]string, 0, len(p.Scenarios))
	for n := range p.Scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	if opts.Scenario != "" && opts.Scenario != "mix" {
		if _, ok := p.Scenarios[opts.Scenario]; !ok {
			return nil, fmt.Errorf("simulator: %s has no scenario %q (one of mix, %s)", opts.Provider, opts.Scenario, strings.Join(names, ", "))
		}
		names = []string{opts.Scenario}
	}
	r := opts.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().UTC().Add(-time.Hour)
	}
	every := opts.Every
	if every <= 0 {
		every = 7 * time.Second
	}
	out := make([]Journey, 0, opts.Count)
	for i := range opts.Count {
		name := names[i%len(names)]
		user := fmt.Sprintf("user-%06d", r.IntN(1_000_000))
		if len(opts.Users) > 0 {
			user = opts.Users[r.IntN(len(opts.Users))]
		}
		b := &sim.Builder{
			Rand:           r,
			VerificationID: p.NewID(r),
			User:           user,
			At:             start.Add(time.Duration(i) * every),
		}
		sc := p.Scenarios[name]
		sc.Build(b)
		j := Journey{Provider: opts.Provider, Scenario: name, VerificationID: b.VerificationID, ExternalUserID: user, Want: sc.Want}
		for _, d := range b.Deliveries {
			if err := p.Sign(opts.Creds, &d); err != nil {
				return nil, err
			}
			j.Deliveries = append(j.Deliveries, d)
		}
		out = append(out, j)
	}
	return out, nil
}
