package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// TestConfigBenchSources: against a gateway of the user's, the load tool
// sends each provider's webhooks to the first source it can authenticate
// to as the provider does, and says why it passed over the others.
func TestConfigBenchSources(t *testing.T) {
	cfg, err := config.Parse([]byte(`
sources:
  - {name: a, provider: sumsub, secrets: [s1, s2]}
  - {name: b, provider: sumsub, secrets: [s3]}
  - {name: c, provider: idwise, auth: {basic: {username: u, password: p}}}
  - {name: d, provider: idwise, auth: {bearer: tok}}
  - {name: e, provider: vericato, auth: {url_token: tokentokentokentoken}}
  - {name: f, provider: metamap, secrets: [m], auth: {bearer: other}}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	got, skipped := configBenchSources(cfg)
	want := []benchSource{
		{"sumsub", "/webhooks/a", "s1"},
		{"idwise", "/webhooks/d", "tok"},
		{"vericato", "/webhooks/e/tokentokentokentoken", ""},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sources:\n got %v\nwant %v", got, want)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], `"c"`) || !strings.Contains(skipped[1], `"f"`) {
		t.Errorf("skipped: %q", skipped)
	}
}

// TestTraffic: the webhooks come from every source in turn, the asked
// fraction of them repeats, and there are as many as asked even when every
// other one is a repeat.
func TestTraffic(t *testing.T) {
	s := demo.NewSecrets()
	sources := demoBenchSources(s)
	for _, dup := range []float64{0, 0.5, 0.9} {
		reqs, err := newTraffic(sources, dup, 7).make(20_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 20_000 {
			t.Fatalf("dup %v: %d requests", dup, len(reqs))
		}
		seen, repeats, paths := map[string]bool{}, 0, map[string]int{}
		for _, r := range reqs {
			if seen[string(r.Body)+r.Path] {
				repeats++
			}
			seen[string(r.Body)+r.Path] = true
			paths[strings.SplitN(r.Path, "/", 4)[2]]++
		}
		if got := float64(repeats) / float64(len(reqs)); got < dup-0.05 || got > dup+0.05 {
			t.Errorf("dup %v: %.2f of the requests repeat one", dup, got)
		}
		if len(paths) != len(registry.Names()) { // one demo source per provider
			t.Errorf("dup %v: sources %v", dup, paths)
		}
	}
}
