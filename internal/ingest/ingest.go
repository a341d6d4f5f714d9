// Package ingest receives provider webhooks: it finds the source,
// authenticates the request with the provider's own scheme, reads the event's
// identity and commits the raw request durably before anything is
// acknowledged. An authentic body kycgate cannot understand is stored flagged,
// never dropped.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Request is one webhook request as it arrived (kycgate.Delivery is one
// kycgate sends).
type Request struct {
	RequestID     string // for the log
	Source        string // the {source} path segment
	Token         string // the {token} path segment of a url_token source; "" otherwise
	RemoteAddr    string
	Header        http.Header
	ContentLength int64 // -1 when unknown (chunked)
	Body          io.Reader
}

// Result is what ingest answers once the event is stored.
type Result struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

// Recorder is what ingest hands authenticated events to (a
// record.Recorder): it routes them, asks for documents and commits them.
type Recorder interface {
	Record(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error)
}

// AnswerWithin bounds how long a webhook waits for its commit before it is
// answered 503: below the 5 seconds of the quickest provider to give
// up, waits for an answer.
const AnswerWithin = 3 * time.Second

// Service ingests deliveries for a fixed set of sources.
type Service struct {
	sources        map[string]*Source
	trustedProxies []netip.Prefix
	record         Recorder
	now            func() time.Time
	log            *slog.Logger
	metrics        *Metrics
}

// Options assemble a Service.
type Options struct {
	Sources        []*Source
	TrustedProxies []netip.Prefix
	Recorder       Recorder
	Now            func() time.Time // defaults to time.Now
	Logger         *slog.Logger
	Metrics        *Metrics
}

// NewService returns a service for opts.Sources; duplicate names are refused.
func NewService(opts Options) (*Service, error) {
	s := &Service{
		sources:        make(map[string]*Source, len(opts.Sources)),
		trustedProxies: opts.TrustedProxies,
		record:         opts.Recorder,
		now:            opts.Now,
		log:            opts.Logger,
		metrics:        opts.Metrics,
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, src := range opts.Sources {
		if _, dup := s.sources[src.Name]; dup {
			return nil, fmt.Errorf("ingest: source %q registered twice", src.Name)
		}
		s.sources[src.Name] = src
	}
	return s, nil
}

// Ingest authenticates and durably stores one delivery. The returned error
// is a kycgate.Error whose code says how to answer.
func (s *Service) Ingest(ctx context.Context, d Request) (Result, error) {
	start := s.now()
	src, ok := s.sources[d.Source]
	if !ok || (d.Token != "" && !src.urlToken) {
		s.metrics.requests.WithLabelValues("", "", OutcomeUnknownSource).Inc()
		return Result{}, kycgate.Errorf(kycgate.ENOTFOUND, "no source named %q", d.Source)
	}
	res, outcome, err := s.ingest(ctx, src, d, start)
	s.metrics.requests.WithLabelValues(src.Name, src.Adapter.Name, outcome).Inc()
	if err == nil {
		s.metrics.latency.WithLabelValues(src.Name).Observe(s.now().Sub(start).Seconds())
	}
	return res, err
}

func (s *Service) ingest(ctx context.Context, src *Source, d Request, now time.Time) (Result, string, error) {
	ip := ClientIP(d.RemoteAddr, d.Header, s.trustedProxies)
	if !src.failures.Allow(ip, now) {
		return Result{}, OutcomeRateLimited, kycgate.Errorf(kycgate.ERATELIMITED, "too many failed authentications from %s; try again in a minute", ip)
	}
	if !src.allowed(ip) {
		s.refused(d.RequestID, src, ip, "address not in allow_ips")
		return Result{}, OutcomeForbidden, kycgate.Errorf(kycgate.EFORBIDDEN, "address %s may not deliver to source %q", ip, src.Name)
	}
	if src.credential != nil {
		if err := src.credential(d.Token, d.Header); err != nil {
			src.failures.Failed(ip, now)
			s.refused(d.RequestID, src, ip, err.Error())
			return Result{}, OutcomeUnauthenticated, kycgate.Errorf(kycgate.EUNAUTHORIZED, "authentication failed: %v", err)
		}
	}
	// Providers send plain JSON; kycgate never inflates a body, so a
	// compression bomb costs nothing.
	if enc := d.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return Result{}, OutcomeBadRequest, kycgate.Errorf(kycgate.EUNSUPPORTED, "Content-Encoding %q is not accepted: send the body uncompressed", enc)
	}
	if d.ContentLength > src.MaxBody {
		return Result{}, OutcomeTooLarge, tooLarge(src)
	}
	body, err := readLimited(d.Body, src.MaxBody)
	if errors.Is(err, errTooLarge) {
		return Result{}, OutcomeTooLarge, tooLarge(src)
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Result{}, OutcomeBadRequest, kycgate.WrapError(kycgate.EINVALID, err, "could not read the request body: it did not arrive within the server's read timeout")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Result{}, OutcomeBadRequest, kycgate.WrapError(kycgate.EINVALID, err, "could not read the request body: it ended before the %d bytes its Content-Length declared", d.ContentLength)
	case err != nil:
		return Result{}, OutcomeBadRequest, kycgate.WrapError(kycgate.EINVALID, err, "could not read the request body")
	}
	if src.checkSignature {
		if err := src.Webhooks.Authenticate(d.Header, body); err != nil {
			src.failures.Failed(ip, now)
			s.refused(d.RequestID, src, ip, err.Error())
			return Result{}, OutcomeUnauthenticated, kycgate.Errorf(kycgate.EUNAUTHORIZED, "authentication failed: %v", err)
		}
	}

	ev := &kycgate.Event{
		ID:         kycgate.NewID("evt", now),
		Source:     src.Name,
		Provider:   src.Adapter.Name,
		ReceivedAt: now.UTC(),
		RemoteIP:   ip.String(),
		Header:     keepHeaders(d.Header, src.Adapter.Headers),
		Body:       body,
	}
	Normalize(src.Adapter, src.Webhooks, d.Header, ev)

	// A provider that waits 5 seconds and hears nothing retries just the
	// same: answer 503 within AnswerWithin instead.
	commitCtx, cancel := context.WithTimeout(ctx, AnswerWithin)
	defer cancel()
	receipt, err := s.record.Record(commitCtx, ev)
	if err != nil {
		// Even a refusal of the raw body alone (which the committer logs)
		// is answered 503: the provider keeps retrying while an operator
		// repairs the store, and nothing is acknowledged that is not stored.
		if kycgate.ErrorCode(err) != kycgate.EUNAVAILABLE {
			err = kycgate.WrapError(kycgate.EUNAVAILABLE, err, "event not stored; retry later")
		}
		return Result{}, OutcomeUnavailable, err
	}
	if ev.Flag != kycgate.FlagNone && !receipt.Duplicate {
		s.metrics.flagged.WithLabelValues(src.Name, src.Adapter.Name, string(ev.Flag)).Inc()
		s.log.Warn("stored a flagged event", "request_id", d.RequestID, "source", src.Name, "event_id", receipt.ID, "flag", ev.Flag, "detail", ev.FlagDetail)
	}
	if receipt.Duplicate {
		return Result{ID: receipt.ID, Duplicate: true}, OutcomeDuplicate, nil
	}
	return Result{ID: receipt.ID}, OutcomeAccepted, nil
}

// Normalize reads ev.Body with the provider's adapter and sets the event's
// identity, canonical type and data. A body the adapter cannot parse is
// flagged unparseable and keyed by its bytes; an event the catalogue does not
// name is flagged unknown_event. Ingest and reprocess both use it.
//
// The adapter reads the body with what a JSON reader would lose spelled out
// (kycgate.SpellOutLossy), and such an event is flagged altered: two
// webhooks that differ only in bytes that are not UTF-8 stay two. An event
// that names no verification is flagged unparseable: it applies to none.
func Normalize(a provider.Adapter, p provider.Webhooks, h http.Header, ev *kycgate.Event) {
	ev.Flag, ev.FlagDetail, ev.Type, ev.Data = kycgate.FlagNone, "", "", kycgate.Change{}
	body, lossy := kycgate.SpellOutLossy(ev.Body)
	id, change, err := p.Parse(h, body)
	if err != nil {
		ev.Identity = kycgate.Identity{DedupKey: provider.RawKey(ev.Body)}
		ev.Flag, ev.FlagDetail = kycgate.FlagUnparseable, err.Error()
		return
	}
	change.RetryWindowSeconds = int64(a.RetriesFor / time.Second)
	ev.Identity, ev.Type, ev.Data = id, a.Type(id.ProviderEvent), change
	switch {
	case !a.Known(id.ProviderEvent):
		ev.Flag, ev.FlagDetail = kycgate.FlagUnknownEvent, fmt.Sprintf("%s event %q is not in kycgate's catalogue", a.Name, id.ProviderEvent)
	case id.VerificationID == "":
		ev.Type, ev.Data = "", kycgate.Change{}
		ev.Flag, ev.FlagDetail = kycgate.FlagUnparseable, fmt.Sprintf("%s event %q names no verification, so it applies to none", a.Name, id.ProviderEvent)
	case lossy:
		ev.Flag, ev.FlagDetail = kycgate.FlagAltered, `the body holds bytes that are not UTF-8 or \u escapes of half a surrogate pair, which a JSON reader replaces by U+FFFD: `+
			`kycgate read each as U+FFFD followed by its spelling (\xff, \ud800), so that webhooks that differ only there stay apart`
	}
}

// refused logs a refused request: never its body, secrets or signature.
func (s *Service) refused(requestID string, src *Source, ip netip.Addr, reason string) {
	s.log.Info("webhook refused", "request_id", requestID, "source", src.Name, "provider", src.Adapter.Name, "remote_ip", ip.String(), "reason", reason)
}

func tooLarge(src *Source) error {
	return kycgate.Errorf(kycgate.ETOOLARGE, "body over the %d-byte limit of source %q", src.MaxBody, src.Name)
}

var errTooLarge = errors.New("body too large")

// readLimited reads all of r, or fails with errTooLarge past limit bytes
// without reading further.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge
	}
	return body, nil
}

// alwaysKept are stored for every provider besides the adapter's own list.
var alwaysKept = []string{"Content-Type", "User-Agent"}

func keepHeaders(h http.Header, names []string) http.Header {
	out := http.Header{}
	for _, list := range [][]string{alwaysKept, names} {
		for _, name := range list {
			if v := h.Values(name); len(v) > 0 {
				out[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	return out
}
