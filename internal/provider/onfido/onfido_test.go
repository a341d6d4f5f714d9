package onfido_test

import (
	"net/http"
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/onfido"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, onfido.Adapter, func(_ providertest.Vector, sig string) http.Header {
		h := http.Header{}
		h.Set("x-sha2-signature", sig) // header names are case-insensitive
		return h
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		return onfido.Sign(v.Secret, body).Get(onfido.HeaderSignature)
	})
}

// Onfido stamps no send time, so no field of a retry is re-stamped.
func TestProvider_Parse(t *testing.T) { providertest.RunIdentify(t, onfido.Adapter, "") }

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, onfido.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, onfido.Adapter) }

func TestProvider_Golden(t *testing.T) {
	providertest.RunGolden(t, onfido.Adapter, provider.Config{})
}

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, onfido.Adapter) }
