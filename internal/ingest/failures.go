package ingest

import (
	"net/netip"
	"sync"
	"time"
)

// Failed authentications allowed per source and client address: a burst,
// then a steady rate. Past it the address is answered 429 without any
// work, so that a flood of forged requests cannot crowd out the provider,
// whose own requests authenticate and are never counted.
const (
	failureBurst  = 20
	failureWindow = time.Minute // the burst refills over this window
	maxTracked    = 10_000      // addresses tracked per source at most
)

// FailureLimiter counts failed authentications per client address with a
// token bucket of failureBurst tokens refilled over failureWindow.
type FailureLimiter struct {
	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewFailureLimiter returns a limiter that tracks no address yet.
func NewFailureLimiter() *FailureLimiter {
	return &FailureLimiter{buckets: map[netip.Addr]*bucket{}}
}

func (l *FailureLimiter) refill(b *bucket, now time.Time) {
	b.tokens = min(failureBurst, b.tokens+now.Sub(b.at).Seconds()*failureBurst/failureWindow.Seconds())
	b.at = now
}

// Allow reports whether ip may still try: it has failed less than the
// limit allows.
func (l *FailureLimiter) Allow(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		return true
	}
	l.refill(b, now)
	if b.tokens >= failureBurst {
		delete(l.buckets, ip) // fully recovered: stop tracking it
		return true
	}
	return b.tokens >= 1
}

// Failed records a failed authentication from ip.
func (l *FailureLimiter) Failed(ip netip.Addr, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= maxTracked {
			// Many addresses at once: forget the ones that recovered the most.
			for k, v := range l.buckets {
				if l.refill(v, now); v.tokens > failureBurst/2 {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: failureBurst, at: now}
		l.buckets[ip] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}
