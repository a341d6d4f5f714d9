package vericato_test

import (
	"net/http"
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/providertest"
	"github.com/kycgate/kycgate/internal/provider/vericato"
)

func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, vericato.Adapter, "timestamp")
}

// Vericato signs nothing: its own headers, when they disagree with the
// body, do not make an authentic webhook (one with the source's URL
// token) refused; the body says what happened.
func TestProvider_HeadersNeverRefuse(t *testing.T) {
	p, _ := vericato.New(provider.Config{})
	body := providertest.Examples(t)["verified.json"]
	for name, h := range map[string]http.Header{
		"no headers":                {},
		"both agree":                {vericato.HeaderEvent: {"verification.verified"}, vericato.HeaderVerificationID: {"ver_123abc"}},
		"event disagrees":           {vericato.HeaderEvent: {"verification.failed"}},
		"verification id disagrees": {vericato.HeaderVerificationID: {"VER_123ABC"}},
	} {
		if err := p.Authenticate(h, body); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
		if id, _, err := p.Parse(h, body); err != nil || id.VerificationID != "ver_123abc" || id.ProviderEvent != "verification.verified" {
			t.Errorf("%s: Parse = %+v, %v; want the body's event and verification", name, id, err)
		}
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, vericato.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, vericato.Adapter) }

func TestProvider_Golden(t *testing.T) {
	providertest.RunGolden(t, vericato.Adapter, provider.Config{})
}

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, vericato.Adapter) }
