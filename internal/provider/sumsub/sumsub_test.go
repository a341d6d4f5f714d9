package sumsub_test

import (
	"github.com/kycgate/kycgate/internal/provider"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider/providertest"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
)

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, sumsub.Adapter, func(v providertest.Vector, sig string) http.Header {
		return http.Header{sumsub.HeaderDigest: {sig}, sumsub.HeaderDigestAlg: {v.Alg}}
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		h, err := sumsub.Sign(v.Secret, v.Alg, body)
		if err != nil {
			t.Fatal(err)
		}
		return h.Get(sumsub.HeaderDigest)
	})
	if _, err := sumsub.Sign("s", "HMAC_MD5_HEX", nil); err == nil {
		t.Error("Sign accepted an unknown algorithm")
	}
}

func TestProvider_AuthenticateAlgorithm(t *testing.T) {
	p, _ := sumsub.New(providerConfig("s"))
	body := []byte(`{}`)
	for name, h := range map[string]http.Header{
		"unknown algorithm": {sumsub.HeaderDigest: {"00"}, sumsub.HeaderDigestAlg: {"HMAC_MD5_HEX"}},
		"missing algorithm": {sumsub.HeaderDigest: {"00"}},
		"lowercase name":    {sumsub.HeaderDigest: {"00"}, sumsub.HeaderDigestAlg: {"hmac_sha256_hex"}},
		// A SHA-1 digest presented as SHA-256 has the wrong length.
		"algorithm downgrade": {sumsub.HeaderDigest: {"675c456d1767ac7aa6e7d4840a32135e8c41f2ab"}, sumsub.HeaderDigestAlg: {"HMAC_SHA256_HEX"}},
	} {
		if err := p.Authenticate(h, body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, sumsub.Adapter, "createdAtMs")
}

func TestProvider_ParseQuirks(t *testing.T) {
	p, _ := sumsub.New(providerConfig("s"))
	examples := providertest.Examples(t)
	// The documented videoIdentCompositionCompleted example says
	// "type": "videoIdentStatusChanged"; it is read as what it says.
	id, _, err := p.Parse(nil, examples["videoIdentCompositionCompleted.json"])
	if err != nil || id.ProviderEvent != "videoIdentStatusChanged" {
		t.Errorf("videoIdentCompositionCompleted example: %+v, %v", id, err)
	}
	// createdAtMs is UTC with milliseconds.
	id, _, _ = p.Parse(nil, examples["applicantReviewed_green.json"])
	if got := id.OccurredAt.Format("2006-01-02T15:04:05.000Z07:00"); got != "2020-02-21T13:23:19.321Z" {
		t.Errorf("createdAtMs read as %s", got)
	}
	// Without createdAtMs, createdAt and its numeric zone are used.
	id, _, _ = p.Parse(nil, []byte(`{"type":"applicantPending","applicantId":"a","correlationId":"c","createdAt":"2024-09-05 15:40:34+0200"}`))
	if got := id.OccurredAt.Format("2006-01-02T15:04:05Z07:00"); got != "2024-09-05T13:40:34Z" {
		t.Errorf("createdAt read as %s", got)
	}
	// The same correlationId on two types or applicants is two events.
	a, _, _ := p.Parse(nil, examples["applicantActivated.json"])
	b, _, _ := p.Parse(nil, examples["applicantDeactivated.json"])
	if a.DedupKey == b.DedupKey {
		t.Error("applicantActivated and applicantDeactivated share a dedup key")
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, sumsub.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, sumsub.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, sumsub.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, sumsub.Adapter) }

func BenchmarkProvider_Authenticate(b *testing.B) {
	body := providertest.Examples(b)["applicantReviewed_red_final.json"]
	h, _ := sumsub.Sign("s3cret", "HMAC_SHA256_HEX", body)
	p, _ := sumsub.New(providerConfig("old", "s3cret"))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Authenticate(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// A createdAtMs that is a number, not Sumsub's documented string, is read
// as milliseconds since the epoch: the event keeps its time.
func TestProvider_LooseTypes(t *testing.T) {
	p, _ := sumsub.New(provider.Config{Secrets: []string{"s"}})
	id, c, err := p.Parse(nil, []byte(`{"applicantId":"app1","correlationId":"c1","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":1763805600000}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := time.Date(2025, 11, 22, 10, 0, 0, 0, time.UTC); c.Decision != "approved" || !id.OccurredAt.Equal(want) || c.Clock != "event" {
		t.Errorf("decision %q at %v (clock %q); want approved at %v, clock event", c.Decision, id.OccurredAt, c.Clock, want)
	}
}
