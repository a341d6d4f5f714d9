// Package fetch fetches each verification's full document from its
// provider's API once a webhook makes it worth having (a decision, a change
// after one) or someone asks for it. The document is stored as a
// verification.enriched event in the verification's log, so it is purged
// like any raw body, forwarded like any event, and the verification stays a
// function of its log.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// ProviderEvent is the provider event name of a fetched document.
const ProviderEvent = "kycgate.provider_data_fetched"

// HeaderFetchedFrom, stored with a fetched document, says what was asked
// of the provider's API (the method and URL, never credentials).
const HeaderFetchedFrom = "Kycgate-Fetched-From"

// Store is what the fetcher needs of the store.
type Store interface {
	ClaimFetches(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]*kycgate.Fetch, error)
	CompleteFetch(ctx context.Context, f *kycgate.Fetch, o kycgate.FetchOutcome) error
	FindVerification(ctx context.Context, source, id string) (*kycgate.Verification, error)
}

// Recorder records the document as an event (a record.Recorder): it routes
// it and commits it.
type Recorder interface {
	Record(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error)
}

// Source is one configured source whose provider's API kycgate fetches from.
type Source struct {
	Name     string
	Provider string
	API      provider.API
	Parse    func(doc []byte) (kycgate.Change, error)
	Timeout  time.Duration // one call
	Limiter  *rate.Limiter // the least time between two calls; nil for none
}

// DefaultTimeout bounds one call when a source's options name no timeout.
const DefaultTimeout = 30 * time.Second

// SourceOptions configure one source that fetches from its provider's API.
type SourceOptions struct {
	Name     string
	Provider string             // a provider the registry lists, with an API
	API      provider.APIConfig // base URL and credential keys
	Timeout  time.Duration      // one call; DefaultTimeout when zero
	// MinInterval is the least time between two calls; none when zero.
	MinInterval time.Duration
}

// NewSources builds the fetching sources; now is the clock of a provider
// whose requests carry a timestamp.
func NewSources(opts []SourceOptions, now func() time.Time) ([]*Source, error) {
	client := &http.Client{
		// Credentials go to the configured API only: a redirect elsewhere
		// is an answer, not a place to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var out []*Source
	for _, o := range opts {
		a, ok := registry.Lookup(o.Provider)
		if !ok || a.API == nil {
			return nil, fmt.Errorf("source %s: kycgate cannot fetch from %s's API", o.Name, o.Provider)
		}
		creds := o.API
		creds.Client, creds.Now = client, now
		api, err := a.API.New(creds)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", o.Name, err)
		}
		s := &Source{Name: o.Name, Provider: o.Provider, API: api, Parse: a.API.Parse, Timeout: o.Timeout}
		if s.Timeout <= 0 {
			s.Timeout = DefaultTimeout
		}
		if o.MinInterval > 0 {
			s.Limiter = rate.NewLimiter(rate.Every(o.MinInterval), 1)
		}
		out = append(out, s)
	}
	return out, nil
}

// Retry is how failed fetches are retried: the first retry waits up to
// Base, each further one up to twice as long, at most Max, and the fetch
// fails after Attempts attempts. A provider's Retry-After is honoured.
type Retry struct {
	Base, Max time.Duration
	Attempts  int
}

// DefaultRetry tries for about twenty minutes.
var DefaultRetry = Retry{Base: 5 * time.Second, Max: 10 * time.Minute, Attempts: 8}

// maxRetryAfter bounds how long a provider's Retry-After can hold a fetch.
const maxRetryAfter = time.Hour

// Options assemble a Fetcher.
type Options struct {
	Store      Store
	Sources    []*Source
	Recorder   Recorder // stores the documents as events
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Poll       time.Duration // how often to look for due retries (default 1s)
	Retry      Retry         // DefaultRetry when zero
}

// Fetcher runs a worker per source.
type Fetcher struct {
	Options
	wake    map[string]chan struct{}
	fetches *prometheus.CounterVec
}

// Fetch outcomes, as counted in kycgate_provider_fetches_total.
const (
	OutcomeFetched      = "fetched"      // a new document is stored
	OutcomeUnchanged    = "unchanged"    // the same document as the last one
	OutcomeRetried      = "retried"      // 429, 5xx or no answer: tried again later
	OutcomeUnauthorized = "unauthorized" // 401 or 403: the credentials are refused
	OutcomeNotFound     = "not_found"    // 404: the provider does not know it
	OutcomeFailed       = "failed"       // anything else, or out of attempts
)

// New returns a fetcher; Run starts it.
func New(o Options) *Fetcher {
	f := &Fetcher{Options: o, wake: map[string]chan struct{}{}}
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Poll <= 0 {
		f.Poll = time.Second
	}
	if f.Retry.Attempts <= 0 {
		f.Retry = DefaultRetry
	}
	for _, s := range f.Sources {
		f.wake[s.Name] = make(chan struct{}, 1)
	}
	f.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycgate_provider_fetches_total",
		Help: "Attempts to fetch a verification from its provider's API, by source and outcome.",
	}, []string{"source", "outcome"})
	if o.Registerer != nil {
		o.Registerer.MustRegister(f.fetches)
	}
	return f
}

// Wake tells the workers that fetches were requested.
func (f *Fetcher) Wake() {
	for _, w := range f.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Run fetches until ctx ends.
func (f *Fetcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range f.Sources {
		wg.Go(func() { f.loop(ctx, s) })
	}
	wg.Wait()
}

// claimBatch is how many due fetches a worker claims at once; it fetches
// them one after the other, within the provider's rate limit.
const claimBatch = 4

func (f *Fetcher) loop(ctx context.Context, s *Source) {
	tick := time.NewTicker(f.Poll)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			now := f.Now()
			jobs, err := f.Store.ClaimFetches(ctx, s.Name, now, f.lease(s, claimBatch), claimBatch)
			if err != nil {
				if ctx.Err() == nil {
					f.Logger.Warn("cannot claim provider fetches", "source", s.Name, "err", err)
				}
				break
			}
			for _, j := range jobs {
				f.fetch(ctx, s, j)
			}
			if len(jobs) < claimBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-f.wake[s.Name]:
		case <-tick.C:
		}
	}
}

// lease is how long n claimed fetches are held: long enough to fetch them
// one by one at the provider's pace.
func (f *Fetcher) lease(s *Source, n int) time.Duration {
	per := s.Timeout + 5*time.Second
	if s.Limiter != nil && s.Limiter.Limit() > 0 {
		per += time.Duration(float64(time.Second) / float64(s.Limiter.Limit()))
	}
	return time.Duration(n) * per
}

// fetch runs one job: it asks the provider's API, stores what it answered
// as an enriched event, and records the outcome. A job cut short by
// shutdown is left to its lease.
func (f *Fetcher) fetch(ctx context.Context, s *Source, j *kycgate.Fetch) {
	log := f.Logger.With("source", s.Name, "verification", j.VerificationID)
	v, err := f.Store.FindVerification(ctx, j.Source, j.VerificationID)
	switch {
	case kycgate.ErrorCode(err) == kycgate.ENOTFOUND:
		f.complete(ctx, j, kycgate.FetchOutcome{At: f.Now(), State: kycgate.FetchFailed, Error: "the verification is not stored"}, OutcomeFailed)
		return
	case err != nil:
		if ctx.Err() == nil { // else shutting down: the job is left to its lease
			log.Warn("cannot read the verification to fetch", "err", err)
		}
		return
	case v.Status == kycgate.StatusDeleted:
		f.complete(ctx, j, kycgate.FetchOutcome{At: f.Now(), State: kycgate.FetchFailed, Error: "the verification was erased"}, OutcomeFailed)
		return
	}
	if s.Limiter != nil {
		if err := s.Limiter.Wait(ctx); err != nil {
			return
		}
	}
	began := f.Now()
	callCtx, cancel := context.WithTimeout(ctx, s.Timeout)
	doc, err := s.API.Fetch(callCtx, v)
	cancel()
	if ctx.Err() != nil {
		return
	}
	now := f.Now()
	if err != nil {
		o, outcome := f.failure(j, err, now)
		switch outcome {
		case OutcomeRetried:
			log.Info("provider API call failed; retrying", "attempt", j.Attempts+1, "retry_at", o.RetryAt, "err", err)
		case OutcomeNotFound:
			// Expected of a verification erased at the provider before its
			// deletion webhook arrived; recorded on the verification and
			// counted in the metrics, where a misconfigured account shows.
			log.Info("provider API call failed", "outcome", outcome, "err", o.Error)
		default:
			log.Warn("provider API call failed", "outcome", outcome, "err", o.Error)
		}
		f.complete(ctx, j, o, outcome)
		return
	}
	ev := f.enrichedEvent(s, v, doc, began, now)
	receipt, err := f.Recorder.Record(ctx, ev)
	if err == nil && receipt.Duplicate && f.contradicts(ctx, ev) {
		// The same document is stored from an earlier fetch, but webhooks
		// since then say otherwise: store it again as of this fetch, so that
		// it settles the decision (docs/state.md).
		ev.ID, ev.DedupKey = kycgate.NewID("evt", now), ev.DedupKey+"|"+began.UTC().Format(time.RFC3339Nano)
		receipt, err = f.Recorder.Record(ctx, ev)
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("cannot store the fetched document; its lease will expire and it will be fetched again", "err", err)
		}
		return
	}
	o := kycgate.FetchOutcome{At: now, State: kycgate.FetchDone, StatusCode: http.StatusOK, EventID: receipt.ID}
	if ev.Flag != kycgate.FlagNone {
		o.Error = "stored, but not understood: " + ev.FlagDetail
		log.Warn("fetched a document kycgate does not understand; it is stored flagged", "event_id", receipt.ID, "detail", ev.FlagDetail)
	}
	outcome := OutcomeFetched
	if receipt.Duplicate {
		outcome = OutcomeUnchanged
	}
	f.complete(ctx, j, o, outcome)
}

func (f *Fetcher) complete(ctx context.Context, j *kycgate.Fetch, o kycgate.FetchOutcome, outcome string) {
	f.fetches.WithLabelValues(j.Source, outcome).Inc()
	if err := f.Store.CompleteFetch(ctx, j, o); err != nil && ctx.Err() == nil {
		f.Logger.Warn("cannot record a provider fetch; its lease will expire and it will be tried again", "source", j.Source, "verification", j.VerificationID, "err", err)
	}
}

// failure says what a failed call leads to: a retry for what may pass
// (429, 5xx, no answer), a failure with a clear error for what will not.
func (f *Fetcher) failure(j *kycgate.Fetch, err error, now time.Time) (kycgate.FetchOutcome, string) {
	o := kycgate.FetchOutcome{At: now, State: kycgate.FetchFailed, Error: err.Error()}
	var apiErr *provider.APIError
	var wait time.Duration
	switch {
	case errors.Is(err, provider.ErrNotFetchable):
		return o, OutcomeFailed
	case errors.As(err, &apiErr):
		o.StatusCode = apiErr.StatusCode
		switch c := apiErr.StatusCode; {
		case c == http.StatusUnauthorized || c == http.StatusForbidden:
			o.Error = fmt.Sprintf("the provider refused kycgate's API credentials (%v): check the source's api block", apiErr)
			return o, OutcomeUnauthorized
		case c == http.StatusNotFound:
			o.Error = fmt.Sprintf("the provider does not know this verification (%v)", apiErr)
			return o, OutcomeNotFound
		case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
			wait = min(apiErr.RetryAfter, maxRetryAfter)
		default:
			return o, OutcomeFailed
		}
	}
	attempt := j.Attempts + 1
	if attempt >= f.Retry.Attempts {
		o.Error = fmt.Sprintf("gave up after %d attempts: %v", attempt, err)
		return o, OutcomeFailed
	}
	backoff := min(f.Retry.Max, f.Retry.Base<<min(attempt-1, 30))
	backoff = backoff/2 + rand.N(backoff/2+1) // jitter, so that a provider's outage does not end in a stampede
	o.State, o.RetryAt = kycgate.FetchPending, now.Add(max(wait, backoff))
	return o, OutcomeRetried
}

// contradicts reports whether the document ev holds decides otherwise than
// the stored verification.
func (f *Fetcher) contradicts(ctx context.Context, ev *kycgate.Event) bool {
	if ev.Type != kycgate.EventEnriched || ev.Data.Decision == "" {
		return false
	}
	v, err := f.Store.FindVerification(ctx, ev.Source, ev.VerificationID)
	return err == nil && v.Decision != ev.Data.Decision
}

// enrichedEvent is the verification.enriched event of a document fetched
// from began to now. Its provider time is when the fetch began: the
// document is the provider's word as of then. Its dedup key is the
// document's digest: fetching the same document again stores nothing new.
func (f *Fetcher) enrichedEvent(s *Source, v *kycgate.Verification, doc *provider.Document, began, now time.Time) *kycgate.Event {
	sum := sha256.Sum256(doc.Body)
	ev := &kycgate.Event{
		ID:       kycgate.NewID("evt", now),
		Source:   s.Name,
		Provider: s.Provider,
		Identity: kycgate.Identity{
			ProviderEvent:  ProviderEvent,
			VerificationID: v.ID,
			OccurredAt:     began.UTC(),
			DedupKey:       "fetch|" + v.ID + "|" + hex.EncodeToString(sum[:16]),
		},
		ReceivedAt: now.UTC(),
		Header:     http.Header{HeaderFetchedFrom: {doc.Request}},
		Body:       doc.Body,
	}
	if doc.ContentType != "" {
		ev.Header.Set("Content-Type", doc.ContentType)
	}
	Normalize(s.Parse, ev)
	return ev
}

// Normalize reads a fetched document with parse: a document it cannot read
// is flagged unparseable and stays out of the verification's state. Fetch
// and reprocess both use it.
func Normalize(parse func([]byte) (kycgate.Change, error), ev *kycgate.Event) {
	ev.Flag, ev.FlagDetail, ev.Type, ev.Data = kycgate.FlagNone, "", "", kycgate.Change{}
	c, err := parse(ev.Body)
	if err != nil {
		ev.Flag, ev.FlagDetail = kycgate.FlagUnparseable, err.Error()
		return
	}
	ev.Type, ev.Data = kycgate.EventEnriched, c
}

// Parser returns how documents of a provider are read, for reprocess.
func Parser(providerName string) func([]byte) (kycgate.Change, error) {
	if a, ok := registry.Lookup(providerName); ok && a.API != nil {
		return a.API.Parse
	}
	return nil
}
