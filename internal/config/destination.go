package config

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/redact"
)

// Destination defaults.
const (
	DefaultDeliveryTimeout     = 10 * time.Second
	DefaultDeliveryMaxAttempts = 24
	DefaultDeliveryMaxAge      = 72 * time.Hour
	DefaultDeliveryConcurrency = 4
)

// Destination is where canonical events are forwarded: an HTTP endpoint
// signed per Standard Webhooks, or a NATS JetStream subject.
type Destination struct {
	Name        string   `yaml:"name"`
	URL         string   `yaml:"url"`
	Secret      string   `yaml:"secret"`  // whsec_...
	Secrets     []string `yaml:"secrets"` // several: each request is signed with all (rotation)
	SecretFile  string   `yaml:"secret_file,omitempty"`
	SecretsFile []string `yaml:"secrets_file,omitempty"`
	NATS        *NATS    `yaml:"nats"`
	Filter      Filter   `yaml:"filter"`
	IncludeRaw  bool     `yaml:"include_raw"`
	// IncludeProviderData adds the document fetched from the provider's
	// API to verification.enriched events (it is personal data).
	IncludeProviderData bool     `yaml:"include_provider_data"`
	Timeout             Duration `yaml:"timeout"`
	RateLimit           float64  `yaml:"rate_limit"` // requests per second; 0 for none
	MaxAttempts         int      `yaml:"max_attempts"`
	MaxAge              Duration `yaml:"max_age"`
	Concurrency         int      `yaml:"concurrency"` // verifications in flight at once

	// SigningKeys are Secret and Secrets decoded.
	SigningKeys [][]byte `yaml:"-"`
}

// NATS is a JetStream destination.
type NATS struct {
	URL          string `yaml:"url"`
	Subject      string `yaml:"subject"` // events go to SUBJECT.PROVIDER.TYPE
	Stream       string `yaml:"stream"`
	CreateStream bool   `yaml:"create_stream"`
}

// Filter selects the events a destination receives; empty lists select
// all. Types that name verification.decided take kycgate.DecisionChanges
// too.
type Filter struct {
	Types     []string `yaml:"types"`
	Providers []string `yaml:"providers"`
	Sources   []string `yaml:"sources"`
}

// Match reports whether the filter lets an event through.
func (f Filter) Match(typ kycgate.EventType, provider, source string) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	follows := slices.Contains(f.Types, string(kycgate.EventDecided)) && slices.Contains(kycgate.DecisionChanges, typ)
	return (in(f.Types, string(typ)) || follows) && in(f.Providers, provider) && in(f.Sources, source)
}

func (d *Destination) setDefaults() {
	if d.Timeout == 0 {
		d.Timeout = Duration(DefaultDeliveryTimeout)
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = DefaultDeliveryMaxAttempts
	}
	if d.MaxAge == 0 {
		d.MaxAge = Duration(DefaultDeliveryMaxAge)
	}
	if d.Concurrency == 0 {
		d.Concurrency = DefaultDeliveryConcurrency
	}
	if d.NATS != nil && d.NATS.Stream == "" {
		d.NATS.Stream = "KYCGATE"
	}
}

func (d *Destination) validate(key string, sources map[string]bool) error {
	if !sourceName.MatchString(d.Name) {
		return fmt.Errorf("%s.name: %q must be lowercase letters, digits, '-' or '_'", key, d.Name)
	}
	key = fmt.Sprintf("%s (%s)", key, d.Name)
	switch {
	case d.URL != "" && d.NATS != nil:
		return fmt.Errorf("%s: set url or nats, not both", key)
	case d.URL == "" && d.NATS == nil:
		return fmt.Errorf("%s: set url (an HTTP endpoint) or nats (a JetStream subject)", key)
	}
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s.url: %q is not an http:// or https:// URL", key, redact.URL(d.URL))
		}
		secrets := slices.Clone(d.Secrets)
		if d.Secret != "" {
			secrets = append([]string{d.Secret}, secrets...)
		}
		if len(secrets) == 0 {
			return fmt.Errorf("%s.secret: required: a Standard Webhooks secret (whsec_ and base64), so your service can verify what kycgate sends", key)
		}
		for i, s := range secrets {
			k, err := decodeWebhookSecret(s)
			if err != nil {
				name := fmt.Sprintf("secrets[%d]", i) // as the file names it: secret comes first
				if d.Secret != "" && i == 0 {
					name = "secret"
				} else if d.Secret != "" {
					name = fmt.Sprintf("secrets[%d]", i-1)
				}
				return fmt.Errorf("%s.%s: %w", key, name, err)
			}
			d.SigningKeys = append(d.SigningKeys, k)
		}
	} else {
		u, err := url.Parse(d.NATS.URL)
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			return fmt.Errorf("%s.nats.url: %q is not a nats:// URL", key, redact.URL(d.NATS.URL))
		}
		if d.NATS.Subject == "" || strings.ContainsAny(d.NATS.Subject, " *>\t") || strings.HasSuffix(d.NATS.Subject, ".") {
			return fmt.Errorf("%s.nats.subject: %q must be a subject without wildcards, e.g. kycgate.events", key, d.NATS.Subject)
		}
		if len(d.Secrets) > 0 || d.Secret != "" {
			return fmt.Errorf("%s.secret: NATS destinations are not signed", key)
		}
	}
	for _, t := range d.Filter.Types {
		if !slices.Contains(kycgate.EventTypes, kycgate.EventType(t)) {
			return fmt.Errorf("%s.filter.types: %q is not a canonical event type (e.g. verification.decided)", key, t)
		}
	}
	for _, p := range d.Filter.Providers {
		if _, ok := registry.Lookup(p); !ok {
			return fmt.Errorf("%s.filter.providers: unknown provider %q", key, p)
		}
	}
	for _, s := range d.Filter.Sources {
		if !sources[s] {
			return fmt.Errorf("%s.filter.sources: no source named %q", key, s)
		}
	}
	switch {
	case d.Timeout < 0 || time.Duration(d.Timeout) > 5*time.Minute:
		return fmt.Errorf("%s.timeout: between 0 and 5m", key)
	case d.RateLimit < 0:
		return fmt.Errorf("%s.rate_limit: not negative", key)
	case d.MaxAttempts < 1:
		return fmt.Errorf("%s.max_attempts: at least 1", key)
	case d.MaxAge < 0:
		return fmt.Errorf("%s.max_age: not negative", key)
	case d.Concurrency < 1 || d.Concurrency > 256:
		return fmt.Errorf("%s.concurrency: 1 to 256", key)
	}
	return nil
}

// decodeWebhookSecret reads a Standard Webhooks secret: "whsec_" and the
// base64 of 24 to 64 random bytes.
func decodeWebhookSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, fmt.Errorf("a Standard Webhooks secret starts with whsec_ (generate one: echo whsec_$(openssl rand -base64 32))")
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the part after whsec_ is not base64")
	}
	if len(k) < 24 || len(k) > 64 {
		return nil, fmt.Errorf("the key is %d bytes; use 24 to 64", len(k))
	}
	return k, nil
}
