package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/simulator"
)

// balancer spreads requests at random over the instances, as a load
// balancer would, and fails over to another when one refuses the
// connection; only when none answers does the provider see a 502.
func balancer(t *testing.T, addrs ...string) *httptest.Server {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(11, 11))
	client := &http.Client{Timeout: 10 * time.Second}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		order := r.Perm(len(addrs))
		mu.Unlock()
		for _, i := range order {
			out, _ := http.NewRequest(req.Method, "http://"+addrs[i]+req.URL.RequestURI(), bytes.NewReader(body))
			out.Header = req.Header.Clone()
			resp, err := client.Do(out)
			if err != nil {
				continue
			}
			defer resp.Body.Close()
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestScaleOut_TwoInstancesOneKilled: two gateways share one PostgreSQL
// database behind a balancer; duplicated deliveries reach both; one is
// killed mid-run.
func TestScaleOut_TwoInstancesOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	storage, ok := postgresSchema(t)
	if !ok {
		t.Skip("needs PostgreSQL")
	}
	rcv := &slowReceiver{}
	dest := httptest.NewServer(rcv)
	defer dest.Close()
	cfgPath := filepath.Join(t.TempDir(), "k.yaml")
	yml := fmt.Sprintf(`storage: %q
sources:
  - {name: sumsub, provider: sumsub, secrets: [%q]}
destinations:
  - {name: app, url: %q, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", concurrency: 4, timeout: 2s}
`, storage, durabilitySecret, dest.URL)
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := startServe(t, cfgPath), startServe(t, cfgPath)
	lb := balancer(t, a.addr, b.addr)

	journeys, err := simulator.NewJourneys(simulator.Options{Provider: "sumsub", Count: 80, Rand: rand.New(rand.NewPCG(8, 8)), Creds: simulator.Credentials{Secret: durabilitySecret}})
	if err != nil {
		t.Fatal(err)
	}
	var sum simulator.Summary
	var sent atomic.Bool
	go func() {
		s := &simulator.Sender{URL: lb.URL + "/webhooks/sumsub", Concurrency: 8, Duplicates: 0.3, Shuffle: true, TimeScale: 0.00001, Rand: rand.New(rand.NewPCG(9, 9))}
		sum, _ = s.Run(context.Background(), "sumsub", journeys)
		sent.Store(true)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for rcv.count() < 30 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	killedAt := rcv.count()
	waitUntil(t, "the provider's deliveries", sent.Load)
	if sum.Refused() > 0 {
		t.Fatalf("deliveries never acknowledged: %+v", sum)
	}

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := gateway.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	// Every acknowledged delivery's event is stored, once.
	distinct := 0
	for _, j := range journeys {
		distinct += len(j.Deliveries)
	}
	stored := 0
	for cursor := ""; ; {
		evs, next, err := store.ListEvents(ctx, kycgate.EventFilter{Cursor: cursor, Limit: kycgate.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		stored += len(evs)
		if cursor = next; cursor == "" {
			break
		}
	}
	if stored != distinct {
		t.Fatalf("%d events stored for %d distinct deliveries", stored, distinct)
	}
	// Every verification equals a rebuild of its log, and ends as promised.
	for _, j := range journeys {
		v, err := store.FindVerification(ctx, "sumsub", j.VerificationID)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := store.ListLog(ctx, "sumsub", j.VerificationID)
		want := kycgate.Rebuild("sumsub", "sumsub", j.VerificationID, log)
		if v.Status != want.Status || v.Decision != want.Decision || v.Events != want.Events || v.Status != j.Want {
			t.Errorf("%s (%s): stored %s/%s/%d, rebuilt %s/%s/%d, promised %s", j.VerificationID, j.Scenario, v.Status, v.Decision, v.Events, want.Status, want.Decision, want.Events, j.Want)
		}
	}
	// Every delivery reaches the receiver, at least once, in order per
	// verification; the killed instance's claims are taken up by the other.
	var order map[string][]string
	waitUntil(t, "every delivery delivered", func() bool {
		pending, _, _ := store.ListDeliveries(ctx, kycgate.DeliveryFilter{State: kycgate.DeliveryPending, Limit: 1})
		return len(pending) == 0
	})
	order = map[string][]string{}
	for cursor := ""; ; {
		ds, next, err := store.ListDeliveries(ctx, kycgate.DeliveryFilter{Cursor: cursor, Limit: kycgate.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.State != kycgate.DeliveryDelivered {
				t.Errorf("delivery %s is %s", d.ID, d.State)
			}
			order[d.VerificationID] = append([]string{d.EventID}, order[d.VerificationID]...) // pages are newest first
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	got := map[string][]string{}
	for _, s := range rcv.received() {
		if !slices.Contains(got[s.verification], s.event) {
			got[s.verification] = append(got[s.verification], s.event)
		}
	}
	for v, ids := range order {
		if !slices.Equal(got[v], ids) {
			t.Errorf("verification %s: received %v, want %v", v, got[v], ids)
		}
	}
	t.Logf("%d events stored once of %d deliveries sent (%d duplicates); %d received before the kill; %d requests to the destination",
		stored, sum.Sent, sum.Duplicates, killedAt, len(rcv.received()))
}
