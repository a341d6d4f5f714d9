package veriff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/providertest"
	"github.com/kycgate/kycgate/internal/provider/veriff"
)

const testSecret = "Rotated-Veriff-Shared-Secret-2026"

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, veriff.Adapter, func(_ providertest.Vector, sig string) http.Header {
		return http.Header{"X-Hmac-Signature": {sig}, "X-Auth-Client": {"api-key"}}
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		return veriff.Sign("api-key", v.Secret, body).Get(veriff.HeaderSignature)
	})
}

// Veriff's demo lowercases the header before comparing; Veriff also
// documents VRF-HMAC-SIGNATURE as the header's other name.
func TestProvider_AuthenticateHeaders(t *testing.T) {
	p, _ := veriff.New(provider.Config{Secrets: []string{testSecret}})
	body := providertest.Examples(t)["decision_approved.json"]
	sig := "a708539f64095a77b2ad3b0c99a521aa7492694702bcffd72c25a951c96ee738" // openssl, testdata/signatures.json
	header := func(name, value string) http.Header { h := http.Header{}; h.Set(name, value); return h }
	for name, h := range map[string]http.Header{
		"upper-case hex":     header(veriff.HeaderSignature, strings.ToUpper(sig)),
		"VRF-HMAC-SIGNATURE": header(veriff.HeaderSignatureVRF, sig),
	} {
		if err := p.Authenticate(h, body); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	for name, h := range map[string]http.Header{
		"API key only":          header(veriff.HeaderAuthClient, "api-key"),
		"signature of the id":   header(veriff.HeaderSignature, "e0dc1c28b1b555116f1da144cdedfe2723a0cc3632536eabb43d9b3a63611551"),
		"SHA-1 length":          header(veriff.HeaderSignature, sig[:40]),
		"legacy X-Signature":    header("X-Signature", sig),
		"two signatures joined": header(veriff.HeaderSignature, sig+","+sig),
	} {
		if err := p.Authenticate(h, body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProvider_Parse(t *testing.T) {
	// Veriff's payloads carry no send time a retry could re-stamp.
	providertest.RunIdentify(t, veriff.Adapter, "")
}

func TestProvider_ParseQuirks(t *testing.T) {
	p, _ := veriff.New(provider.Config{Secrets: []string{"s"}})
	examples := providertest.Examples(t)

	// The status string decides, whatever the code: Veriff's pages give
	// abandoned both 9104 and 9121.
	for _, code := range []string{"9104", "9121"} {
		body := strings.Replace(string(examples["decision_abandoned.json"]), `"code": 9104`, `"code": `+code, 1)
		id, c, err := p.Parse(nil, []byte(body))
		if err != nil || id.ProviderEvent != "abandoned" || c.Status != kycgate.StatusAbandoned || !c.UndecidedOnly {
			t.Errorf("abandoned with code %s: %+v %+v %v", code, id, c, err)
		}
	}
	// Reasons come from reasonCode.
	_, c, _ := p.Parse(nil, examples["decision_declined.json"])
	if len(c.Reasons) != 1 || c.Reasons[0] != "102" || c.Extra["reason"] != "Suspected document tampering" {
		t.Errorf("declined: reasons %v, extra %v", c.Reasons, c.Extra)
	}
	// decisionTime is when it was decided; the event webhook has no time,
	// and applies before the decisions (docs/providers/veriff.md, time).
	id, c, _ := p.Parse(nil, examples["decision_approved.json"])
	if got := id.OccurredAt.Format("2006-01-02T15:04:05.000Z07:00"); got != "2019-11-06T07:18:36.916Z" || c.Clock != kycgate.ClockEvent {
		t.Errorf("decisionTime read as %s, clock %s", got, c.Clock)
	}
	id, c, _ = p.Parse(nil, examples["event_started.json"])
	if !id.OccurredAt.IsZero() || c.Clock != kycgate.ClockEvent {
		t.Errorf("event webhook: time %v, clock %s", id.OccurredAt, c.Clock)
	}
	// The same event of two attempts is two events.
	other := strings.Replace(string(examples["event_started.json"]), "e30122d1", "f30122d1", 1)
	id2, _, _ := p.Parse(nil, []byte(other))
	if id.DedupKey == id2.DedupKey {
		t.Error("started of two attempts share a dedup key")
	}
	// A screening hit is the screening's, never the automatic checks'.
	_, c, _ = p.Parse(nil, examples["watchlist_updated_result.json"])
	if c.Decision != kycgate.DecisionReviewNeeded || c.By != kycgate.ActorScreening {
		t.Errorf("possible_match: %+v", c)
	}
}

// An event kycgate does not map is stored under its name, not in the
// catalogue, so ingest flags it.
func TestProvider_ParseUnknown(t *testing.T) {
	p, _ := veriff.New(provider.Config{Secrets: []string{"s"}})
	for body, event := range map[string]string{
		`{"status":"success","eventType":"fullauto","sessionId":"s1","attemptId":"a1","time":"2026-11-22T10:00:00.000Z","data":{}}`: "fullauto",
		`{"id":"s1","attemptId":"a1","feature":"selfid","code":7003,"action":"paused"}`:                                             "paused",
		`{"status":"success","verification":{"id":"s1","status":"inflow_completed","code":9999}}`:                                   "inflow_completed",
	} {
		id, _, err := p.Parse(nil, []byte(body))
		if err != nil || id.ProviderEvent != event || veriff.Adapter.Known(event) || id.DedupKey == "" || id.VerificationID != "s1" {
			t.Errorf("%s: %+v, %v", body, id, err)
		}
	}
	for _, body := range []string{`{"status":"success","verification":{"status":"approved"}}`, `{"action":"started"}`, `{"checkType":"initial_result"}`, `{"eventType":"fullauto"}`} {
		if _, _, err := p.Parse(nil, []byte(body)); err == nil {
			t.Errorf("%s: parsed without a session id", body)
		}
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, veriff.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, veriff.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, veriff.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, veriff.Adapter) }

func providertestExample(t *testing.T, name string) []byte {
	t.Helper()
	return providertest.Examples(t)[name]
}
