package metamap_test

import (
	"github.com/kycgate/kycgate/internal/provider"
	"net/http"
	"testing"

	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, metamap.Adapter, func(_ providertest.Vector, sig string) http.Header {
		return http.Header{"X-Signature": {sig}} // MetaMap sends it lowercase; header names are case-insensitive
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		return metamap.Sign(v.Secret, body).Get(metamap.HeaderSignature)
	})
}

func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, metamap.Adapter, "timestamp")
}

func TestVerificationID(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.getmati.com/v2/verifications/6156311aba4c52001b1290a2":       "6156311aba4c52001b1290a2",
		"https://api.prod.metamap.com/v2/verifications/68d4048a3f7133c6238828da":  "68d4048a3f7133c6238828da",
		"https://api.prod.metamap.com/v2/verifications/68d4048a3f7133c6238828da/": "68d4048a3f7133c6238828da",
	} {
		if got, err := metamap.VerificationID(in); err != nil || got != want {
			t.Errorf("VerificationID(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "https://api.getmati.com/v2/verifications/", "https://api.getmati.com/v2/identities/abc", "%zz"} {
		if _, err := metamap.VerificationID(in); err == nil {
			t.Errorf("VerificationID(%q) accepted", in)
		}
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, metamap.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, metamap.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, metamap.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, metamap.Adapter) }

// A step error that is a bare string still fails the step; false or an
// empty string is no error.
func TestProvider_LooseTypes(t *testing.T) {
	p, _ := metamap.New(provider.Config{Secrets: []string{"s"}})
	for errValue, want := range map[string]string{`"alterationDetection.negligence"`: "failed", `{"code":7}`: "failed", `false`: "passed", `""`: "passed", `null`: "passed"} {
		body := `{"eventName":"step_completed","step":{"status":200,"id":"alteration-detection","error":` + errValue +
			`},"resource":"https://api.getmati.com/v2/verifications/601142c648494064cdd70d9a","timestamp":"2021-01-27T10:39:12.348Z"}`
		_, c, err := p.Parse(nil, []byte(body))
		if err != nil {
			t.Fatalf("error %s: %v", errValue, err)
		}
		if c.Step == nil || c.Step.Outcome != want {
			t.Errorf("error %s: step %+v; want %s", errValue, c.Step, want)
		}
	}
}
