// Package gateway assembles the running gateway from a configuration: the
// store, the recorder every event goes through, ingest, forwarding, the
// fetch worker, the HTTP server and retention.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/delivery"
	"github.com/kycgate/kycgate/internal/fetch"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/record"
	"github.com/kycgate/kycgate/internal/redact"
	"github.com/kycgate/kycgate/internal/server"
	"github.com/kycgate/kycgate/internal/store/postgres"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

// Group commit settings: a batch holds what queued while the previous one
// committed, up to maxBatch events, and must commit within commitTimeout.
const (
	maxBatch      = 512
	commitTimeout = ingest.AnswerWithin
)

// ConfigError is a mistake in the configuration: trying again does not
// help, the user must change what they asked for.
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// App is the gateway assembled from a configuration: Open it, Run it until
// its context ends, and it shuts down in reverse order.
type App struct {
	Config *config.Config
	Logger *slog.Logger
	// Now is the gateway's clock: received times, retries, leases, sessions,
	// retention. Nil for the wall clock.
	Now func() time.Time
	// Version is the release, sent in the User-Agent of deliveries ("dev"
	// when empty).
	Version string

	store        Store
	committer    *ingest.Committer
	forwarder    *delivery.Forwarder
	fetcher      *fetch.Fetcher
	closeTargets func()
	server       *server.Server
	ln           net.Listener
	unlock       func() // releases the SQLite file's serve lock
}

// Open opens the store, applies migrations, and starts listening.
func (a *App) Open(ctx context.Context) error {
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Version == "" {
		a.Version = "dev"
	}
	// Whatever logs through the gateway, no configured secret reaches the log.
	a.Logger = slog.New(redact.New(a.Config.SecretValues()...).Handler(a.Logger.Handler()))
	// The address is tried first, so that a port another process holds
	// stops the start before the store is opened or its file created, and
	// taken once the store is ready, so that while migrations run a
	// connection is refused rather than left waiting.
	ln, err := listen(a.Config.Listen)
	if err != nil {
		return err
	}
	ln.Close()
	if !postgres.IsURL(a.Config.Storage) {
		path, err := sqlite.PathFromURL(a.Config.Storage)
		if err != nil {
			return ConfigError{Err: fmt.Errorf("storage: %w", err)}
		}
		if a.unlock, err = sqlite.LockServing(path); err != nil {
			return err
		}
	}
	// A migration may rebuild every verification first: say so, so that
	// a start that takes a while is not taken for a hung one.
	a.Logger.Info("opening the store; migrations apply first, some rebuild every verification", "storage", redact.URL(a.Config.Storage))
	opened := time.Now()
	var migrations int
	if a.store, migrations, err = OpenStore(ctx, a.Config); err != nil {
		a.Close()
		return err
	}
	if migrations > 0 {
		a.Logger.Info("store migrated", "migrations", migrations, "took", time.Since(opened).Round(time.Millisecond))
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := ingest.NewMetrics(reg)
	reg.MustRegister(server.NewStateCollector(a.store, a.Now))

	sources, err := IngestSources(a.Config)
	if err != nil {
		a.Close()
		return err
	}
	if len(sources) == 0 {
		a.Logger.Warn("no sources configured: every webhook will be answered 404; see the README's configuration section")
	}
	dests, closeTargets, err := destinations(ctx, a.Config.Destinations, "kycgate/"+a.Version, a.Now)
	if err != nil {
		a.Close()
		return err
	}
	a.closeTargets = closeTargets
	a.forwarder = delivery.New(delivery.Options{Store: a.store, Destinations: dests, Now: a.Now, Logger: a.Logger, Registerer: reg})
	router := delivery.NewRouter(routes(a.Config.Destinations))
	fetchSources, err := fetch.NewSources(FetchSources(a.Config), a.Now)
	if err != nil {
		a.Close()
		return ConfigError{Err: err}
	}
	// Every event, whoever makes it, is recorded one way: routed, asking for
	// its document where it should, and group-committed.
	committed := func() { a.forwarder.Notify(); a.fetcher.Wake() }
	a.committer = ingest.NewCommitterNotifying(a.store, maxBatch, commitTimeout, a.Logger, metrics, committed)
	var fetching []string
	for _, s := range fetchSources {
		fetching = append(fetching, s.Name)
	}
	recorder := record.New(a.committer, router, fetching)
	a.fetcher = fetch.New(fetch.Options{Store: a.store, Recorder: recorder, Sources: fetchSources, Now: a.Now, Logger: a.Logger, Registerer: reg})
	svc, err := ingest.NewService(ingest.Options{
		Sources:        sources,
		TrustedProxies: a.Config.TrustedProxyPrefixes,
		Recorder:       recorder,
		Now:            a.Now,
		Logger:         a.Logger,
		Metrics:        metrics,
	})
	if err != nil {
		a.Close()
		return err
	}
	var infos []server.SourceInfo
	for _, c := range a.Config.Sources {
		infos = append(infos, server.SourceInfo{Name: c.Name, Provider: c.Provider, API: c.API != nil})
	}
	a.server = server.New(server.Options{Ingest: svc, Store: a.store, Recorder: recorder, Forwarding: a.forwarder, Fetching: a.fetcher, Router: router,
		APITokens: a.Config.APITokens, TrustedProxies: a.Config.TrustedProxyPrefixes, MaxConnections: a.Config.MaxConnections, Sources: infos, Gatherer: reg, Logger: a.Logger, Now: a.Now})
	if a.ln, err = listen(a.Config.Listen); err != nil {
		a.Close()
		return err
	}
	return nil
}

// listen listens on addr; a port another process holds says what to do.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: another process listens there: stop it, or choose another address (--listen, or listen in the configuration)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Addr is the address the gateway listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: in-flight requests
// finish, queued events commit, the store closes.
func (a *App) Run(ctx context.Context) error {
	a.Logger.Info("listening", "addr", a.Addr(), "sources", len(a.Config.Sources), "destinations", len(a.Config.Destinations), "storage", redact.URL(a.Config.Storage))
	fwdCtx, stopForwarding := context.WithCancel(context.Background())
	forwarded := make(chan struct{})
	go func() { a.forwarder.Run(fwdCtx); close(forwarded) }()
	fetchCtx, stopFetching := context.WithCancel(context.Background())
	fetched := make(chan struct{})
	go func() { a.fetcher.Run(fetchCtx); close(fetched) }()
	if age := time.Duration(a.Config.Retention.RawBodies); age > 0 {
		go a.purgeRawBodies(fwdCtx, age)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.Logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Duration(a.Config.ShutdownTimeout))
	defer cancel()
	err := a.server.Shutdown(shutdownCtx)
	stopFetching() // a fetch cut short is left to its lease
	<-fetched
	a.committer.Close() // every acknowledged event and its deliveries are committed
	stopForwarding()    // sends in flight finish and record their outcome
	select {
	case <-forwarded:
	case <-shutdownCtx.Done():
		a.Logger.Warn("deliveries still in flight at the shutdown timeout; their leases will expire and they will be sent again")
	}
	return errors.Join(serveErr, err, a.Close())
}

// purgeRawBodies applies retention.raw_bodies at start and then hourly, in
// chunks, so that ingest never waits long behind it.
func (a *App) purgeRawBodies(ctx context.Context, age time.Duration) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		total := 0
		for ctx.Err() == nil {
			n, err := a.store.PurgeRawBodies(ctx, a.Now().Add(-age), 1000)
			if err != nil {
				a.Logger.Warn("retention: cannot purge raw bodies", "err", err)
				break
			}
			if total += n; n == 0 {
				break
			}
		}
		if total > 0 {
			a.Logger.Info("retention: purged raw bodies", "events", total, "older_than", age)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Close releases what Open acquired, in reverse order.
func (a *App) Close() error {
	if a.ln != nil {
		a.ln.Close() // closed already when it served
	}
	if a.committer != nil {
		a.committer.Close()
		a.committer = nil
	}
	if a.closeTargets != nil {
		a.closeTargets()
		a.closeTargets = nil
	}
	var err error
	if a.store != nil {
		err = a.store.Close()
		a.store = nil
	}
	if a.unlock != nil {
		a.unlock()
		a.unlock = nil
	}
	return err
}

// Store is a kycgate.Store that also migrates its schema.
type Store interface {
	kycgate.Store
	Migrate(ctx context.Context) (int, error)
}

// OpenStore opens the store the storage URL names (sqlite:// or
// postgres://) and applies pending migrations, returning how many it
// applied.
func OpenStore(ctx context.Context, cfg *config.Config) (Store, int, error) {
	var (
		st  Store
		err error
	)
	if postgres.IsURL(cfg.Storage) {
		st, err = postgres.Open(ctx, cfg.Storage)
	} else {
		path, perr := sqlite.PathFromURL(cfg.Storage)
		if perr != nil {
			return nil, 0, ConfigError{Err: fmt.Errorf("storage: %w", perr)}
		}
		st, err = sqlite.Open(ctx, path)
	}
	if err != nil {
		return nil, 0, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, 0, err
	}
	return st, n, nil
}

// NewLogger returns the logger the configuration's log section asks for,
// writing to w.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
