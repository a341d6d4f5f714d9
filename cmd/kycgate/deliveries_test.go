package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/delivery"
)

// TestCLI_Deliveries: a destination that refuses an event dead-letters it;
// the CLI shows it, retries it once the destination is back, and replays an
// event.
func TestCLI_Deliveries(t *testing.T) {
	var accept atomic.Bool
	var received atomic.Int64
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accept.Load() {
			http.Error(w, "not today", http.StatusInternalServerError)
			return
		}
		received.Add(1)
	}))
	defer dest.Close()
	url, _ := startApp(t, fmt.Sprintf("destinations:\n  - {name: app, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", max_attempts: 1}\n", dest.URL))
	postSumsub(t, url, `{"applicantId":"app-5","correlationId":"c5","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:00.000"}`)
	conn := []string{"--server", url, "--token", cliToken}

	var dead []kycgate.Delivery
	waitUntil(t, "a dead letter", func() bool {
		_, out, _ := cli(t, append([]string{"deliveries", "list", "--state", "dead", "-o", "json"}, conn...)...)
		var page struct{ Data []kycgate.Delivery }
		json.Unmarshal([]byte(out), &page)
		dead = page.Data
		return len(dead) == 1
	})
	code, out, _ := cli(t, append([]string{"deliveries", "list"}, conn...)...)
	if code != 0 || !strings.Contains(out, "dead") || !strings.Contains(out, "answered 500") {
		t.Errorf("deliveries list: %d\n%s", code, out)
	}
	code, out, _ = cli(t, append([]string{"deliveries", "show", dead[0].ID}, conn...)...)
	if code != 0 || !strings.Contains(out, `"status_code": 500`) {
		t.Errorf("deliveries show: %d\n%s", code, out)
	}

	accept.Store(true)
	code, out, _ = cli(t, append([]string{"deliveries", "retry", "--destination", "app"}, conn...)...)
	if code != 0 || !strings.Contains(out, "1 delivery(ies) will be sent again") {
		t.Fatalf("bulk retry: %d %s", code, out)
	}
	waitUntil(t, "the retried delivery", func() bool { return received.Load() == 1 })
	// The receiver has it; the outcome is recorded just after.
	waitState(t, clientFor(url), dead[0].ID, kycgate.DeliveryDelivered)
	code, _, errOut := cli(t, append([]string{"deliveries", "retry", dead[0].ID}, conn...)...)
	if code != 1 || !strings.Contains(errOut, "was delivered; to send the event again, replay it") {
		t.Errorf("retry of a delivered delivery: %d %s", code, errOut)
	}
	code, out, _ = cli(t, append([]string{"events", "replay", dead[0].EventID}, conn...)...)
	if code != 0 || !strings.Contains(out, "app: new delivery dlv_") {
		t.Fatalf("replay: %d %s", code, out)
	}
	waitUntil(t, "the replayed delivery", func() bool { return received.Load() == 2 })

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"deliveries", "retry"}, 2, "give a delivery ID, or --destination"},
		{[]string{"deliveries", "list", "--destination", "nope"}, 1, "no destination named"},
		{[]string{"deliveries", "list", "--state", "lost"}, 1, "invalid: --state"},
		{[]string{"events", "replay", dead[0].EventID, "--destination", "nope"}, 1, "no destination named"},
		{[]string{"events", "replay", "evt_nope"}, 1, "not found"},
	} {
		code, out, errOut := cli(t, append(tc.args, conn...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
	var dests struct {
		Data []struct{ Name, Kind, State string }
	}
	body, _ := clientFor(url).Get(t.Context(), "/api/v1/destinations", nil)
	json.Unmarshal(body, &dests)
	if len(dests.Data) != 1 || dests.Data[0].Name != "app" || dests.Data[0].State != "active" || dests.Data[0].Kind != "http" {
		t.Errorf("destinations: %s", body)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func clientFor(url string) *client.Client { return client.New(url, cliToken) }

// TestCLI_ReplayUntaken: replaying an event no destination's filter takes
// says which flag names one.
func TestCLI_ReplayUntaken(t *testing.T) {
	url, _ := startApp(t, "destinations:\n  - {name: app, url: \"http://127.0.0.1:1/hooks\", secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", filter: {types: [verification.decided]}}\n")
	code, errOut := replayOnlyEvent(t, url)
	if code != 1 || !strings.Contains(errOut, "name one with --destination") || strings.Contains(errOut, "?destination") {
		t.Errorf("replay of an event no filter takes: exit %d %s", code, errOut)
	}
}

// TestForward_DecisionFilterFollowsTheDecision: a destination whose filter
// takes only verification.decided still gets what changes a decision once
// made (here a reset), so that the last message it gets carries the
// verification as it is, not the approval the reset undid. Events before a
// decision stay out.
func TestForward_DecisionFilterFollowsTheDecision(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []delivery.Envelope
		done = make(chan struct{}, 16)
	)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env delivery.Envelope
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			t.Errorf("decode envelope: %v", err)
		}
		mu.Lock()
		got = append(got, env)
		mu.Unlock()
		done <- struct{}{}
	}))
	defer dest.Close()
	url, _ := startApp(t, fmt.Sprintf("destinations:\n  - {name: app, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", filter: {types: [verification.decided]}}\n", dest.URL))
	postSumsub(t, url, `{"applicantId":"app-9","correlationId":"c1","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:00.000"}`)
	postSumsub(t, url, `{"applicantId":"app-9","correlationId":"c2","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:05:00.000"}`)
	postSumsub(t, url, `{"applicantId":"app-9","correlationId":"c3","type":"applicantReset","reviewStatus":"init","createdAtMs":"2026-11-22 10:09:00.000"}`)
	for range 2 {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("the destination did not get two messages")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Type != kycgate.EventDecided || got[1].Type != kycgate.EventReset {
		t.Fatalf("the destination got %d messages, want the decision then the reset: %+v", len(got), got)
	}
	if last := got[1].Verification; last.Status != kycgate.StatusPending || last.Decision != "" {
		t.Errorf("the last message says %s %q, want pending without a decision", last.Status, last.Decision)
	}
}

// TestCLI_ReplayWithoutDestinations: replaying an event on a gateway with
// no destinations says to configure one.
func TestCLI_ReplayWithoutDestinations(t *testing.T) {
	url, _ := startApp(t)
	if code, errOut := replayOnlyEvent(t, url); code != 1 || !strings.Contains(errOut, "no destinations are configured: add one under destinations") {
		t.Errorf("replay without destinations: exit %d %s", code, errOut)
	}
}

// replayOnlyEvent stores one webhook at the gateway at url and replays it
// with kycgate events replay, as a user would find it: from events list.
func replayOnlyEvent(t *testing.T, url string) (int, string) {
	t.Helper()
	postSumsub(t, url, `{"applicantId":"app-6","correlationId":"c6","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:00.000"}`)
	conn := []string{"--server", url, "--token", cliToken}
	_, out, _ := cli(t, append([]string{"events", "list"}, conn...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("events list:\n%s", out)
	}
	code, _, errOut := cli(t, append([]string{"events", "replay", strings.Fields(lines[1])[0]}, conn...)...)
	return code, errOut
}
