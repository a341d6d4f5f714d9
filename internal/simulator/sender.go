package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
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
	// Creds, when set, sign every attempt afresh, as providers do: a
	// signature that covers a time then stays within the receiver's
	// tolerance however late the retry. Nil sends the signatures the
	// journeys were built with.
	Creds *Credentials
	// Progress, when set, is called with the running totals after each
	// delivery settles, and OnRetry before each wait for a retry, so that
	// a long run can show where it is. Neither may block for long.
	Progress func(Summary)
	OnRetry  func(Retry)
}

// Retry is a delivery that failed and will be sent again after Wait.
type Retry struct {
	Event          string // the provider's event name
	VerificationID string
	Status         int    // the answer's HTTP status; 0 for no answer
	Reason         string // the answer's status line and body, or the transport error
	Attempt        int    // retries so far, this one included
	Of             int    // retries the provider makes at most
	Wait           time.Duration
}

// RefusedError reports a receiver that refused a delivery's credentials
// (401), its sender (403), or has nothing at its URL (404). A provider
// would retry it on its schedule, for up to a day; for whoever runs the
// simulator it is a configuration mistake, so the run stops at the first
// one.
type RefusedError struct {
	URL            string
	Provider       string
	Event          string
	VerificationID string
	Status         int
	Reason         string // the answer's status line and body
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused the %s webhook %s of verification %s: %s", e.URL, e.Provider, e.Event, e.VerificationID, e.Reason)
}

// Total is the number of deliveries the journeys hold, before duplicates.
func Total(journeys []Journey) int {
	n := 0
	for _, j := range journeys {
		n += len(j.Deliveries)
	}
	return n
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

// Refused is how many deliveries were given up on, whatever the status.
func (s Summary) Refused() int {
	n := 0
	for _, v := range s.Rejected {
		n += v
	}
	return n
}

// Run sends every journey, at most Concurrency at a time, and returns what
// happened. It stops early when ctx ends, and at the first delivery the
// receiver refuses with 401, 403 or 404, returning a *RefusedError.
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		sum     = Summary{Journeys: len(journeys), Rejected: map[int]int{}}
		refused *RefusedError
		wg      sync.WaitGroup
	)
	settled := func(d Summary, err error) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(d)
		var re *RefusedError
		if errors.As(err, &re) && refused == nil {
			re.URL, re.Provider = s.URL, provider
			refused = re
			cancel()
		}
		if s.Progress != nil {
			s.Progress(sum.clone())
		}
	}
	work := make(chan int)
	for w := range conc {
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for i := range work {
				s.sendJourney(ctx, client, limiter, r, provider, journeys[i], settled)
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
	if refused != nil {
		return sum, refused
	}
	return sum, ctx.Err()
}

func (s Summary) clone() Summary {
	s.Rejected = maps.Clone(s.Rejected)
	return s
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

// sendJourney sends one journey's deliveries, reporting each to settled as
// it ends, until they are all sent or ctx ends.
func (s *Sender) sendJourney(ctx context.Context, client *http.Client, limiter *rate.Limiter, r *rand.Rand, provider string, j Journey, settled func(Summary, error)) {
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
				return
			}
			dup, retries, status, err := s.deliver(ctx, client, provider, j, j.Deliveries[i])
			var refused *RefusedError
			if err != nil && ctx.Err() != nil && !errors.As(err, &refused) {
				return // cut short by the end of the run: neither sent nor refused
			}
			sum := Summary{Sent: 1, Retries: retries, Rejected: map[int]int{}}
			switch {
			case err != nil:
				sum.Rejected[status]++
			case dup:
				sum.Duplicates++
			default:
				sum.Accepted++
			}
			settled(sum, err)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// deliver sends one delivery and retries it on the provider's schedule until
// it is answered 2xx or the schedule runs out. A 401 or 403 is not retried:
// it returns a *RefusedError.
func (s *Sender) deliver(ctx context.Context, client *http.Client, provider string, j Journey, d Delivery) (duplicate bool, retries, status int, err error) {
	schedule := RetrySchedule(provider)
	for attempt := 0; ; attempt++ {
		if s.Creds != nil {
			d.Header = d.Header.Clone()
			if err := providers[provider].Sign(*s.Creds, &d); err != nil {
				return false, attempt, 0, fmt.Errorf("simulator: sign %s: %w", d.Event, err)
			}
		}
		var reason string
		duplicate, status, reason, err = s.post(ctx, client, d)
		if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound {
			return false, attempt, status, &RefusedError{Event: d.Event, VerificationID: j.VerificationID, Status: status, Reason: reason}
		}
		if err == nil || attempt == len(schedule) || ctx.Err() != nil {
			return duplicate, attempt, status, err
		}
		wait := time.Duration(float64(schedule[attempt]) * s.TimeScale)
		if s.OnRetry != nil {
			s.OnRetry(Retry{Event: d.Event, VerificationID: j.VerificationID, Status: status, Reason: reason, Attempt: attempt + 1, Of: len(schedule), Wait: wait})
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return false, attempt, status, ctx.Err()
		}
	}
}

var errStatus = errors.New("not accepted")

// post sends d once. A failure's reason is the answer's status line and the
// start of its body, or the transport error.
func (s *Sender) post(ctx context.Context, client *http.Client, d Delivery) (duplicate bool, status int, reason string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(d.Body))
	if err != nil {
		return false, 0, err.Error(), err
	}
	req.Header = d.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return false, 0, err.Error(), err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		reason = "HTTP " + resp.Status
		if b := strings.TrimSpace(string(body)); b != "" {
			if len(b) > 500 {
				b = b[:500] + "…"
			}
			reason += ": " + b
		}
		return false, resp.StatusCode, reason, fmt.Errorf("%w: %s", errStatus, resp.Status)
	}
	var answer struct {
		Duplicate bool `json:"duplicate"`
	}
	_ = json.Unmarshal(body, &answer) // a receiver other than kycgate may answer anything
	return answer.Duplicate, resp.StatusCode, "", nil
}
