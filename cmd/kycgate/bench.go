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
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/loadgen"
	"github.com/kycgate/kycgate/internal/simulator"
)

func newBenchCmd() *cobra.Command {
	var (
		storage, output         string
		duration                time.Duration
		connections, deliveries int
		rate, duplicates        float64
		e2eRate                 float64
		verifications           int
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure durable ingest against a bare-HTTP floor, in one run",
		Long: `Measure how fast kycgate ingests, beside what this machine can do at all.

kycgate bench starts a gateway on a fresh store (SQLite in a temporary
directory, or --store) with one source per provider, and a bare HTTP handler
that reads the body and answers 200: the floor. It drives both with the same
pre-signed simulator traffic of all five providers (with --duplicates of
retries), on --connections keep-alive connections:

  1. closed loop, as fast as each answers: the maximum rate, and the ratio
     of kycgate's to the floor's;
  2. open loop against kycgate at --rate (default: half of its maximum),
     each request timed from when it was due, so that queueing shows;
  3. with --e2e-rate, end to end: kycgate forwards every event to a local
     receiver (a Standard Webhooks destination), and each event is timed
     from when the provider was due to send it to when the receiver got it;
  4. with --verifications N, the query API: a store seeded with N
     verifications answers, open loop, a filtered list and one verification
     with its timeline.

The load generator runs on the same machine and takes its share of the CPU,
as it does for the floor. Results: a table, or -o json.`,
		Example: `  kycgate bench
  kycgate bench --duration 20s --connections 128
  kycgate bench --store postgres://root@127.0.0.1:5432/test --rate 3000 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("--output %q: want table or json", output)}
			}
			if duration < time.Second || connections < 1 || rate < 0 || duplicates < 0 || duplicates > 1 || deliveries < 1000 {
				return usageError{errors.New("--duration at least 1s, --connections at least 1, --rate not negative, --duplicates 0 to 1, --deliveries at least 1000")}
			}
			results, err := runBench(cmd.Context(), cmd.ErrOrStderr(), benchOptions{storage, duration, connections, deliveries, rate, duplicates, e2eRate, verifications})
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
	cmd.Flags().StringVar(&storage, "store", "", "storage URL for the gateway (default: SQLite in a temporary directory)")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "length of each run")
	cmd.Flags().IntVar(&connections, "connections", 64, "keep-alive connections")
	cmd.Flags().IntVar(&deliveries, "deliveries", 200_000, "distinct signed webhooks to prepare (a run that sends more wraps around, as retries)")
	cmd.Flags().Float64Var(&rate, "rate", 0, "open-loop rate in requests per second (default: half the measured maximum)")
	cmd.Flags().Float64Var(&duplicates, "duplicates", 0.1, "fraction of requests that are retries of one already sent")
	cmd.Flags().Float64Var(&e2eRate, "e2e-rate", 0, "also measure provider-to-destination latency at this rate (e.g. 1000); 0 to skip")
	cmd.Flags().IntVar(&verifications, "verifications", 0, "also measure the query API on a store seeded with this many verifications (e.g. 1000000); 0 to skip")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

type benchOptions struct {
	storage                 string
	duration                time.Duration
	connections, deliveries int
	rate, duplicates        float64
	e2eRate                 float64
	verifications           int
}

type benchResults struct {
	Runs  []loadgen.Result `json:"runs"`
	Ratio float64          `json:"durable_to_floor"`
}

func runBench(ctx context.Context, progress io.Writer, o benchOptions) (benchResults, error) {
	var res benchResults
	secrets := newDemoSecrets()
	gwURL, stopGateway, err := startBenchGateway(ctx, progress, o.storage, o.connections, secrets)
	if err != nil {
		return res, err
	}
	defer stopGateway()
	floor, err := bareHandler()
	if err != nil {
		return res, err
	}
	defer floor.Close()

	fmt.Fprintf(progress, "preparing %d signed webhooks of five providers...\n", o.deliveries)
	reqs, err := benchRequests(secrets, o.deliveries, o.duplicates)
	if err != nil {
		return res, err
	}
	bare := &loadgen.Runner{BaseURL: "http://" + floor.Addr().String(), Requests: reqs, Connections: o.connections}
	gw := &loadgen.Runner{BaseURL: gwURL, Requests: reqs, Connections: o.connections}

	fmt.Fprintf(progress, "closed loop, bare handler, %v...\n", o.duration)
	f := bare.Closed(ctx, "bare handler", o.duration)
	fmt.Fprintf(progress, "closed loop, kycgate, %v...\n", o.duration)
	k := gw.Closed(ctx, "kycgate", o.duration)
	rate := o.rate
	if rate == 0 {
		rate = k.Throughput / 2
	}
	fmt.Fprintf(progress, "open loop, kycgate at %.0f/s, %v...\n", rate, o.duration)
	open := gw.Open(ctx, "kycgate", rate, o.duration)
	res.Runs = []loadgen.Result{f, k, open}
	if f.Throughput > 0 {
		res.Ratio = k.Throughput / f.Throughput
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
		fmt.Fprintf(progress, "end to end at %.0f/s, %v...\n", o.e2eRate, o.duration)
		e2e := &loadgen.Runner{BaseURL: url, Requests: reqs, Connections: o.connections}
		res.Runs = append(res.Runs, rcv.measure(ctx, e2e, o.e2eRate, o.duration))
	}
	if o.verifications > 0 {
		runs, err := benchQueries(ctx, progress, o, secrets)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, runs...)
	}
	return res, nil
}

// queryRate is the open-loop rate of the query API runs.
const queryRate = 200

// benchQueries seeds a store of its own with o.verifications
// verifications, serves it, and times the API's answers.
func benchQueries(ctx context.Context, progress io.Writer, o benchOptions, secrets demoSecrets) ([]loadgen.Result, error) {
	dir, err := os.MkdirTemp("", "kycgate-bench-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	storage := "sqlite://" + filepath.Join(dir, "kycgate.db")
	cfg, err := demoConfig("127.0.0.1:0", storage, secrets)
	if err != nil {
		return nil, err
	}
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "seeding %d verifications...\n", o.verifications)
	start := time.Now()
	if err := seedVerifications(ctx, st, o.verifications); err != nil {
		st.Close()
		return nil, err
	}
	st.Close()
	fmt.Fprintf(progress, "seeded in %v\n", time.Since(start).Round(time.Second))
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
	var runs []loadgen.Result
	for _, q := range []struct {
		name string
		reqs []loadgen.Request
	}{{"API list, filtered", list}, {"API one, with timeline", one}} {
		fmt.Fprintf(progress, "%s at %d/s, %v...\n", q.name, queryRate, o.duration)
		runner := &loadgen.Runner{BaseURL: url, Requests: q.reqs, Connections: 16}
		runs = append(runs, runner.Open(ctx, q.name, queryRate, o.duration))
	}
	return runs, nil
}

var seedProviders = []string{"sumsub", "metamap", "idwise", "vericato", "verifyyou"}

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

// benchRequests builds n signed webhooks of the five providers, in turn, a
// fraction dup of them repeats of one sent before.
func benchRequests(s demoSecrets, n int, dup float64) ([]loadgen.Request, error) {
	r := rand.New(rand.NewPCG(1, 2))
	paths := map[string]string{"sumsub": "/webhooks/sumsub", "metamap": "/webhooks/metamap", "verifyyou": "/webhooks/verifyyou",
		"idwise": "/webhooks/idwise", "vericato": "/webhooks/vericato/" + s.vericato}
	creds := map[string]string{"sumsub": s.sumsub, "metamap": s.metamap, "verifyyou": s.verifyyou, "idwise": s.idwise}
	perProvider := map[string][]loadgen.Request{}
	for _, p := range simulator.Providers() {
		for len(perProvider[p]) < n/5+1 {
			js, err := simulator.NewJourneys(simulator.Options{Provider: p, Count: 500, Rand: r, Creds: simulator.Credentials{Secret: creds[p]}})
			if err != nil {
				return nil, err
			}
			for _, j := range js {
				for _, d := range j.Deliveries {
					perProvider[p] = append(perProvider[p], loadgen.Request{Path: paths[p], Header: d.Header, Body: d.Body})
				}
			}
		}
	}
	out := make([]loadgen.Request, 0, n)
	for i := 0; len(out) < n; i++ {
		if len(out) > 0 && r.Float64() < dup {
			out = append(out, out[r.IntN(len(out))])
			continue
		}
		p := simulator.Providers()[i%5]
		out = append(out, perProvider[p][i/5])
	}
	return out, nil
}

func printBench(w io.Writer, res benchResults) {
	tw := table(w)
	fmt.Fprintln(tw, "TARGET\tMODE\tRATE\tREQ/S\tP50\tP90\tP99\tP99.9\tERRORS")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
	for _, r := range res.Runs {
		rate := "max"
		if r.Mode == "open" {
			rate = fmt.Sprintf("%.0f/s", r.Rate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\n", r.Target, r.Mode, rate, r.Throughput, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), r.Errors)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ndurable ingest / bare-handler floor, in this run: %.2f\n", res.Ratio)
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
