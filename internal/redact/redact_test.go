package redact_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/redact"
)

func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://kyc:s3cret@db:5432/kyc", "postgres://kyc:<redacted>@db:5432/kyc"},
		{"postgres://kyc@db/kyc?sslmode=disable&password=s3cret", "postgres://kyc@db/kyc?sslmode=disable&password=<redacted>"},
		{"postgresql://kyc:a:b@c@db/kyc?Password=x&sslpassword=y&pool_max_conns=4", "postgresql://kyc:<redacted>@db/kyc?Password=<redacted>&sslpassword=<redacted>&pool_max_conns=4"},
		{"nats://user:pass@127.0.0.1:4222", "nats://user:<redacted>@127.0.0.1:4222"},
		{"nats://s3cret-token@127.0.0.1:4222", "nats://<redacted>@127.0.0.1:4222"},
		{"https://api:k3y@api.example/v1?api_key=1&x=2#frag", "https://api:<redacted>@api.example/v1?api_key=<redacted>&x=2#frag"},
		{"https://h.example/hook?token=abc", "https://h.example/hook?token=<redacted>"},
		{"sqlite://./kycgate.db", "sqlite://./kycgate.db"},
		{"not a url", "not a url"},
		{"http://u:p w@bad host/", "http://u:<redacted>@bad host/"},
	} {
		if got := redact.URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	got := redact.URLSecrets("postgres://kyc:pw1@db/kyc?password=pw2&sslmode=disable")
	if !slices.Equal(got, []string{"pw1", "pw2"}) {
		t.Errorf("URLSecrets = %q", got)
	}
	if got := redact.URLSecrets("nats://tok@h:4222"); !slices.Equal(got, []string{"tok"}) {
		t.Errorf("nats token: %q", got)
	}
}

func TestRedactor_Handler(t *testing.T) {
	var buf bytes.Buffer
	r := redact.New("s3cret", "p@ss word", "")
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, nil))).With("dsn", "postgres://u:s3cret@h/db")
	log.Info("using s3cret", "err", errors.New("auth p@ss word refused"), "url", "x?password=p%40ss+word", slog.Group("g", "k", "s3cret"), "n", 3)
	out := buf.String()
	for _, s := range []string{"s3cret", "p@ss word", "p%40ss+word"} {
		if strings.Contains(out, s) {
			t.Errorf("log shows %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "n=3") || !strings.Contains(out, "<redacted>") {
		t.Errorf("log lost what is not secret:\n%s", out)
	}
}
