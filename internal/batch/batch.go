// Package batch is group commit's loop: one writer takes, each time, the
// first item to arrive and whatever else queued while it was busy with the
// previous batch, so that a durable write costs one commit per batch
// instead of one per item, with no wait when there is no queue.
package batch

// Run calls commit with each batch taken from queue, of at most max items,
// until queue is closed and drained. The slice is reused: commit must not
// keep it.
func Run[T any](queue <-chan T, max int, commit func([]T)) {
	b := make([]T, 0, max)
	for first := range queue {
		b = append(b[:0], first)
	drain: // take whatever queued while the previous batch committed
		for len(b) < max {
			select {
			case q, ok := <-queue:
				if !ok {
					break drain
				}
				b = append(b, q)
			default:
				break drain
			}
		}
		commit(b)
	}
}
