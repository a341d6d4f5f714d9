package delivery_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/delivery"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

const (
	secret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	oldSecret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
)

func key(t *testing.T, s string) []byte {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSign_SpecVector reproduces the Standard Webhooks test vector.
func TestSign_SpecVector(t *testing.T) {
	got := delivery.Sign([][]byte{key(t, secret)}, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// receiver is a company's service: it verifies every request with the
// official Standard Webhooks library and records the envelopes it takes.
type receiver struct {
	t       *testing.T
	hooks   []*standardwebhooks.Webhook
	fail    func(n int64) int // status to answer the nth request with; 0 for 200
	n       atomic.Int64
	mu      sync.Mutex
	got     []delivery.Envelope
	headers []http.Header
	srv     *httptest.Server
}

func newReceiver(t *testing.T, secrets ...string) *receiver {
	r := &receiver{t: t, fail: func(int64) int { return 0 }}
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		r.hooks = append(r.hooks, wh)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	for _, wh := range r.hooks {
		if err := wh.Verify(body, req.Header); err != nil {
			r.t.Errorf("the official library refuses the request: %v", err)
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
	}
	if status := r.fail(r.n.Add(1)); status != 0 {
		http.Error(w, "failing", status)
		return
	}
	var env delivery.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		r.t.Errorf("envelope: %v", err)
	}
	if req.Header.Get("webhook-id") != env.ID {
		r.t.Errorf("webhook-id %q for event %q", req.Header.Get("webhook-id"), env.ID)
	}
	r.mu.Lock()
	r.got = append(r.got, env)
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
}

func (r *receiver) envelopes() []delivery.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type fixture struct {
	store *sqlite.Store
	dest  *delivery.Destination
	fwd   *delivery.Forwarder
	stop  func()
}

func newStore(t *testing.T) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// start runs a forwarder with one HTTP destination to url.
func start(t *testing.T, store *sqlite.Store, url string, keys [][]byte, policy delivery.Policy, opts delivery.Options) *fixture {
	d := &delivery.Destination{Name: "app", Kind: "http", Concurrency: 8, Timeout: 2 * time.Second, Policy: policy}
	d.Target = &delivery.HTTPTarget{URL: url, Keys: keys, Client: delivery.NewHTTPClient(d.Concurrency, d.Timeout), UserAgent: "kycgate-test", Now: time.Now}
	if opts.Store == nil {
		opts.Store = store
	}
	opts.Destinations = []*delivery.Destination{d}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.Poll == 0 {
		opts.Poll = 5 * time.Millisecond
	}
	fwd := delivery.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fwd.Run(ctx); close(done) }()
	f := &fixture{store: store, dest: d, fwd: fwd, stop: func() { cancel(); <-done }}
	t.Cleanup(f.stop)
	return f
}

var fast = delivery.Policy{MaxAttempts: 100, MaxAge: time.Hour, Base: time.Millisecond, Cap: 5 * time.Millisecond}

var seq atomic.Int64

// addEvent stores the n-th event of verification vid, to be delivered to app.
func addEvent(t *testing.T, store *sqlite.Store, vid string, n int) *kycgate.Event {
	i := seq.Add(1)
	ev := &kycgate.Event{
		ID: fmt.Sprintf("evt_%08d", i), Source: "src", Provider: "sumsub",
		Identity: kycgate.Identity{ProviderEvent: "applicantPending", VerificationID: vid,
			OccurredAt: time.Date(2026, 11, 22, 10, 0, n, 0, time.UTC), DedupKey: fmt.Sprintf("k%d", i)},
		Type: kycgate.EventStepCompleted, Data: kycgate.Change{Step: &kycgate.Step{Name: fmt.Sprint(n), Outcome: "passed"}},
		ReceivedAt: time.Now().UTC(), Body: []byte(`{"n":1}`), Destinations: []string{"app"},
	}
	if _, err := store.CreateEvents(context.Background(), []*kycgate.Event{ev}); err != nil {
		t.Fatal(err)
	}
	return ev
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countState(t *testing.T, store *sqlite.Store, state kycgate.DeliveryState) int {
	n := 0
	for cursor := ""; ; {
		ds, next, err := store.ListDeliveries(context.Background(), kycgate.DeliveryFilter{State: state, Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n += len(ds)
		if cursor = next; cursor == "" {
			return n
		}
	}
}

// TestForwarder_OrderPerVerification: 50 verifications interleave, the
// receiver fails a third of the requests at random; every event arrives,
// signed so that the official library verifies it with either of two
// rotating secrets, and each verification's events arrive in order.
func TestForwarder_OrderPerVerification(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret, oldSecret)
	rng := rand.New(rand.NewPCG(1, 1))
	var rngMu sync.Mutex
	rcv.fail = func(int64) int {
		rngMu.Lock()
		defer rngMu.Unlock()
		if rng.IntN(3) == 0 {
			return []int{500, 503, 429, 408}[rng.IntN(4)]
		}
		return 0
	}
	want := map[string][]string{}
	f := start(t, store, rcv.srv.URL, [][]byte{key(t, secret), key(t, oldSecret)}, fast, delivery.Options{BreakerThreshold: 1000})
	for n := range 4 {
		for v := range 50 {
			vid := fmt.Sprintf("v%02d", v)
			want[vid] = append(want[vid], addEvent(t, store, vid, n).ID)
			if v%10 == 0 {
				f.fwd.Notify()
			}
		}
	}
	f.fwd.Notify()
	waitFor(t, "every delivery delivered", func() bool { return countState(t, store, kycgate.DeliveryDelivered) == 200 })
	got := map[string][]string{}
	for _, env := range rcv.envelopes() {
		vid := env.Verification.ID
		if len(got[vid]) == 0 || got[vid][len(got[vid])-1] != env.ID {
			got[vid] = append(got[vid], env.ID)
		}
	}
	for vid, ids := range want {
		if !slices.Equal(got[vid], ids) {
			t.Errorf("%s arrived as %v, want %v", vid, got[vid], ids)
		}
	}
	if rcv.n.Load() <= 200 {
		t.Errorf("only %d requests: the receiver's failures were not retried", rcv.n.Load())
	}
}

// TestForwarder_KeepsConnections: sends eight at a time to one destination
// keep their connections open between sends, instead of opening one (with
// HTTPS, and shaking hands again) for most deliveries.
func TestForwarder_KeepsConnections(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(rcv.serve))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	for v := range 200 {
		addEvent(t, store, fmt.Sprintf("v%03d", v), 0)
	}
	f := start(t, store, srv.URL, [][]byte{key(t, secret)}, fast, delivery.Options{})
	f.fwd.Notify()
	waitFor(t, "every delivery delivered", func() bool { return countState(t, store, kycgate.DeliveryDelivered) == 200 })
	// A send may dial just before another's connection comes back idle:
	// a few more than eight, not one per delivery.
	if n := conns.Load(); n > 16 {
		t.Errorf("%d connections for 200 deliveries sent eight at a time, want about 8", n)
	}
}

// counting counts the transactions that record outcomes, each on a disk
// that takes 10 ms to sync.
type counting struct {
	*sqlite.Store
	commits, outcomes atomic.Int64
}

func (c *counting) CompleteDeliveries(ctx context.Context, cs []kycgate.Completion) error {
	time.Sleep(10 * time.Millisecond)
	c.commits.Add(1)
	c.outcomes.Add(int64(len(cs)))
	return c.Store.CompleteDeliveries(ctx, cs)
}

// TestForwarder_RecordsOutcomesTogether: outcomes of sends that finish
// while an earlier outcome commits are recorded together, in one
// transaction, and every one of them is recorded: a slow disk costs one
// sync per batch, not one per delivery.
func TestForwarder_RecordsOutcomesTogether(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret)
	for v := range 200 {
		addEvent(t, store, fmt.Sprintf("v%03d", v), 0)
	}
	c := &counting{Store: store}
	f := start(t, store, rcv.srv.URL, [][]byte{key(t, secret)}, fast, delivery.Options{Store: c})
	f.fwd.Notify()
	waitFor(t, "every delivery delivered", func() bool { return countState(t, store, kycgate.DeliveryDelivered) == 200 })
	if n := c.outcomes.Load(); n != 200 {
		t.Errorf("%d outcomes recorded, want 200", n)
	}
	if n := c.commits.Load(); n >= 100 {
		t.Errorf("%d transactions for 200 outcomes of sends eight at a time: not batched", n)
	}
}

// TestForwarder_DeadLetterAndRetry: a delivery that keeps failing is
// dead-lettered after its attempts; the next event of the verification goes
// out; a retry by hand delivers the dead one.
func TestForwarder_DeadLetterAndRetry(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret)
	var failing atomic.Bool
	failing.Store(true)
	rcv.fail = func(int64) int {
		if failing.Load() {
			return 500
		}
		return 0
	}
	f := start(t, store, rcv.srv.URL, [][]byte{key(t, secret)}, delivery.Policy{MaxAttempts: 3, MaxAge: time.Hour, Base: time.Millisecond, Cap: time.Millisecond}, delivery.Options{BreakerThreshold: 1000})
	first := addEvent(t, store, "v1", 1)
	f.fwd.Notify()
	waitFor(t, "the dead letter", func() bool { return countState(t, store, kycgate.DeliveryDead) == 1 })
	ds, _, _ := store.ListDeliveries(context.Background(), kycgate.DeliveryFilter{State: kycgate.DeliveryDead})
	d, _ := store.FindDelivery(context.Background(), ds[0].ID)
	if d.Attempts != 3 || len(d.History) != 3 || d.LastStatus != 500 || d.History[0].Error == "" {
		t.Fatalf("dead delivery: %+v", d)
	}
	failing.Store(false)
	second := addEvent(t, store, "v1", 2)
	f.fwd.Notify()
	waitFor(t, "the next event after the dead letter", func() bool { return len(rcv.envelopes()) == 1 })
	if rcv.envelopes()[0].ID != second.ID {
		t.Fatalf("got %s, want %s", rcv.envelopes()[0].ID, second.ID)
	}
	if n, err := store.RetryDeliveries(context.Background(), kycgate.DeliveryFilter{Destination: "app", State: kycgate.DeliveryDead}, time.Now()); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	f.fwd.Notify()
	waitFor(t, "the retried delivery", func() bool { return len(rcv.envelopes()) == 2 })
	if rcv.envelopes()[1].ID != first.ID {
		t.Errorf("retried delivery carried %s, want %s", rcv.envelopes()[1].ID, first.ID)
	}
}

// TestForwarder_Permanent: a 400 is not retried; a 410 disables the
// destination until it is enabled again.
func TestForwarder_Gone(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret)
	var status atomic.Int64
	status.Store(400)
	rcv.fail = func(int64) int { return int(status.Load()) }
	f := start(t, store, rcv.srv.URL, [][]byte{key(t, secret)}, fast, delivery.Options{})
	addEvent(t, store, "v1", 1)
	f.fwd.Notify()
	waitFor(t, "the dead letter", func() bool { return countState(t, store, kycgate.DeliveryDead) == 1 })
	if rcv.n.Load() != 1 {
		t.Errorf("a 400 was retried: %d requests", rcv.n.Load())
	}
	status.Store(410)
	addEvent(t, store, "v2", 1)
	f.fwd.Notify()
	waitFor(t, "the destination disabled", func() bool { return f.fwd.Statuses()[0].State == "disabled" })
	time.Sleep(50 * time.Millisecond)
	if n := rcv.n.Load(); n != 2 {
		t.Errorf("%d requests to a disabled destination", n)
	}
	status.Store(0)
	if err := f.fwd.Enable("app"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after enabling", func() bool { return countState(t, store, kycgate.DeliveryDelivered) == 1 })
}

// TestForwarder_CircuitBreaker: a destination that keeps failing is paused
// for the cool-down, probed with one request, and resumes when it answers.
func TestForwarder_CircuitBreaker(t *testing.T) {
	store := newStore(t)
	rcv := newReceiver(t, secret)
	var down atomic.Bool
	down.Store(true)
	rcv.fail = func(int64) int {
		if down.Load() {
			return 503
		}
		return 0
	}
	f := start(t, store, rcv.srv.URL, [][]byte{key(t, secret)}, fast, delivery.Options{BreakerThreshold: 3, BreakerCooldown: 300 * time.Millisecond, BreakerMaxCooldown: 300 * time.Millisecond})
	for v := range 5 {
		addEvent(t, store, fmt.Sprintf("v%d", v), 1)
	}
	f.fwd.Notify()
	waitFor(t, "the circuit to open", func() bool { return f.fwd.Statuses()[0].State == "paused" })
	time.Sleep(50 * time.Millisecond) // sends already in flight when it opened land
	hits := rcv.n.Load()
	time.Sleep(150 * time.Millisecond) // still within the 300 ms cool-down
	if n := rcv.n.Load(); n != hits {
		t.Fatalf("%d requests while paused", n-hits)
	}
	down.Store(false)
	waitFor(t, "every delivery after the probe", func() bool { return countState(t, store, kycgate.DeliveryDelivered) == 5 })
	if st := f.fwd.Statuses()[0]; st.State != "active" || st.Failures != 0 {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestPolicy(t *testing.T) {
	p := delivery.Policy{MaxAttempts: 5, MaxAge: time.Hour, Base: time.Second, Cap: 8 * time.Second}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(9, 9))
	fail := delivery.Result{Err: fmt.Errorf("503")}
	for attempt, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second} {
		for range 100 {
			state, at := p.Next(attempt, now, now, fail, r)
			if state != kycgate.DeliveryPending || at.Before(now) || at.Sub(now) > ceiling {
				t.Fatalf("attempt %d: %s in %v, want pending within %v", attempt, state, at.Sub(now), ceiling)
			}
		}
	}
	if state, _ := p.Next(5, now, now, fail, r); state != kycgate.DeliveryDead {
		t.Errorf("after the last attempt: %s", state)
	}
	if state, _ := p.Next(1, now.Add(-2*time.Hour), now, fail, r); state != kycgate.DeliveryDead {
		t.Errorf("past max age: %s", state)
	}
	if state, _ := p.Next(1, now, now, delivery.Result{Err: fmt.Errorf("400"), Permanent: true}, r); state != kycgate.DeliveryDead {
		t.Errorf("permanent: %s", state)
	}
	if state, at := p.Next(1, now, now, delivery.Result{Err: fmt.Errorf("429"), RetryAfter: time.Minute}, r); state != kycgate.DeliveryPending || at.Sub(now) != time.Minute {
		t.Errorf("Retry-After: %s in %v", state, at.Sub(now))
	}
	if state, _ := p.Next(1, now, now, delivery.Result{}, r); state != kycgate.DeliveryDelivered {
		t.Errorf("success: %s", state)
	}
}

// TestEnvelope_AsStored: an envelope carries the event, its verification
// as stored (the current one, every stored event applied, so the last
// envelope sent is the truth) and whether the event came late; the raw
// body only to a destination that asks for it.
func TestEnvelope_AsStored(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 22, 10, m, 0, 0, time.UTC) }
	submitted := &kycgate.Event{ID: "evt_1", Seq: 2, Source: "s", Provider: "sumsub",
		Identity: kycgate.Identity{ProviderEvent: "applicantPending", VerificationID: "v", OccurredAt: at(1), DedupKey: "a"},
		Type:     kycgate.EventSubmitted, Data: kycgate.Change{Status: kycgate.StatusSubmitted, Clock: kycgate.ClockEvent}, ReceivedAt: at(9), Body: []byte(`{"name":"x"}`)}
	current := kycgate.Verification{Source: "s", Provider: "sumsub", ID: "v", Status: kycgate.StatusApproved, Decision: kycgate.DecisionApproved, Events: 2}
	f := &kycgate.Forwarded{Event: submitted, Late: true, Verification: current}
	env := delivery.NewEnvelope(f, delivery.Include{})
	if env.Verification.Status != kycgate.StatusApproved || env.Verification.Events != 2 || !env.Late || env.Raw != nil ||
		env.Data.Status != kycgate.StatusSubmitted || env.ProviderEvent != "applicantPending" || !env.OccurredAt.Equal(at(1)) || !env.ReceivedAt.Equal(at(9)) {
		t.Errorf("the late submission: %+v", env)
	}
	if env := delivery.NewEnvelope(f, delivery.Include{Raw: true}); env.Raw == nil || *env.Raw != `{"name":"x"}` {
		t.Errorf("include_raw: %v", env.Raw)
	}
	submitted.OccurredAt = time.Time{} // the provider sent no time
	if b, _ := delivery.NewEnvelope(f, delivery.Include{}).Marshal(); !strings.Contains(string(b), `"occurred_at":null`) {
		t.Errorf("no provider time: %s", b)
	}
}

// TestEnvelope_ProviderData: a fetched document goes only to a destination
// that asks for it by name; include_raw alone does not send it.
func TestEnvelope_ProviderData(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	doc := `{"id":"v","info":{"firstName":"Jane"}}`
	enriched := &kycgate.Event{ID: "evt_doc", Source: "s", Provider: "sumsub", Identity: kycgate.Identity{VerificationID: "v", OccurredAt: at, DedupKey: "d"},
		Type: kycgate.EventEnriched, Data: kycgate.Change{DocumentType: "PASSPORT"}, ReceivedAt: at, Body: []byte(doc)}
	f := &kycgate.Forwarded{Event: enriched, Verification: kycgate.Rebuild("s", "sumsub", "v", []kycgate.LogEntry{enriched.LogEntry()})}
	if env := delivery.NewEnvelope(f, delivery.Include{Raw: true}); env.ProviderData != nil || env.Raw != nil {
		t.Errorf("include_raw sent the document: %s / %v", env.ProviderData, env.Raw)
	}
	env := delivery.NewEnvelope(f, delivery.Include{ProviderData: true})
	if string(env.ProviderData) != doc || env.Verification.DocumentType != "PASSPORT" {
		t.Errorf("include_provider_data: %s, verification %+v", env.ProviderData, env.Verification)
	}
	enriched.Body = nil // purged
	if env := delivery.NewEnvelope(f, delivery.Include{ProviderData: true}); env.ProviderData != nil {
		t.Errorf("a purged document was sent: %s", env.ProviderData)
	}
}
