package verifyyou_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/providertest"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
)

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, verifyyou.Adapter, func(_ providertest.Vector, sig string) http.Header {
		return signed(sig)
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		return verifyyou.Sign(v.Secret, body).Get(verifyyou.HeaderSignature)
	})
}

func TestProvider_AuthenticatePrefix(t *testing.T) {
	p, _ := verifyyou.New(provider.Config{Secrets: []string{"vy_whsec_5d1c0f"}})
	body := providertest.Examples(t)["verification_completed.json"]
	const good = "768fb516064319df49eda14306316d95c67dd5d359b8806ed9eee9187949d4b4"
	for name, sig := range map[string]string{
		"no prefix":    good,
		"other scheme": "sha1=" + good,
		"upper prefix": "SHA256=" + good,
	} {
		if err := p.Authenticate(signed(sig), body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := p.Authenticate(signed("sha256="+strings.ToUpper(good)), body); err != nil {
		t.Errorf("upper-case hex refused: %v", err)
	}
}

// VerifyYou's occurred_at is the event's own time, so there is no send time
// to re-stamp: two liveness failures at different times are two events.
func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, verifyyou.Adapter, "")
	p, _ := verifyyou.New(provider.Config{})
	id, _, err := p.Parse(nil, providertest.Examples(t)["verification_completed.json"])
	if err != nil {
		t.Fatal(err)
	}
	if got := id.OccurredAt.Format("2006-01-02T15:04:05.000000Z07:00"); got != "2026-06-09T17:04:01.123456Z" {
		t.Errorf("occurred_at read as %s", got)
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, verifyyou.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, verifyyou.Adapter) }

// signed returns headers as a server hands them over: canonicalised.
func signed(sig string) http.Header {
	h := http.Header{}
	h.Set(verifyyou.HeaderSignature, sig)
	return h
}

func TestProvider_Golden(t *testing.T) {
	providertest.RunGolden(t, verifyyou.Adapter, provider.Config{})
}

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, verifyyou.Adapter) }

// A numeric external_id and a trust_score sent as a string still parse;
// a trust_score that is no number counts as none, so that a completion
// below the source's minimum (or without a readable score) needs a review.
func TestProvider_LooseTypes(t *testing.T) {
	minimum := 0.5
	p, _ := verifyyou.New(provider.Config{MinTrustScore: &minimum})
	body := func(score string) []byte {
		return []byte(`{"stage":"verification_completed","occurred_at":"2026-11-22T10:00:04.000000+00:00","verification_id":"vy1","external_id":42,"trust_score":` + score + `}`)
	}
	for score, want := range map[string]kycgate.Decision{`"0.9"`: kycgate.DecisionApproved, `"0.4"`: kycgate.DecisionReviewNeeded, `"high"`: kycgate.DecisionReviewNeeded, `null`: kycgate.DecisionReviewNeeded, `0.9`: kycgate.DecisionApproved} {
		_, c, err := p.Parse(nil, body(score))
		if err != nil {
			t.Fatalf("trust_score %s: %v", score, err)
		}
		if c.ExternalUserID != "42" || c.Decision != want {
			t.Errorf("trust_score %s: user %q, decision %q; want 42, %s", score, c.ExternalUserID, c.Decision, want)
		}
	}
}
