package delivery

import (
	"context"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/batch"
)

// recorder writes the outcomes of concurrent sends in batches, one
// transaction each, as ingest's committer does for events: a store with one
// writer then spends one commit, and one fsync, per batch instead of one per
// delivery. A send waits for its outcome to be recorded before its slot is
// refilled, so that the next delivery of the verification is claimed only
// after this one is recorded.
type recorder struct {
	store   completer
	timeout time.Duration
	queue   chan recording
	stopped chan struct{}
}

type recording struct {
	c    kycgate.Completion
	done chan error
}

// maxRecordBatch bounds one transaction of outcomes.
const maxRecordBatch = 256

// completer is the part of the store the recorder writes to.
type completer interface {
	CompleteDeliveries(ctx context.Context, cs []kycgate.Completion) error
}

func startRecorder(store completer) *recorder {
	r := &recorder{store: store, timeout: 30 * time.Second, queue: make(chan recording, maxRecordBatch), stopped: make(chan struct{})}
	go r.run()
	return r
}

// record stores c with others queued at the same time, and returns when
// it is committed or refused.
func (r *recorder) record(c kycgate.Completion) error {
	done := make(chan error, 1)
	r.queue <- recording{c, done}
	return <-done
}

// stop returns once every outcome queued is recorded; record may not be
// called after.
func (r *recorder) stop() {
	close(r.queue)
	<-r.stopped
}

func (r *recorder) run() {
	defer close(r.stopped)
	cs := make([]kycgate.Completion, 0, maxRecordBatch)
	batch.Run(r.queue, maxRecordBatch, func(b []recording) {
		cs = cs[:0]
		for _, q := range b {
			cs = append(cs, q.c)
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		err := r.store.CompleteDeliveries(ctx, cs)
		cancel()
		for _, q := range b {
			q.done <- err
		}
	})
}
