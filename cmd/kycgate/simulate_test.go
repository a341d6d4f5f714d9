package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/simulator"
	"github.com/kycgate/kycgate/internal/store/postgres"
)

// flakyProxy stands between the providers and the gateway and fails the
// first attempt of every third delivery: alternately it answers 503 without
// forwarding (the gateway is unreachable), or forwards and then answers 503
// anyway (the provider never sees the gateway's 200), so that the
// provider's retry reaches a gateway that already stored the event.
func flakyProxy(t *testing.T, target string) (string, *atomic.Int64) {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var (
		mu      sync.Mutex
		seen    = map[[32]byte]bool{}
		n       int
		induced atomic.Int64
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := sha256.Sum256(body)
		mu.Lock()
		first := !seen[key]
		seen[key] = true
		n++
		fail := first && n%3 == 0
		forwardFirst := n%2 == 0
		mu.Unlock()
		switch {
		case fail && forwardFirst:
			induced.Add(1)
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case fail:
			induced.Add(1)
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &induced
}

// TestSimulate_EveryScenario drives every scenario of every provider through
// the simulator, over real HTTP, with duplicates, shuffled deliveries and
// induced 503s. Each verification ends in the status its scenario promises,
// and each distinct delivery is stored exactly once.
func TestSimulate_EveryScenario(t *testing.T) {
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) { testEveryScenario(t, storage) })
	}
}

func testEveryScenario(t *testing.T, storage string) {
	secrets := demo.NewSecrets()
	cfg, err := demo.Config("127.0.0.1:0", storage, secrets)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	base, induced := flakyProxy(t, "http://"+app.Addr())

	users := []string{"user-a", "user-b", "user-c"}
	type sent struct {
		journey simulator.Journey
		source  string
	}
	var all []sent
	r := rand.New(rand.NewPCG(42, 1))
	for _, provider := range simulator.Providers() {
		scenarios, _ := simulator.Scenarios(provider)
		var journeys []simulator.Journey
		for name := range scenarios {
			js, err := simulator.NewJourneys(simulator.Options{Provider: provider, Scenario: name, Count: 2, Users: users, Rand: r,
				Start: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), Creds: simulator.Credentials{Secret: secrets.Credential(provider)}})
			if err != nil {
				t.Fatal(err)
			}
			journeys = append(journeys, js...)
		}
		sender := &simulator.Sender{URL: base + secrets.WebhookPath(provider), Concurrency: 4, Duplicates: 0.3, Shuffle: true, TimeScale: 0.0001, Rand: r}
		sum, err := sender.Run(context.Background(), provider, journeys)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Refused() > 0 || sum.Accepted+sum.Duplicates != sum.Sent {
			t.Errorf("%s: %+v", provider, sum)
		}
		for _, j := range journeys {
			all = append(all, sent{j, provider})
		}
	}
	if induced.Load() == 0 {
		t.Fatal("no 503 was induced; the retry path went untested")
	}

	store, _, err := gateway.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, isPG := store.(*postgres.Store); isPG != strings.HasPrefix(storage, "postgres://") {
		t.Fatalf("storage %s opened a %T", storage, store)
	}
	distinct := map[string]int{}
	for _, s := range all {
		v, err := store.FindVerification(context.Background(), s.source, s.journey.VerificationID)
		if err != nil {
			t.Errorf("%s %s: %v", s.source, s.journey.Scenario, err)
			continue
		}
		if v.Status != s.journey.Want {
			t.Errorf("%s %s (%s): status %s, want %s", s.source, s.journey.Scenario, v.ID, v.Status, s.journey.Want)
		}
		if v.Events != len(s.journey.Deliveries) {
			t.Errorf("%s %s: %d events applied, %d sent", s.source, s.journey.Scenario, v.Events, len(s.journey.Deliveries))
		}
		distinct[s.source] += len(s.journey.Deliveries)
	}
	for source, want := range distinct {
		got, flagged := 0, 0
		for cursor := ""; ; {
			evs, next, err := store.ListEvents(context.Background(), kycgate.EventFilter{Source: source, Cursor: cursor, Limit: kycgate.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				got++
				if ev.Flag != "" {
					flagged++
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if got != want || flagged != 0 {
			t.Errorf("%s: %d events stored (%d flagged), want each of %d deliveries once, none flagged", source, got, flagged, want)
		}
	}
	t.Logf("%d journeys, %d induced 503s", len(all), induced.Load())
}

// countingProxy forwards to target, counting requests, and answers the
// first fail of them 503 without forwarding them.
func countingProxy(t *testing.T, target string, fail int64) (string, *atomic.Int64) {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= fail {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &n
}

func TestSimulate_CLI(t *testing.T) {
	url, _ := startApp(t) // one sumsub source, secret s3cret
	code, out, errOut := cli(t, "simulate", "--provider", "sumsub", "--url", url+"/webhooks/sumsub", "--secret", "s3cret", "--count", "9", "--duplicates", "0.5", "--shuffle", "--seed", "7")
	if code != 0 || !strings.Contains(out, "journeys:    9") || !strings.Contains(out, "accepted:") {
		t.Fatalf("simulate: %d\n%s%s", code, out, errOut)
	}
	// A wrong secret: the first refusal stops the run, nothing is retried,
	// and the error shows what was refused and the receiver's answer.
	counted, requests := countingProxy(t, url, 0)
	code, out, errOut = cli(t, "simulate", "--provider", "sumsub", "--url", counted+"/webhooks/sumsub", "--secret", "wrong", "--count", "3", "--concurrency", "1", "--time-scale", "0")
	for _, want := range []string{"refused the sumsub webhook applicant", "of verification ", "HTTP 401 Unauthorized: {\"error\":{\"code\":\"unauthorized\"", "check --secret"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("wrong secret: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code != 2 || !strings.Contains(out, "rejected (HTTP 401):  1") || requests.Load() != 1 {
		t.Errorf("wrong secret: exit %d after %d requests, want 2 after 1\n%s%s", code, requests.Load(), out, errOut)
	}
	// A URL with no source behind it stops the run at once too.
	code, _, errOut = cli(t, "simulate", "--provider", "sumsub", "--url", url+"/webhooks/sumsubb", "--secret", "s3cret", "--count", "1", "--concurrency", "1")
	if code != 2 || !strings.Contains(errOut, "HTTP 404") || !strings.Contains(errOut, "nothing answers at --url") {
		t.Errorf("a URL without a source: exit %d %s", code, errOut)
	}
	// A failure worth retrying is retried, and each wait is announced with
	// the answer that caused it.
	flaky, _ := countingProxy(t, url, 1)
	code, out, errOut = cli(t, "simulate", "--provider", "sumsub", "--url", flaky+"/webhooks/sumsub", "--secret", "s3cret", "--count", "1", "--scenario", "approved", "--time-scale", "0")
	if code != 0 || !strings.Contains(errOut, "HTTP 503 Service Unavailable: unavailable; retry 1 of 4 in 0s") || !strings.Contains(out, "retries:     1") {
		t.Errorf("a 503: exit %d\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--provider", "no-such-provider", "--url", url, "--secret", "s"}, "--provider \"no-such-provider\""},
		{[]string{"simulate", "--provider", "sumsub", "--url", "ftp://x", "--secret", "s"}, "--url"},
		{[]string{"simulate", "--provider", "sumsub", "--url", url, "--secret", "s", "--scenario", "teleported"}, "--scenario \"teleported\": sumsub plays mix (every scenario in turn), approved, declined, "},
		{[]string{"simulate", "--provider", "sumsub", "--url", url}, "--secret"},
		{[]string{"simulate", "--provider", "sumsub", "--url", url, "--secret", "s", "--duplicates", "2"}, "--duplicates"},
		{[]string{"simulate", "--url", url}, "--provider: required"},
	} {
		code, out, errOut := cli(t, tc.args...)
		if code != 2 || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, out+errOut, tc.want)
		}
	}
}

// playDemo runs the demo until it has printed its summary, then stops it,
// and returns what it printed and logged.
func playDemo(t *testing.T, p demo.Params) (string, string) {
	t.Helper()
	return playDemoThen(t, p, func(string) {})
}

// playDemoThen is playDemo calling then with what the demo printed before
// stopping it.
func playDemoThen(t *testing.T, p demo.Params, then func(printed string)) (string, string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out, logs := &syncWriter{}, &syncWriter{}
	done := make(chan error, 1)
	go func() { done <- demo.Run(ctx, out, logs, p) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "Serving until Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("demo did not finish feeding:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	then(out.String())
	stop()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	return out.String(), logs.String()
}

func TestDemo(t *testing.T) {
	// The simulator command it suggests works as printed, and neither it
	// nor the stop that follows logs anything alarming.
	text, logText := playDemoThen(t, demo.Params{Listen: "127.0.0.1:0", Count: 6, LogLevel: "debug", Command: "bin/kycgate"}, func(printed string) {
		m := regexp.MustCompile(`Send your own: bin/kycgate (simulate .*)`).FindStringSubmatch(printed)
		if m == nil {
			t.Fatalf("no simulator command:\n%s", printed)
		}
		if code, out, errOut := cli(t, append(strings.Fields(m[1]), "--count", "3", "--time-scale", "0")...); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", m[0], code, out, errOut)
		}
	})
	for _, line := range strings.Split(logText, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("the demo logged %s", line)
		}
	}
	for _, p := range simulator.Providers() {
		if !strings.Contains(text, "\n"+p+" ") {
			t.Errorf("summary lacks %s:\n%s", p, text)
		}
	}
	// The commands it suggests run the binary the user started.
	for _, want := range []string{"approved", "with a fresh store", "\nTry:    bin/kycgate verifications list --server http://127.0.0.1:", "--token ", "Send your own: bin/kycgate simulate --provider metamap --url http://127.0.0.1:"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	// The secrets the demo shows the user, and the personal data in the
	// simulated payloads, never reach the log.
	token := regexp.MustCompile(`--token ([0-9a-f]{32})`).FindStringSubmatch(text)
	secret := regexp.MustCompile(`--secret ([0-9a-f]{32})`).FindStringSubmatch(text)
	if token == nil || secret == nil {
		t.Fatalf("the demo did not print its token and secret:\n%s", text)
	}
	if !strings.Contains(logText, "listening") {
		t.Fatalf("the demo logged nothing at debug level; the check below would prove nothing:\n%s", logText)
	}
	for _, leak := range []string{token[1], secret[1], "Demo Person", "demo.person@example.com"} {
		if strings.Contains(logText, leak) {
			t.Errorf("the log contains %q:\n%s", leak, logText)
		}
	}
}

// TestDemo_Store: a demo told to keep its data in a file that exists does
// not call it fresh: it refuses, naming the flag that reuses it, and with
// that flag says the summary counts what was there before.
func TestDemo_Store(t *testing.T) {
	store := filepath.Join(t.TempDir(), "demo.db")
	if err := os.WriteFile(store, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "demo", "--listen", "127.0.0.1:0", "--count", "1", "--store", store)
	if code != 2 || !strings.Contains(errOut, "--store "+store+": the file exists") || !strings.Contains(errOut, "--reuse") {
		t.Errorf("demo on an existing store: exit %d\n%s%s", code, out, errOut)
	}
	text, _ := playDemo(t, demo.Params{Listen: "127.0.0.1:0", Store: store, Reuse: true, Count: 1, LogLevel: "warn"})
	if !strings.Contains(text, "with the existing store at "+store+" (the summary counts its verifications too)") || strings.Contains(text, "fresh") {
		t.Errorf("demo --reuse:\n%s", text)
	}
}

func TestCommandName(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "kycgate")
	other := filepath.Join(dir, "other")
	for _, p := range []string{exe, other} {
		if err := os.WriteFile(p, nil, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, arg0, exe, onPath, want string
	}{
		{"on the PATH", "kycgate", exe, exe, "kycgate"},
		{"built by make", "./bin/kycgate", exe, "", "./bin/kycgate"},
		{"another kycgate on the PATH", "bin/kycgate", exe, other, "bin/kycgate"},
		{"go run", "/tmp/go-build123/b001/exe/kycgate", "/tmp/go-build123/b001/exe/kycgate", "", "go run ./cmd/kycgate"},
		{"bare name, not on the PATH", "kycgate", exe, "", exe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := commandName(tt.arg0, tt.exe, tt.onPath); got != tt.want {
				t.Errorf("commandName(%q, %q, %q) = %q, want %q", tt.arg0, tt.exe, tt.onPath, got, tt.want)
			}
		})
	}
}

// syncWriter collects output written from another goroutine.
type syncWriter struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestShowProgress: a long run says how far it is every 5 seconds, and no
// more often.
func TestShowProgress(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var out strings.Builder
	sender := &simulator.Sender{}
	showProgress(&out, "sumsub", sender, 40, func() time.Time { return at })
	for i, step := range []time.Duration{time.Second, 3 * time.Second, 2 * time.Second, time.Second} {
		at = at.Add(step)
		sender.Progress(simulator.Summary{Sent: i + 1, Accepted: i + 1, Rejected: map[int]int{}})
	}
	if want := "sumsub: 3 sent (of 40 webhooks, plus duplicates): 3 accepted, 0 duplicates, 0 retries, 0 rejected\n"; out.String() != want {
		t.Errorf("progress:\n%q\nwant\n%q", out.String(), want)
	}
}

// TestSimulate_HelpExamples: every example of simulate --help is accepted
// by a gateway that runs kycgate config example, as a newcomer would try
// them.
func TestSimulate_HelpExamples(t *testing.T) {
	example := strings.Replace(string(kycgate.ExampleConfig), "sqlite://./kycgate.db", "sqlite://"+filepath.Join(t.TempDir(), "k.db"), 1)
	cfg, err := config.Parse([]byte(example), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = "127.0.0.1:0"
	app, _ := runApp(t, cfg)
	examples := strings.ReplaceAll(simulateExamples(), "\\\n", "")
	lines := strings.Split(examples, "\n")
	if len(lines) != 3 {
		t.Fatalf("simulate --help shows %d examples, want one of each kind of credential:\n%s", len(lines), examples)
	}
	for _, line := range lines {
		line = strings.ReplaceAll(line, "http://127.0.0.1:8080", "http://"+app.Addr())
		args := strings.Fields(line)[1:] // without "kycgate"
		if code, out, errOut := cli(t, append(args, "--time-scale", "0")...); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
}
