// Package config loads kycgate's YAML configuration: ${VAR} expansion from
// the environment, defaults, and validation whose errors name the bad key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/redact"
)

// Defaults, used where the file says nothing.
const (
	DefaultListen          = ":8080"
	DefaultStorage         = "sqlite://./kycgate.db"
	DefaultMaxBodyBytes    = 1 << 20 // 1 MiB
	DefaultShutdownTimeout = 15 * time.Second
	DefaultMaxConnections  = 1024
	maxMaxBodyBytes        = 64 << 20
)

// Config is the whole configuration file.
type Config struct {
	Listen          string        `yaml:"listen"`
	Storage         string        `yaml:"storage"`
	APITokens       []string      `yaml:"api_tokens"`
	APITokensFile   []string      `yaml:"api_tokens_file,omitempty"`
	TrustedProxies  []string      `yaml:"trusted_proxies"`
	MaxBodyBytes    ByteSize      `yaml:"max_body_bytes"`
	MaxConnections  int           `yaml:"max_connections"`
	ShutdownTimeout Duration      `yaml:"shutdown_timeout"`
	Log             Log           `yaml:"log"`
	Sources         []Source      `yaml:"sources"`
	Destinations    []Destination `yaml:"destinations"`
	Retention       Retention     `yaml:"retention"`

	// TrustedProxyPrefixes is TrustedProxies parsed.
	TrustedProxyPrefixes []netip.Prefix `yaml:"-"`
}

// Retention bounds how long personal data is kept.
type Retention struct {
	// RawBodies purges raw bodies older than this (e.g. 90d); 0 keeps them.
	// Canonical events and verification state remain.
	RawBodies Duration `yaml:"raw_bodies"`
}

// Log configures the process's structured log.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Source is one provider account sending webhooks to POST /webhooks/{name}.
type Source struct {
	Name         string   `yaml:"name"`
	Provider     string   `yaml:"provider"`
	Secrets      []string `yaml:"secrets"`
	SecretsFile  []string `yaml:"secrets_file,omitempty"`
	Auth         *Auth    `yaml:"auth"`
	AllowIPs     []string `yaml:"allow_ips"`
	Insecure     bool     `yaml:"insecure"`
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// ExternalUserIDKey names the metadata key that holds your own user id,
	// for a provider that carries it in free-form metadata.
	ExternalUserIDKey string `yaml:"external_user_id_key"`
	// MinTrustScore is the least trust score (0 to 1) at which a completed
	// verification is approved, for a provider that sends one; below it, it
	// needs a review.
	MinTrustScore *float64 `yaml:"min_trust_score"`
	// API, when set, has kycgate fetch each decided verification's full
	// document from the provider's API.
	API *SourceAPI `yaml:"api"`

	// AllowPrefixes is AllowIPs parsed.
	AllowPrefixes []netip.Prefix `yaml:"-"`
}

// SourceAPI is a source's credentials for its provider's API. Which keys
// are needed depends on the provider: its APISpec declares them (see
// docs/provider-apis.md); each may also be given as KEY_file, a file
// holding it.
type SourceAPI struct {
	BaseURL     string   `yaml:"base_url"`     // the provider's production API when empty
	Region      string   `yaml:"region"`       // for a provider with several API hosts
	MinInterval Duration `yaml:"min_interval"` // least time between two calls; the provider's own limit when more
	Timeout     Duration `yaml:"timeout"`      // one call; 30s when zero
	// Keys are the provider's credential keys, and KEY_file for any of them.
	Keys map[string]string `yaml:",inline"`
}

// DefaultAPITimeout bounds one call to a provider's API.
const DefaultAPITimeout = 30 * time.Second

// Credentials returns the API block as the provider adapters take it.
func (a *SourceAPI) Credentials() provider.APIConfig {
	return provider.APIConfig{BaseURL: a.BaseURL, Keys: maps.Clone(a.Keys)}
}

// validate checks the block against what the provider's API needs, and
// fills the base URL. The keys' _file variants are read already.
func (a *SourceAPI) validate(key string, adapter provider.Adapter) error {
	spec := adapter.API
	if spec == nil {
		return fmt.Errorf("%s: kycgate cannot fetch from %s's API", key, adapter.Name)
	}
	names := spec.KeyNames()
	for _, k := range slices.Sorted(maps.Keys(a.Keys)) {
		if !slices.Contains(names, k) {
			msg := fmt.Sprintf("%s.%s: %s's API does not take it; its credentials are %s (each may be KEY_file, a file holding it), and every api block may set base_url, min_interval, timeout, and region where the provider has several hosts",
				key, k, adapter.Name, strings.Join(names, " and "))
			known := append(slices.Clone(names), "base_url", "region", "min_interval", "timeout")
			for _, n := range names {
				known = append(known, n+"_file")
			}
			if near := closest(k, known); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return errors.New(msg)
		}
	}
	for _, k := range names {
		if a.Keys[k] == "" {
			return fmt.Errorf("%s.%s: required: %s's API takes %s", key, k, adapter.Name, strings.Join(names, " and "))
		}
	}
	if a.Region != "" {
		base, ok := spec.Regions[a.Region]
		if !ok {
			if len(spec.Regions) == 0 {
				return fmt.Errorf("%s.region: %q: %s's API has one host; set base_url to point elsewhere", key, a.Region, adapter.Name)
			}
			return fmt.Errorf("%s.region: %q: one of %s", key, a.Region, strings.Join(slices.Sorted(maps.Keys(spec.Regions)), ", "))
		}
		if a.BaseURL == "" {
			a.BaseURL = base
		}
	}
	if a.BaseURL == "" {
		a.BaseURL = spec.BaseURL
	}
	u, err := url.Parse(a.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return fmt.Errorf("%s.base_url: %q is not an http(s) URL without credentials or query", key, redact.URL(a.BaseURL))
	}
	if a.MinInterval < 0 || a.Timeout < 0 {
		return fmt.Errorf("%s: min_interval and timeout must not be negative", key)
	}
	if a.Timeout == 0 {
		a.Timeout = Duration(DefaultAPITimeout)
	}
	a.MinInterval = max(a.MinInterval, Duration(spec.MinInterval))
	return nil
}

// Auth is the credential a provider that signs nothing is configured to send.
// Exactly one method is set.
type Auth struct {
	Basic        *BasicAuth  `yaml:"basic"`
	Bearer       string      `yaml:"bearer"`
	BearerFile   string      `yaml:"bearer_file,omitempty"`
	Header       *HeaderAuth `yaml:"header"`
	URLToken     string      `yaml:"url_token"`
	URLTokenFile string      `yaml:"url_token_file,omitempty"`
}

// BasicAuth is an HTTP Basic credential.
type BasicAuth struct {
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file,omitempty"`
}

// HeaderAuth is a custom header that must carry a fixed value.
type HeaderAuth struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFile string `yaml:"value_file,omitempty"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.setDefaults()
	return c
}

// Load reads, expands and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse expands ${VAR} references with lookup, decodes and validates data.
func Parse(data []byte, lookup func(string) (string, bool)) (*Config, error) {
	// A strict decode of the text as written reports unknown keys and wrong
	// types with the file's own line numbers.
	if err := checkKnownKeys(data); err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, cleanYAMLError(err)
	}
	if err := expand(&root, lookup); err != nil {
		return nil, err
	}
	cfg := &Config{}
	if len(root.Content) > 0 {
		if err := root.Decode(cfg); err != nil {
			return nil, nameKeys(cleanYAMLError(err), &root)
		}
	}
	if err := cfg.readSecretFiles(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkKnownKeys decodes the text as written, before expansion, so that an
// unknown key is reported with the file's own line number. Type errors are
// left for the decode after expansion: "${PORT}" is not yet a number.
func checkKnownKeys(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var probe Config
	err := dec.Decode(&probe)
	var typeErr *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF): // an empty file means all defaults
		return nil
	case errors.As(err, &typeErr):
		var unknown []string
		for _, e := range typeErr.Errors {
			if m := unknownField.FindStringSubmatch(e); m != nil {
				msg := fmt.Sprintf("%s: unknown key %q", m[1], m[2])
				if near := closest(m[2], yamlKeys()[m[3]]); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", near)
				}
				unknown = append(unknown, msg)
			}
		}
		if len(unknown) == 0 {
			return nil
		}
		return errors.New(strings.Join(unknown, "; "))
	default:
		return cleanYAMLError(err)
	}
}

func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	return errors.New(msg)
}

// nameKeys puts, in a decoder's message, the key of each line it names
// and plain words for Go's types, without the value, which may be a
// secret expanded from the environment: "line 4: sources[0].secrets: want
// a list".
func nameKeys(err error, root *yaml.Node) error {
	msg := typeMismatch.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := typeMismatch.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		if key := keyAt(root, line); key != "" {
			return fmt.Sprintf("line %s: %s: want %s", sub[1], key, goTypeWords(sub[3]))
		}
		return fmt.Sprintf("line %s: want %s", sub[1], goTypeWords(sub[3]))
	})
	return errors.New(msg)
}

var typeMismatch = regexp.MustCompile("line (\\d+): cannot unmarshal !!\\w+ `([^`]*)` into (\\S+)")

// goTypeWords says what a Go type the decoder names takes.
func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list (write [a, b], or one item a line after -)"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "config."):
		return "a mapping of keys"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	}
	return "a " + t
}

// keyAt returns the path (sources[0].secrets) of the value on line in
// root, "" when none: a scalar, or a flow collection that is a key's value.
func keyAt(root *yaml.Node, line int) string {
	var key string
	eachValue(root, "", func(path string, v *yaml.Node) bool {
		item := strings.HasSuffix(path, "]")
		if path != "" && v.Line == line && (v.Kind == yaml.ScalarNode || v.Style&yaml.FlowStyle != 0 && !item) {
			key = path
		}
		return key != ""
	})
	return key
}

// eachValue calls f for n's content and, depth first, every value below
// it, with the path that names it (sources[0].secrets; "" for the top),
// until f returns true; it reports whether f did.
func eachValue(n *yaml.Node, path string, f func(path string, v *yaml.Node) (stop bool)) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if f(path, c) || eachValue(c, path, f) {
				return true
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			if f(key, n.Content[i+1]) || eachValue(n.Content[i+1], key, f) {
				return true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			item := fmt.Sprintf("%s[%d]", path, i)
			if f(item, c) || eachValue(c, item, f) {
				return true
			}
		}
	}
	return false
}

var unknownField = regexp.MustCompile(`^(line \d+): field (\S+) not found in type (\S+)`)

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in every scalar value; an unset variable is an error
// that names the key it was meant for.
func expand(root *yaml.Node, lookup func(string) (string, bool)) error {
	var err error
	eachValue(root, "", func(path string, n *yaml.Node) bool {
		if n.Kind != yaml.ScalarNode || !varRef.MatchString(n.Value) {
			return false
		}
		var missing string
		n.Value = varRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := varRef.FindStringSubmatch(ref)[1]
			v, ok := lookup(name)
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
		if missing != "" {
			err = fmt.Errorf("%s: environment variable %s is not set", path, missing)
			return true
		}
		// Let the expanded value resolve as what it now looks like, so that
		// "${INSECURE}" can become a boolean; string fields still take any scalar.
		n.Tag = ""
		return false
	})
	return err
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Storage == "" {
		c.Storage = DefaultStorage
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	for i := range c.Sources {
		if c.Sources[i].MaxBodyBytes == 0 {
			c.Sources[i].MaxBodyBytes = c.MaxBodyBytes
		}
	}
	for i := range c.Destinations {
		c.Destinations[i].setDefaults()
	}
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (c *Config) validate() error {
	if !strings.HasPrefix(c.Storage, "sqlite://") && !strings.HasPrefix(c.Storage, "postgres://") && !strings.HasPrefix(c.Storage, "postgresql://") {
		return fmt.Errorf("storage: unsupported store %q: want sqlite://PATH or postgres://USER@HOST/DB", redact.URL(c.Storage))
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > maxMaxBodyBytes {
		return fmt.Errorf("max_body_bytes: %d is outside 1 B to %d B", c.MaxBodyBytes, maxMaxBodyBytes)
	}
	if c.MaxConnections < 1 {
		return errors.New("max_connections: at least 1")
	}
	if c.ShutdownTimeout < 0 {
		return errors.New("shutdown_timeout: must not be negative")
	}
	if c.Retention.RawBodies != 0 && time.Duration(c.Retention.RawBodies) < time.Hour {
		return errors.New("retention.raw_bodies: at least 1h (or 0 to keep raw bodies)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format: %q is not one of text, json", c.Log.Format)
	}
	for i, t := range c.APITokens {
		if t == "" {
			return fmt.Errorf("api_tokens[%d]: empty token", i)
		}
	}
	var err error
	if c.TrustedProxyPrefixes, err = parsePrefixes(c.TrustedProxies, "trusted_proxies"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range c.Sources {
		s := &c.Sources[i]
		key := fmt.Sprintf("sources[%d]", i)
		if err := s.validate(key); err != nil {
			return err
		}
		if seen[s.Name] {
			return fmt.Errorf("%s.name: source %q is configured twice", key, s.Name)
		}
		seen[s.Name] = true
	}
	dests := map[string]bool{}
	for i := range c.Destinations {
		d := &c.Destinations[i]
		key := fmt.Sprintf("destinations[%d]", i)
		if err := d.validate(key, seen); err != nil {
			return err
		}
		if dests[d.Name] {
			return fmt.Errorf("%s.name: destination %q is configured twice", key, d.Name)
		}
		dests[d.Name] = true
	}
	return nil
}

func (s *Source) validate(key string) error {
	if s.Name == "" {
		return fmt.Errorf("%s.name: required", key)
	}
	if !sourceName.MatchString(s.Name) {
		return fmt.Errorf("%s.name: %q must be lowercase letters, digits, '-' or '_' (it is a URL path segment)", key, s.Name)
	}
	key = fmt.Sprintf("%s (%s)", key, s.Name)
	if s.Provider == "" {
		return fmt.Errorf("%s.provider: required (one of %s)", key, strings.Join(registry.Names(), ", "))
	}
	adapter, ok := registry.Lookup(s.Provider)
	if !ok {
		return fmt.Errorf("%s.provider: unknown provider %q (one of %s)", key, s.Provider, strings.Join(registry.Names(), ", "))
	}
	if s.MaxBodyBytes < 0 || s.MaxBodyBytes > maxMaxBodyBytes {
		return fmt.Errorf("%s.max_body_bytes: %d is outside 1 B to %d B", key, s.MaxBodyBytes, maxMaxBodyBytes)
	}
	for j, secret := range s.Secrets {
		if secret == "" {
			return fmt.Errorf("%s.secrets[%d]: empty secret", key, j)
		}
	}
	if adapter.Signs && len(s.Secrets) == 0 && !s.Insecure {
		return fmt.Errorf("%s.secrets: %s signs its webhooks: set at least one secret (or insecure: true to accept unsigned requests)", key, s.Provider)
	}
	if !adapter.Signs && len(s.Secrets) > 0 {
		return fmt.Errorf("%s.secrets: %s signs nothing; authenticate it with auth (basic, bearer, header or url_token) and allow_ips", key, s.Provider)
	}
	if s.MinTrustScore != nil && !slices.Contains(adapter.Options, provider.OptionMinTrustScore) {
		return fmt.Errorf("%s.min_trust_score: %s sends no trust score (only %s)", key, s.Provider, strings.Join(providersTaking(provider.OptionMinTrustScore), ", "))
	}
	if m := s.MinTrustScore; m != nil && (*m < 0 || *m > 1) {
		return fmt.Errorf("%s.min_trust_score: %v is not between 0 and 1", key, *m)
	}
	if s.ExternalUserIDKey != "" && !slices.Contains(adapter.Options, provider.OptionExternalUserIDKey) {
		return fmt.Errorf("%s.external_user_id_key: %s sends the user id in its own field (only %s read it from metadata)", key, s.Provider, strings.Join(providersTaking(provider.OptionExternalUserIDKey), ", "))
	}
	if s.Auth != nil {
		if err := s.Auth.validate(key + ".auth"); err != nil {
			return err
		}
	}
	if s.API != nil {
		if err := s.API.validate(key+".api", adapter); err != nil {
			return err
		}
	}
	var err error
	if s.AllowPrefixes, err = parsePrefixes(s.AllowIPs, key+".allow_ips"); err != nil {
		return err
	}
	if !adapter.Signs && s.Auth == nil && len(s.AllowPrefixes) == 0 && !s.Insecure {
		return fmt.Errorf("%s.auth: %s signs nothing, so this source would accept anyone: set auth or allow_ips (or insecure: true)", key, s.Provider)
	}
	return nil
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

func (a *Auth) validate(key string) error {
	methods := 0
	if a.Basic != nil {
		methods++
		if a.Basic.Username == "" || a.Basic.Password == "" {
			return fmt.Errorf("%s.basic: username and password are required", key)
		}
	}
	if a.Bearer != "" {
		methods++
	}
	if a.Header != nil {
		methods++
		if a.Header.Name == "" || a.Header.Value == "" {
			return fmt.Errorf("%s.header: name and value are required", key)
		}
		if !headerName.MatchString(a.Header.Name) {
			return fmt.Errorf("%s.header.name: %q is not a valid header name", key, a.Header.Name)
		}
		if strings.EqualFold(a.Header.Name, "Authorization") {
			return fmt.Errorf("%s.header.name: use basic or bearer for the Authorization header", key)
		}
	}
	if a.URLToken != "" {
		methods++
		if len(a.URLToken) < 16 {
			return fmt.Errorf("%s.url_token: at least 16 characters, so that it cannot be guessed", key)
		}
		if strings.ContainsAny(a.URLToken, "/?#% ") {
			return fmt.Errorf("%s.url_token: must not contain '/', '?', '#', '%%' or spaces (it is a URL path segment)", key)
		}
	}
	switch methods {
	case 0:
		return fmt.Errorf("%s: set one of basic, bearer, header or url_token", key)
	case 1:
		return nil
	default:
		return fmt.Errorf("%s: set only one of basic, bearer, header or url_token", key)
	}
}

func parsePrefixes(values []string, key string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, v := range values {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q is neither an IP address nor a CIDR prefix", key, i, v)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return out, nil
}

// providersTaking lists the providers whose sources read the option.
func providersTaking(option string) []string {
	var out []string
	for _, a := range registry.All() {
		if slices.Contains(a.Options, option) {
			out = append(out, a.Name)
		}
	}
	return out
}
