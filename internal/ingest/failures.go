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

// failureLimiter counts failed authentications per client address with a
// token bucket of failureBurst tokens refilled over failureWindow.
type failureLimiter struct {
	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter() *failureLimiter {
	return &failureLimiter{buckets: map[netip.Addr]*bucket{}}
}

func (l *failureLimiter) refill(b *bucket, now time.Time) {
	b.tokens = min(failureBurst, b.tokens+now.Sub(b.at).Seconds()*failureBurst/failureWindow.Seconds())
	b.at = now
}

// allow reports whether ip may still try: it has failed less than the
// limit allows.
func (l *failureLimiter) allow(ip netip.Addr, now time.Time) bool {
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

// failed records a failed authentication from ip.
func (l *failureLimiter) failed(ip netip.Addr, now time.Time) {
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
