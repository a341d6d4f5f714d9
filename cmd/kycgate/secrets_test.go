package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every secret a configuration can hold, each a distinct string to look for.
var secretsShown = []string{
	"SECRET-api-token-0001", "SECRET-sumsub-0002", "SECRET-basic-pass-0003", "SECRET-bearer-0004",
	"SECRET-header-0005", "SECRET-url-token-0006", "SECRET-app-token-0007", "SECRET-secret-key-0008",
	"SECRET-client-secret-0009", "SECRET-idwise-key-0010", "SECRET-idwise-secret-0011",
	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "SECRET-nats-pass-0012", "SECRET-nats-token-0013",
	"SECRET-pg-pass-0014", "SECRET-pg-query-0015",
}

// secretsConfig returns a configuration holding every secret above, with
// storage at the PostgreSQL URL dsn, which carries two of them.
func secretsConfig(dsn string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
storage: %q
api_tokens: ["SECRET-api-token-0001"]
sources:
  - name: sumsub
    provider: sumsub
    secrets: ["SECRET-sumsub-0002"]
    api: {app_token: "SECRET-app-token-0007", secret_key: "SECRET-secret-key-0008"}
  - name: metamap
    provider: metamap
    secrets: ["SECRET-sumsub-0002"]
    api: {client_id: "id", client_secret: "SECRET-client-secret-0009"}
  - name: idwise-basic
    provider: idwise
    auth: {basic: {username: kyc, password: "SECRET-basic-pass-0003"}}
    api: {api_key: "SECRET-idwise-key-0010", api_secret: "SECRET-idwise-secret-0011"}
  - {name: idwise-bearer, provider: idwise, auth: {bearer: "SECRET-bearer-0004"}}
  - {name: idwise-header, provider: idwise, auth: {header: {name: X-Token, value: "SECRET-header-0005"}}}
  - {name: vericato, provider: vericato, auth: {url_token: "SECRET-url-token-0006"}}
destinations:
  - {name: app, url: "https://app.example/hooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
%s`, dsn, natsDestinations)
}

var natsDestinations = `  - {name: stream, nats: {url: "nats://kyc:SECRET-nats-pass-0012@127.0.0.1:4222", subject: kycgate.events}}
  - {name: stream2, nats: {url: "nats://SECRET-nats-token-0013@127.0.0.1:4222", subject: kycgate.other}}
`

// schemaWithPasswords is the PostgreSQL URL of a test's own schema with
// passwords in both places a URL carries them. On a server that trusts
// local connections (the machine's) they are two of the secrets above and
// are ignored; a URL that has a password already keeps it, and it becomes
// a secret to look for.
func schemaWithPasswords(t *testing.T, schema string) string {
	t.Helper()
	u, err := url.Parse(schema)
	if err != nil {
		t.Fatal(err)
	}
	if password, ok := u.User.Password(); ok {
		secretsShown = append(secretsShown, password)
		t.Cleanup(func() { secretsShown = secretsShown[:len(secretsShown)-1] })
		return schema
	}
	u.User = url.UserPassword(u.User.Username(), "SECRET-pg-pass-0014")
	u.RawQuery += "&password=SECRET-pg-query-0015"
	return u.String()
}

func writeConfig(t *testing.T, yml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kycgate.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noSecretIn(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range secretsShown {
		if strings.Contains(out, s) {
			t.Errorf("%s shows %s:\n%s", what, s, out)
		}
	}
}

// TestSecrets_NeverShown: no configured secret appears in anything kycgate
// prints: config check, its errors, migrate, and the logs of serve
// (start-up, refused webhooks, refused logins, shutdown).
func TestSecrets_NeverShown(t *testing.T) {
	pgDSN := "postgres://root:SECRET-pg-pass-0014@127.0.0.1:5432/test?sslmode=disable&password=SECRET-pg-query-0015"
	t.Run("config check", func(t *testing.T) {
		code, out, errOut := cli(t, "config", "check", "--config", writeConfig(t, secretsConfig(pgDSN)))
		if code != 0 || !strings.Contains(out, "<redacted>") {
			t.Fatalf("config check: %d\n%s%s", code, out, errOut)
		}
		noSecretIn(t, "config check", out+errOut)
	})
	t.Run("rejected values", func(t *testing.T) {
		for name, yml := range map[string]string{
			"api.base_url with credentials": strings.Replace(secretsConfig(pgDSN), `api: {app_token:`, `api: {base_url: "https://u:SECRET-pg-pass-0014@api.example/?api_key=SECRET-pg-query-0015", app_token:`, 1),
			"nats url not nats://":          strings.Replace(secretsConfig(pgDSN), "nats://kyc:", "http://kyc:", 1),
			"destination url not http(s)":   strings.Replace(secretsConfig(pgDSN), `url: "https://app.example/hooks"`, `url: "ftp://u:SECRET-nats-pass-0012@app.example/?token=SECRET-nats-token-0013"`, 1),
			"storage unsupported":           strings.Replace(secretsConfig(pgDSN), `storage: "postgres://`, `storage: "mysql://`, 1),
		} {
			code, out, errOut := cli(t, "config", "check", "--config", writeConfig(t, yml))
			if code != exitUsage {
				t.Errorf("%s: exit %d, want %d\n%s", name, code, exitUsage, errOut)
			}
			noSecretIn(t, name, out+errOut)
		}
	})
	t.Run("serve refused by its NATS server", func(t *testing.T) {
		schema, ok := postgresSchema(t)
		if !ok {
			t.Skip("needs PostgreSQL")
		}
		unreachable := strings.ReplaceAll(natsDestinations, "127.0.0.1:4222", "127.0.0.1:1")
		path := writeConfig(t, strings.Replace(secretsConfig(schemaWithPasswords(t, schema)), natsDestinations, unreachable, 1))
		code, out, errOut := cli(t, "serve", "--config", path)
		if code != exitFailure || !strings.Contains(errOut, "nats") {
			t.Fatalf("serve with an unreachable NATS server: exit %d\n%s%s", code, out, errOut)
		}
		noSecretIn(t, "serve's error", out+errOut)
	})
	t.Run("migrate and serve", func(t *testing.T) {
		schema, ok := postgresSchema(t)
		if !ok {
			t.Skip("needs PostgreSQL")
		}
		path := writeConfig(t, strings.Replace(secretsConfig(schemaWithPasswords(t, schema)), natsDestinations, "", 1)) // serve connects to its destinations
		code, out, errOut := cli(t, "migrate", "--config", path)
		if code != 0 {
			t.Fatalf("migrate: %d %s", code, errOut)
		}
		noSecretIn(t, "migrate", out+errOut)

		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncWriter
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"serve", "--config", path}, &stdout, &stderr) }()
		listening := regexp.MustCompile(`msg=listening addr=(\S+)`)
		var addr string
		waitUntil(t, "serve listening", func() bool {
			m := listening.FindStringSubmatch(stderr.String())
			if m != nil {
				addr = m[1]
			}
			return m != nil
		})
		base := "http://" + addr
		for _, req := range []struct{ path, auth string }{
			{"/webhooks/idwise-basic", "Basic a3ljOndyb25n"},
			{"/webhooks/idwise-bearer", "Bearer wrong"},
			{"/webhooks/sumsub", ""},
			{"/api/v1/verifications", "Bearer SECRET-api-token-000"},
		} {
			r, _ := http.NewRequest(http.MethodPost, base+req.path, strings.NewReader(`{}`))
			if strings.HasPrefix(req.path, "/api") {
				r.Method = http.MethodGet
			}
			if req.auth != "" {
				r.Header.Set("Authorization", req.auth)
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp, err := http.PostForm(base+"/login", map[string][]string{"token": {"guess"}})
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
		if !strings.Contains(stderr.String(), "storage=") {
			t.Errorf("no storage in the start-up log:\n%s", stderr.String())
		}
		noSecretIn(t, "serve", stdout.String()+stderr.String())
	})
}
