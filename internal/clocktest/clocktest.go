// Package clocktest gives tests a clock they move forward, so that hours or
// days pass between two steps of a test without waiting for them.
package clocktest

import (
	"sync"
	"time"
)

// Ahead is the wall clock moved forward by what the test has advanced it;
// safe for concurrent use. The zero Ahead is the wall clock.
type Ahead struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall clock's time plus the advance so far.
func (c *Ahead) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Ahead) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
