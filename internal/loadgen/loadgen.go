// Package loadgen drives HTTP load for kycgate bench: closed-loop (as fast
// as the server answers) and open-loop (at a fixed rate, with each request's
// latency measured from when it was scheduled, so that a slow server cannot
// hide its queueing), with latency percentiles.
package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one pre-built request.
type Request struct {
	Method string // POST when empty
	Path   string
	Header http.Header
	Body   []byte
}

// Result is what one run measured.
type Result struct {
	Target     string        `json:"target"`
	Mode       string        `json:"mode"`        // closed or open
	Rate       float64       `json:"target_rate"` // open loop: requests per second asked for
	Requests   int           `json:"requests"`
	Errors     int           `json:"errors"` // no answer, or not 2xx
	Throughput float64       `json:"throughput"`
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	P999       time.Duration `json:"p999_ns"`
}

// Runner sends requests to one base URL.
type Runner struct {
	BaseURL  string
	Requests []Request // used in turn; a run past the end wraps around
	// Next, when set, gives each request instead of Requests: a stream
	// that never repeats what it does not mean to.
	Next        func() Request
	Connections int
	// Observe, when set, is given each answered request's scheduled time
	// and answer body.
	Observe func(scheduled time.Time, body []byte)
	client  *http.Client
	next    atomic.Int64
}

func (r *Runner) init() {
	if r.client == nil {
		r.client = &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: r.Connections, MaxConnsPerHost: r.Connections},
		}
	}
}

// send sends the next request and reports whether it was answered 2xx.
func (r *Runner) send(ctx context.Context) bool { return r.sendAt(ctx, time.Now()) }

func (r *Runner) sendAt(ctx context.Context, scheduled time.Time) bool {
	var req Request
	if r.Next != nil {
		req = r.Next()
	} else {
		req = r.Requests[int(r.next.Add(1)-1)%len(r.Requests)]
	}
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	hr, err := http.NewRequestWithContext(ctx, method, r.BaseURL+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		return false
	}
	hr.Header = req.Header
	resp, err := r.client.Do(hr)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if r.Observe != nil && resp.StatusCode/100 == 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		r.Observe(scheduled, body)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode/100 == 2
}

// Closed sends as fast as the server answers, on Connections connections,
// for d.
func (r *Runner) Closed(ctx context.Context, name string, d time.Duration) Result {
	r.init()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range r.Connections {
		wg.Go(func() {
			var local []time.Duration
			bad := 0
			for ctx.Err() == nil {
				t := time.Now()
				ok := r.send(ctx)
				if ctx.Err() != nil {
					break
				}
				local = append(local, time.Since(t))
				if !ok {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errors += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return summarize(name, "closed", 0, latencies, errors, time.Since(start))
}

// Open sends rate requests per second, on schedule, for d. A request the
// schedule says is due waits for a free connection, and that wait counts in
// its latency.
func (r *Runner) Open(ctx context.Context, name string, rate float64, d time.Duration) Result {
	r.init()
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d / interval)
	due := make(chan time.Time, total)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range r.Connections {
		wg.Go(func() {
			for at := range due {
				if wait := time.Until(at); wait > 0 {
					time.Sleep(wait)
				}
				ok := r.sendAt(ctx, at)
				l := time.Since(at)
				mu.Lock()
				latencies = append(latencies, l)
				if !ok {
					errors++
				}
				mu.Unlock()
			}
		})
	}
	for i := range total {
		due <- start.Add(time.Duration(i) * interval)
	}
	close(due)
	wg.Wait()
	return summarize(name, "open", rate, latencies, errors, time.Since(start))
}

// Summarize computes a result from latencies measured elsewhere.
func Summarize(name, mode string, rate float64, latencies []time.Duration, errors int, took time.Duration) Result {
	return summarize(name, mode, rate, latencies, errors, took)
}

func summarize(name, mode string, rate float64, latencies []time.Duration, errors int, took time.Duration) Result {
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	return Result{
		Target: name, Mode: mode, Rate: rate, Requests: len(latencies), Errors: errors,
		Throughput: float64(len(latencies)) / took.Seconds(),
		P50:        pct(0.50), P90: pct(0.90), P99: pct(0.99), P999: pct(0.999),
	}
}
