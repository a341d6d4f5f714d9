// Package demo runs the newcomer's first run: the gateway on a fresh
// embedded store with one source per provider, fed simulated journeys of
// every provider, and a summary read back from the API.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/gateway"
	"github.com/kycgate/kycgate/internal/provider/sim"
	"github.com/kycgate/kycgate/internal/simulator"
)

// OwnProvider is the provider of the demo's source for the journeys
// the user sends: the first that signs its webhooks.
func OwnProvider() string {
	for _, p := range simulator.Providers() {
		if simulator.CredentialOf(p) == sim.CredentialSignature {
			return p
		}
	}
	return simulator.Providers()[0]
}

// OwnSource is the demo's source for the journeys the user sends.
func OwnSource() string { return OwnProvider() + "-own" }

// Params are what the demo is asked to do.
type Params struct {
	Listen   string
	Store    string // a SQLite file; "" for a temporary one
	Reuse    bool   // use Store even if it exists
	Count    int    // journeys per provider
	LogLevel string
	// Version is the release, for the gateway's User-Agent.
	Version string
	// Command is how the user runs this binary again, for the commands
	// the demo suggests: "kycgate" when it is on the PATH, else a path.
	Command string
}

// Secrets are the fresh credentials of one demo run.
type Secrets struct {
	API string // the gateway's API token
	// sources holds each provider's webhook credential: its signing secret,
	// bearer token or URL token.
	Sources map[string]string
	// providerAPI are the credentials of the fake provider APIs, served at
	// apiBase; with no apiBase, the sources fetch nothing.
	ProviderAPI simulator.APICredentials
	APIBase     string
}

// NewSecrets returns fresh random credentials, and none for the provider
// APIs' base until StartProviderAPIs serves them.
func NewSecrets() Secrets {
	s := Secrets{API: token(), Sources: map[string]string{}, ProviderAPI: simulator.NewAPICredentials(token)}
	for _, p := range simulator.Providers() {
		s.Sources[p] = token()
	}
	return s
}

// WebhookPath is the path of the demo source of provider, with the URL
// token of a provider that sends no credential.
func (s Secrets) WebhookPath(provider string) string {
	if simulator.CredentialOf(provider) == sim.CredentialNone {
		return "/webhooks/" + provider + "/" + url.PathEscape(s.Sources[provider])
	}
	return "/webhooks/" + provider
}

// Credential is the secret the simulated provider signs or authenticates
// with; "" for one that sends none.
func (s Secrets) Credential(provider string) string {
	if simulator.CredentialOf(provider) == sim.CredentialNone {
		return ""
	}
	return s.Sources[provider]
}

// SourceYAML is the configuration of a source named name of provider, with
// the credential secret and any extra flow-map entries.
func SourceYAML(name, provider, secret, extra string) string {
	var auth string
	switch simulator.CredentialOf(provider) {
	case sim.CredentialBearer:
		auth = fmt.Sprintf("auth: {bearer: %q}", secret)
	case sim.CredentialNone:
		auth = fmt.Sprintf("auth: {url_token: %q}", secret)
	default:
		auth = fmt.Sprintf("secrets: [%q]", secret)
	}
	return fmt.Sprintf("  - {name: %s, provider: %s, %s%s}\n", name, provider, auth, extra)
}

// APIBlock is a source's api block for the fake provider APIs, or "" when
// they are not served.
func (s Secrets) APIBlock(provider string) string {
	creds, ok := s.ProviderAPI[provider]
	if s.APIBase == "" || !ok {
		return ""
	}
	keys := slices.Sorted(maps.Keys(creds))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q, ", k, creds[k])
	}
	return fmt.Sprintf(", api: {%sbase_url: %q}", b.String(), simulator.BaseURL(s.APIBase, provider))
}

// StartProviderAPIs serves the simulator's fake provider APIs on loopback
// and points s at them, so that the demo's sources fetch from them.
func StartProviderAPIs(s *Secrets) (*simulator.API, func(), error) {
	fake := simulator.NewAPI(s.ProviderAPI)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("serve the fake provider APIs: %w", err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.APIBase = "http://" + ln.Addr().String()
	return fake, func() { srv.Close() }, nil
}

func token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Config is the demo's configuration: one source per provider with the
// secrets s, the store at storage (a sqlite:// or postgres:// URL), and any
// extra top-level YAML.
func Config(listen, storage string, s Secrets, extra ...string) (*config.Config, error) {
	return config.Parse([]byte(ConfigYAML(listen, storage, s, extra...)), func(string) (string, bool) { return "", false })
}

// ConfigYAML is Config as a configuration file's text.
func ConfigYAML(listen, storage string, s Secrets, extra ...string) string {
	var sources strings.Builder
	for _, p := range simulator.Providers() {
		sources.WriteString(SourceYAML(p, p, s.Sources[p], s.APIBlock(p)))
	}
	return fmt.Sprintf("listen: %q\nstorage: %q\napi_tokens: [%q]\nlog: {level: warn}\nsources:\n%s", listen, storage, s.API, sources.String()) +
		strings.Join(extra, "\n")
}

// Run serves the demo until ctx ends: it prints where the gateway is and a
// summary of the journeys it played.
func Run(ctx context.Context, stdout, stderr io.Writer, p Params) error {
	storePath, fresh := p.Store, true
	if storePath == "" {
		dir, err := os.MkdirTemp("", "kycgate-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		storePath = filepath.Join(dir, "kycgate.db")
	} else if _, err := os.Stat(storePath); err == nil {
		if !p.Reuse {
			return gateway.ConfigError{Err: fmt.Errorf("--store %s: the file exists; name a new file for a fresh demo, or add --reuse to play more journeys into it", storePath)}
		}
		fresh = false
	}
	if p.Command == "" {
		p.Command = "kycgate"
	}
	secrets := NewSecrets()
	fake, stopAPIs, err := StartProviderAPIs(&secrets)
	if err != nil {
		return err
	}
	defer stopAPIs()
	// One more source, without an API block, for the journeys the user
	// sends with kycgate simulate: the fake provider APIs know only the
	// demo's own journeys and would answer 404 for the others.
	own := OwnProvider()
	yml := strings.Replace(ConfigYAML(p.Listen, "sqlite://"+storePath, secrets), "sources:\n",
		"sources:\n"+SourceYAML(OwnSource(), own, secrets.Sources[own], ""), 1)
	cfg, err := config.Parse([]byte(yml), func(string) (string, bool) { return "", false })
	if err != nil {
		return err
	}
	cfg.Log.Level = p.LogLevel
	app := &gateway.App{Config: cfg, Logger: gateway.NewLogger(stderr, cfg.Log), Version: p.Version}
	if err := app.Open(ctx); err != nil {
		return err
	}
	base := "http://" + app.Addr()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- app.Run(runCtx) }()

	if fresh {
		fmt.Fprintf(stdout, "kycgate demo: serving on %s with a fresh store at %s\n", base, storePath)
	} else {
		fmt.Fprintf(stdout, "kycgate demo: serving on %s with the existing store at %s (the summary counts its verifications too)\n", base, storePath)
	}
	fmt.Fprintf(stdout, "playing %d journeys of each provider (duplicates and reordering included)...\n\n", p.Count)
	sums, err := Feed(ctx, base, secrets, p.Count, fake)
	if err != nil {
		stop()
		<-ran
		return err
	}
	if err := printSummary(ctx, stdout, base, secrets.API, sums); err != nil {
		stop()
		<-ran
		return err
	}
	fmt.Fprintf(stdout, `
Dashboard: %[1]s/   (log in with the API token %[2]s)
API:    %[1]s/api/v1/verifications   (Authorization: Bearer %[2]s)
Try:    %[5]s verifications list --server %[1]s --token %[2]s
        %[5]s verifications list --server %[1]s --token %[2]s --status review_needed
        %[5]s events list --server %[1]s --token %[2]s --flagged
        %[5]s stats funnel --server %[1]s --token %[2]s
Provider data: each decided verification is fetched from a fake of its
        provider's API on %[4]s (see a verification's "Provider data")
Send your own: %[5]s simulate --provider %[7]s --url %[1]s/webhooks/%[6]s --secret %[3]s
Metrics: %[1]s/metrics

Serving until Ctrl-C.
`, base, secrets.API, secrets.Sources[own], secrets.APIBase, p.Command, OwnSource(), own)
	return <-ran
}

// Feed plays count journeys of every provider, all at once; a third of
// the end users are verified by several providers. The journeys are made
// known to the fake provider APIs fake, when there are any.
func Feed(ctx context.Context, base string, s Secrets, count int, fake *simulator.API) (map[string]simulator.Summary, error) {
	r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 7))
	shared := make([]string, max(1, count/3))
	for i := range shared {
		shared[i] = fmt.Sprintf("user-%04d", i+1)
	}
	var (
		mu   sync.Mutex
		sums = map[string]simulator.Summary{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, provider := range simulator.Providers() {
		journeys, err := simulator.NewJourneys(simulator.Options{
			Provider: provider, Count: count, Users: shared, Rand: mrand.New(mrand.NewPCG(r.Uint64(), 1)),
			// Journeys start over the past week, so that the dashboard's
			// charts over time have something to show.
			Start: time.Now().UTC().Add(-7 * 24 * time.Hour), Every: 7 * 24 * time.Hour / time.Duration(count+1),
			Creds: simulator.Credentials{Secret: s.Credential(provider)},
		})
		if err != nil {
			return nil, err
		}
		if fake != nil {
			fake.Add(journeys...)
		}
		sender := &simulator.Sender{URL: base + s.WebhookPath(provider), Concurrency: 4, Duplicates: 0.1, Shuffle: true, TimeScale: 0.001,
			Rand: mrand.New(mrand.NewPCG(r.Uint64(), 2)), Creds: &simulator.Credentials{Secret: s.Credential(provider)}}
		wg.Go(func() {
			sum, err := sender.Run(ctx, provider, journeys)
			mu.Lock()
			defer mu.Unlock()
			sums[provider] = sum
			if err == nil && sum.Refused() > 0 {
				err = fmt.Errorf("%s: %d deliveries were refused", provider, sum.Refused())
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return sums, fmt.Errorf("demo: %v", errs)
	}
	return sums, nil
}

// printSummary prints what was sent and, from the API, the
// verifications by provider and status.
func printSummary(ctx context.Context, w io.Writer, base, apiToken string, sums map[string]simulator.Summary) error {
	byProvider, err := countVerifications(ctx, client.New(base, apiToken))
	if err != nil {
		return err
	}
	providers := make([]string, 0, len(sums))
	for p := range sums {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tSENT\tSTORED\tDUPLICATES\tVERIFICATIONS BY STATUS")
	for _, p := range providers {
		s := sums[p]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", p, s.Sent, s.Accepted, s.Duplicates, statusList(byProvider[p]))
	}
	return tw.Flush()
}

// countVerifications reads every verification from the API and counts them
// by provider and status.
func countVerifications(ctx context.Context, c *client.Client) (map[string]map[kycgate.Status]int, error) {
	all, err := c.ListVerifications(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]map[kycgate.Status]int{}
	for _, v := range all {
		if out[v.Provider] == nil {
			out[v.Provider] = map[kycgate.Status]int{}
		}
		out[v.Provider][v.Status]++
	}
	return out, nil
}

func statusList(m map[kycgate.Status]int) string {
	var parts []string
	for _, s := range kycgate.Statuses {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, m[s]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return fmt.Sprint(parts)
}
