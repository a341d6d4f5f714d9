package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestParse_Valid(t *testing.T) {
	yml := `
listen: "127.0.0.1:9090"
storage: "sqlite://${DATA_DIR}/kycgate.db"
api_tokens: ["${API_TOKEN}"]
trusted_proxies: ["10.0.0.0/8", "127.0.0.1"]
max_body_bytes: 512KiB
sources:
  - name: sumsub-prod
    provider: sumsub
    secrets: ["${SUMSUB_SECRET}", "old-secret"]
  - name: idwise
    provider: idwise
    auth: { bearer: "${IDWISE_TOKEN}" }
    max_body_bytes: 2MiB
  - name: vericato
    provider: vericato
    auth: { url_token: "${VERICATO_URL_TOKEN}" }
    allow_ips: ["203.0.113.0/24"]
  - name: verifyyou-test
    provider: verifyyou
    insecure: ${INSECURE}
retention: { raw_bodies: 90d }
destinations:
  - name: my-app
    url: "https://app.internal/hooks/kyc"
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "${OLD_WHSEC}"]
    filter: { types: ["verification.decided"], providers: ["sumsub"], sources: ["sumsub-prod"] }
  - name: stream
    nats: { url: "nats://127.0.0.1:4222", subject: "kycgate.events" }
`
	cfg, err := Parse([]byte(yml), env(map[string]string{
		"DATA_DIR": "/var/lib/kycgate", "API_TOKEN": "tok", "SUMSUB_SECRET": "s3cret",
		"IDWISE_TOKEN": "idw", "VERICATO_URL_TOKEN": "0123456789abcdef", "INSECURE": "true", "OLD_WHSEC": "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage != "sqlite:///var/lib/kycgate/kycgate.db" {
		t.Errorf("storage = %q", cfg.Storage)
	}
	if got := cfg.Sources[0].Secrets; len(got) != 2 || got[0] != "s3cret" {
		t.Errorf("secrets = %q", got)
	}
	if cfg.Sources[1].Auth.Bearer != "idw" {
		t.Errorf("bearer = %q", cfg.Sources[1].Auth.Bearer)
	}
	if cfg.Sources[0].MaxBodyBytes != 512<<10 || cfg.Sources[1].MaxBodyBytes != 2<<20 {
		t.Errorf("max body = %d, %d", cfg.Sources[0].MaxBodyBytes, cfg.Sources[1].MaxBodyBytes)
	}
	if !cfg.Sources[3].Insecure {
		t.Error("insecure from ${INSECURE} not read as true")
	}
	if len(cfg.Sources[2].AllowPrefixes) != 1 || len(cfg.TrustedProxyPrefixes) != 2 {
		t.Errorf("prefixes = %v, %v", cfg.Sources[2].AllowPrefixes, cfg.TrustedProxyPrefixes)
	}
	if d := cfg.Destinations[0]; len(d.SigningKeys) != 2 || d.MaxAttempts != DefaultDeliveryMaxAttempts || time.Duration(d.Timeout) != DefaultDeliveryTimeout {
		t.Errorf("destination: %+v", d)
	}
	if d := cfg.Destinations[1]; d.NATS == nil || d.NATS.Stream != "KYCGATE" {
		t.Errorf("nats destination: %+v", d)
	}
	if !cfg.Destinations[0].Filter.Match("verification.decided", "sumsub", "sumsub-prod") || cfg.Destinations[0].Filter.Match("verification.created", "sumsub", "sumsub-prod") {
		t.Error("filter does not select as configured")
	}
	if time.Duration(cfg.Retention.RawBodies) != 90*24*time.Hour {
		t.Errorf("retention = %v", cfg.Retention.RawBodies)
	}
	if time.Duration(cfg.ShutdownTimeout) != DefaultShutdownTimeout || cfg.Log.Format != "text" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestParse_API(t *testing.T) {
	yml := `
sources:
  - {name: s, provider: sumsub, secrets: [x], api: {app_token: "${T}", secret_key: k}}
  - {name: i, provider: idwise, insecure: true, api: {api_key: k, api_secret: s, region: uae, min_interval: 1s}}
  - {name: v, provider: vericato, insecure: true, api: {api_key: k, base_url: "http://127.0.0.1:9/vericato", min_interval: 500ms, timeout: 5s}}
`
	cfg, err := Parse([]byte(yml), env(map[string]string{"T": "prd:token"}))
	if err != nil {
		t.Fatal(err)
	}
	s, i, v := cfg.Sources[0].API, cfg.Sources[1].API, cfg.Sources[2].API
	if s.BaseURL != "https://api.sumsub.com" || s.Keys["app_token"] != "prd:token" || s.Timeout != Duration(DefaultAPITimeout) {
		t.Errorf("sumsub api = %+v", s)
	}
	// IDWise asks for 2 s between calls: a shorter min_interval is raised.
	if i.BaseURL != "https://api-uae.idwise.com" || i.MinInterval != Duration(2*time.Second) {
		t.Errorf("idwise api = %+v", i)
	}
	if v.BaseURL != "http://127.0.0.1:9/vericato" || v.MinInterval != Duration(500*time.Millisecond) || v.Timeout != Duration(5*time.Second) {
		t.Errorf("vericato api = %+v", v)
	}
	dump, err := cfg.Masked()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(dump), "prd:token") || !strings.Contains(string(dump), "api-uae.idwise.com") {
		t.Errorf("masked dump:\n%s", dump)
	}
}

func TestParse_EmptyFileIsDefaults(t *testing.T) {
	cfg, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != DefaultListen || cfg.Storage != DefaultStorage || cfg.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("got %+v", cfg)
	}
}

func TestParse_Invalid(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"not yaml", "sources: [", "did not find expected"},
		{"one value for a list", "sources:\n  - name: a\n    provider: sumsub\n    secrets: abc", "line 4: sources[0].secrets: want a list (write [a, b], or one item a line after -)"},
		{"a word for a number", "max_connections: lots", "line 1: max_connections: want a whole number"},
		{"a destination secret that is not one", "destinations:\n  - {name: app, url: \"https://app.internal/kyc\", secret: \"nope\"}", "destinations[0] (app).secret: "},
		{"a destination's second secret", "destinations:\n  - {name: app, url: \"https://app.internal/kyc\", secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", secrets: [\"nope\"]}", "destinations[0] (app).secrets[0]: "},
		{"a key cut short", "retention: {raw_body: 90d}", "line 1: unknown key \"raw_body\" (did you mean \"raw_bodies\"?)"},
		{"an api key file cut short", "sources:\n  - name: a\n    provider: sumsub\n    secrets: [x]\n    api:\n      app_token: t\n      secret_key_fil: /k", "(did you mean \"secret_key_file\"?)"},
		{"unknown top-level key", "listne: \":80\"", "line 1: unknown key \"listne\" (did you mean \"listen\"?)"},
		{"unknown source key", "sources:\n  - name: a\n    provider: sumsub\n    secret: x", "line 4: unknown key \"secret\" (did you mean \"secrets\"?)"},
		{"unknown key like none", "sources:\n  - name: a\n    provider: sumsub\n    colour: x", "line 4: unknown key \"colour\""},
		{"unset variable", "sources:\n  - name: a\n    provider: sumsub\n    secrets: [\"${NOPE}\"]", "sources[0].secrets[0]: environment variable NOPE is not set"},
		{"unknown provider", "sources:\n  - name: a\n    provider: no-such-provider\n    insecure: true", "sources[0] (a).provider: unknown provider \"no-such-provider\""},
		{"missing provider", "sources:\n  - name: a", "sources[0] (a).provider: required"},
		{"missing name", "sources:\n  - provider: sumsub", "sources[0].name: required"},
		{"bad name", "sources:\n  - name: Sumsub/Prod\n    provider: sumsub", "sources[0].name: \"Sumsub/Prod\""},
		{"duplicate name", "sources:\n  - {name: a, provider: sumsub, secrets: [x]}\n  - {name: a, provider: metamap, secrets: [y]}", "sources[1].name: source \"a\" is configured twice"},
		{"signing provider without secret", "sources:\n  - name: a\n    provider: metamap", "sources[0] (a).secrets: metamap signs its webhooks"},
		{"empty secret", "sources:\n  - name: a\n    provider: verifyyou\n    secrets: [\"${EMPTY}\"]", "sources[0] (a).secrets[0]: empty secret"},
		{"secrets on a provider that signs nothing", "sources:\n  - name: a\n    provider: idwise\n    secrets: [x]", "sources[0] (a).secrets: idwise signs nothing"},
		{"accepts anyone", "sources:\n  - name: a\n    provider: vericato", "sources[0] (a).auth: vericato signs nothing, so this source would accept anyone"},
		{"two auth methods", "sources:\n  - name: a\n    provider: idwise\n    auth: {bearer: x, url_token: 0123456789abcdef}", "sources[0] (a).auth: set only one"},
		{"empty auth", "sources:\n  - name: a\n    provider: idwise\n    auth: {}", "sources[0] (a).auth: set one of"},
		{"basic without password", "sources:\n  - name: a\n    provider: idwise\n    auth: {basic: {username: u}}", "sources[0] (a).auth.basic: username and password are required"},
		{"bad header name", "sources:\n  - name: a\n    provider: idwise\n    auth: {header: {name: \"X Bad\", value: v}}", "sources[0] (a).auth.header.name"},
		{"short url token", "sources:\n  - name: a\n    provider: vericato\n    auth: {url_token: short}", "sources[0] (a).auth.url_token: at least 16"},
		{"bad allow_ips", "sources:\n  - name: a\n    provider: vericato\n    allow_ips: [\"300.1.1.1\"]", "sources[0] (a).allow_ips[0]"},
		{"bad trusted proxy", "trusted_proxies: [\"nope\"]", "trusted_proxies[0]"},
		{"bad storage", "storage: \"mysql://x\"", "storage: unsupported store \"mysql://x\": want sqlite://PATH or postgres://"},
		{"bad size", "max_body_bytes: lots", "not a size"},
		{"huge size", "max_body_bytes: 1GiB", "max_body_bytes"},
		{"bad duration", "shutdown_timeout: soon", "not a duration"},
		{"bad log level", "log: {level: loud}", "log.level"},
		{"bad type after expansion", "sources:\n  - name: a\n    provider: idwise\n    insecure: ${WORD}", "line 4: sources[0].insecure: want true or false"},
		{"trust score on a provider that sends none", "sources:\n  - name: a\n    provider: sumsub\n    secrets: [x]\n    min_trust_score: 0.5", "sources[0] (a).min_trust_score: sumsub sends no trust score (only verifyyou)"},
		{"trust score out of range", "sources:\n  - name: a\n    provider: verifyyou\n    secrets: [x]\n    min_trust_score: 1.5", "sources[0] (a).min_trust_score: 1.5 is not between 0 and 1"},
		{"user id key on a provider that has its own field", "sources:\n  - name: a\n    provider: sumsub\n    secrets: [x]\n    external_user_id_key: uid", "sources[0] (a).external_user_id_key: sumsub sends the user id in its own field (only metamap read it from metadata)"},
		{"destination without url or nats", "destinations:\n  - name: d", "destinations[0] (d): set url"},
		{"destination with both", "destinations:\n  - {name: d, url: \"https://x\", nats: {url: \"nats://x:4222\", subject: s}}", "set url or nats, not both"},
		{"destination without secret", "destinations:\n  - {name: d, url: \"https://app.internal/hooks\"}", "destinations[0] (d).secret: required"},
		{"destination secret not whsec", "destinations:\n  - {name: d, url: \"https://x\", secret: plain}", "starts with whsec_"},
		{"destination secret not base64", "destinations:\n  - {name: d, url: \"https://x\", secret: whsec_%%%}", "not base64"},
		{"destination secret too short", "destinations:\n  - {name: d, url: \"https://x\", secret: whsec_c2hvcnQ=}", "use 24 to 64"},
		{"destination bad url", "destinations:\n  - {name: d, url: \"ftp://x\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}", "destinations[0] (d).url"},
		{"destination bad type", "destinations:\n  - {name: d, url: \"https://x\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, filter: {types: [decided]}}", "filter.types: \"decided\""},
		{"destination unknown source", "destinations:\n  - {name: d, url: \"https://x\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, filter: {sources: [nope]}}", "filter.sources: no source named \"nope\""},
		{"destination unknown provider", "destinations:\n  - {name: d, url: \"https://x\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, filter: {providers: [no-such-provider]}}", "filter.providers"},
		{"nats bad url", "destinations:\n  - {name: d, nats: {url: \"http://x\", subject: s}}", "nats.url"},
		{"nats wildcard subject", "destinations:\n  - {name: d, nats: {url: \"nats://127.0.0.1:4222\", subject: \"kycgate.>\"}}", "nats.subject"},
		{"duplicate destination", "destinations:\n  - {name: d, nats: {url: \"nats://h:1\", subject: s}}\n  - {name: d, nats: {url: \"nats://h:1\", subject: s}}", "destination \"d\" is configured twice"},
		{"destination zero attempts", "destinations:\n  - {name: d, nats: {url: \"nats://h:1\", subject: s}, max_attempts: -1}", "max_attempts"},
		{"retention too short", "retention: {raw_bodies: 5m}", "retention.raw_bodies: at least 1h"},
		{"empty api token", "api_tokens: [\"${EMPTY}\"]", "api_tokens[0]: empty token"},
		{"api key missing", "sources:\n  - {name: a, provider: sumsub, secrets: [x], api: {app_token: t}}", "sources[0] (a).api.secret_key: required: sumsub's API takes app_token and secret_key"},
		{"api key of another provider", "sources:\n  - {name: a, provider: metamap, secrets: [x], api: {client_id: i, client_secret: s, api_key: k}}", "sources[0] (a).api.api_key: metamap's API does not take it"},
		{"api empty", "sources:\n  - {name: a, provider: vericato, insecure: true, api: {}}", "sources[0] (a).api.api_key: required"},
		{"api bad base url", "sources:\n  - {name: a, provider: vericato, insecure: true, api: {api_key: k, base_url: \"ftp://x\"}}", "api.base_url"},
		{"api base url with credentials", "sources:\n  - {name: a, provider: vericato, insecure: true, api: {api_key: k, base_url: \"https://u:p@x\"}}", "api.base_url"},
		{"api region elsewhere", "sources:\n  - {name: a, provider: vericato, insecure: true, api: {api_key: k, region: uae}}", "vericato's API has one host"},
		{"api region unknown", "sources:\n  - {name: a, provider: idwise, insecure: true, api: {api_key: k, api_secret: s, region: mars}}", "api.region: \"mars\": one of eu, qatar, uae"},
		{"api unknown region", "sources:\n  - {name: a, provider: idwise, insecure: true, api: {api_key: k, api_secret: s, region: mars}}", "api.region: \"mars\""},
		{"api unknown key", "sources:\n  - name: a\n    provider: idwise\n    insecure: true\n    api:\n      password: p", "api.password: idwise's API does not take it; its credentials are api_key and api_secret (each may be KEY_file, a file holding it), and every api block may set base_url, min_interval, timeout, and region where the provider has several hosts"},
		{"api key typo", "sources:\n  - name: a\n    provider: onfido\n    secrets: [x]\n    api:\n      api_token: t\n      regoin: eu", "api.regoin: onfido's API does not take it; its credentials are api_token (each may be KEY_file, a file holding it), and every api block may set base_url, min_interval, timeout, and region where the provider has several hosts (did you mean \"region\"?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yml), env(map[string]string{"EMPTY": "", "WORD": "maybe"}))
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kycgate.yaml")
	if err := os.WriteFile(path, []byte("listen: \":1234\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil || cfg.Listen != ":1234" {
		t.Fatalf("Load = %+v, %v", cfg, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1048576": 1 << 20, "1MiB": 1 << 20, "512KiB": 512 << 10, "2MB": 2e6, "10B": 10} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TiB", "MiB", "9999999999999999999"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	if d, err := ParseDuration("90d"); err != nil || d != 90*24*time.Hour {
		t.Errorf("90d = %v, %v", d, err)
	}
	if d, err := ParseDuration("15s"); err != nil || d != 15*time.Second {
		t.Errorf("15s = %v, %v", d, err)
	}
	if _, err := ParseDuration("xd"); err == nil {
		t.Error("xd accepted")
	}
}

// TestFilter_DecisionFollowers: a filter that takes verification.decided
// takes what may change a decision once made, and nothing else it does
// not name.
func TestFilter_DecisionFollowers(t *testing.T) {
	f := Filter{Types: []string{"verification.decided"}, Providers: []string{"sumsub"}}
	for _, typ := range []kycgate.EventType{kycgate.EventDecided, kycgate.EventReset, kycgate.EventExpired, kycgate.EventDeleted, kycgate.EventUpdated, kycgate.EventAMLUpdate, kycgate.EventEnriched} {
		if !f.Match(typ, "sumsub", "s") {
			t.Errorf("%s does not pass a decided filter", typ)
		}
		if f.Match(typ, "metamap", "s") {
			t.Errorf("%s of another provider passes", typ)
		}
	}
	for _, typ := range []kycgate.EventType{kycgate.EventStarted, kycgate.EventSubmitted, kycgate.EventOnHold, kycgate.EventOther} {
		if f.Match(typ, "sumsub", "s") {
			t.Errorf("%s passes a decided filter", typ)
		}
	}
	if (Filter{Types: []string{"verification.started"}}).Match(kycgate.EventReset, "sumsub", "s") {
		t.Error("a filter without verification.decided takes a reset")
	}
}

// TestParse_TypeErrorHidesTheValue: a value of the wrong type is not
// shown, since it may be a secret from the environment.
func TestParse_TypeErrorHidesTheValue(t *testing.T) {
	_, err := Parse([]byte("sources:\n  - name: a\n    provider: sumsub\n    secrets: ${S}\n"), env(map[string]string{"S": "s3cret-value-42"}))
	if err == nil || strings.Contains(err.Error(), "s3cret-value-42") || !strings.Contains(err.Error(), "sources[0].secrets: want a list") {
		t.Errorf("error %v", err)
	}
}
