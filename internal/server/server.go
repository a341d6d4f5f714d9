// Package server is kycgate's HTTP surface: the webhook endpoints, the query
// API under /api/v1, health and readiness, metrics, and the one table that
// turns application error codes into HTTP statuses.
package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/delivery"
	"github.com/kycgate/kycgate/internal/ingest"
)

// Timeouts bound slow clients. Providers give up after 5 to 10 seconds, so a
// request that takes longer than this is of no use to anyone.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 20 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	readyTimeout      = 2 * time.Second
)

// Ingester ingests one webhook delivery.
type Ingester interface {
	Ingest(ctx context.Context, d ingest.Request) (ingest.Result, error)
}

// Store is what the server needs of the store: readiness, reads, and
// retrying and replaying deliveries.
type Store interface {
	Ping(ctx context.Context) error
	RevokeSession(ctx context.Context, id string, until, now time.Time) error
	SessionRevoked(ctx context.Context, id string) (bool, error)
	Reader
	FindDelivery(ctx context.Context, id string) (*kycgate.Delivery, error)
	ListDeliveries(ctx context.Context, f kycgate.DeliveryFilter) ([]*kycgate.Delivery, string, error)
	RetryDeliveries(ctx context.Context, f kycgate.DeliveryFilter, now time.Time) (int, error)
	Counts(ctx context.Context) (kycgate.Counts, error)
	Funnel(ctx context.Context, q kycgate.FunnelQuery) (*kycgate.Funnel, error)
	ReplayEvent(ctx context.Context, eventID string, destinations []string, now time.Time) ([]*kycgate.Delivery, error)
	RequestFetch(ctx context.Context, source, id string, now time.Time) (*kycgate.Fetch, error)
	FindFetch(ctx context.Context, source, id string) (*kycgate.Fetch, error)
}

// Forwarding is the live state of the delivery workers.
type Forwarding interface {
	Statuses() []delivery.Status
	Enable(name string) error
	Notify()
}

// Recorder records an event.
type Recorder interface {
	Record(ctx context.Context, ev *kycgate.Event) (kycgate.Receipt, error)
}

// Router picks the destinations of an event.
type Router interface {
	Route(typ kycgate.EventType, provider, source string) []string
	Has(name string) bool
	Empty() bool // no destination is configured
}

// Options assemble a Server.
type Options struct {
	Ingest     Ingester
	Store      Store
	Forwarding Forwarding // nil when nothing is forwarded
	Fetching   Fetching   // nil when no source fetches from its provider's API
	Router     Router
	// Recorder records the events the server makes (an erasure) as every
	// event is recorded: routed and committed (a record.Recorder).
	Recorder  Recorder
	APITokens []string // bearer tokens for /api/v1 and the dashboard
	// TrustedProxies are the peers whose X-Forwarded-For names the client,
	// whose failed logins and bad tokens are counted.
	TrustedProxies []netip.Prefix
	// MaxConnections bounds the open connections; past it a new one
	// closes the connection idle the longest (see connLimit). 0: no bound.
	MaxConnections int
	Sources        []SourceInfo
	Gatherer       prometheus.Gatherer
	Logger         *slog.Logger
	// ReadHeaderTimeout and ReadTimeout cut slow clients; zero for the
	// defaults (5 s and 15 s).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// Now is the server's clock: the overview's ranges, session expiry,
	// erasure events, retries, replays and refreshes read it. Nil for the
	// wall clock.
	Now func() time.Time
}

// clock returns now, or the wall clock when now is nil. It is the one place
// in this package that reads the wall clock.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Server serves kycgate's HTTP surface.
type Server struct {
	ingest   Ingester
	store    Store
	fwd      Forwarding
	fetching Fetching
	router   Router
	recorder Recorder
	reader   Reader
	tokens   [][sha256.Size]byte
	gatherer prometheus.Gatherer
	log      *slog.Logger
	srv      *http.Server
	sources  []SourceInfo
	dash     *dashboard
	now      func() time.Time

	trustedProxies []netip.Prefix
	conns          *connLimit             // nil without a bound
	authFailures   *ingest.FailureLimiter // bad API tokens and failed logins, per client address
}

// New returns a server with the routes and timeouts in place, ready to Serve.
func New(opts Options) *Server {
	s := &Server{ingest: opts.Ingest, store: opts.Store, reader: opts.Store, fwd: opts.Forwarding, fetching: opts.Fetching, router: opts.Router, recorder: opts.Recorder, gatherer: opts.Gatherer, log: opts.Logger, sources: opts.Sources, dash: newDashboard(), now: clock(opts.Now),
		trustedProxies: opts.TrustedProxies, authFailures: ingest.NewFailureLimiter()}
	for _, t := range opts.APITokens {
		s.tokens = append(s.tokens, sha256.Sum256([]byte(t)))
	}
	s.srv = &http.Server{
		Handler:           withRequestID(s.Handler()),
		ReadHeaderTimeout: cmp.Or(opts.ReadHeaderTimeout, readHeaderTimeout),
		ReadTimeout:       cmp.Or(opts.ReadTimeout, readTimeout),
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if opts.MaxConnections > 0 {
		s.conns = newConnLimit(opts.MaxConnections)
		s.srv.ConnState = s.conns.connState
	}
	return s
}

// HTTPServer returns the configured http.Server, for tests that serve it
// themselves.
func (s *Server) HTTPServer() *http.Server { return s.srv }

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{source}", s.handleWebhook)
	mux.HandleFunc("POST /webhooks/{source}/{token}", s.handleWebhook)
	mux.HandleFunc("/webhooks/{source}", methodNotAllowed("POST"))
	mux.HandleFunc("/webhooks/{source}/{token}", methodNotAllowed("POST"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	s.routeAPI(mux)
	s.routeDashboard(mux)
	notFound := func(s *Server, w http.ResponseWriter, r *http.Request) error {
		return kycgate.Errorf(kycgate.ENOTFOUND, "there is no page at %s", r.URL.Path)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
			s.session(notFound)(w, r) // a browser: the dashboard's page
			return
		}
		s.writeError(w, r, kycgate.Errorf(kycgate.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if s.conns != nil {
		ln = s.conns.listener(ln)
	}
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	res, err := s.ingest.Ingest(r.Context(), ingest.Request{
		RequestID:     w.Header().Get(headerRequestID),
		Source:        r.PathValue("source"),
		Token:         r.PathValue("token"),
		RemoteAddr:    r.RemoteAddr,
		Header:        r.Header,
		ContentLength: r.ContentLength,
		Body:          r.Body,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "store": "cannot commit"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "store": "ok"})
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(kycgate.EMETHOD, r.Method+" is not allowed here; use "+allow))
	}
}

// statuses maps application error codes to HTTP statuses.
var statuses = map[string]int{
	kycgate.EINVALID:       http.StatusBadRequest,
	kycgate.EUNAUTHORIZED:  http.StatusUnauthorized,
	kycgate.EFORBIDDEN:     http.StatusForbidden,
	kycgate.ENOTFOUND:      http.StatusNotFound,
	kycgate.EMETHOD:        http.StatusMethodNotAllowed,
	kycgate.ECONFLICT:      http.StatusConflict,
	kycgate.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	kycgate.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	kycgate.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	kycgate.ERATELIMITED:   http.StatusTooManyRequests,
	kycgate.EINTERNAL:      http.StatusInternalServerError,
	kycgate.EUNAVAILABLE:   http.StatusServiceUnavailable,
}

// writeError answers with the error's status and message. Only internal
// errors and unavailability are logged; the caller never sees internals.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := s.errorStatus(w, r, err)
	writeJSON(w, status, errorBody(kycgate.ErrorCode(err), kycgate.ErrorMessage(err)))
}

// errorStatus logs err as its code deserves, sets the headers that go with
// it, and returns its HTTP status.
func (s *Server) errorStatus(w http.ResponseWriter, r *http.Request, err error) int {
	code := kycgate.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	rid := w.Header().Get(headerRequestID)
	switch code {
	case kycgate.EINTERNAL:
		s.log.Error("internal error", "request_id", rid, "method", r.Method, "path", r.URL.Path, "err", err)
	case kycgate.EUNAVAILABLE:
		s.log.Warn("unavailable", "request_id", rid, "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
	case kycgate.ETOOLARGE, kycgate.EUNSUPPORTED:
		w.Header().Set("Connection", "close") // do not read the rest of the body
	case kycgate.ERATELIMITED:
		w.Header().Set("Retry-After", "60")
	}
	return status
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorBody(code, message string) map[string]errorDetail {
	return map[string]errorDetail{"error": {Code: code, Message: message}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
