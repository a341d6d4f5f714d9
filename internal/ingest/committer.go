package ingest

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/batch"
	"github.com/kycgate/kycgate/internal/provider"
)

// EventCreator is the part of the store ingest writes to.
type EventCreator interface {
	CreateEvents(ctx context.Context, events []*kycgate.Event) ([]kycgate.Receipt, error)
}

// concurrentWriter is a store whose transactions commit side by side (a
// database server, where a commit is mostly a wait for a round trip and
// the server's own sync); ConcurrentWrites says how many batches are worth
// keeping in flight.
type concurrentWriter interface {
	ConcurrentWrites() int
}

// Committer batches concurrent requests into one store transaction (group
// commit): while one batch commits, the next queues, so a durable
// acknowledgement costs one fsync per batch instead of one per request. A
// caller's Commit returns only once its event is committed or refused.
//
// In front of a store that commits several transactions at once, it keeps
// that many batches in flight, each from a lane of its own: an event's lane
// is chosen by its verification, so that the events of one verification
// still commit one batch after another, in the order they came.
type Committer struct {
	store    EventCreator
	maxBatch int
	timeout  time.Duration
	log      *slog.Logger
	metrics  *Metrics
	onCommit func() // called after each successful commit, e.g. to wake the forwarder

	mu     sync.RWMutex // held for reading while sending to a lane; Close takes it for writing
	closed bool
	lanes  []chan *pending
	done   sync.WaitGroup
}

type pending struct {
	ev  *kycgate.Event
	out chan result
}

type result struct {
	receipt kycgate.Receipt
	err     error
}

var errClosed = kycgate.Errorf(kycgate.EUNAVAILABLE, "shutting down")

// NewCommitter starts a committer in front of store. Each batch holds at most
// maxBatch events and must commit within timeout.
func NewCommitter(store EventCreator, maxBatch int, timeout time.Duration, log *slog.Logger, m *Metrics) *Committer {
	return NewCommitterNotifying(store, maxBatch, timeout, log, m, nil)
}

// NewCommitterNotifying is NewCommitter that calls onCommit after each
// successful commit.
func NewCommitterNotifying(store EventCreator, maxBatch int, timeout time.Duration, log *slog.Logger, m *Metrics, onCommit func()) *Committer {
	c := &Committer{
		onCommit: onCommit,
		store:    store,
		maxBatch: maxBatch,
		timeout:  timeout,
		log:      log,
		metrics:  m,
	}
	n := 1
	if w, ok := store.(concurrentWriter); ok {
		n = max(1, w.ConcurrentWrites())
	}
	for range n {
		lane := make(chan *pending, maxBatch)
		c.lanes = append(c.lanes, lane)
		c.done.Go(func() { batch.Run(lane, c.maxBatch, c.commit) })
	}
	return c
}

// lane returns the lane of ev: the same for every event of a verification,
// and for every delivery of a body no verification is read from.
func (c *Committer) lane(ev *kycgate.Event) chan *pending {
	if len(c.lanes) == 1 {
		return c.lanes[0]
	}
	h := fnv.New32a()
	h.Write([]byte(ev.Source))
	h.Write([]byte{0})
	if ev.VerificationID != "" {
		h.Write([]byte(ev.VerificationID))
	} else {
		h.Write([]byte(ev.DedupKey))
	}
	return c.lanes[h.Sum32()%uint32(len(c.lanes))]
}

// Commit stores ev durably and returns its receipt. When ctx ends first the
// event may still be committed; the caller simply does not acknowledge it,
// and the provider's retry is then recognised as a duplicate.
func (c *Committer) Commit(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error) {
	p := &pending{ev: ev, out: make(chan result, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return kycgate.Receipt{}, errClosed
	}
	select {
	case c.lane(ev) <- p:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return kycgate.Receipt{}, ctx.Err()
	}
	select {
	case r := <-p.out:
		return r.receipt, r.err
	case <-ctx.Done():
		return kycgate.Receipt{}, ctx.Err()
	}
}

// Close stops accepting events, commits what is queued and returns when done.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		for _, lane := range c.lanes {
			close(lane)
		}
	}
	c.mu.Unlock()
	c.done.Wait()
}

func (c *Committer) commit(batch []*pending) {
	err := c.commitBatch(batch)
	switch {
	case err == nil:
		return
	case transient(err):
		for _, p := range batch {
			p.out <- result{err: err}
		}
		return
	case len(batch) == 1:
		c.keepRaw(batch[0], err)
		return
	}
	// The store refuses what one event holds: commit each alone, so that it
	// cannot hold the others back.
	c.log.Warn("the store refused a batch; committing its events one by one", "events", len(batch), "err", err)
	for _, p := range batch {
		if err := c.commitBatch([]*pending{p}); err != nil {
			if transient(err) {
				p.out <- result{err: err}
			} else {
				c.keepRaw(p, err)
			}
		}
	}
}

// transient reports whether a failed commit may succeed when retried.
func transient(err error) bool {
	return kycgate.ErrorCode(err) == kycgate.EUNAVAILABLE || errors.Is(err, context.DeadlineExceeded)
}

// keepRaw commits what the store refused as an event kycgate does not
// understand: the raw request, flagged unstorable, so that an authentic
// webhook is never lost to a value no column can hold.
func (c *Committer) keepRaw(p *pending, refused error) {
	c.log.Error("the store refused an event's values; keeping its raw body flagged unstorable",
		"event_id", p.ev.ID, "source", p.ev.Source, "err", refused)
	*p.ev = *Unstorable(p.ev, refused)
	if err := c.commitBatch([]*pending{p}); err != nil {
		p.out <- result{err: err}
	}
}

// Unstorable returns what is kept of ev when the store refuses the values
// read from it: its raw request and arrival, flagged, without identity or
// meaning, keyed by its bytes so that the provider's retries of it are
// recognised.
func Unstorable(ev *kycgate.Event, refused error) *kycgate.Event {
	return &kycgate.Event{
		ID:         ev.ID,
		Source:     ev.Source,
		Provider:   ev.Provider,
		Identity:   kycgate.Identity{DedupKey: provider.RawKey(ev.Body)},
		ReceivedAt: ev.ReceivedAt,
		RemoteIP:   ev.RemoteIP,
		Header:     ev.Header,
		Body:       ev.Body,
		Flag:       kycgate.FlagUnstorable,
		FlagDetail: "the store refused the values read from it (" + refusal(refused) + "); the raw body is kept for reprocessing",
	}
}

// refusal is the innermost reason of err, which names the database's
// complaint and not the values.
func refusal(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// commitBatch commits the batch and answers every caller on success.
func (c *Committer) commitBatch(batch []*pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	events := make([]*kycgate.Event, len(batch))
	for i, p := range batch {
		events[i] = p.ev
	}
	start := time.Now()
	receipts, err := c.store.CreateEvents(ctx, events)
	c.metrics.observeCommit(len(batch), time.Since(start), err)
	if err != nil {
		c.log.Error("commit failed", "events", len(batch), "err", err)
		// The store classifies its errors; anything else is taken as passing.
		var app *kycgate.Error
		if errors.As(err, &app) && !transient(err) {
			return kycgate.WrapError(kycgate.EINTERNAL, err, "the store refused the event")
		}
		return kycgate.WrapError(kycgate.EUNAVAILABLE, err, "store cannot commit; retry later")
	}
	for i, p := range batch {
		p.out <- result{receipt: receipts[i]}
	}
	if c.onCommit != nil {
		c.onCommit()
	}
	return nil
}

// Queued returns how many events wait for the next batch of their lane.
func (c *Committer) Queued() int {
	n := 0
	for _, lane := range c.lanes {
		n += len(lane)
	}
	return n
}
