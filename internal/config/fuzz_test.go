package config

import "testing"

// FuzzParse: no input makes the loader panic, and an accepted configuration
// is valid by the loader's own rules.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"listen: \":8080\"\nsources:\n  - {name: s, provider: sumsub, secrets: [x]}\n",
		"sources:\n  - name: v\n    provider: vericato\n    auth: { url_token: \"${TOKEN}\" }\n    allow_ips: [\"203.0.113.0/24\"]\n",
		"destinations:\n  - {name: d, url: \"https://x\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, filter: {types: [verification.decided]}}\n",
		"max_body_bytes: 1MiB\nshutdown_timeout: 90d\nretention: {raw_bodies: 2h}\n",
		"sources: [{name: a, provider: idwise, auth: {basic: {username: u, password: p}}}]",
		"a: &a [*a, *a]\nb: *a\n",
		"{{{{",
	} {
		f.Add([]byte(seed))
	}
	lookup := func(k string) (string, bool) { return "value-of-" + k, k != "UNSET" }
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, lookup)
		if err != nil {
			return
		}
		if err := cfg.validate(); err != nil {
			t.Fatalf("accepted a configuration its own validation refuses: %v", err)
		}
		if _, err := cfg.Masked(); err != nil {
			t.Fatalf("cannot mask an accepted configuration: %v", err)
		}
	})
}
