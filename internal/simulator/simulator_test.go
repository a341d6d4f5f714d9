package simulator_test

import (
	"math/rand/v2"
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
	"github.com/kycgate/kycgate/internal/simulator"
)

// TestJourneys_AdaptersUnderstandThem: every delivery of every scenario
// authenticates with the same credentials and parses as a known event of
// the journey's verification, with a dedup key of its own.
func TestJourneys_AdaptersUnderstandThem(t *testing.T) {
	const secret = "sim-secret"
	r := rand.New(rand.NewPCG(3, 4))
	for _, name := range simulator.Providers() {
		a, ok := registry.Lookup(name)
		if !ok {
			t.Fatalf("the simulator plays %s, which kycgate has no adapter for", name)
		}
		p, _ := a.New(provider.Config{Secrets: []string{secret}})
		scenarios, err := simulator.Scenarios(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(scenarios) < 3 {
			t.Errorf("%s has only %d scenarios", name, len(scenarios))
		}
		for scenario := range scenarios {
			js, err := simulator.NewJourneys(simulator.Options{Provider: name, Scenario: scenario, Count: 2, Rand: r, Users: []string{"u1"}, Creds: simulator.Credentials{Secret: secret}})
			if err != nil {
				t.Fatal(err)
			}
			keys := map[string]bool{}
			for _, j := range js {
				if j.ExternalUserID != "u1" || j.Want == "" || len(j.Deliveries) == 0 {
					t.Errorf("%s/%s: journey %+v", name, scenario, j)
				}
				for _, d := range j.Deliveries {
					if err := p.Authenticate(d.Header, d.Body); err != nil {
						t.Errorf("%s/%s %s: %v", name, scenario, d.Event, err)
					}
					id, _, err := p.Parse(d.Header, d.Body)
					if err != nil || !a.Known(id.ProviderEvent) || id.ProviderEvent != d.Event || id.VerificationID != j.VerificationID {
						t.Errorf("%s/%s %s: %+v, %v\n%s", name, scenario, d.Event, id, err, d.Body)
					}
					if keys[id.DedupKey] {
						t.Errorf("%s/%s: two deliveries share dedup key %s", name, scenario, id.DedupKey)
					}
					keys[id.DedupKey] = true
				}
			}
		}
	}
}

func TestNewJourneys_Errors(t *testing.T) {
	if _, err := simulator.NewJourneys(simulator.Options{Provider: "no-such-provider", Count: 1}); err == nil {
		t.Error("unknown provider accepted")
	}
	if _, err := simulator.NewJourneys(simulator.Options{Provider: "sumsub", Scenario: "teleported", Count: 1}); err == nil {
		t.Error("unknown scenario accepted")
	}
	if _, err := simulator.Scenarios("no-such-provider"); err == nil {
		t.Error("Scenarios(unknown) accepted")
	}
}
