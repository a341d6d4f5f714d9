package main

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
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/loadgen"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

func newBenchCmd() *cobra.Command {
	var (
		o      benchOptions
		output string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure durable ingest against a bare-HTTP floor, in one run",
		Long: `Measure how fast kycgate ingests, beside what this machine can do at all.

kycgate bench starts a gateway on a fresh store (SQLite in a temporary
directory, or --store) with one source per provider, or drives the one at
--url, and a bare HTTP handler that reads the body and answers 200: the
floor. It drives both with the same pre-signed simulator traffic of all five
providers (with --duplicates of retries), on --connections keep-alive
connections; every run against kycgate gets webhooks of its own, so that
none turns into a run of retries:

  1. closed loop, as fast as each answers: the maximum rate, and the ratio
     of kycgate's to the floor's;
  2. open loop against kycgate at --rate (default: half of its maximum),
     each request timed from when it was due, so that queueing shows;
  3. with --chart FILE.svg, open loop against both at 10, 25, 50, 75 and 90%
     of kycgate's maximum, drawn as latency against rate;
  4. with --e2e-rate, end to end: kycgate forwards every event to a local
     receiver (a Standard Webhooks destination), and each event is timed
     from when the provider was due to send it to when the receiver got it;
  5. with --verifications N, the query API: a store seeded with N
     verifications answers, open loop, a filtered list and one verification
     with its timeline;
  6. with --soak D, closed loop for D against a gateway in a process of its
     own (kycgate serve, on a store of --seed verifications), with webhooks
     made as it goes, reporting its throughput and resident memory in
     twenty slices: memory that grows from slice to slice is a leak.

With --url, the gateway is yours: --config is its configuration file, whose
sources' secrets sign the webhooks (one source per provider; a provider with
none is left out). Its /metrics, when reachable, add events per commit,
commit time and resident memory to the results.

The load generator runs on the same machine and takes its share of the CPU,
as it does for the floor. Results: a table, or -o json.`,
		Example: `  kycgate bench
  kycgate bench --duration 20s --connections 128 --chart latency.svg
  kycgate bench --store postgres://root@127.0.0.1:5432/test --rate 3000 -o json
  kycgate bench --duration 5s --soak 10m --seed 500000
  kycgate bench --url http://10.0.0.7:8080 --config /etc/kycgate/kycgate.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("--output %q: want table or json", output)}
			}
			if err := o.check(); err != nil {
				return usageError{err}
			}
			results, err := runBench(cmd.Context(), cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(results)
			}
			printBench(cmd.OutOrStdout(), results)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.storage, "store", "", "storage URL for the gateway (default: SQLite in a temporary directory)")
	fl.StringVar(&o.url, "url", "", "drive the gateway at this base URL instead of starting one (needs --config)")
	fl.StringVarP(&o.configPath, "config", "c", "", "with --url: the gateway's configuration file, for its sources' paths and secrets")
	fl.DurationVar(&o.duration, "duration", 10*time.Second, "length of each run")
	fl.IntVar(&o.connections, "connections", 64, "keep-alive connections")
	fl.IntVar(&o.deliveries, "deliveries", 200_000, "signed webhooks to prepare for each closed-loop run (a run that sends more wraps around, as retries)")
	fl.Float64Var(&o.rate, "rate", 0, "open-loop rate in requests per second (default: half the measured maximum)")
	fl.Float64Var(&o.duplicates, "duplicates", 0.1, "fraction of requests that are retries of one already sent")
	fl.StringVar(&o.chart, "chart", "", "also measure latency at five rates and draw it in this SVG file")
	fl.Float64Var(&o.e2eRate, "e2e-rate", 0, "also measure provider-to-destination latency at this rate (e.g. 1000); 0 to skip")
	fl.IntVar(&o.verifications, "verifications", 0, "also measure the query API on a store seeded with this many verifications (e.g. 1000000); 0 to skip")
	fl.DurationVar(&o.soak, "soak", 0, "also drive a gateway in a process of its own for this long, watching its memory (e.g. 10m)")
	fl.IntVar(&o.seed, "seed", 0, "with --soak: verifications (two events each) stored before the soak starts")
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

type benchOptions struct {
	storage, url, configPath, chart string
	duration, soak                  time.Duration
	connections, deliveries         int
	rate, duplicates, e2eRate       float64
	verifications, seed             int
}

func (o benchOptions) check() error {
	switch {
	case o.duration < time.Second || o.connections < 1 || o.rate < 0 || o.duplicates < 0 || o.duplicates > 1 || o.deliveries < 1000:
		return errors.New("--duration at least 1s, --connections at least 1, --rate not negative, --duplicates 0 to 1, --deliveries at least 1000")
	case o.soak < 0 || (o.soak > 0 && o.soak < 20*time.Second):
		return errors.New("--soak: at least 20s (it reports twenty slices)")
	case o.seed < 0 || (o.seed > 0 && (o.soak == 0 || o.url != "")):
		return errors.New("--seed: a number of verifications, with --soak, and not with --url")
	case o.url != "" && (o.storage != "" || o.e2eRate > 0 || o.verifications > 0):
		return errors.New("--url: the gateway is yours, so --store, --e2e-rate and --verifications, which need one kycgate bench starts, do not apply")
	case o.url == "" && o.configPath != "":
		return errors.New("--config: only with --url")
	case o.chart != "" && !strings.HasSuffix(o.chart, ".svg"):
		return fmt.Errorf("--chart %q: an .svg file", o.chart)
	}
	return nil
}

type benchResults struct {
	Runs  []benchRun `json:"runs"`
	Ratio float64    `json:"durable_to_floor"`
	// Sweep is latency against rate, floor and kycgate at the same rates.
	Sweep []benchRun `json:"sweep,omitempty"`
	// Soak is the soak run, in twenty consecutive slices.
	Soak []benchRun `json:"soak,omitempty"`
}

// sweepFractions are the rates of the chart, as fractions of kycgate's
// maximum.
var sweepFractions = []float64{0.10, 0.25, 0.50, 0.75, 0.90}

func runBench(ctx context.Context, progress io.Writer, o benchOptions) (benchResults, error) {
	var res benchResults
	secrets := newDemoSecrets()
	var (
		gw  *benchGateway
		err error
	)
	if o.url != "" {
		gw, err = urlGateway(progress, o.url, o.configPath)
	} else {
		gw, err = inProcessGateway(ctx, progress, o.storage, o.connections, secrets)
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

	t := newTraffic(gw.sources, o.duplicates, 1)
	fresh := func(n int) ([]loadgen.Request, error) {
		fmt.Fprintf(progress, "preparing %d signed webhooks...\n", n)
		return t.make(n)
	}
	reqs, err := fresh(o.deliveries)
	if err != nil {
		return res, err
	}
	bare := &loadgen.Runner{BaseURL: "http://" + floor.Addr().String(), Requests: reqs, Connections: o.connections}
	// One runner, and so one pool of connections, for every run against
	// kycgate: the next run's webhooks replace the last's.
	runner := &loadgen.Runner{BaseURL: gw.url, Connections: o.connections}
	gwRunner := func(reqs []loadgen.Request) *loadgen.Runner {
		runner.Requests = reqs
		return runner
	}
	open := func(rate float64) (benchRun, error) {
		reqs, err := fresh(int(rate*o.duration.Seconds()) + 1)
		if err != nil {
			return benchRun{}, err
		}
		fmt.Fprintf(progress, "open loop, kycgate at %.0f/s, %v...\n", rate, o.duration)
		return gw.measure(ctx, func() loadgen.Result { return gwRunner(reqs).Open(ctx, "kycgate", rate, o.duration) }), nil
	}

	fmt.Fprintf(progress, "closed loop, bare handler, %v...\n", o.duration)
	f := benchRun{Result: bare.Closed(ctx, "bare handler", o.duration)}
	fmt.Fprintf(progress, "closed loop, kycgate, %v...\n", o.duration)
	k := gw.measure(ctx, func() loadgen.Result { return gwRunner(reqs).Closed(ctx, "kycgate", o.duration) })
	rate := o.rate
	if rate == 0 {
		rate = k.Throughput / 2
	}
	half, err := open(rate)
	if err != nil {
		return res, err
	}
	res.Runs = []benchRun{f, k, half}
	if f.Throughput > 0 {
		res.Ratio = k.Throughput / f.Throughput
	}
	if o.chart != "" {
		for _, frac := range sweepFractions {
			r := k.Throughput * frac
			fmt.Fprintf(progress, "open loop, bare handler at %.0f/s, %v...\n", r, o.duration)
			res.Sweep = append(res.Sweep, benchRun{Result: bare.Open(ctx, "bare handler", r, o.duration)})
			run, err := open(r)
			if err != nil {
				return res, err
			}
			res.Sweep = append(res.Sweep, run)
		}
		if err := writeChart(o.chart, res.Sweep); err != nil {
			return res, err
		}
		fmt.Fprintf(progress, "chart written to %s\n", o.chart)
	}
	if o.e2eRate > 0 {
		// A gateway of its own, forwarding to a local receiver, so that no
		// backlog of the runs above stands in line.
		rcv := newE2EReceiver()
		defer rcv.Close()
		url, stop, err := startBenchGateway(ctx, progress, "", o.connections, secrets,
			fmt.Sprintf("destinations:\n  - {name: bench, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", concurrency: 32}\n", rcv.URL))
		if err != nil {
			return res, err
		}
		defer stop()
		reqs, err := fresh(int(o.e2eRate*o.duration.Seconds()) + 1)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(progress, "end to end at %.0f/s, %v...\n", o.e2eRate, o.duration)
		e2e := &loadgen.Runner{BaseURL: url, Requests: reqs, Connections: o.connections}
		res.Runs = append(res.Runs, benchRun{Result: rcv.measure(ctx, e2e, o.e2eRate, o.duration)})
	}
	if o.verifications > 0 {
		runs, err := benchQueries(ctx, progress, o, secrets)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, runs...)
	}
	if o.soak > 0 {
		if res.Soak, err = soak(ctx, progress, o, gw, secrets); err != nil {
			return res, err
		}
	}
	return res, nil
}

// soak drives a gateway closed loop for o.soak with webhooks made as it
// goes, in twenty slices: gw when it is the user's, else `kycgate serve` in
// a process of its own, so that its memory is its own.
func soak(ctx context.Context, progress io.Writer, o benchOptions, gw *benchGateway, secrets demoSecrets) ([]benchRun, error) {
	if o.url == "" {
		var err error
		if gw, err = childGateway(ctx, progress, o.storage, o.connections, o.seed, secrets); err != nil {
			return nil, err
		}
		defer gw.stop()
	}
	streaming, stop := context.WithCancel(ctx)
	defer stop()
	next, failed := newTraffic(gw.sources, o.duplicates, 2).stream(streaming)
	runner := &loadgen.Runner{BaseURL: gw.url, Next: next, Connections: o.connections}
	slice := o.soak / 20
	fmt.Fprintf(progress, "soak, closed loop, %v in twenty slices...\n", o.soak)
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

// benchQueries seeds a store of its own with o.verifications
// verifications, serves it, and times the API's answers.
func benchQueries(ctx context.Context, progress io.Writer, o benchOptions, secrets demoSecrets) ([]benchRun, error) {
	dir, err := os.MkdirTemp("", "kycgate-bench-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	storage := "sqlite://" + filepath.Join(dir, "kycgate.db")
	if err := seedStore(ctx, progress, storage, secrets, o.verifications); err != nil {
		return nil, err
	}
	url, stop, err := startBenchGateway(ctx, progress, storage, o.connections, secrets)
	if err != nil {
		return nil, err
	}
	defer stop()
	auth := http.Header{"Authorization": {"Bearer " + secrets.api}}
	r := rand.New(rand.NewPCG(3, 3))
	var list, one []loadgen.Request
	statuses := []string{"approved", "declined", "review_needed"}
	for i := range 10_000 {
		list = append(list, loadgen.Request{Method: http.MethodGet, Header: auth,
			Path: "/api/v1/verifications?limit=50&provider=" + seedProviders[i%5] + "&status=" + statuses[i%3]})
		n := r.IntN(o.verifications)
		one = append(one, loadgen.Request{Method: http.MethodGet, Header: auth,
			Path: fmt.Sprintf("/api/v1/verifications/%s/v%08d", seedProviders[n%5], n)})
	}
	var runs []benchRun
	for _, q := range []struct {
		name string
		reqs []loadgen.Request
	}{{"API list, filtered", list}, {"API one, with timeline", one}} {
		fmt.Fprintf(progress, "%s at %d/s, %v...\n", q.name, queryRate, o.duration)
		runner := &loadgen.Runner{BaseURL: url, Requests: q.reqs, Connections: 16}
		runs = append(runs, benchRun{Result: runner.Open(ctx, q.name, queryRate, o.duration)})
	}
	return runs, nil
}

// seedProviders are the providers seeded verifications are spread over.
var seedProviders = registry.Names()

// seedVerifications stores n verifications, each with two events, through
// the store's own batch path: its state is rebuilt as in production.
func seedVerifications(ctx context.Context, st store, n int) error {
	decisions := []kycgate.Decision{kycgate.DecisionApproved, kycgate.DecisionDeclined, kycgate.DecisionReviewNeeded}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]*kycgate.Event, 0, 1000)
	for i := range n {
		p := seedProviders[i%5]
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
func startBenchGateway(ctx context.Context, progress io.Writer, storage string, connections int, secrets demoSecrets, extra ...string) (string, func(), error) {
	cleanup := func() {}
	if storage == "" {
		dir, err := os.MkdirTemp("", "kycgate-bench-")
		if err != nil {
			return "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		storage = "sqlite://" + filepath.Join(dir, "kycgate.db")
	}
	cfg, err := demoConfig("127.0.0.1:0", storage, secrets, extra...)
	if err != nil {
		cleanup()
		return "", nil, usageError{err}
	}
	cfg.Log.Level = "error"
	cfg.MaxConnections = connections + 64
	app := &App{Config: cfg, Logger: newLogger(progress, cfg.Log)}
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

func printBench(w io.Writer, res benchResults) {
	printRuns(w, res.Runs)
	fmt.Fprintf(w, "\ndurable ingest / bare-handler floor, in this run: %.2f\n", res.Ratio)
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
	tw := table(w)
	fmt.Fprintln(tw, "TARGET\tMODE\tRATE\tREQ/S\tP50\tP90\tP99\tP99.9\tERRORS\tEVENTS/COMMIT\tCOMMIT\tRSS")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	for _, r := range runs {
		rate, perCommit, commit, rss := "max", "-", "-", "-"
		if r.Mode == "open" {
			rate = fmt.Sprintf("%.0f/s", r.Rate)
		}
		if r.EventsPerCommit > 0 {
			perCommit, commit = fmt.Sprintf("%.1f", r.EventsPerCommit), ms(r.CommitMean)
		}
		if r.RSSMax > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.RSSMax)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Target, r.Mode, rate, r.Throughput,
			ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), r.Errors, perCommit, commit, rss)
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
