package idwise_test

import (
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/idwise"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

// IDWise keeps eventId across retries and sends no time at all.
func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, idwise.Adapter, "")
	p, _ := idwise.New(provider.Config{})
	id, _, err := p.Parse(nil, providertest.Examples(t)["finished_spot_check.json"])
	if err != nil || id.VerificationID != "6731a0c4e5f6a7b8c9d0e1f2" {
		t.Errorf("spot check filed under %+v, %v; want its spotCheckJourneyId", id, err)
	}
	if !id.OccurredAt.IsZero() {
		t.Errorf("OccurredAt = %v, want zero: IDWise sends no time", id.OccurredAt)
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, idwise.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, idwise.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, idwise.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, idwise.Adapter) }
