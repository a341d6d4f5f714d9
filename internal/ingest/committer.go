package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/batch"
)

// EventCreator is the part of the store ingest writes to.
type EventCreator interface {
	CreateEvents(ctx context.Context, events []*kycgate.Event) ([]kycgate.Receipt, error)
}

// Committer batches concurrent requests into one store transaction (group
// commit): while one batch commits, the next queues, so a durable
// acknowledgement costs one fsync per batch instead of one per request. A
// caller's Commit returns only once its event is committed or refused.
type Committer struct {
	store    EventCreator
	maxBatch int
	timeout  time.Duration
	log      *slog.Logger
	metrics  *Metrics
	onCommit func() // called after each successful commit, e.g. to wake the forwarder

	mu     sync.RWMutex // held for reading while sending to queue; Close takes it for writing
	closed bool
	queue  chan *pending
	done   chan struct{}
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
		queue:    make(chan *pending, maxBatch),
		done:     make(chan struct{}),
	}
	go c.run()
	return c
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
	case c.queue <- p:
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
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.done
}

func (c *Committer) run() {
	defer close(c.done)
	batch.Run(c.queue, c.maxBatch, c.commit)
}

func (c *Committer) commit(batch []*pending) {
	err := c.commitBatch(batch)
	if err == nil || len(batch) == 1 || errors.Is(err, context.DeadlineExceeded) {
		if err != nil {
			for _, p := range batch {
				p.out <- result{err: err}
			}
		}
		return
	}
	// One event may be what the store refuses: commit each alone, so that
	// it cannot hold the others back.
	c.log.Warn("batch commit failed; committing its events one by one", "events", len(batch), "err", err)
	for _, p := range batch {
		if err := c.commitBatch([]*pending{p}); err != nil {
			p.out <- result{err: err}
		}
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

// Queued returns how many events wait for the next batch.
func (c *Committer) Queued() int { return len(c.queue) }
