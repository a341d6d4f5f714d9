package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sender delivers journeys to a receiver the way the provider would.
type Sender struct {
	URL         string       // the receiver's webhook URL for this provider's source
	Client      *http.Client // defaults to one with a 10-second timeout, as providers use
	Concurrency int          // journeys in flight at once (default 8)
	Rate        float64      // deliveries per second at most; 0 for no limit
	// Duplicates is the fraction of deliveries sent a second time, as a
	// provider's retry of an event whose answer it did not see.
	Duplicates float64
	// Shuffle delivers each journey's events in a random order, as retries
	// and parallel senders do.
	Shuffle bool
	// TimeScale multiplies the provider's retry schedule: 1 waits as the
	// provider does (minutes to hours), 0.001 turns minutes into tenths of
	// a second.
	TimeScale float64
	Rand      *rand.Rand
}

// Summary counts what a run did.
type Summary struct {
	Journeys   int         `json:"journeys"`
	Sent       int         `json:"sent"`       // deliveries, duplicates included, each counted once however often retried
	Accepted   int         `json:"accepted"`   // answered 2xx as new
	Duplicates int         `json:"duplicates"` // answered 2xx as a duplicate
	Retries    int         `json:"retries"`    // further attempts after a failure
	Rejected   map[int]int `json:"rejected"`   // deliveries given up on, by the last status (0: no answer)
}

// Run sends every journey, at most Concurrency at a time, and returns what
// happened. It stops early when ctx ends.
func (s *Sender) Run(ctx context.Context, provider string, journeys []Journey) (Summary, error) {
	if _, ok := providers[provider]; !ok {
		return Summary{}, fmt.Errorf("simulator: unknown provider %q", provider)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	conc := max(1, s.Concurrency)
	if s.Concurrency == 0 {
		conc = 8
	}
	limiter := rate.NewLimiter(rate.Inf, 1)
	if s.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(s.Rate), 1)
	}
	seed := uint64(time.Now().UnixNano())
	if s.Rand != nil {
		seed = s.Rand.Uint64()
	}
	var (
		mu  sync.Mutex
		sum = Summary{Journeys: len(journeys), Rejected: map[int]int{}}
		wg  sync.WaitGroup
	)
	work := make(chan int)
	for w := range conc {
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for i := range work {
				local := s.sendJourney(ctx, client, limiter, r, provider, journeys[i])
				mu.Lock()
				sum.add(local)
				mu.Unlock()
			}
		})
	}
feed:
	for i := range journeys {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return sum, ctx.Err()
}

func (s *Summary) add(o Summary) {
	s.Sent += o.Sent
	s.Accepted += o.Accepted
	s.Duplicates += o.Duplicates
	s.Retries += o.Retries
	for k, v := range o.Rejected {
		s.Rejected[k] += v
	}
}

func (s *Sender) sendJourney(ctx context.Context, client *http.Client, limiter *rate.Limiter, r *rand.Rand, provider string, j Journey) Summary {
	sum := Summary{Rejected: map[int]int{}}
	order := make([]int, len(j.Deliveries))
	for i := range order {
		order[i] = i
	}
	if s.Shuffle {
		r.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	}
	for _, i := range order {
		copies := 1
		if s.Duplicates > 0 && r.Float64() < s.Duplicates {
			copies = 2
		}
		for range copies {
			if err := limiter.Wait(ctx); err != nil {
				return sum
			}
			sum.Sent++
			dup, retries, status, err := s.deliver(ctx, client, provider, j.Deliveries[i])
			sum.Retries += retries
			switch {
			case err != nil:
				sum.Rejected[status]++
			case dup:
				sum.Duplicates++
			default:
				sum.Accepted++
			}
		}
	}
	return sum
}

// deliver sends one delivery and retries it on the provider's schedule until
// it is answered 2xx or the schedule runs out.
func (s *Sender) deliver(ctx context.Context, client *http.Client, provider string, d Delivery) (duplicate bool, retries, status int, err error) {
	schedule := providers[provider].retries
	for attempt := 0; ; attempt++ {
		duplicate, status, err = s.post(ctx, client, d)
		if err == nil || attempt == len(schedule) || ctx.Err() != nil {
			return duplicate, attempt, status, err
		}
		wait := time.Duration(float64(schedule[attempt]) * s.TimeScale)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return false, attempt, status, ctx.Err()
		}
	}
}

var errStatus = errors.New("not accepted")

func (s *Sender) post(ctx context.Context, client *http.Client, d Delivery) (duplicate bool, status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(d.Body))
	if err != nil {
		return false, 0, err
	}
	req.Header = d.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return false, 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return false, resp.StatusCode, fmt.Errorf("%w: %s", errStatus, resp.Status)
	}
	var answer struct {
		Duplicate bool `json:"duplicate"`
	}
	_ = json.Unmarshal(body, &answer) // a receiver other than kycgate may answer anything
	return answer.Duplicate, resp.StatusCode, nil
}
