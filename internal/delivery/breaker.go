package delivery

import (
	"sync"
	"time"
)

// breaker pauses a destination that keeps failing, so that it does not take
// the workers' time from the others, and lets one probe through after a
// cool-down: a success closes it, a failure doubles the cool-down.
type breaker struct {
	threshold   int
	minCooldown time.Duration
	maxCooldown time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	cooldown  time.Duration
}

// allow reports whether the destination may be sent to now, and whether
// the next send is a probe (send just one).
func (b *breaker) allow(now time.Time) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true, false
	}
	return !now.Before(b.openUntil), true
}

func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.cooldown = 0, 0
}

func (b *breaker) failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.failures < b.threshold {
		return
	}
	if b.cooldown == 0 {
		b.cooldown = b.minCooldown
	} else {
		b.cooldown = min(2*b.cooldown, b.maxCooldown)
	}
	b.openUntil = now.Add(b.cooldown)
}

// state returns "closed", or "open" until when.
func (b *breaker) state() (string, time.Time, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return "closed", time.Time{}, b.failures
	}
	return "open", b.openUntil, b.failures
}
