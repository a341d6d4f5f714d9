package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/simulator"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// slowReceiver records the events it is sent, in arrival order, taking a
// few milliseconds over each so that deliveries are in flight.
type slowReceiver struct {
	mu   sync.Mutex
	seen []struct{ event, verification string }
}

func (r *slowReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var env struct {
		ID           string `json:"id"`
		Verification struct {
			ID string `json:"id"`
		} `json:"verification"`
	}
	body, _ := io.ReadAll(req.Body)
	json.Unmarshal(body, &env)
	time.Sleep(3 * time.Millisecond)
	r.mu.Lock()
	r.seen = append(r.seen, struct{ event, verification string }{env.ID, env.Verification.ID})
	r.mu.Unlock()
}

// received returns a copy of what arrived, in order.
func (r *slowReceiver) received() []struct{ event, verification string } {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func (r *slowReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// TestDurability_SIGKILLMidDelivery: the gateway is killed while it ingests
// and forwards, cycle after cycle (KYCGATE_CRASH_CYCLES, default 2; make
// crash runs 20). After a last restart every stored event reaches the
// destination at least once, each verification's events in the order they
// were stored, and every verification equals a rebuild of its log.
func TestDurability_SIGKILLMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cycles := 2
	if n, err := strconv.Atoi(os.Getenv("KYCGATE_CRASH_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	rcv := &slowReceiver{}
	dest := httptest.NewServer(rcv)
	defer dest.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	cfgPath := filepath.Join(dir, "k.yaml")
	cfg := fmt.Sprintf(`storage: "sqlite://%s"
sources:
  - {name: sumsub, provider: sumsub, secrets: [%q]}
destinations:
  - {name: app, url: %q, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", concurrency: 4, timeout: 2s}
`, db, durabilitySecret, dest.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var journeys []simulator.Journey
	for cycle := range cycles {
		p := startServe(t, cfgPath)
		js, err := simulator.NewJourneys(simulator.Options{Provider: "sumsub", Count: 30, Rand: rand.New(rand.NewPCG(5, uint64(cycle))), Creds: simulator.Credentials{Secret: durabilitySecret}})
		if err != nil {
			t.Fatal(err)
		}
		journeys = append(journeys, js...)
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			s := &simulator.Sender{URL: "http://" + p.addr + "/webhooks/sumsub", Concurrency: 8, TimeScale: 0}
			s.Run(context.Background(), "sumsub", js)
		}()
		target := rcv.count() + 20
		deadline := time.Now().Add(30 * time.Second)
		for rcv.count() < target && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		<-sent
	}
	killedAt := rcv.count()

	startServe(t, cfgPath)
	raw, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// Claims of the killed processes expire after one attempt's timeout and
	// a grace of 5 seconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending int
		raw.QueryRow(`SELECT count(*) FROM deliveries WHERE state != 'delivered'`).Scan(&pending)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still not delivered 30 seconds after the restart", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The order deliveries were created in, per verification.
	rows, err := raw.Query(`SELECT event_id, verification_id FROM deliveries ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	stored := 0
	for rows.Next() {
		var ev, v string
		rows.Scan(&ev, &v)
		want[v] = append(want[v], ev)
		stored++
	}
	rows.Close()
	got := map[string][]string{}
	seen := rcv.received()
	for _, s := range seen {
		if !slices.Contains(got[s.verification], s.event) {
			got[s.verification] = append(got[s.verification], s.event)
		}
	}
	for v, ids := range want {
		if !slices.Equal(got[v], ids) {
			t.Errorf("verification %s: received %v, want %v", v, got[v], ids)
		}
	}
	if killedAt >= stored {
		t.Fatalf("everything was delivered before the kills (%d of %d): the test proves little", killedAt, stored)
	}
	// Every verification equals a rebuild of its log.
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for v := range want {
		got, err := store.FindVerification(context.Background(), "sumsub", v)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := store.ListLog(context.Background(), "sumsub", v)
		if r := kycgate.Rebuild("sumsub", "sumsub", v, log); got.Status != r.Status || got.Events != r.Events || got.Decision != r.Decision {
			t.Errorf("%s: stored %s/%d, rebuilt %s/%d", v, got.Status, got.Events, r.Status, r.Events)
		}
	}
	t.Logf("%d cycles: %d events stored; %d received before the last restart, %d requests in all", cycles, stored, killedAt, len(seen))
}
