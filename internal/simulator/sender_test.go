package simulator_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/simulator"
)

// TestSender_Refused: a receiver that refuses the sender (403) or its
// credentials (401) stops the run at the first delivery, which is not
// retried, and the error carries the receiver's answer.
func TestSender_Refused(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var requests atomic.Int64
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				http.Error(w, "client 127.0.0.1 not allowed", status)
			}))
			defer ts.Close()
			journeys, err := simulator.NewJourneys(simulator.Options{Provider: "metamap", Count: 5, Rand: rand.New(rand.NewPCG(1, 2)), Creds: simulator.Credentials{Secret: "s"}})
			if err != nil {
				t.Fatal(err)
			}
			var retries atomic.Int64
			s := &simulator.Sender{URL: ts.URL, Concurrency: 1, OnRetry: func(simulator.Retry) { retries.Add(1) }}
			sum, err := s.Run(context.Background(), "metamap", journeys)
			var refused *simulator.RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("Run: %v, want a *RefusedError", err)
			}
			if refused.Status != status || refused.VerificationID != journeys[0].VerificationID || refused.Event == "" || !strings.Contains(refused.Reason, "client 127.0.0.1 not allowed") {
				t.Errorf("refusal %+v", refused)
			}
			if requests.Load() != 1 || retries.Load() != 0 || sum.Sent != 1 || sum.Rejected[status] != 1 {
				t.Errorf("%d requests, %d retries, summary %+v; want the run to stop at the first", requests.Load(), retries.Load(), sum)
			}
		})
	}
}

// TestSender_SignsEachAttempt: with Creds, every attempt is signed when it
// is sent, not when the journey was built: journeys signed with a retired
// secret are accepted by a receiver that checks the current one.
func TestSender_SignsEachAttempt(t *testing.T) {
	const current = "current-secret"
	a, _ := registry.Lookup("sumsub")
	p, err := a.New(provider.Config{Secrets: []string{current}})
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if p.Authenticate(r.Header, body) != nil {
			refused.Add(1)
			http.Error(w, "signature does not match", http.StatusUnauthorized)
		}
	}))
	defer ts.Close()
	journeys, err := simulator.NewJourneys(simulator.Options{Provider: "sumsub", Count: 2, Rand: rand.New(rand.NewPCG(1, 2)), Creds: simulator.Credentials{Secret: "retired-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &simulator.Sender{URL: ts.URL, Concurrency: 1, Creds: &simulator.Credentials{Secret: current}}
	if sum, err := s.Run(context.Background(), "sumsub", journeys); err != nil || refused.Load() != 0 || sum.Accepted != sum.Sent {
		t.Fatalf("Run: %v, %d refused, %+v", err, refused.Load(), sum)
	}
	// Without Creds, the signatures the journeys were built with go out.
	s = &simulator.Sender{URL: ts.URL, Concurrency: 1}
	var refusal *simulator.RefusedError
	if _, err := s.Run(context.Background(), "sumsub", journeys); !errors.As(err, &refusal) {
		t.Fatalf("Run without Creds: %v, want the retired signature refused", err)
	}
}
