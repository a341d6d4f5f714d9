package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/demo"
)

// benchJSON is what the tests read of kycgate bench -o json.
type benchJSON struct {
	Runs, Sweep, Soak []struct {
		Target, Mode    string
		Requests        int
		Errors          int
		Throughput      float64
		Rate            float64 `json:"target_rate"`
		P99             int64   `json:"p99_ns"`
		EventsPerCommit float64 `json:"events_per_commit"`
		RSS             int64   `json:"rss_max_bytes"`
		WAL             int64   `json:"wal_bytes"`
		CPU             int64   `json:"cpu_per_request_ns"`
		Written         float64 `json:"bytes_written_per_request"`
	}
	Ratio        float64 `json:"durable_to_floor"`
	ToMinimal    float64 `json:"durable_to_minimal"`
	MinimalRatio float64 `json:"minimal_to_floor"`
}

func decodeBench(t *testing.T, out string) benchJSON {
	t.Helper()
	var res benchJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return res
}

func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for a few seconds")
	}
	chart := filepath.Join(t.TempDir(), "latency.svg")
	code, out, errOut := cli(t, "bench", "--duration", "1s", "--deliveries", "3000", "--connections", "8", "--e2e-rate", "100", "--verifications", "2000", "--chart", chart, "-o", "json")
	if code != 0 {
		t.Fatalf("bench: %d %s", code, errOut)
	}
	// What the tool must report, whatever a busy machine manages in a
	// second: every run, named, with figures that agree with each other.
	// A run may count no request at all (a sweep rate under one a second
	// when the closed loop was slow), so no run is asked to reach a rate.
	res := decodeBench(t, out)
	targets := []string{"bare handler", "minimal durable writer", "kycgate", "kycgate", "kycgate end to end"}
	if len(res.Runs) != 7 || res.Runs[6].Target != "API one, with timeline" {
		t.Fatalf("results: %+v", res)
	}
	for i, want := range targets {
		if res.Runs[i].Target != want {
			t.Errorf("run %d is %q, want %q", i, res.Runs[i].Target, want)
		}
	}
	floor, minimal, k := res.Runs[0], res.Runs[1], res.Runs[2]
	if floor.Throughput > 0 && math.Abs(res.Ratio-k.Throughput/floor.Throughput) > 1e-9 {
		t.Errorf("durable_to_floor %v, want %v / %v", res.Ratio, k.Throughput, floor.Throughput)
	}
	if minimal.Throughput > 0 && math.Abs(res.ToMinimal-k.Throughput/minimal.Throughput) > 1e-9 ||
		floor.Throughput > 0 && math.Abs(res.MinimalRatio-minimal.Throughput/floor.Throughput) > 1e-9 {
		t.Errorf("durable_to_minimal %v, minimal_to_floor %v: want %v / %v and %v / %v", res.ToMinimal, res.MinimalRatio, k.Throughput, minimal.Throughput, minimal.Throughput, floor.Throughput)
	}
	// On SQLite, both durable targets write to disk and say how much per
	// request; the floor writes nothing. Each says the CPU it took.
	for _, r := range []struct {
		name string
		run  float64
		disk bool
	}{{"floor", floor.Written, false}, {"minimal", minimal.Written, true}, {"kycgate", k.Written, true}} {
		if (r.run > 0) != r.disk {
			t.Errorf("%s: %v bytes written per request", r.name, r.run)
		}
	}
	if floor.CPU <= 0 || minimal.CPU <= 0 || k.CPU <= 0 {
		t.Errorf("CPU per request: floor %v, minimal %v, kycgate %v", floor.CPU, minimal.CPU, k.CPU)
	}
	for _, r := range append(res.Runs, res.Sweep...) {
		if r.Errors != 0 || r.Throughput < 0 || (r.Requests > 0) != (r.Throughput > 0) || (r.Requests > 0) != (r.P99 > 0) {
			t.Errorf("run %+v: want no errors, and a throughput and a p99 exactly when it counted requests", r)
		}
	}
	if k.RSS != 0 || (k.Requests > 0 && k.EventsPerCommit < 1) {
		t.Errorf("the closed-loop run should tell events per commit, and no memory for a gateway sharing the load tool's process: %+v", k)
	}
	// The chart's rates: floor and kycgate at the same five fractions of
	// the closed loop's throughput, those --help names.
	sweepFractions := []float64{0.10, 0.25, 0.50, 0.75, 0.90}
	if len(res.Sweep) != 2*len(sweepFractions) {
		t.Fatalf("sweep: %+v", res.Sweep)
	}
	for i, frac := range sweepFractions {
		floor, kg := res.Sweep[2*i], res.Sweep[2*i+1]
		if floor.Target != "bare handler" || kg.Target != "kycgate" || floor.Rate != kg.Rate || math.Abs(kg.Rate-frac*k.Throughput) > 1e-9 {
			t.Errorf("sweep at %v of %v/s: %+v %+v", frac, k.Throughput, floor, kg)
		}
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Lines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
		Texts []string `xml:"text"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("the chart is not SVG: %v", err)
	}
	if len(doc.Lines) != 4 || !strings.Contains(strings.Join(doc.Texts, "|"), "kycgate p99") {
		t.Fatalf("want four series (p50 and p99 of both): %+v", doc)
	}
	for _, l := range doc.Lines {
		if n := len(strings.Fields(l.Points)); n != 5 {
			t.Errorf("a series of %d points, want 5: %q", n, l.Points)
		}
	}

	for _, bad := range [][]string{
		{"--duration", "10ms"},
		{"--chart", "latency.png"},
		{"--soak", "5s"},
		{"--seed", "100"},
		{"--url", "http://127.0.0.1:1"},
		{"--url", "http://127.0.0.1:1", "--config", chart, "--e2e-rate", "100"},
		{"--config", "kycgate.yaml"},
	} {
		if code, _, errOut := cli(t, append([]string{"bench"}, bad...)...); code != 2 || !strings.Contains(errOut, strings.TrimPrefix(bad[0], "--")) {
			t.Errorf("bench %v: %d %s", bad, code, errOut)
		}
	}
}

// TestBench_URL drives a gateway running as a process of its own, signing
// with the secrets of its configuration file.
func TestBench_URL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for a few seconds")
	}
	dir := t.TempDir()
	s := demo.NewSecrets()
	yml := strings.Replace(demo.ConfigYAML("127.0.0.1:0", "sqlite://"+filepath.Join(dir, "kycgate.db"), s), "level: warn", "level: info", 1)
	// A source the load tool cannot sign for is passed over, with a word.
	yml = strings.Replace(yml, "sources:\n", "sources:\n  - {name: sumsub-basic, provider: sumsub, secrets: [x], auth: {basic: {username: a, password: b}}}\n", 1)
	cfgPath := filepath.Join(dir, "kycgate.yaml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfgPath)
	code, out, errOut := cli(t, "bench", "--url", "http://"+p.addr, "--config", cfgPath, "--duration", "1s", "--deliveries", "2000", "--connections", "8", "-o", "json")
	if code != 0 {
		t.Fatalf("bench --url: %d %s", code, errOut)
	}
	res := decodeBench(t, out)
	if len(res.Runs) != 4 || res.Runs[1].Target != "minimal durable writer" {
		t.Fatalf("runs: %+v", res.Runs)
	}
	for _, r := range res.Runs[2:] {
		if r.CPU != 0 || r.Written != 0 {
			t.Errorf("run %+v: the gateway at --url is another process: the load tool cannot tell its CPU or writes", r)
		}
		if r.Errors != 0 || r.Requests == 0 || r.EventsPerCommit < 1 || r.RSS < 1<<20 {
			t.Errorf("run %+v: want no errors, events per commit and the gateway's memory", r)
		}
	}
	// Every provider's webhooks were accepted as authentic.
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	accepted := regexp.MustCompile(`kycgate_ingest_requests_total\{outcome="accepted",provider="(\w+)",source="\w+"\} (\d+)`)
	counts := map[string]string{}
	for _, m := range accepted.FindAllStringSubmatch(string(metrics), -1) {
		counts[m[1]] = m[2]
	}
	for _, provider := range []string{"sumsub", "metamap", "idwise", "vericato", "verifyyou"} {
		if counts[provider] == "" {
			t.Errorf("no %s webhook accepted: %v", provider, counts)
		}
	}
	if !strings.Contains(errOut, `not sending to source "sumsub-basic"`) {
		t.Errorf("the source passed over is not named:\n%s", errOut)
	}
}

// TestBench_Soak runs the soak against kycgate serve in a process of its
// own, on a seeded store.
func TestBench_Soak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for half a minute")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "bench", "--duration", "1s", "--deliveries", "1000", "--connections", "8",
		"--soak", "20s", "--seed", "2000", "-o", "json").Output()
	if err != nil {
		t.Fatalf("bench --soak: %v", err)
	}
	res := decodeBench(t, string(out))
	if len(res.Soak) != 20 {
		t.Fatalf("want twenty slices: %+v", res.Soak)
	}
	walMeasured := false
	for _, r := range res.Soak {
		if r.Errors != 0 || r.Requests == 0 || r.RSS < 1<<20 || r.EventsPerCommit < 1 {
			t.Errorf("slice %+v: want no errors and the gateway's memory", r)
		}
		// An erasure in the traffic (a deleted journey) empties the log, so
		// a slice may find it empty; not all of them.
		walMeasured = walMeasured || r.WAL > 0
	}
	if !walMeasured {
		t.Error("no slice measured the log's size")
	}
}
