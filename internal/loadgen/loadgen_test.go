package loadgen_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/loadgen"
)

func TestRunner(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1)%10 == 0 {
			w.WriteHeader(503)
		}
	}))
	defer ts.Close()
	r := &loadgen.Runner{BaseURL: ts.URL, Requests: []loadgen.Request{{Path: "/", Body: []byte("{}")}}, Connections: 4}
	closed := r.Closed(context.Background(), "x", 200*time.Millisecond)
	if closed.Requests == 0 || closed.Throughput <= 0 || closed.P50 <= 0 || closed.P99 < closed.P50 || closed.P999 < closed.P99 {
		t.Errorf("closed loop: %+v", closed)
	}
	if closed.Errors == 0 {
		t.Error("the 503s were not counted")
	}
	open := r.Open(context.Background(), "x", 200, 500*time.Millisecond)
	if open.Requests != 100 || open.Mode != "open" {
		t.Errorf("open loop at 200/s for 0.5 s: %+v", open)
	}
	// A server slower than the schedule: latency includes the queueing.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(20 * time.Millisecond) }))
	defer slow.Close()
	s := &loadgen.Runner{BaseURL: slow.URL, Requests: []loadgen.Request{{Path: "/", Body: []byte("{}")}}, Connections: 1}
	res := s.Open(context.Background(), "slow", 200, 200*time.Millisecond) // 40 requests, 20 ms each, one connection
	if res.P99 < 300*time.Millisecond {
		t.Errorf("p99 %v hides the queueing of an overloaded server", res.P99)
	}
}

func TestRunner_Next(t *testing.T) {
	var paths sync.Map
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, dup := paths.LoadOrStore(r.URL.Path, true); dup {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer ts.Close()
	var n atomic.Int64
	r := &loadgen.Runner{BaseURL: ts.URL, Connections: 4, Requests: []loadgen.Request{{Path: "/same"}},
		Next: func() loadgen.Request { return loadgen.Request{Path: fmt.Sprintf("/%d", n.Add(1))} }}
	res := r.Closed(context.Background(), "stream", 200*time.Millisecond)
	if res.Requests < 10 || res.Errors != 0 {
		t.Errorf("a stream of distinct requests should never repeat one: %+v", res)
	}
}
