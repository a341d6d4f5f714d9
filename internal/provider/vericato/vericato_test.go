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

// Vericato signs nothing; when its own headers are present they must agree
// with the body, or the request did not come from Vericato as sent.
func TestProvider_AuthenticateHeaders(t *testing.T) {
	p, _ := vericato.New(provider.Config{})
	body := providertest.Examples(t)["verified.json"]
	tests := []struct {
		name   string
		header http.Header
		ok     bool
	}{
		{"no headers", http.Header{}, true},
		{"both agree", http.Header{vericato.HeaderEvent: {"verification.verified"}, vericato.HeaderVerificationID: {"ver_123abc"}}, true},
		{"event only", http.Header{vericato.HeaderEvent: {"verification.verified"}}, true},
		{"event disagrees", http.Header{vericato.HeaderEvent: {"verification.failed"}}, false},
		{"verification id disagrees", http.Header{vericato.HeaderVerificationID: {"ver_other"}}, false},
	}
	for _, tt := range tests {
		if err := p.Authenticate(tt.header, body); (err == nil) != tt.ok {
			t.Errorf("%s: Authenticate = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, vericato.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, vericato.Adapter) }

func TestProvider_Golden(t *testing.T) {
	providertest.RunGolden(t, vericato.Adapter, provider.Config{})
}

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, vericato.Adapter) }
