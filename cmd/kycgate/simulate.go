package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider/sim"
	"github.com/kycgate/kycgate/internal/simulator"
)

func newSimulateCmd() *cobra.Command {
	var (
		f      simulateFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Act as a provider: send its exact webhooks, signed, along realistic journeys",
		Long: `Act as an identity-verification provider: send its webhooks, in its exact
shapes and with its signature or credential, along realistic journeys (approved,
declined, review then manual decision, resubmission, abandoned, expired, reset,
deleted, post-decision updates, AML updates where the provider has them), to any
URL: a kycgate source, or your own handler.

` + simulateCredentialsHelp() + `

A delivery answered with anything but 2xx is retried on the provider's own
schedule, multiplied by --time-scale:
` + simulateRetriesHelp() + `
Each wait is announced on stderr,
with the answer that caused it, and a long run reports its progress there.
A 401, 403 or 404 is not retried: the receiver refused the credentials or
this client, or has no source at that URL, so the run stops at once with the
receiver's answer and exit code 2.
The run ends with a summary; the exit code is 1 when some delivery was never
accepted.`,
		Example: simulateExamples(),
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("--output %q: want table or json", output)}
			}
			journeys, sender, err := f.build()
			if err != nil {
				return err
			}
			showProgress(cmd.ErrOrStderr(), f.provider, sender, simulator.Total(journeys), time.Now)
			sum, err := sender.Run(cmd.Context(), f.provider, journeys)
			var refused *simulator.RefusedError
			interrupted := err != nil && cmd.Context().Err() != nil
			if err != nil && !errors.As(err, &refused) && !interrupted {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				printSummary(cmd.OutOrStdout(), f.provider, sum)
			}
			if refused != nil {
				return usageError{fmt.Errorf("%w\n%s", refused, refusalHint(f.provider, refused.Status))}
			}
			if interrupted {
				return errors.New("interrupted: the summary above counts what was sent before")
			}
			if n := rejected(sum); n > 0 {
				return fmt.Errorf("%d of %d deliveries were never accepted", n, sum.Sent)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

type simulateFlags struct {
	provider, url, secret, scenario string
	count, concurrency              int
	rate, duplicates, timeScale     float64
	shuffle                         bool
	seed                            uint64
}

func (f *simulateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.provider, "provider", "", "provider to play (required): "+strings.Join(simulator.Providers(), ", "))
	fl.StringVar(&f.url, "url", "", "webhook URL to send to (required), e.g. http://127.0.0.1:8080/webhooks/SOURCE")
	fl.StringVar(&f.secret, "secret", "", "the source's signing secret ("+strings.Join(providersSending(sim.CredentialSignature), ", ")+") or bearer token ("+strings.Join(providersSending(sim.CredentialBearer), ", ")+")")
	fl.StringVar(&f.scenario, "scenario", "mix", "journey to play, or mix for all in turn (see the error for a provider's list)")
	fl.IntVar(&f.count, "count", 10, "journeys (verifications) to play")
	fl.Float64Var(&f.rate, "rate", 0, "deliveries per second at most (0: no limit)")
	fl.IntVar(&f.concurrency, "concurrency", 8, "journeys in flight at once")
	fl.Float64Var(&f.duplicates, "duplicates", 0, "fraction of deliveries sent twice, 0 to 1")
	fl.BoolVar(&f.shuffle, "shuffle", false, "deliver each journey's events in a random order")
	fl.Float64Var(&f.timeScale, "time-scale", 1, "multiplies the provider's retry schedule (0.001: minutes become tenths of a second)")
	fl.Uint64Var(&f.seed, "seed", 0, "random seed, to replay the same journeys (0: a new one each run)")
}

// build validates the flags and returns the journeys and their sender.
func (f *simulateFlags) build() ([]simulator.Journey, *simulator.Sender, error) {
	if f.provider == "" {
		return nil, nil, usageError{errors.New("--provider: required (one of " + strings.Join(simulator.Providers(), ", ") + ")")}
	}
	if !slices.Contains(simulator.Providers(), f.provider) {
		return nil, nil, usageError{fmt.Errorf("--provider %q: one of %s", f.provider, strings.Join(simulator.Providers(), ", "))}
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, usageError{fmt.Errorf("--url %q: want an http:// or https:// URL", f.url)}
	}
	if f.secret == "" && simulator.CredentialOf(f.provider) != sim.CredentialNone {
		return nil, nil, usageError{errors.New("--secret: required for " + f.provider)}
	}
	switch {
	case f.count < 1:
		return nil, nil, usageError{errors.New("--count: at least 1")}
	case f.duplicates < 0 || f.duplicates > 1:
		return nil, nil, usageError{errors.New("--duplicates: a fraction from 0 to 1")}
	case f.rate < 0:
		return nil, nil, usageError{errors.New("--rate: not negative")}
	case f.timeScale < 0:
		return nil, nil, usageError{errors.New("--time-scale: not negative")}
	case f.concurrency < 1:
		return nil, nil, usageError{errors.New("--concurrency: at least 1")}
	}
	if f.scenario != "mix" {
		scenarios, _ := simulator.Scenarios(f.provider)
		if _, ok := scenarios[f.scenario]; !ok {
			names := slices.Sorted(maps.Keys(scenarios))
			return nil, nil, usageError{fmt.Errorf("--scenario %q: %s plays mix (every scenario in turn), %s", f.scenario, f.provider, strings.Join(names, ", "))}
		}
	}
	seed := f.seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	r := rand.New(rand.NewPCG(seed, 0))
	journeys, err := simulator.NewJourneys(simulator.Options{
		Provider: f.provider, Scenario: f.scenario, Count: f.count, Rand: r,
		Creds: simulator.Credentials{Secret: f.secret},
	})
	if err != nil {
		return nil, nil, usageError{err}
	}
	return journeys, &simulator.Sender{
		URL: f.url, Concurrency: f.concurrency, Rate: f.rate, Duplicates: f.duplicates,
		Shuffle: f.shuffle, TimeScale: f.timeScale, Rand: r,
		Creds: &simulator.Credentials{Secret: f.secret}, // each attempt signed when sent, as the provider does
	}, nil
}

// refusalHint says what to check when the receiver answered status (401
// or 403) to the simulated provider.
func refusalHint(provider string, status int) string {
	switch {
	case status == http.StatusNotFound:
		return "nothing answers at --url: check the source's name after /webhooks/ (kycgate config check lists the sources)"
	case status == http.StatusForbidden:
		return "the receiver refuses this client: check the source's allow_ips"
	case simulator.CredentialOf(provider) == sim.CredentialNone:
		return "check the source's URL token at the end of --url"
	case simulator.CredentialOf(provider) == sim.CredentialBearer:
		return "check --secret: the bearer token the source expects (auth.bearer)"
	default:
		return "check --secret: the signing secret of the source --url names (its secrets)"
	}
}

// showProgress makes sender announce each retry on w and, at most every
// 5 seconds, how far the run is, so that a long run is never silent.
func showProgress(w io.Writer, provider string, sender *simulator.Sender, total int, now func() time.Time) {
	last := now()
	sender.OnRetry = func(r simulator.Retry) {
		fmt.Fprintf(w, "%s: %s of verification %s: %s; retry %d of %d in %s\n", provider, r.Event, r.VerificationID, r.Reason, r.Attempt, r.Of, r.Wait.Round(time.Millisecond))
	}
	sender.Progress = func(s simulator.Summary) {
		if t := now(); t.Sub(last) >= 5*time.Second {
			last = t
			fmt.Fprintf(w, "%s: %d sent (of %d webhooks, plus duplicates): %d accepted, %d duplicates, %d retries, %d rejected\n", provider, s.Sent, total, s.Accepted, s.Duplicates, s.Retries, rejected(s))
		}
	}
}

func rejected(s simulator.Summary) int {
	n := 0
	for _, v := range s.Rejected {
		n += v
	}
	return n
}

func printSummary(w io.Writer, provider string, s simulator.Summary) {
	tw := table(w)
	fmt.Fprintf(tw, "provider:\t%s\n", provider)
	fmt.Fprintf(tw, "journeys:\t%d\n", s.Journeys)
	fmt.Fprintf(tw, "sent:\t%d\n", s.Sent)
	fmt.Fprintf(tw, "accepted:\t%d\n", s.Accepted)
	fmt.Fprintf(tw, "duplicates:\t%d\n", s.Duplicates)
	fmt.Fprintf(tw, "retries:\t%d\n", s.Retries)
	for status, n := range s.Rejected {
		label := fmt.Sprintf("HTTP %d", status)
		if status == 0 {
			label = "no answer"
		}
		fmt.Fprintf(tw, "rejected (%s):\t%d\n", label, n)
	}
	tw.Flush()
}

// providersSending lists the providers that authenticate with c.
func providersSending(c sim.Credential) []string {
	var out []string
	for _, p := range simulator.Providers() {
		if simulator.CredentialOf(p) == c {
			out = append(out, p)
		}
	}
	return out
}

// simulateCredentialsHelp says what --secret is for each provider.
func simulateCredentialsHelp() string {
	none := providersSending(sim.CredentialNone)
	verb := "sends"
	if len(none) > 1 {
		verb = "send"
	}
	return fmt.Sprintf("--secret is the source's signing secret (%s) or the bearer token\nthe provider sends (%s). %s %s no credential: put the source's\nURL token in --url.",
		strings.Join(providersSending(sim.CredentialSignature), ", "), strings.Join(providersSending(sim.CredentialBearer), ", "),
		strings.Join(none, ", "), verb)
}

// simulateRetriesHelp lists each provider's retry schedule, a line each.
func simulateRetriesHelp() string {
	var b strings.Builder
	for _, p := range simulator.Providers() {
		var waits []string
		schedule := simulator.RetrySchedule(p)
		for i := 0; i < len(schedule); {
			w := schedule[i].String() // 10m0s, 1h0m0s: without the zeros
			if strings.HasSuffix(w, "m0s") {
				w = strings.TrimSuffix(w, "0s")
			}
			if strings.HasSuffix(w, "h0m") {
				w = strings.TrimSuffix(w, "0m")
			}
			n := 1 // the same wait again and again: said once, with its count
			for i+n < len(schedule) && schedule[i+n] == schedule[i] {
				n++
			}
			if n > 2 {
				w = fmt.Sprintf("%s ×%d", w, n)
			} else if n == 2 {
				w += ", " + w
			}
			waits = append(waits, w)
			i += n
		}
		fmt.Fprintf(&b, "  %-10s %s\n", p, strings.Join(waits, ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// simulateExamples shows a provider of each kind of credential, sending to
// the source kycgate config example gives it, with its credential there.
func simulateExamples() string {
	cfg, err := config.Parse(kycgate.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		return ""
	}
	var lines []string
	for _, c := range []sim.Credential{sim.CredentialSignature, sim.CredentialBearer, sim.CredentialNone} {
		ps := providersSending(c)
		i := slices.IndexFunc(cfg.Sources, func(s config.Source) bool { return len(ps) > 0 && s.Provider == ps[0] })
		if i < 0 {
			continue
		}
		src, url := cfg.Sources[i], "http://127.0.0.1:8080/webhooks/"+cfg.Sources[i].Name
		switch {
		case c == sim.CredentialNone && src.Auth != nil && src.Auth.URLToken != "":
			lines = append(lines, fmt.Sprintf("  kycgate simulate --provider %s --url %s/%s --count 5", src.Provider, url, src.Auth.URLToken))
		case c == sim.CredentialBearer && src.Auth != nil && src.Auth.Bearer != "":
			lines = append(lines, fmt.Sprintf("  kycgate simulate --provider %s --url %s --secret %s --count 5", src.Provider, url, src.Auth.Bearer))
		case c == sim.CredentialSignature && len(src.Secrets) > 0:
			lines = append(lines, fmt.Sprintf("  kycgate simulate --provider %s --url %s --secret %s \\\n      --scenario mix --count 20 --duplicates 0.2 --shuffle", src.Provider, url, src.Secrets[0]))
		}
	}
	return strings.Join(lines, "\n")
}
