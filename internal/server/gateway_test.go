package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate/internal/config"
	kgateway "github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/record"
	"github.com/kycgate/kycgate/internal/server"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// Secrets and credentials of the test gateway's sources.
const (
	sumsubSecret    = "sumsub-test-secret"
	sumsubOldSecret = "sumsub-retired-secret"
	metamapSecret   = "MetaMapTest-Secret1"
	verifyyouSecret = "vy-test-secret"
	personaSecret   = "wbhsec_persona-test-secret"
	idwiseToken     = "idwise-test-token"
	vericatoToken   = "vericato-url-token-0123"
	veriffSecret    = "veriff-test-shared-secret"
	stripeSecret    = "whsec_stripe-test-secret"
	onfidoToken     = "onfido-webhook-token"
)

const apiToken = "api-test-token"

const gatewayConfig = `
api_tokens: ["other-token", "` + apiToken + `"]
trusted_proxies: ["127.0.0.1", "10.9.0.0/16"] # the test client connects from loopback, as a proxy would
sources:
  - name: sumsub
    provider: sumsub
    secrets: ["` + sumsubSecret + `", "` + sumsubOldSecret + `"]
    max_body_bytes: 4KiB
  - name: sumsub-eu
    provider: sumsub
    secrets: ["another-account-secret"]
  - name: metamap
    provider: metamap
    secrets: ["` + metamapSecret + `"]
  - name: verifyyou
    provider: verifyyou
    secrets: ["` + verifyyouSecret + `"]
  - name: persona
    provider: persona
    secrets: ["` + personaSecret + `"]
  - name: idwise
    provider: idwise
    auth: { bearer: "` + idwiseToken + `" }
  - name: idwise-basic
    provider: idwise
    auth: { basic: { username: kyc, password: "p4ss-w0rd" } }
  - name: idwise-header
    provider: idwise
    auth: { header: { name: X-IDWise-Key, value: "k3y" } }
  - name: vericato
    provider: vericato
    auth: { url_token: "` + vericatoToken + `" }
  - name: onfido-eu
    provider: onfido
    secrets: ["` + onfidoToken + `"]
  - name: vericato-ip
    provider: vericato
    allow_ips: ["203.0.113.0/24"]
  - name: veriff
    provider: veriff
    secrets: ["` + veriffSecret + `"]
  - name: stripe
    provider: stripe
    secrets: ["` + stripeSecret + `"]
`

// fixtureTime is the test gateway's clock unless a test sets its own: the
// fixtures' provider times are on the morning of that day.
var fixtureTime = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// gateway is a real ingest stack over loopback HTTP on a real SQLite file.
type gateway struct {
	URL   string
	store *sqlite.Store
	db    *sql.DB // a separate connection, to look at what was stored
	reg   *prometheus.Registry
	logs  *syncBuffer
	clock *testClock
}

// testClock is a clock that moves only when a test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a bytes.Buffer the server's goroutines can log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newGateway(t testing.TB) *gateway {
	t.Helper()
	return newGatewayAt(t, fixtureTime)
}

// newGatewayAt is the test gateway with its clock set to now.
func newGatewayAt(t testing.TB, now time.Time) *gateway {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kycgate.db")
	store, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := newGatewayOn(t, store, now)
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g.store, g.db = store, db
	return g
}

// newGatewayOn is the same real stack on any store, with its clock set to
// now.
func newGatewayOn(t testing.TB, store gatewayStore, now time.Time) *gateway {
	t.Helper()
	clock := &testClock{now: now}
	cfg, err := config.Parse([]byte(gatewayConfig), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	metrics := ingest.NewMetrics(reg)
	reg.MustRegister(server.NewStateCollector(store, clock.Now))
	committer := ingest.NewCommitter(store, 512, 5*time.Second, log, metrics)
	sources, err := kgateway.IngestSources(cfg)
	if err != nil {
		t.Fatal(err)
	}
	recorder := record.New(committer, nil, nil)
	svc, err := ingest.NewService(ingest.Options{
		Sources: sources, TrustedProxies: cfg.TrustedProxyPrefixes,
		Recorder: recorder, Logger: log, Metrics: metrics, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Ingest: svc, Store: store, Recorder: recorder, APITokens: cfg.APITokens, Gatherer: reg, Logger: log, Now: clock.Now})
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = srv.HTTPServer()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		committer.Close()
		store.Close()
	})
	return &gateway{URL: ts.URL, reg: reg, logs: logs, clock: clock}
}

// gatewayStore is what the test gateway needs of a store.
type gatewayStore interface {
	server.Store
	ingest.EventCreator
	Close() error
}

// count returns how many events are stored.
func (g *gateway) count(t testing.TB) int {
	t.Helper()
	var n int
	if err := g.db.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type answer struct {
	Status    int
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	Error     struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (g *gateway) post(t *testing.T, path string, h http.Header, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return g.do(t, req)
}

func (g *gateway) do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{Status: resp.StatusCode}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return a
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func merge(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

func body(s string) io.Reader { return strings.NewReader(s) }
