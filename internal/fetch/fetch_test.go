package fetch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/clocktest"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/fetch"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/record"
	"github.com/kycgate/kycgate/internal/simulator"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

var creds = simulator.APICredentials{
	"sumsub":    {"app_token": "prd:app-token", "secret_key": "sumsub-secret-key"},
	"metamap":   {"client_id": "mm-client", "client_secret": "mm-secret"},
	"onfido":    {"api_token": "onfido-api-token"},
	"stripe":    {"secret_key": "rk_test_stripe-key"},
	"idwise":    {"api_key": "idw-key", "api_secret": "idw-secret"},
	"vericato":  {"api_key": "vc-key"},
	"verifyyou": {"api_key": "vy-key"},
	"persona":   {"api_key": "persona_sandbox_key"},
	"veriff":    {"api_key": "vrf-key", "shared_secret": "vrf-shared-secret"},
}

// apiBlocks returns each provider's api block for the fake APIs at base;
// override replaces a provider's block.
func apiBlocks(base string, override map[string]string) map[string]string {
	blocks := map[string]string{
		"sumsub":    fmt.Sprintf("{app_token: %q, secret_key: %q, base_url: %q}", creds["sumsub"]["app_token"], creds["sumsub"]["secret_key"], simulator.BaseURL(base, "sumsub")),
		"metamap":   fmt.Sprintf("{client_id: %q, client_secret: %q, base_url: %q}", creds["metamap"]["client_id"], creds["metamap"]["client_secret"], simulator.BaseURL(base, "metamap")),
		"idwise":    fmt.Sprintf("{api_key: %q, api_secret: %q, base_url: %q}", creds["idwise"]["api_key"], creds["idwise"]["api_secret"], simulator.BaseURL(base, "idwise")),
		"onfido":    fmt.Sprintf("{api_token: %q, base_url: %q}", creds["onfido"]["api_token"], simulator.BaseURL(base, "onfido")),
		"stripe":    fmt.Sprintf("{secret_key: %q, base_url: %q}", creds["stripe"]["secret_key"], simulator.BaseURL(base, "stripe")),
		"vericato":  fmt.Sprintf("{api_key: %q, base_url: %q}", creds["vericato"]["api_key"], simulator.BaseURL(base, "vericato")),
		"verifyyou": fmt.Sprintf("{api_key: %q, base_url: %q}", creds["verifyyou"]["api_key"], simulator.BaseURL(base, "verifyyou")),
		"persona":   fmt.Sprintf("{api_key: %q, base_url: %q}", creds["persona"]["api_key"], simulator.BaseURL(base, "persona")),
		"veriff":    fmt.Sprintf("{api_key: %q, shared_secret: %q, base_url: %q}", creds["veriff"]["api_key"], creds["veriff"]["shared_secret"], simulator.BaseURL(base, "veriff")),
	}
	for p, b := range override {
		blocks[p] = b
	}
	return blocks
}

// harness is a real SQLite store, the fake provider APIs over loopback
// HTTP, and a fetcher with quick retries.
type harness struct {
	t       *testing.T
	store   *sqlite.Store
	fake    *simulator.API
	cfg     *config.Config
	fetcher *fetch.Fetcher
	sources map[string]*ingest.Source
	record  *record.Recorder // the one path events are stored by, as in the gateway
	// asked counts, per verification, the webhooks that asked for a fetch.
	asked  map[string]int
	clock  *clocktest.Ahead
	cancel context.CancelFunc
	done   chan struct{}
}

func newHarness(t *testing.T, override map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, fake: simulator.NewAPI(creds), clock: &clocktest.Ahead{}, sources: map[string]*ingest.Source{}, asked: map[string]int{}}
	h.fake.Now = h.clock.Now
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	var yml strings.Builder
	yml.WriteString("sources:\n")
	for p, block := range apiBlocks(srv.URL, override) {
		block = strings.ReplaceAll(block, "BASE/", srv.URL+"/")
		fmt.Fprintf(&yml, "  - {name: %s, provider: %s, insecure: true, api: %s}\n", p, p, block)
	}
	var err error
	if h.cfg, err = config.Parse([]byte(yml.String()), func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	if h.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "k.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	if _, err := h.store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	sources, err := gateway.IngestSources(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var fetching []string
	for _, src := range sources {
		h.sources[src.Name] = src
		fetching = append(fetching, src.Name)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	committer := ingest.NewCommitter(h.store, 64, 5*time.Second, log, ingest.NewMetrics(prometheus.NewRegistry()))
	t.Cleanup(committer.Close)
	h.record = record.New(committer, nil, fetching)
	return h
}

// start runs a fetcher over the configured sources.
func (h *harness) start(reg prometheus.Registerer) {
	srcs, err := fetch.NewSources(gateway.FetchSources(h.cfg), h.clock.Now)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fetcher = fetch.New(fetch.Options{Store: h.store, Recorder: h.record, Sources: srcs, Now: h.clock.Now, Registerer: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Poll: 10 * time.Millisecond,
		Retry: fetch.Retry{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 4}})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { h.fetcher.Run(ctx); close(h.done) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

// journey builds one journey of provider in scenario, known to the fake API
// unless hidden, and stores its webhooks as ingest would.
func (h *harness) journey(provider, scenario string, seed uint64, hidden bool) simulator.Journey {
	h.t.Helper()
	js, err := simulator.NewJourneys(simulator.Options{Provider: provider, Scenario: scenario, Count: 1,
		Rand: rand.New(rand.NewPCG(seed, 3)), Start: h.clock.Now().Add(-time.Hour), Creds: simulator.Credentials{Secret: "x"}})
	if err != nil {
		h.t.Fatal(err)
	}
	j := js[0]
	if !hidden {
		h.fake.Add(j)
	}
	src := h.sources[provider]
	// The journey's webhooks are stored together, as the gateway's group
	// commit may, so that its fetch is asked for once.
	var evs []*kycgate.Event
	for i, d := range j.Deliveries {
		ev := &kycgate.Event{ID: kycgate.NewID("evt", h.clock.Now()), Source: provider, Provider: provider,
			ReceivedAt: h.clock.Now().UTC().Add(time.Duration(i) * time.Microsecond), Header: d.Header, Body: d.Body}
		ingest.Normalize(src.Adapter, src.Webhooks, d.Header, ev)
		h.record.Prepare(ev)
		if ev.Fetch {
			h.asked[j.VerificationID]++
		}
		evs = append(evs, ev)
	}
	if _, err := h.store.CreateEvents(context.Background(), evs); err != nil {
		h.t.Fatal(err)
	}
	if h.fetcher != nil {
		h.fetcher.Wake()
	}
	return j
}

// settled waits until the verification's fetch is done or failed.
func (h *harness) settled(source, id string) *kycgate.Fetch {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		f, err := h.store.FindFetch(context.Background(), source, id)
		if err != nil {
			h.t.Fatalf("%s %s: %v", source, id, err)
		}
		if f.State != kycgate.FetchPending {
			return f
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s %s: fetch still pending: %+v", source, id, f)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) verification(source, id string) *kycgate.Verification {
	h.t.Helper()
	v, err := h.store.FindVerification(context.Background(), source, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// TestFetch_EnrichesEveryProvider: after the deciding webhook, each
// provider's API is called with its own authentication, the document is
// stored as a verification.enriched event, and the verification gains
// what the webhooks lacked without losing what they said.
func TestFetch_EnrichesEveryProvider(t *testing.T) {
	h := newHarness(t, nil)
	reg := prometheus.NewRegistry()
	h.start(reg)
	scenarios := map[string]string{"sumsub": "declined", "metamap": "declined", "idwise": "approved", "vericato": "approved", "verifyyou": "approved", "persona": "approved", "onfido": "declined"}
	for p, scenario := range scenarios {
		t.Run(p, func(t *testing.T) {
			h.t = t
			j := h.journey(p, scenario, 11, false)
			f := h.settled(p, j.VerificationID)
			if f.State != kycgate.FetchDone || f.LastError != "" || f.EventID == "" || f.Attempts != 1 {
				t.Fatalf("fetch = %+v", f)
			}
			v := h.verification(p, j.VerificationID)
			if v.Status != j.Want || v.ProviderDataAt == nil {
				t.Errorf("status %s (want %s), provider data at %v", v.Status, j.Want, v.ProviderDataAt)
			}
			wantType, wantCountry := simulator.DocumentOf(j)
			if v.DocumentType != wantType || v.DocumentCountry != wantCountry {
				t.Errorf("document %q %q, want %q %q", v.DocumentType, v.DocumentCountry, wantType, wantCountry)
			}
			ev, err := h.store.FindEvent(context.Background(), f.EventID)
			if err != nil {
				t.Fatal(err)
			}
			// The document as the provider served it, personal data included.
			marker, method := "Jane", "GET "
			if p == "verifyyou" {
				marker, method = j.ExternalUserID, "POST "
			}
			if ev.Type != kycgate.EventEnriched || ev.ProviderEvent != fetch.ProviderEvent || ev.Flag != "" ||
				!strings.Contains(strings.ToLower(string(ev.Body)), strings.ToLower(marker)) || !strings.HasPrefix(ev.Header.Get(fetch.HeaderFetchedFrom), method+"http://") {
				t.Errorf("enriched event %s %s %s, header %v, body %s", ev.Type, ev.ProviderEvent, ev.Flag, ev.Header, ev.Body)
			}
			if h.asked[j.VerificationID] == 0 || h.fake.Calls(p) != 1 {
				t.Errorf("%d calls to the API after %d webhooks asked, want 1", h.fake.Calls(p), h.asked[j.VerificationID])
			}
		})
	}
	// MetaMap's per-step results come from the document: the declined
	// journey's failed alteration detection, and the document's own steps.
	mm := h.verification("metamap", h.mustOnly("metamap"))
	var names []string
	for _, s := range mm.Steps {
		names = append(names, s.Name+":"+s.Outcome)
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "alteration-detection:failed") || !strings.Contains(got, "ip-validation:passed") || !strings.Contains(got, "template-matching:passed") {
		t.Errorf("metamap steps after enrichment: %s", got)
	}
	if got := fetches(t, reg, "sumsub", fetch.OutcomeFetched); got != 1 {
		t.Errorf("kycgate_provider_fetches_total{sumsub,fetched} = %v", got)
	}
}

func (h *harness) mustOnly(source string) string {
	vs, _, err := h.store.ListVerifications(context.Background(), kycgate.VerificationFilter{Source: source})
	if err != nil || len(vs) != 1 {
		h.t.Fatalf("%s: %d verifications, %v", source, len(vs), err)
	}
	return vs[0].ID
}

// fetches reads kycgate_provider_fetches_total{source,outcome}.
func fetches(t *testing.T, reg *prometheus.Registry, source, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "kycgate_provider_fetches_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == source && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestFetch_RefusedCredentials: each provider's fake API refuses a wrong
// credential (a wrongly signed Sumsub request, a wrong MetaMap client
// secret, IDWise secret, Vericato and VerifyYou key); the fetch fails at
// once with an error that names the cause, visible in the store (the API
// and dashboard read it) and in the metrics.
func TestFetch_RefusedCredentials(t *testing.T) {
	h := newHarness(t, map[string]string{
		"sumsub":    `{app_token: "prd:app-token", secret_key: "not-the-secret", base_url: "BASE/sumsub"}`,
		"metamap":   `{client_id: "mm-client", client_secret: "wrong", base_url: "BASE/metamap"}`,
		"idwise":    `{api_key: "idw-key", api_secret: "wrong", base_url: "BASE/idwise"}`,
		"onfido":    `{api_token: "wrong", base_url: "BASE/onfido"}`,
		"stripe":    `{secret_key: "rk_test_wrong", base_url: "BASE/stripe"}`,
		"vericato":  `{api_key: "wrong", base_url: "BASE/vericato"}`,
		"verifyyou": `{api_key: "wrong", base_url: "BASE/verifyyou"}`,
		"persona":   `{api_key: "wrong", base_url: "BASE/persona"}`,
		"veriff":    `{api_key: "vrf-key", shared_secret: "wrong", base_url: "BASE/veriff"}`,
	})
	reg := prometheus.NewRegistry()
	h.start(reg)
	for _, p := range simulator.Providers() {
		j := h.journey(p, "approved", 21, false)
		f := h.settled(p, j.VerificationID)
		if f.State != kycgate.FetchFailed || f.LastStatus != http.StatusUnauthorized || f.Attempts != 1 ||
			!strings.Contains(f.LastError, "refused kycgate's API credentials") {
			t.Errorf("%s: %+v", p, f)
		}
		if got := fetches(t, reg, p, fetch.OutcomeUnauthorized); got != 1 {
			t.Errorf("%s: unauthorized count %v", p, got)
		}
		if v := h.verification(p, j.VerificationID); v.Status != j.Want || v.ProviderDataAt != nil {
			t.Errorf("%s: a refused fetch changed the verification: %+v", p, v)
		}
	}
	for _, p := range simulator.Providers() {
		if h.fake.Calls(p) != 0 {
			t.Errorf("the fake %s API served a request with wrong credentials", p)
		}
	}
}

// TestFetch_RetriesThenGivesUp: for each provider, 503 and 429 are retried
// with backoff (never sooner than Retry-After) and the fetch succeeds on
// the third attempt; a provider that keeps failing is given up on after the
// last attempt, with the last error kept.
func TestFetch_RetriesThenGivesUp(t *testing.T) {
	h := newHarness(t, nil)
	reg := prometheus.NewRegistry()
	h.start(reg)
	start := time.Now()
	ids := map[string]string{}
	for _, p := range simulator.Providers() {
		h.fake.FailNext(p, http.StatusServiceUnavailable, http.StatusTooManyRequests)
		ids[p] = h.journey(p, "approved", 31, false).VerificationID
	}
	for p, id := range ids { // each source's worker retries on its own
		f := h.settled(p, id)
		if f.State != kycgate.FetchDone || f.Attempts != 3 || h.fake.Calls(p) != 3 {
			t.Errorf("%s after a 503 and a 429: %+v, %d calls", p, f, h.fake.Calls(p))
		}
		if f.FetchedAt == nil || f.FetchedAt.Sub(start) < time.Second { // the 429 said Retry-After: 1
			t.Errorf("%s: fetched at %v, sooner than the Retry-After after %v", p, f.FetchedAt, start)
		}
		if got := fetches(t, reg, p, fetch.OutcomeRetried); got != 2 {
			t.Errorf("%s: retried count %v, want 2", p, got)
		}
	}

	h.fake.FailNext("sumsub", 500, 502, 503, 504)
	j := h.journey("sumsub", "declined", 32, false)
	f := h.settled("sumsub", j.VerificationID)
	if f.State != kycgate.FetchFailed || f.Attempts != 4 || !strings.Contains(f.LastError, "gave up after 4 attempts") || f.LastStatus != 504 {
		t.Fatalf("a provider that keeps failing: %+v", f)
	}
}

// TestFetch_NotFound: a verification the provider does not know fails at
// once with a clear error; so does a VerifyYou one without an external id.
func TestFetch_NotFound(t *testing.T) {
	h := newHarness(t, nil)
	h.start(nil)
	j := h.journey("vericato", "approved", 41, true) // not known to the fake API
	f := h.settled("vericato", j.VerificationID)
	if f.State != kycgate.FetchFailed || f.LastStatus != http.StatusNotFound || !strings.Contains(f.LastError, "does not know this verification") {
		t.Fatalf("unknown at the provider: %+v", f)
	}
}

// TestFetch_MetaMapToken: the token is cached until shortly before it
// expires, then replaced; a token MetaMap stops accepting is replaced once.
func TestFetch_MetaMapToken(t *testing.T) {
	h := newHarness(t, nil)
	mm := h.fake.Fake("metamap").(*metamap.FakeAPI)
	mm.SetTokenTTL(90 * time.Second)
	h.start(nil)
	first := h.journey("metamap", "approved", 51, false)
	h.settled("metamap", first.VerificationID)
	h.clock.Advance(20 * time.Second)
	second := h.journey("metamap", "declined", 52, false)
	if f := h.settled("metamap", second.VerificationID); f.State != kycgate.FetchDone || mm.TokensIssued() != 1 {
		t.Fatalf("within the token's life: %+v, %d tokens", f, mm.TokensIssued())
	}
	h.clock.Advance(20 * time.Second) // within a minute of its expiry
	third := h.journey("metamap", "review_needed", 53, false)
	if f := h.settled("metamap", third.VerificationID); f.State != kycgate.FetchDone || mm.TokensIssued() != 2 {
		t.Fatalf("near expiry: %+v, %d tokens", f, mm.TokensIssued())
	}
	mm.RevokeTokens()
	fourth := h.journey("metamap", "approved", 54, false)
	if f := h.settled("metamap", fourth.VerificationID); f.State != kycgate.FetchDone || f.Attempts != 1 || mm.TokensIssued() != 3 {
		t.Fatalf("after revocation: %+v, %d tokens", f, mm.TokensIssued())
	}
}

// TestFetch_IDWisePace: IDWise asks for two seconds between calls.
func TestFetch_IDWisePace(t *testing.T) {
	h := newHarness(t, nil)
	var (
		mu    sync.Mutex
		calls []time.Time
	)
	inner := h.fake
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, time.Now())
		mu.Unlock()
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	h.cfg.Sources = slicesFilter(h.cfg.Sources, "idwise")
	h.cfg.Sources[0].API.BaseURL = simulator.BaseURL(srv.URL, "idwise")
	h.start(nil)
	a := h.journey("idwise", "approved", 61, false)
	b := h.journey("idwise", "declined", 62, false)
	h.settled("idwise", a.VerificationID)
	h.settled("idwise", b.VerificationID)
	mu.Lock()
	defer mu.Unlock()
	// The declined journey decides twice (system, then reviewer): a second
	// request may follow the first; every call keeps IDWise's pace.
	if len(calls) < 2 {
		t.Fatalf("%d calls, want one per verification at least", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap < 1900*time.Millisecond {
			t.Errorf("calls %d and %d are %v apart, want 2 s", i-1, i, gap)
		}
	}
}

func slicesFilter(srcs []config.Source, name string) []config.Source {
	for _, s := range srcs {
		if s.Name == name {
			return []config.Source{s}
		}
	}
	return nil
}

// TestFetch_PurgedWithTheVerification: for each provider, erasure purges
// the fetched document and ends the job; retention purges documents like
// raw bodies.
func TestFetch_PurgedWithTheVerification(t *testing.T) {
	h := newHarness(t, nil)
	h.start(nil)
	ctx := context.Background()
	for _, p := range simulator.Providers() {
		j := h.journey(p, "approved", 71, false)
		f := h.settled(p, j.VerificationID)
		erase := &kycgate.Event{ID: kycgate.NewID("evt", h.clock.Now()), Source: p, Provider: p, ReceivedAt: h.clock.Now().UTC(),
			Identity: kycgate.Identity{ProviderEvent: "kycgate.erasure_requested", VerificationID: j.VerificationID, OccurredAt: h.clock.Now().Add(time.Hour).UTC(), DedupKey: "erasure|" + j.VerificationID},
			Type:     kycgate.EventDeleted}
		if _, err := h.store.CreateEvents(ctx, []*kycgate.Event{erase}); err != nil {
			t.Fatal(err)
		}
		if ev, err := h.store.FindEvent(ctx, f.EventID); err != nil || ev.Body != nil {
			t.Fatalf("%s: the document survived erasure: %v", p, err)
		}
		if _, err := h.store.FindFetch(ctx, p, j.VerificationID); kycgate.ErrorCode(err) != kycgate.ENOTFOUND {
			t.Fatalf("%s: the fetch job survived erasure: %v", p, err)
		}
		if v := h.verification(p, j.VerificationID); v.Status != kycgate.StatusDeleted || v.ProviderDataAt == nil {
			t.Errorf("%s: tombstone: %+v", p, v) // canonical facts stay; personal data goes
		}
	}

	k := h.journey("metamap", "approved", 72, false)
	g := h.settled("metamap", k.VerificationID)
	if _, err := h.store.PurgeRawBodies(ctx, time.Now().Add(time.Hour), 1000); err != nil {
		t.Fatal(err)
	}
	if ev, err := h.store.FindEvent(ctx, g.EventID); err != nil || ev.Body != nil {
		t.Fatalf("retention kept the document: %v", err)
	}
}

// TestFetch_HostileAnswers: an answer that is not JSON is stored flagged
// and changes nothing; an oversized one and a redirect elsewhere are
// refused, and credentials never follow a redirect.
func TestFetch_HostileAnswers(t *testing.T) {
	var leaked sync.Map
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store("auth", r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()
	var mode sync.Map
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, _ := mode.Load("m")
		switch m {
		case "html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>maintenance</html>")
		case "huge":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"completed","x":"`+strings.Repeat("a", 9<<20)+`"}`)
		case "redirect":
			http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
		}
	}))
	defer hostile.Close()
	h := newHarness(t, map[string]string{"vericato": fmt.Sprintf(`{api_key: "vc-key", base_url: %q}`, hostile.URL)})
	h.start(nil)

	mode.Store("m", "html")
	j := h.journey("vericato", "approved", 81, true)
	f := h.settled("vericato", j.VerificationID)
	ev, err := h.store.FindEvent(context.Background(), f.EventID)
	if f.State != kycgate.FetchDone || !strings.Contains(f.LastError, "not understood") || err != nil || ev.Flag != kycgate.FlagUnparseable || string(ev.Body) != "<html>maintenance</html>" {
		t.Fatalf("a non-JSON answer: %+v, event %+v", f, ev)
	}
	if v := h.verification("vericato", j.VerificationID); v.ProviderDataAt != nil || v.Status != kycgate.StatusApproved {
		t.Errorf("a document not understood changed the verification: %+v", v)
	}

	mode.Store("m", "huge")
	j = h.journey("vericato", "declined", 82, true)
	if f := h.settled("vericato", j.VerificationID); f.State != kycgate.FetchFailed || !strings.Contains(f.LastError, "over") {
		t.Fatalf("an oversized answer: %+v", f)
	}

	mode.Store("m", "redirect")
	j = h.journey("vericato", "approved", 83, true)
	if f := h.settled("vericato", j.VerificationID); f.State != kycgate.FetchFailed || f.LastStatus != http.StatusFound {
		t.Fatalf("a redirect: %+v", f)
	}
	if _, ok := leaked.Load("auth"); ok {
		t.Fatal("the redirect was followed")
	}
}
