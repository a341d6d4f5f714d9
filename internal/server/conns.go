package server

import (
	"net"
	"net/http"
	"sync"
)

// connLimit keeps at most max connections open. Past it, a new connection
// takes the place of the connection idle the longest (a kept-alive one
// between requests), which is closed: reopening costs its client one
// handshake, while the new connection may be a provider's webhook. Only
// while every connection is busy with a request does a new one wait, and
// then for the first to finish. So idle connections, however many a client
// leaves open, never lock anyone out.
type connLimit struct {
	max int

	mu    sync.Mutex
	freed *sync.Cond
	open  int
	idle  map[*limitedConn]uint64 // idle connections, by when they became idle
	clock uint64                  // orders idleness without reading the wall clock
}

func newConnLimit(max int) *connLimit {
	l := &connLimit{max: max, idle: map[*limitedConn]uint64{}}
	l.freed = sync.NewCond(&l.mu)
	return l
}

// listener wraps ln so that what it accepts counts against the limit.
func (l *connLimit) listener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, limit: l}
}

// connState is the http.Server's ConnState hook: it tells idle connections
// from busy ones.
func (l *connLimit) connState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle && !lc.closed {
		l.clock++
		l.idle[lc] = l.clock
		l.freed.Signal() // a waiting connection may take its place
		return
	}
	delete(l.idle, lc)
}

// admit waits for a free place, closing idle connections to make one.
func (l *connLimit) admit() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.open >= l.max {
		if victim := l.oldestIdle(); victim != nil {
			delete(l.idle, victim)
			l.mu.Unlock()
			victim.Close() // frees its place
			l.mu.Lock()
			continue
		}
		l.freed.Wait()
	}
	l.open++
}

func (l *connLimit) oldestIdle() *limitedConn {
	var oldest *limitedConn
	var since uint64
	for c, at := range l.idle {
		if oldest == nil || at < since {
			oldest, since = c, at
		}
	}
	return oldest
}

func (l *connLimit) release(c *limitedConn) {
	l.mu.Lock()
	delete(l.idle, c)
	l.open--
	l.mu.Unlock()
	l.freed.Signal()
}

type limitedListener struct {
	net.Listener
	limit *connLimit
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	c, err := ln.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ln.limit.admit()
	return &limitedConn{Conn: c, limit: ln.limit}, nil
}

type limitedConn struct {
	net.Conn
	limit  *connLimit
	once   sync.Once
	closed bool // guarded by limit.mu
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.limit.mu.Lock()
		c.closed = true
		c.limit.mu.Unlock()
		c.limit.release(c)
	})
	return err
}
