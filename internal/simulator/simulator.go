// Package simulator plays identity-verification providers: it builds each
// provider's webhooks in the provider's exact shapes, along realistic
// journeys, signs them with the provider's scheme, and sends them like the
// provider does, retries included. The CLI's simulate and demo commands, the
// end-to-end tests and the load tool use it.
package simulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
)

// Delivery is one webhook as the provider sends it.
type Delivery struct {
	Event  string // the provider's event name
	Header http.Header
	Body   []byte
}

// Journey is one verification's webhooks in the order they happened, and
// the status the verification must end in.
type Journey struct {
	Provider       string
	Scenario       string
	VerificationID string
	ExternalUserID string
	Deliveries     []Delivery
	Want           kycgate.Status
}

// Credentials authenticate the simulated provider to the receiver: the
// signing secret for Sumsub, MetaMap and VerifyYou; the bearer token for
// IDWise. Vericato sends none (its URL carries the source's token).
type Credentials struct {
	Secret string
}

// scenario builds one journey of a provider.
type scenario struct {
	want  kycgate.Status
	build func(j *journeyBuilder)
}

// providerSim knows one provider's formats and journeys.
type providerSim struct {
	scenarios map[string]scenario
	// sign adds the provider's authentication to a delivery.
	sign func(creds Credentials, d *Delivery) error
	// newID returns a verification id in the provider's style.
	newID func(r *rand.Rand) string
	// retries is the provider's documented retry schedule.
	retries []time.Duration
}

var providers = map[string]providerSim{
	"sumsub":    sumsubSim,
	"metamap":   metamapSim,
	"idwise":    idwiseSim,
	"vericato":  vericatoSim,
	"verifyyou": verifyyouSim,
}

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
	for name, s := range p.scenarios {
		out[name] = s.want
	}
	return out, nil
}

// RetrySchedule returns the delays after which the provider retries a
// delivery that failed.
func RetrySchedule(provider string) []time.Duration {
	return slices.Clone(providers[provider].retries)
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
	names := make([]string, 0, len(p.scenarios))
	for n := range p.scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	if opts.Scenario != "" && opts.Scenario != "mix" {
		if _, ok := p.scenarios[opts.Scenario]; !ok {
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
		b := &journeyBuilder{
			r:    r,
			vid:  p.newID(r),
			user: user,
			at:   start.Add(time.Duration(i) * every),
		}
		p.scenarios[name].build(b)
		j := Journey{Provider: opts.Provider, Scenario: name, VerificationID: b.vid, ExternalUserID: user, Want: p.scenarios[name].want}
		for _, d := range b.deliveries {
			if err := p.sign(opts.Creds, &d); err != nil {
				return nil, err
			}
			j.Deliveries = append(j.Deliveries, d)
		}
		out = append(out, j)
	}
	return out, nil
}

// journeyBuilder accumulates one journey's deliveries; the clock advances a
// few seconds to minutes between events, as a person going through a flow.
type journeyBuilder struct {
	r          *rand.Rand
	vid, user  string
	at         time.Time
	n          int
	deliveries []Delivery
}

// next advances the journey's clock and returns the event's time.
func (b *journeyBuilder) next() time.Time {
	b.at = b.at.Add(time.Duration(3+b.r.IntN(90)) * time.Second)
	b.n++
	return b.at
}

func (b *journeyBuilder) add(event string, body []byte) {
	b.deliveries = append(b.deliveries, Delivery{Event: event, Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
}

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	h := hexID(r, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}
