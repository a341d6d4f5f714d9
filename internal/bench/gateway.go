package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/loadgen"
	"github.com/kycgate/kycgate/internal/store/postgres"
)

// benchGateway is a kycgate the load tool drives: one it runs itself, in
// its own process or in a process of its own, or one at --url.
type benchGateway struct {
	url     string
	sources []benchSource
	// rss, when the gateway runs in a process of its own, reads its
	// resident memory; nil when it shares the load tool's process.
	rss func(context.Context) (float64, bool)
	// wal is the SQLite write-ahead log of a gateway kycgate bench runs on
	// SQLite: a log that only grows means checkpoints cannot keep up.
	wal string
	// proc is the gateway's process in /proc ("self" when it shares the
	// load tool's), for CPU and bytes written per request; "" at --url.
	proc string
	// disk is true when the gateway writes its own store's files (SQLite),
	// so that the bytes its process writes are the store's.
	disk bool
	stop func()
}

// inProcessGateway runs a gateway in this process on o.Storage (a new
// SQLite file when empty) with one source per provider.
func inProcessGateway(ctx context.Context, progress io.Writer, o Options, secrets demo.Secrets) (*benchGateway, error) {
	url, stop, err := startBenchGateway(ctx, progress, o, o.Storage, secrets)
	if err != nil {
		return nil, err
	}
	return &benchGateway{url: url, sources: demoBenchSources(secrets), proc: "self", disk: !postgres.IsURL(o.Storage), stop: stop}, nil
}

// childGateway runs `kycgate serve` (command, or this executable when
// empty) as a process of its own, on storage (a
// new SQLite file when empty) seeded first with seed verifications.
func childGateway(ctx context.Context, progress io.Writer, command, storage string, connections, seed int, secrets demo.Secrets) (*benchGateway, error) {
	dir, err := os.MkdirTemp("", "kycgate-bench-soak-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*benchGateway, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if storage == "" {
		storage = "sqlite://" + filepath.Join(dir, "kycgate.db")
	}
	addr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	yml := demo.ConfigYAML(addr, storage, secrets, fmt.Sprintf("max_connections: %d", connections+64))
	path := filepath.Join(dir, "kycgate.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		return fail(err)
	}
	if seed > 0 {
		if err := seedStore(ctx, progress, storage, secrets, seed); err != nil {
			return fail(err)
		}
	}
	exe := command
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fail(fmt.Errorf("find the kycgate binary: %w", err))
		}
	}
	logs, err := os.Create(filepath.Join(dir, "kycgate.log"))
	if err != nil {
		return fail(err)
	}
	defer logs.Close()
	cmd := exec.Command(exe, "serve", "--config", path)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start kycgate serve: %w", err))
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}
	url := "http://" + addr
	if err := waitReady(ctx, url, exited); err != nil {
		out, _ := os.ReadFile(logs.Name())
		stop()
		return nil, fmt.Errorf("kycgate serve: %w: %s", err, strings.TrimSpace(string(out)))
	}
	pid := cmd.Process.Pid
	rss := func(context.Context) (float64, bool) { return procRSS(pid) }
	g := &benchGateway{url: url, sources: demoBenchSources(secrets), rss: rss, proc: pidString(pid), disk: !postgres.IsURL(storage), stop: stop}
	if path, ok := strings.CutPrefix(storage, "sqlite://"); ok {
		g.wal = path + "-wal"
	}
	return g, nil
}

// urlGateway is the gateway at url, configured by the file at cfgPath: the
// load tool signs each provider's webhooks with its source's secret there.
func urlGateway(progress io.Writer, url, cfgPath string) (*benchGateway, error) {
	if cfgPath == "" {
		return nil, gateway.ConfigError{Err: errors.New("--url needs --config, the gateway's configuration file: the load tool signs webhooks with its sources' secrets")}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, gateway.ConfigError{Err: err}
	}
	sources, skipped := configBenchSources(cfg)
	for _, s := range skipped {
		fmt.Fprintf(progress, "not sending to %s\n", s)
	}
	if len(sources) == 0 {
		return nil, gateway.ConfigError{Err: fmt.Errorf("%s has no source the load tool can send to", cfgPath)}
	}
	g := &benchGateway{url: strings.TrimRight(url, "/"), sources: sources, stop: func() {}}
	g.rss = func(ctx context.Context) (float64, bool) {
		s, ok := g.stats(ctx)
		return s.rss, ok && s.rss > 0
	}
	return g, nil
}

// procRSS reads the resident memory of process pid from /proc (Linux).
func procRSS(pid int) (float64, bool) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n float64
			if _, err := fmt.Sscanf(strings.TrimSpace(kb), "%g kB", &n); err == nil {
				return n * 1024, true
			}
		}
	}
	return 0, false
}

// seedStore stores n verifications of two events each at storage.
func seedStore(ctx context.Context, progress io.Writer, storage string, secrets demo.Secrets, n int) error {
	cfg, err := demo.Config("127.0.0.1:0", storage, secrets)
	if err != nil {
		return err
	}
	st, _, err := gateway.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(progress, "seeding %d verifications (%d events)...\n", n, 2*n)
	start := time.Now()
	if err := seedVerifications(ctx, st, n); err != nil {
		return err
	}
	fmt.Fprintf(progress, "seeded in %v\n", time.Since(start).Round(time.Second))
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady waits until the gateway at url answers /readyz, for at most a
// minute, or until it exits.
func waitReady(ctx context.Context, url string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it was ready (%v)", err)
		case <-ctx.Done():
			return errors.New("not ready within a minute")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// withUsage does run and adds what process proc spent on it ("" for
// nothing): CPU per request, and bytes written per request when disk.
func withUsage(proc string, disk bool, run func() loadgen.Result) benchRun {
	before, okBefore := readUsage(proc)
	res := benchRun{Result: run()}
	after, okAfter := readUsage(proc)
	if proc != "" && okBefore && okAfter {
		cpu, written := spent(before, after, res.Requests-res.Errors)
		res.CPUPerRequest = cpu
		if disk {
			res.BytesPerRequest = written
		}
	}
	return res
}

// gatewayStats are what a gateway's /metrics tell of it at one moment.
type gatewayStats struct {
	rss                    float64 // bytes
	commits, events, spent float64 // group commits, their events, and their seconds, since start
}

// stats reads the gateway's /metrics; ok is false when it cannot.
func (g *benchGateway) stats(ctx context.Context) (s gatewayStats, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/metrics", nil)
	if err != nil {
		return s, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return s, false
	}
	if f := families["process_resident_memory_bytes"]; f != nil && len(f.Metric) > 0 {
		s.rss = f.Metric[0].GetGauge().GetValue()
	}
	if f := families["kycgate_ingest_commit_batch_events"]; f != nil && len(f.Metric) > 0 {
		h := f.Metric[0].GetHistogram()
		s.commits, s.events = float64(h.GetSampleCount()), h.GetSampleSum()
	}
	if f := families["kycgate_ingest_commit_duration_seconds"]; f != nil && len(f.Metric) > 0 {
		s.spent = f.Metric[0].GetHistogram().GetSampleSum()
	}
	return s, true
}

// benchRun is one run's result, with what the gateway's metrics said of it.
type benchRun struct {
	loadgen.Result
	EventsPerCommit float64       `json:"events_per_commit,omitempty"`
	CommitMean      time.Duration `json:"commit_mean_ns,omitempty"`
	// WALBytes is the size of the gateway's SQLite write-ahead log at the
	// end of the run, when kycgate bench runs it on SQLite.
	WALBytes int64 `json:"wal_bytes,omitempty"`
	// CPUPerRequest is the CPU time the target's process spent per
	// request answered: the load tool's share included when they share a
	// process, as they do for the floor and the minimal writer.
	CPUPerRequest time.Duration `json:"cpu_per_request_ns,omitempty"`
	// BytesPerRequest is what the target's process wrote to storage per
	// request answered, when its store is a file of its own (SQLite).
	BytesPerRequest float64 `json:"bytes_written_per_request,omitempty"`
	// RSSMax is the gateway's largest resident memory seen in the run,
	// sampled every second (from /proc for a gateway kycgate bench runs,
	// from /metrics at --url); only for a gateway in a process of its own.
	RSSMax int64 `json:"rss_max_bytes,omitempty"`
}

// measure does run against the gateway and adds what its metrics say.
func (g *benchGateway) measure(ctx context.Context, run func() loadgen.Result) benchRun {
	before, okBefore := g.stats(ctx)
	var (
		wg     sync.WaitGroup
		rssMax float64
	)
	sampling, stopSampling := context.WithCancel(ctx)
	if g.rss != nil {
		wg.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				if rss, ok := g.rss(sampling); ok {
					rssMax = max(rssMax, rss)
				}
				select {
				case <-sampling.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	res := withUsage(g.proc, g.disk, run)
	stopSampling()
	wg.Wait()
	after, okAfter := g.stats(ctx)
	if okBefore && okAfter {
		if commits := after.commits - before.commits; commits > 0 {
			res.EventsPerCommit = (after.events - before.events) / commits
			res.CommitMean = time.Duration((after.spent - before.spent) / commits * float64(time.Second))
		}
	}
	res.RSSMax = int64(rssMax)
	if fi, err := os.Stat(g.wal); g.wal != "" && err == nil {
		res.WALBytes = fi.Size()
	}
	return res
}
