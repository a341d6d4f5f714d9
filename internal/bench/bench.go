// Package bench is kycgate's load tool: it measures durable ingest beside
// a bare-HTTP floor in one run, and optionally latency against rate, end to
// end delivery, the query API and a soak.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/loadgen"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/store/postgres"
)

// Options are what a run measures; the kycgate bench command's flags of
// the same names say what each is.
type Options struct {
	Storage, URL, ConfigPath, Chart string
	Duration, Soak                  time.Duration
	Connections, Deliveries         int
	Rate, Duplicates, E2ERate       float64
	Verifications, Seed             int
	// Command is the kycgate executable the soak runs "serve" with.
	Command string
	// Version is the release, for the gateway's User-Agent.
	Version string
}

// Check says which option is out of range, in terms of the command's flags.
func (o Options) Check() error {
	switch {
	case o.Duration < time.Second || o.Connections < 1 || o.Rate < 0 || o.Duplicates < 0 || o.Duplicates > 1 || o.Deliveries < 1000:
		return errors.New("--duration at least 1s, --connections at least 1, --rate not negative, --duplicates 0 to 1, --deliveries at least 1000")
	case o.Soak < 0 || (o.Soak > 0 && o.Soak < 20*time.Second):
		return errors.New("--soak: at least 20s (it reports twenty slices)")
	case o.Seed < 0 || (o.Seed > 0 && (o.Soak == 0 || o.URL != "")):
		return errors.New("--seed: a number of verifications, with --soak, and not with --url")
	case o.URL != "" && (o.Storage != "" || o.E2ERate > 0 || o.Verifications > 0):
		return errors.New("--url: the gateway is yours, so --store, --e2e-rate and --verifications, which need one kycgate bench starts, do not apply")
	case o.URL == "" && o.ConfigPath != "":
		return errors.New("--config: only with --url")
	case o.Chart != "" && !strings.HasSuffix(o.Chart, ".svg"):
		return fmt.Errorf("--chart %q: an .svg file", o.Chart)
	}
	return nil
}

// Results are what one run measured.
type Results struct {
	Runs  []benchRun `json:"runs"`
	Ratio float64    `json:"durable_to_floor"`
	// ToMinimal is kycgate's closed-loop throughput over the minimal
	// durable writer's, on the same kind of store in the same run.
	ToMinimal float64 `json:"durable_to_minimal"`
	// MinimalRatio is the minimal durable writer's over the floor's.
	MinimalRatio float64 `json:"minimal_to_floor"`
	// Sweep is latency against rate, floor and kycgate at the same rates.
	Sweep []benchRun `json:"sweep,omitempty"`
	// Soak is the soak run, in twenty consecutive slices.
	Soak []benchRun `json:"soak,omitempty"`
}

// minimalStorage is where the minimal durable writer keeps its events: the
// gateway's PostgreSQL when it runs on one, else a SQLite file of its own
// (also at --url, where the gateway's store is not the load tool's to use).
func minimalStorage(o Options) string {
	if o.URL == "" && postgres.IsURL(o.Storage) {
		return o.Storage
	}
	return ""
}

// sweepFractions are the rates of the chart, as fractions of kycgate's
// maximum.
var sweepFractions = []float64{0.10, 0.25, 0.50, 0.75, 0.90}

// Run measures what o asks for, writing progress to progress.
func Run(ctx context.Context, progress io.Writer, o Options) (Results, error) {
	var res Results
	secrets := demo.NewSecrets()
	var (
		gw  *benchGateway
		err error
	)
	if o.URL != "" {
		gw, err = urlGateway(progress, o.URL, o.ConfigPath)
	} else {
		gw, err = inProcessGateway(ctx, progress, o, secrets)
	}
	if err != nil {
		return res, err
	}
	defer gw.stop()
	floor, err := bareHandler()
	if err != nil {
		return res, err
	}
	defer floor.Close()
	minimal, err := startMinimalWriter(ctx, minimalStorage(o))
	if err != nil {
		return res, err
	}
	defer minimal.Close()
	onDisk := !postgres.IsURL(minimalStorage(o))

	t := newTraffic(gw.sources, o.Duplicates, 1)
	fresh := func(n int) ([]loadgen.Request, error) {
		fmt.Fprintf(progress, "preparing %d signed webhooks...\n", n)
		return t.make(n)
	}
	reqs, err := fresh(o.Deliveries)
	if err != nil {
		return res, err
	}
	bare := &loadgen.Runner{BaseURL: "http://" + floor.Addr().String(), Requests: reqs, Connections: o.Connections}
	// One runner, and so one pool of connections, for every run against
	// kycgate: the next run's webhooks replace the last's.
	runner := &loadgen.Runner{BaseURL: gw.url, Connections: o.Connections}
	gwRunner := func(reqs []loadgen.Request) *loadgen.Runner {
		runner.Requests = reqs
		return runner
	}
	open := func(rate float64) (benchRun, error) {
		reqs, err := fresh(int(rate*o.Duration.Seconds()) + 1)
		if err != nil {
			return benchRun{}, err
		}
		fmt.Fprintf(progress, "open loop, kycgate at %.0f/s, %v...\n", rate, o.Duration)
		return gw.measure(ctx, func() loadgen.Result { return gwRunner(reqs).Open(ctx, "kycgate", rate, o.Duration) }), nil
	}

	fmt.Fprintf(progress, "closed loop, bare handler, %v...\n", o.Duration)
	f := withUsage("self", false, func() loadgen.Result { return bare.Closed(ctx, "bare handler", o.Duration) })
	fmt.Fprintf(progress, "closed loop, minimal durable writer, %v...\n", o.Duration)
	minimalRunner := &loadgen.Runner{BaseURL: minimal.URL(), Requests: reqs, Connections: o.Connections}
	m := withUsage("self", onDisk, func() loadgen.Result { return minimalRunner.Closed(ctx, "minimal durable writer", o.Duration) })
	fmt.Fprintf(progress, "closed loop, kycgate, %v...\n", o.Duration)
	k := gw.measure(ctx, func() loadgen.Result { return gwRunner(reqs).Closed(ctx, "kycgate", o.Duration) })
	rate := o.Rate
	if rate == 0 {
		rate = k.Throughput / 2
	}
	half, err := open(rate)
	if err != nil {
		return res, err
	}
	res.Runs = []benchRun{f, m, k, half}
	if f.Throughput > 0 {
		res.Ratio = k.Throughput / f.Throughput
		res.MinimalRatio = m.Throughput / f.Throughput
	}
	if m.Throughput > 0 {
		res.ToMinimal = k.Throughput / m.Throughput
	}
	if o.Chart != "" {
		for _, frac := range sweepFractions {
			r := k.Throughput * frac
			fmt.Fprintf(progress, "open loop, bare handler at %.0f/s, %v...\n", r, o.Duration)
			res.Sweep = append(res.Sweep, benchRun{Result: bare.Open(ctx, "bare handler", r, o.Duration)})
			run, err := open(r)
			if err != nil {
				return res, err
			}
			res.Sweep = append(res.Sweep, run)
		}
		if err := writeChart(o.Chart, res.Sweep); err != nil {
			return res, err
		}
		fmt.Fprintf(progress, "chart written to %s\n", o.Chart)
	}
	if o.E2ERate > 0 {
		// A gateway of its own, forwarding to a local receiver, so that no
		// backlog of the runs above stands in line.
		rcv := newE2EReceiver()
		defer rcv.Close()
		url, stop, err := startBenchGateway(ctx, progress, o, "", secrets,
			fmt.Sprintf("destinations:\n  - {name: bench, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", concurrency: 32}\n", rcv.URL))
		if err != nil {
			return res, err
		}
		defer stop()
		reqs, err := fresh(int(o.E2ERate*o.Duration.Seconds()) + 1)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(progress, "end to end at %.0f/s, %v...\n", o.E2ERate, o.Duration)
		e2e := &loadgen.Runner{BaseURL: url, Requests: reqs, Connections: o.Connections}
		res.Runs = append(res.Runs, benchRun{Result: rcv.measure(ctx, e2e, o.E2ERate, o.Duration)})
	}
	if o.Verifications > 0 {
		runs, err := benchQueries(ctx, progress, o, secrets)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, runs...)
	}
	if o.Soak > 0 {
		if res.Soak, err = soak(ctx, progress, o, gw, secrets); err != nil {
			return res, err
		}
	}
	return res, nil
}

// soak drives a gateway closed loop for o.Soak with webhooks made as it
// goes, in twenty slices: gw when it is the user's, else `kycgate serve` in
// a process of its own, so that its memory is its own.
func soak(ctx context.Context, progress io.Writer, o Options, gw *benchGateway, secrets demo.Secrets) ([]benchRun, error) {
	if o.URL == "" {
		var err error
		if gw, err = childGateway(ctx, progress, o.Command, o.Storage, o.Connections, o.Seed, secrets); err != nil {
			return nil, err
		}
		defer gw.stop()
	}
	streaming, stop := context.WithCancel(ctx)
	defer stop()
	next, failed := newTraffic(gw.sources, o.Duplicates, 2).stream(streaming)
	runner := &loadgen.Runner{BaseURL: gw.url, Next: next, Connections: o.Connections}
	slice := o.Soak / 20
	fmt.Fprintf(progress, "soak, closed loop, %v in twenty slices...\n", o.Soak)
	var runs []benchRun
	for i := range 20 {
		name := fmt.Sprintf("soak %v", time.Duration(i+1)*slice)
		runs = append(runs, gw.measure(ctx, func() loadgen.Result { return runner.Closed(ctx, name, slice) }))
		if err := failed(); err != nil {
			return runs, fmt.Errorf("make webhooks for the soak: %w", err)
		}
	}
	return runs, nil
}

// queryRate is the open-loop rate of the query API runs.
const queryRate = 200

// benchQueries seeds a store of its own with o.Verifications
// verifications, serves it, and times the API's answers.
func benchQueries(ctx context.Context, progress io.Writer, o Options, secrets demo.Secrets) ([]benchRun, error) {
	dir, err := os.MkdirTemp("", "kycgate-bench-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	storage := "sqlite://" + filepath.Join(dir, "kycgate.db")
	if err := seedStore(ctx, progress, storage, secrets, o.Verifications); err != nil {
		return nil, err
	}
	url, stop, err := startBenchGateway(ctx, progress, o, storage, secrets)
	if err != nil {
		return nil, err
	}
	defer stop()
	auth := http.Header{"Authorization": {"Bearer " + secrets.API}}
	r := rand.New(rand.NewPCG(3, 3))
	var list, one []loadgen.Request
	statuses := []string{"approved", "declined", "review_needed"}
	for i := range 10_000 {
		list = append(list, loadgen.Request{Method: http.MethodGet, Header: auth,
			Path: "/api/v1/verifications?limit=50&provider=" + seedProviders[i%len(seedProviders)] + "&status=" + statuses[i%3]})
		n := r.IntN(o.Verifications)
		one = append(one, loadgen.Request{Method: http.MethodGet, Header: auth,
			Path: fmt.Sprintf("/api/v1/verifications/%s/v%08d", seedProviders[n%len(seedProviders)], n)})
	}
	var runs []benchRun
	for _, q := range []struct {
		name string
		reqs []loadgen.Request
	}{{"API list, filtered", list}, {"API one, with timeline", one}} {
		fmt.Fprintf(progress, "%s at %d/s, %v...\n", q.name, queryRate, o.Duration)
		runner := &loadgen.Runner{BaseURL: url, Requests: q.reqs, Connections: 16}
		runs = append(runs, benchRun{Result: runner.Open(ctx, q.name, queryRate, o.Duration)})
	}
	return runs, nil
}

// seedProviders are the providers seeded verifications are spread over.
var seedProviders = registry.Names()

// seedVerifications stores n verifications, each with two events, through
// the store's own batch path: its state is rebuilt as in production.
func seedVerifications(ctx context.Context, st gateway.Store, n int) error {
	decisions := []kycgate.Decision{kycgate.DecisionApproved, kycgate.DecisionDeclined, kycgate.DecisionReviewNeeded}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]*kycgate.Event, 0, 1000)
	for i := range n {
		p := seedProviders[i%len(seedProviders)]
		at := base.Add(time.Duration(i) * time.Second)
		for j, typ := range []kycgate.EventType{kycgate.EventSubmitted, kycgate.EventDecided} {
			ev := &kycgate.Event{
				ID: kycgate.NewID("evt", at), Source: p, Provider: p,
				Identity: kycgate.Identity{ProviderEvent: "seeded", VerificationID: fmt.Sprintf("v%08d", i),
					OccurredAt: at.Add(time.Duration(j) * time.Minute), DedupKey: fmt.Sprintf("seed|%d|%d", i, j)},
				Type: typ, ReceivedAt: at, Header: http.Header{}, Body: []byte(`{"seeded":true}`),
				Data: kycgate.Change{Status: kycgate.StatusSubmitted, ExternalUserID: fmt.Sprintf("user-%d", i%100_000)},
			}
			if typ == kycgate.EventDecided {
				ev.Data = kycgate.Change{Decision: decisions[i%3]}
			}
			batch = append(batch, ev)
		}
		if len(batch) >= 1000 || i == n-1 {
			if _, err := st.CreateEvents(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// startBenchGateway runs a gateway on storage (a new SQLite file when
// empty) with one source per provider, and returns its URL and its stop.
func startBenchGateway(ctx context.Context, progress io.Writer, o Options, storage string, secrets demo.Secrets, extra ...string) (string, func(), error) {
	cleanup := func() {}
	if storage == "" {
		dir, err := os.MkdirTemp("", "kycgate-bench-")
		if err != nil {
			return "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		storage = "sqlite://" + filepath.Join(dir, "kycgate.db")
	}
	cfg, err := demo.Config("127.0.0.1:0", storage, secrets, extra...)
	if err != nil {
		cleanup()
		return "", nil, gateway.ConfigError{Err: err}
	}
	cfg.Log.Level = "error"
	cfg.MaxConnections = o.Connections + 64
	app := &gateway.App{Config: cfg, Logger: gateway.NewLogger(progress, cfg.Log), Version: o.Version}
	if err := app.Open(ctx); err != nil {
		cleanup()
		return "", nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan error, 1)
	go func() { ran <- app.Run(runCtx) }()
	return "http://" + app.Addr(), func() { stop(); <-ran; cleanup() }, nil
}

// bareHandler serves the floor: read the body, answer 200.
func bareHandler() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"evt_01M80RWW3VPBYKXEBS3R6QT5BJ","duplicate":false}` + "\n"))
	}))
	return ln, nil
}

// Print writes res as tables.
func Print(w io.Writer, res Results) {
	printRuns(w, res.Runs)
	fmt.Fprintf(w, "\ndurable ingest / bare-handler floor, in this run: %.2f\n", res.Ratio)
	fmt.Fprintf(w, "durable ingest / minimal durable writer, in this run: %.2f (the minimal writer / the floor: %.2f)\n", res.ToMinimal, res.MinimalRatio)
	if len(res.Sweep) > 0 {
		fmt.Fprintln(w, "\nlatency against rate (open loop, the same rates for both):")
		printRuns(w, res.Sweep)
	}
	if len(res.Soak) > 0 {
		fmt.Fprintln(w, "\nsoak (closed loop, consecutive slices):")
		printRuns(w, res.Soak)
		if wal := res.Soak[len(res.Soak)-1].WALBytes; wal > 0 {
			fmt.Fprintf(w, "\nSQLite write-ahead log at the end: %.1f MiB\n", float64(wal)/(1<<20))
		}
	}
}

func printRuns(w io.Writer, runs []benchRun) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tMODE\tRATE\tREQ/S\tP50\tP90\tP99\tP99.9\tERRORS\tEVENTS/COMMIT\tCOMMIT\tCPU/REQ\tWRITTEN/REQ\tRSS")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	for _, r := range runs {
		rate, perCommit, commit, cpu, written, rss := "max", "-", "-", "-", "-", "-"
		if r.CPUPerRequest > 0 {
			cpu = fmt.Sprintf("%.0fµs", float64(r.CPUPerRequest)/float64(time.Microsecond))
		}
		if r.BytesPerRequest > 0 {
			written = fmt.Sprintf("%.1f KB", r.BytesPerRequest/1000)
		}
		if r.Mode == "open" {
			rate = fmt.Sprintf("%.0f/s", r.Rate)
		}
		if r.EventsPerCommit > 0 {
			perCommit, commit = fmt.Sprintf("%.1f", r.EventsPerCommit), ms(r.CommitMean)
		}
		if r.RSSMax > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.RSSMax)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Target, r.Mode, rate, r.Throughput,
			ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), r.Errors, perCommit, commit, cpu, written, rss)
	}
	tw.Flush()
}

// e2eReceiver is the company's service: it notes when each event arrives.
type e2eReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
}

func newE2EReceiver() *e2eReceiver {
	r := &e2eReceiver{arrived: map[string]time.Time{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var env struct{ ID string }
		json.NewDecoder(req.Body).Decode(&env)
		at := time.Now()
		r.mu.Lock()
		if _, seen := r.arrived[env.ID]; !seen {
			r.arrived[env.ID] = at
		}
		r.mu.Unlock()
	}))
	return r
}

// measure sends at rate for d, open loop, and times each new event from
// its scheduled send to its first arrival at the receiver. An event that
// never arrives within 30 seconds counts as an error.
func (r *e2eReceiver) measure(ctx context.Context, gw *loadgen.Runner, rate float64, d time.Duration) loadgen.Result {
	var mu sync.Mutex
	sent := map[string]time.Time{}
	gw.Observe = func(scheduled time.Time, body []byte) {
		var a struct {
			ID        string `json:"id"`
			Duplicate bool   `json:"duplicate"`
		}
		if json.Unmarshal(body, &a) == nil && !a.Duplicate {
			mu.Lock()
			sent[a.ID] = scheduled
			mu.Unlock()
		}
	}
	gw.Open(ctx, "kycgate end to end", rate, d)
	deadline := time.Now().Add(30 * time.Second)
	var latencies []time.Duration
	missing := 0
	for {
		latencies, missing = latencies[:0], 0
		r.mu.Lock()
		for id, at := range sent {
			if got, ok := r.arrived[id]; ok {
				latencies = append(latencies, got.Sub(at))
			} else {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := loadgen.Summarize("kycgate end to end", "open", rate, latencies, missing, d)
	return res
}
