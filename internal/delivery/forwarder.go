package delivery

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/kycgate/kycgate"
)

// Store is what the forwarder needs of the store.
type Store interface {
	ClaimDeliveries(ctx context.Context, destination string, now time.Time, lease time.Duration, limit int) ([]*kycgate.Delivery, error)
	CompleteDeliveries(ctx context.Context, cs []kycgate.Completion) error
	ReleaseDeliveries(ctx context.Context, ids []string) error
	FindForwarded(ctx context.Context, id string) (*kycgate.Forwarded, error)
}

// Destination is one configured destination and its live state.
type Destination struct {
	Name        string
	Kind        string // "http" or "nats"
	Target      Target
	Include     Include
	Concurrency int           // deliveries in flight at once, each of another verification
	Timeout     time.Duration // one attempt
	Policy      Policy
	Limiter     *rate.Limiter // nil for no limit

	breaker  *breaker
	disabled atomic.Pointer[string] // why, when a 410 disabled it
}

// leaseGrace is how much longer than one attempt a claim is held, for
// building the envelope and recording the outcome.
const leaseGrace = 5 * time.Second

// lease is how long a claimed delivery is held: long enough for one
// attempt, including a wait for the rate limit, and no longer, so that the
// work of an instance that died is taken up again within seconds.
func (d *Destination) lease() time.Duration {
	l := d.Timeout + leaseGrace
	if d.Limiter != nil && d.Limiter.Limit() > 0 {
		l += time.Duration(float64(d.Concurrency) / float64(d.Limiter.Limit()) * float64(time.Second))
	}
	return l
}

// Options assemble a Forwarder.
type Options struct {
	Store        Store
	Destinations []*Destination
	Now          func() time.Time
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
	Poll         time.Duration // how often to look for due retries (default 1s)
	// Breaker: after BreakerThreshold consecutive failures a destination is
	// paused for BreakerCooldown, doubling up to BreakerMaxCooldown.
	BreakerThreshold   int
	BreakerCooldown    time.Duration
	BreakerMaxCooldown time.Duration
}

// Forwarder runs the delivery workers.
type Forwarder struct {
	store   Store
	dests   []*Destination
	now     func() time.Time
	log     *slog.Logger
	poll    time.Duration
	wake    []chan struct{}
	metrics *metrics
	rec     *recorder // while Run runs
}

// New returns a forwarder; Run starts it.
func New(opts Options) *Forwarder {
	f := &Forwarder{store: opts.Store, dests: opts.Destinations, now: opts.Now, log: opts.Logger, poll: opts.Poll}
	if f.now == nil {
		f.now = time.Now
	}
	if f.poll == 0 {
		f.poll = time.Second
	}
	threshold, cooldown, maxCooldown := opts.BreakerThreshold, opts.BreakerCooldown, opts.BreakerMaxCooldown
	if threshold == 0 {
		threshold = 5
	}
	if cooldown == 0 {
		cooldown = 5 * time.Second
	}
	if maxCooldown == 0 {
		maxCooldown = 5 * time.Minute
	}
	for _, d := range f.dests {
		d.breaker = &breaker{threshold: threshold, minCooldown: cooldown, maxCooldown: max(cooldown, maxCooldown)}
		f.wake = append(f.wake, make(chan struct{}, 1))
	}
	f.metrics = newMetrics(opts.Registerer)
	return f
}

// Notify wakes the workers: new deliveries were committed.
func (f *Forwarder) Notify() {
	for _, w := range f.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Run delivers until ctx ends, then lets the sends in flight finish and
// record their outcome.
func (f *Forwarder) Run(ctx context.Context) {
	f.rec = startRecorder(f.store)
	defer f.rec.stop()
	var wg sync.WaitGroup
	for i, d := range f.dests {
		wg.Go(func() { f.loop(ctx, d, f.wake[i]) })
	}
	wg.Wait()
}

// loop keeps up to d.Concurrency sends in flight: whenever one finishes, or
// new deliveries are committed, it claims more for the free slots, so that
// a slow send holds up no other. It returns when ctx ends and the sends in
// flight have finished and recorded their outcome.
func (f *Forwarder) loop(ctx context.Context, d *Destination, wake <-chan struct{}) {
	var (
		wg       sync.WaitGroup
		inflight atomic.Int64
		done     = make(chan struct{}, d.Concurrency)
	)
	defer wg.Wait()
	idle := time.NewTimer(0)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-done:
			// Outcomes are recorded in batches, so sends finish together:
			// one claim fills every slot they freed.
			drain(done)
		case <-idle.C:
			idle.Reset(f.poll)
		}
		free := d.Concurrency - int(inflight.Load())
		if free <= 0 {
			continue
		}
		for _, dl := range f.claim(ctx, d, free) {
			inflight.Add(1)
			wg.Go(func() {
				// A send in flight finishes after ctx ends: it was claimed,
				// and its outcome must be recorded.
				f.send(context.WithoutCancel(ctx), d, dl)
				inflight.Add(-1)
				select {
				case done <- struct{}{}:
				default:
				}
			})
		}
	}
}

// drain takes every signal already sent on c.
func drain(c <-chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// claim claims up to limit deliveries the destination may send now: none
// while it is disabled or its circuit is open, one while it is probed.
func (f *Forwarder) claim(ctx context.Context, d *Destination, limit int) []*kycgate.Delivery {
	if d.disabled.Load() != nil {
		return nil
	}
	now := f.now()
	ok, probe := d.breaker.allow(now)
	f.metrics.circuit.WithLabelValues(d.Name).Set(boolFloat(probe))
	if !ok {
		return nil
	}
	if probe {
		limit = 1
	}
	claimed, err := f.store.ClaimDeliveries(ctx, d.Name, now, d.lease(), limit)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("cannot claim deliveries", "destination", d.Name, "err", err)
		}
		return nil
	}
	return claimed
}

func (f *Forwarder) send(ctx context.Context, d *Destination, dl *kycgate.Delivery) {
	env, body, err := f.envelope(ctx, d, dl)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: the delivery is left to its lease
		}
		f.log.Warn("cannot build the envelope; releasing the delivery", "delivery", dl.ID, "err", err)
		f.release(ctx, dl)
		return
	}
	if d.Limiter != nil {
		if err := d.Limiter.Wait(ctx); err != nil {
			f.release(ctx, dl)
			return
		}
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.Timeout)
	start := f.now()
	res := d.Target.Send(sendCtx, env, body)
	cancel()
	end := f.now()
	attempt := kycgate.Attempt{At: end, StatusCode: res.StatusCode, LatencyMS: end.Sub(start).Milliseconds()}
	if res.Err != nil {
		attempt.Error = res.Err.Error()
	}
	state, retryAt := d.Policy.Next(dl.Attempts+1, dl.CreatedAt, end, res, nil)
	// The destination's state changes before the outcome is recorded: once
	// recorded, the delivery may be due again at once, and no worker may
	// claim it for a destination that just said it is gone or keeps failing.
	switch {
	case res.Err == nil:
		d.breaker.success()
	case res.Disable:
		reason := attempt.Error
		d.disabled.Store(&reason)
		f.log.Error("destination answered 410 Gone: disabled until re-enabled", "destination", d.Name)
	case !res.Permanent:
		d.breaker.failure(end)
		if s, until, _ := d.breaker.state(); s == "open" {
			f.log.Warn("destination keeps failing: paused", "destination", d.Name, "until", until, "err", res.Err)
		}
	}
	if err := f.rec.record(kycgate.Completion{ID: dl.ID, Outcome: kycgate.Outcome{Attempt: attempt, State: state, RetryAt: retryAt}}); err != nil {
		// The lease expires and the delivery is sent again: at least once.
		f.log.Error("cannot record a delivery attempt", "delivery", dl.ID, "err", err)
	}
	f.metrics.observe(d.Name, state, res, end.Sub(start))
	if state == kycgate.DeliveryDead {
		f.log.Warn("delivery dead-lettered", "destination", d.Name, "delivery", dl.ID, "event", dl.EventID, "attempts", dl.Attempts+1, "err", res.Err)
	}
}

func (f *Forwarder) envelope(ctx context.Context, d *Destination, dl *kycgate.Delivery) (*Envelope, []byte, error) {
	fw, err := f.store.FindForwarded(ctx, dl.EventID)
	if err != nil {
		return nil, nil, err
	}
	env := NewEnvelope(fw, d.Include)
	body, err := env.Marshal()
	return &env, body, err
}

func (f *Forwarder) release(ctx context.Context, dl *kycgate.Delivery) {
	if err := f.store.ReleaseDeliveries(ctx, []string{dl.ID}); err != nil && ctx.Err() == nil {
		f.log.Warn("cannot release a delivery; its lease will expire", "delivery", dl.ID, "err", err)
	}
}

// Status is a destination's live state.
type Status struct {
	Name     string     `json:"name"`
	Kind     string     `json:"kind"`
	State    string     `json:"state"` // active, paused (circuit open) or disabled (410)
	Failures int        `json:"consecutive_failures"`
	Until    *time.Time `json:"paused_until,omitempty"`
	Reason   string     `json:"disabled_reason,omitempty"`
}

// Statuses returns every destination's live state.
func (f *Forwarder) Statuses() []Status {
	out := make([]Status, len(f.dests))
	for i, d := range f.dests {
		s, until, failures := d.breaker.state()
		st := Status{Name: d.Name, Kind: d.Kind, State: "active", Failures: failures}
		if s == "open" {
			st.State, st.Until = "paused", &until
		}
		if r := d.disabled.Load(); r != nil {
			st.State, st.Reason = "disabled", *r
		}
		out[i] = st
	}
	return out
}

// Enable re-enables a destination a 410 disabled, and closes its circuit.
func (f *Forwarder) Enable(name string) error {
	for _, d := range f.dests {
		if d.Name == name {
			d.disabled.Store(nil)
			d.breaker.success()
			f.Notify()
			return nil
		}
	}
	return kycgate.Errorf(kycgate.ENOTFOUND, "no destination named %q", name)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
