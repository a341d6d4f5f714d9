package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/store/postgres"
	"github.com/kycgate/kycgate/internal/store/postgres/pgtest"
)

// The ingest benchmarks drive real HTTP over loopback with keep-alive
// connections. Compare them in one run, since machines are noisy:
//
//	go test -run '^$' -bench 'Ingest' -benchtime 5s ./internal/server
//
// BareHandler is the floor: a handler that reads the body and answers 200.
// Durable is the whole path: source, signature, identity, group commit to
// SQLite with synchronous=FULL, 200 only after the commit.

const benchClients = 64

type signedRequest struct {
	body   []byte
	header http.Header
}

func signedSumsub(b *testing.B, n int) []signedRequest {
	reqs := make([]signedRequest, n)
	for i := range reqs {
		body := fmt.Appendf(nil, `{"applicantId":"%024x","inspectionId":"%024x","correlationId":"req-bench-%d","externalUserId":"user-%d","levelName":"basic-kyc-level","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"},"reviewStatus":"completed","createdAtMs":"2026-11-22 10:00:00.000","clientId":"bench"}`, i, i, i, i%1000)
		h, err := sumsub.Sign(sumsubSecret, "HMAC_SHA256_HEX", body)
		if err != nil {
			b.Fatal(err)
		}
		h.Set("Content-Type", "application/json")
		reqs[i] = signedRequest{body, h}
	}
	return reqs
}

func runClients(b *testing.B, url string, reqs []signedRequest) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[next.Add(1)-1]
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.body))
			req.Header = r.header
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkIngest_BareHandler(b *testing.B) {
	reqs := signedSumsub(b, b.N)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"evt_01M80RWW3VPBYKXEBS3R6QT5BJ","duplicate":false}` + "\n"))
	}))
	defer ts.Close()
	runClients(b, ts.URL, reqs)
}

func BenchmarkIngest_Durable(b *testing.B) {
	reqs := signedSumsub(b, b.N)
	g := newGateway(b)
	runClients(b, g.URL+"/webhooks/sumsub", reqs)
	b.StopTimer()
	if got := g.count(b); got != b.N {
		b.Fatalf("%d events stored, want %d", got, b.N)
	}
	if sum, count := histogram(b, g, "kycgate_ingest_commit_batch_events"); count > 0 {
		b.ReportMetric(sum/count, "events/commit")
	}
}

func histogram(b *testing.B, g *gateway, name string) (sum, count float64) {
	families, err := g.reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			h := f.GetMetric()[0].GetHistogram()
			return h.GetSampleSum(), float64(h.GetSampleCount())
		}
	}
	return 0, 0
}

// BenchmarkIngest_DurablePostgres is the durable path on PostgreSQL, in a
// schema of its own; it is skipped without a server.
func BenchmarkIngest_DurablePostgres(b *testing.B) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.Schema(b))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	reqs := signedSumsub(b, b.N)
	g := newGatewayOn(b, store, fixtureTime)
	runClients(b, g.URL+"/webhooks/sumsub", reqs)
	b.StopTimer()
	counts, err := store.Counts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	stored := 0
	for _, c := range counts.Verifications {
		stored += c.Count
	}
	if stored != b.N { // every event is a verification of its own
		b.Fatalf("%d verifications stored, want %d", stored, b.N)
	}
	if sum, count := histogram(b, g, "kycgate_ingest_commit_batch_events"); count > 0 {
		b.ReportMetric(sum/count, "events/commit")
	}
}
