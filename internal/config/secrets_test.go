package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yml := `
storage: "postgres://kycgate:hunter2@db:5432/kycgate"
api_tokens_file: ["` + write("api", "api-token-from-file\n") + `"]
sources:
  - name: s
    provider: sumsub
    secrets: ["inline-secret"]
    secrets_file: ["` + write("sumsub", "sumsub-secret-from-file\n") + `"]
  - name: i
    provider: idwise
    auth: { basic: { username: u, password_file: "` + write("pw", "password-from-file") + `" } }
  - name: v
    provider: vericato
    auth: { url_token_file: "` + write("tok", "url-token-from-file-0123\n") + `" }
    api: { api_key_file: "` + write("apikey", "api-key-from-file\n") + `" }
destinations:
  - name: d
    url: "https://app.internal/hooks"
    secret_file: "` + write("whsec", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n") + `"
`
	cfg, err := Parse([]byte(yml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sources[0].Secrets; len(got) != 2 || got[1] != "sumsub-secret-from-file" {
		t.Errorf("secrets = %q", got)
	}
	if cfg.APITokens[0] != "api-token-from-file" || cfg.Sources[1].Auth.Basic.Password != "password-from-file" ||
		cfg.Sources[2].Auth.URLToken != "url-token-from-file-0123" || cfg.Sources[2].API.Keys["api_key"] != "api-key-from-file" || len(cfg.Destinations[0].SigningKeys) != 1 {
		t.Errorf("files not read: %+v", cfg)
	}
	dump, err := cfg.Masked()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "inline-secret", "from-file", "whsec_", "MfKQ9r8"} {
		if strings.Contains(string(dump), secret) {
			t.Errorf("the masked dump shows %q:\n%s", secret, dump)
		}
	}
	for _, kept := range []string{"name: s", "provider: sumsub", "username: u", "<redacted>", "postgres://kycgate:<redacted>@db:5432/kycgate"} {
		if !strings.Contains(string(dump), kept) {
			t.Errorf("the masked dump lacks %q:\n%s", kept, dump)
		}
	}

	for name, tc := range map[string]struct{ yml, want string }{
		"missing file": {"sources:\n  - {name: s, provider: sumsub, secrets_file: [/nonexistent/secret]}", "sources[0].secrets_file[0]: open /nonexistent/secret"},
		"empty file":   {"api_tokens_file: [\"" + write("empty", "\n") + "\"]", "api_tokens_file[0]: " + filepath.Join(dir, "empty") + " is empty"},
		"both":         {"sources:\n  - {name: i, provider: idwise, auth: {bearer: x, bearer_file: \"" + write("b", "y") + "\"}}", "sources[0].auth.bearer: set bearer or bearer_file, not both"},
	} {
		if _, err := Parse([]byte(tc.yml), func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
