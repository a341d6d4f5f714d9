package batch_test

import (
	"slices"
	"testing"

	"github.com/kycgate/kycgate/internal/batch"
)

// TestRun: what queued while a batch committed makes the next batch, up to
// max; every item is committed once, in order, and Run returns once the
// queue is closed and drained.
func TestRun(t *testing.T) {
	queue := make(chan int, 10)
	queue <- 0
	var got [][]int
	first := true
	batch.Run(queue, 4, func(b []int) {
		got = append(got, slices.Clone(b))
		if first { // while the first batch commits, seven more arrive
			first = false
			for i := 1; i <= 7; i++ {
				queue <- i
			}
			close(queue)
		}
	})
	want := [][]int{{0}, {1, 2, 3, 4}, {5, 6, 7}}
	if len(got) != len(want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("batches %v, want %v", got, want)
		}
	}
}
