package ingest

import (
	"net/netip"
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	l := NewFailureLimiter()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	forger, provider := netip.MustParseAddr("198.51.100.66"), netip.MustParseAddr("203.0.113.7")
	for i := range failureBurst {
		if !l.Allow(forger, now) {
			t.Fatalf("refused after %d failures, the burst is %d", i, failureBurst)
		}
		l.Failed(forger, now)
	}
	if l.Allow(forger, now) {
		t.Fatal("allowed past the burst")
	}
	if !l.Allow(provider, now) {
		t.Fatal("another address was refused")
	}
	// The bucket refills over the window: one try after 3 seconds.
	if !l.Allow(forger, now.Add(failureWindow/failureBurst+time.Millisecond)) {
		t.Error("no try after a refill")
	}
	if !l.Allow(forger, now.Add(2*failureWindow)) {
		t.Error("still refused after the window")
	}
	if len(l.buckets) != 0 {
		t.Errorf("a recovered address is still tracked: %d", len(l.buckets))
	}
}
