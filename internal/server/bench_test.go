package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/store/postgres"
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
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		dsn = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Skipf("no PostgreSQL at %s: %v", dsn, err)
	}
	schema := fmt.Sprintf("kycgate_bench_%d", time.Now().UnixNano())
	admin.Exec(ctx, "CREATE SCHEMA "+schema)
	defer func() { admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); admin.Close(ctx) }()
	store, err := postgres.Open(ctx, dsn+"&search_path="+schema)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	reqs := signedSumsub(b, b.N)
	g := newGatewayOn(b, store)
	runClients(b, g.URL+"/webhooks/sumsub", reqs)
	b.StopTimer()
	var n int
	admin.QueryRow(ctx, "SELECT count(*) FROM "+schema+".events").Scan(&n)
	if n != b.N {
		b.Fatalf("%d events stored, want %d", n, b.N)
	}
	if sum, count := histogram(b, g, "kycgate_ingest_commit_batch_events"); count > 0 {
		b.ReportMetric(sum/count, "events/commit")
	}
}
