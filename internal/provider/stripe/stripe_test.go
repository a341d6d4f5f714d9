package stripe_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/providertest"
	"github.com/kycgate/kycgate/internal/provider/stripe"
)

// vectorTime is when the vectors of testdata/signatures.json were signed
// (their "alg" says t=vectorTime).
const vectorTime = 1695681200

// at is an adapter whose clock says t: the conformance suite builds its
// own providers, so the clock goes in through New.
func at(t time.Time) provider.Adapter {
	a := stripe.Adapter
	a.New = func(c provider.Config) (provider.Webhooks, error) {
		c.Now = func() time.Time { return t }
		return stripe.New(c)
	}
	return a
}

func signed(ts, sig string) http.Header {
	return http.Header{stripe.HeaderSignature: {ts + ",v1=" + sig}}
}

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, at(time.Unix(vectorTime+42, 0)), func(v providertest.Vector, sig string) http.Header {
		return signed(v.Alg, sig)
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		ts, err := strconv.ParseInt(strings.TrimPrefix(v.Alg, "t="), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return stripe.Sign(v.Secret, time.Unix(ts, 0), body)
	})
}

// TestProvider_AuthenticateScheme: the parts of Stripe-Signature beyond one
// valid v1, against the first vector.
func TestProvider_AuthenticateScheme(t *testing.T) {
	body := providertest.Examples(t)["verified.json"]
	const secret = "whsec_kycgateTestSigningSecret2026"
	const good = "957701b532eaa798095a4079bf84e79cede2a0a6e177e79c166bfb5f6d85a2c6" // openssl, testdata/signatures.json
	ts := "t=" + strconv.Itoa(vectorTime)
	signedAt := time.Unix(vectorTime, 0)
	auth := func(now time.Time, h http.Header, secrets ...string) error {
		p, err := stripe.New(provider.Config{Secrets: secrets, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return p.Authenticate(h, body)
	}
	accepted := map[string]http.Header{
		// While a secret is rolled Stripe sends one v1 per secret.
		"rolled secret, new signature second": {stripe.HeaderSignature: {ts + ",v1=" + strings.Repeat("ab", 32) + ",v1=" + good}},
		"v0 and unknown schemes ignored":      {stripe.HeaderSignature: {ts + ",v0=" + strings.Repeat("0", 64) + ",v1=" + good + ",v9=x"}},
		"malformed v1 beside a good one":      {stripe.HeaderSignature: {ts + ",v1=zz,v1=" + good}},
		"upper-case hex":                      {stripe.HeaderSignature: {ts + ",v1=" + strings.ToUpper(good)}},
		"spaces after commas":                 {stripe.HeaderSignature: {ts + ", v1=" + good}},
	}
	for name, h := range accepted {
		if err := auth(signedAt.Add(time.Minute), h, secret); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	refused := map[string]http.Header{
		"no timestamp":           {stripe.HeaderSignature: {"v1=" + good}},
		"two timestamps":         {stripe.HeaderSignature: {ts + ",t=" + strconv.Itoa(vectorTime+1) + ",v1=" + good}},
		"another timestamp":      {stripe.HeaderSignature: {"t=" + strconv.Itoa(vectorTime+1) + ",v1=" + good}},
		"only v0":                {stripe.HeaderSignature: {ts + ",v0=" + good}},
		"not key=value":          {stripe.HeaderSignature: {ts + "," + good}},
		"timestamp not a number": {stripe.HeaderSignature: {"t=16956812OO,v1=" + good}},
		"under another header":   {"X-Stripe-Signature": {ts + ",v1=" + good}},
	}
	for name, h := range refused {
		if err := auth(signedAt.Add(time.Minute), h, secret); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Rotation: the source's old and new secrets, either signature.
	if err := auth(signedAt, signed(ts, good), "whsec_new", secret); err != nil {
		t.Errorf("second configured secret not tried: %v", err)
	}
	if err := auth(signedAt, signed(ts, good)); err == nil {
		t.Error("accepted without any secret")
	}
}

// TestProvider_AuthenticateTolerance: a signature more than five minutes
// from the clock, a replay, is refused; within, accepted.
func TestProvider_AuthenticateTolerance(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"identity.verification_session.verified","data":{"object":{"id":"vs_1"}}}`)
	signedAt := time.Unix(1764669600, 0)
	h := http.Header{stripe.HeaderSignature: {stripe.SignatureHeader(signedAt, body, "whsec_a")}}
	for off, ok := range map[time.Duration]bool{
		0: true, 299 * time.Second: true, 300 * time.Second: true, -300 * time.Second: true,
		301 * time.Second: false, time.Hour: false, -301 * time.Second: false, 24 * time.Hour: false,
	} {
		p, _ := stripe.New(provider.Config{Secrets: []string{"whsec_a"}, Now: func() time.Time { return signedAt.Add(off) }})
		if err := p.Authenticate(h, body); (err == nil) != ok {
			t.Errorf("clock %s after the signature: %v, want accepted=%v", off, err, ok)
		}
	}
}

func TestSignatureHeader(t *testing.T) {
	body := []byte(`{}`)
	got := stripe.SignatureHeader(time.Unix(1, 0), body, "a", "b")
	want := "t=1,v1=" + stripe.Sign("a", time.Unix(1, 0), body) + ",v1=" + stripe.Sign("b", time.Unix(1, 0), body)
	if got != want {
		t.Errorf("SignatureHeader = %q, want %q", got, want)
	}
}

func TestProvider_Parse(t *testing.T) {
	// Stripe re-stamps nothing in a retried body; pending_webhooks may change.
	providertest.RunIdentify(t, stripe.Adapter, "pending_webhooks")
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, stripe.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, stripe.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, stripe.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, stripe.Adapter) }

func BenchmarkProvider_Authenticate(b *testing.B) {
	body := providertest.Examples(b)["verified.json"]
	now := time.Unix(vectorTime, 0)
	h := http.Header{stripe.HeaderSignature: {stripe.SignatureHeader(now, body, "whsec_new", "whsec_old")}}
	p, _ := stripe.New(provider.Config{Secrets: []string{"whsec_old"}, Now: func() time.Time { return now }})
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Authenticate(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
