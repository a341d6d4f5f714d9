package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
)

const sumsubReviewed = `{"applicantId":"5cb56e8e0a975a35f333cb83","inspectionId":"5cb56e8e0a975a35f333cb84","correlationId":"req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4","externalUserId":"user-42","levelName":"basic-kyc-level","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"},"reviewStatus":"completed","createdAtMs":"2020-02-21 13:23:19.321"}`

const metamapStarted = `{"resource":"https://api.getmati.com/v2/verifications/6156311aba4c52001b1290a2","eventName":"verification_started","flowId":"60b8fd58a87c30001b14dedd","timestamp":"2021-09-30T21:50:19.342Z"}`

const verifyyouCompleted = `{"stage":"verification_completed","step":6,"occurred_at":"2026-06-09T17:04:01.123456+00:00","verification_id":"ver_abc123","external_id":"user_123","external_tracker":"signup-campaign","trust_score":0.92}`

const idwiseJourney = `{"event":"Finished Journey","body":{"eventId":"4d1f-77aa","journeyId":"6720aa22e","referenceNo":"user-42","systemDecision":"Complete"}}`

const vericatoVerified = `{"event":"verification.verified","timestamp":"2025-11-14T10:30:00.000Z","data":{"verification_id":"ver_123abc","verification_status":"verified"}}`

func sumsubSigned(t *testing.T, secret, alg, b string) http.Header {
	t.Helper()
	h, err := sumsub.Sign(secret, alg, []byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestWebhook_Accepts: each provider's scheme, correctly used, stores the
// event and answers its id.
func TestWebhook_Accepts(t *testing.T) {
	g := newGateway(t)
	basic, _ := http.NewRequest(http.MethodPost, "/", nil)
	basic.SetBasicAuth("kyc", "p4ss-w0rd")
	tests := []struct {
		name, path string
		header     http.Header
		body       string
	}{
		{"sumsub sha256", "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed), sumsubReviewed},
		{"sumsub sha512 with the retired secret", "/webhooks/sumsub", sumsubSigned(t, sumsubOldSecret, "HMAC_SHA512_HEX", strings.Replace(sumsubReviewed, "req-a2", "req-b2", 1)), strings.Replace(sumsubReviewed, "req-a2", "req-b2", 1)},
		{"sumsub sha1", "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA1_HEX", strings.Replace(sumsubReviewed, "req-a2", "req-c2", 1)), strings.Replace(sumsubReviewed, "req-a2", "req-c2", 1)},
		{"metamap", "/webhooks/metamap", metamap.Sign(metamapSecret, []byte(metamapStarted)), metamapStarted},
		{"verifyyou", "/webhooks/verifyyou", verifyyou.Sign(verifyyouSecret, []byte(verifyyouCompleted)), verifyyouCompleted},
		{"idwise bearer", "/webhooks/idwise", bearer(idwiseToken), idwiseJourney},
		{"idwise basic", "/webhooks/idwise-basic", basic.Header, idwiseJourney},
		{"idwise header", "/webhooks/idwise-header", http.Header{"X-Idwise-Key": {"k3y"}}, idwiseJourney},
		{"vericato url token", "/webhooks/vericato/" + vericatoToken, http.Header{"X-Vericato-Event": {"verification.verified"}}, vericatoVerified},
		{"vericato with headers that contradict its body", "/webhooks/vericato/" + vericatoToken, http.Header{"X-Vericato-Event": {"verification.failed"}, "X-Vericato-Verification-Id": {"VER_789GHI"}}, strings.Replace(vericatoVerified, "ver_123abc", "ver_789ghi", 1)},
		{"vericato through a trusted proxy", "/webhooks/vericato-ip", http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9"}}, vericatoVerified},
		{"vericato through two trusted proxies", "/webhooks/vericato-ip", http.Header{"X-Forwarded-For": {"203.0.113.10, 10.9.1.1"}}, strings.Replace(vericatoVerified, "ver_123abc", "ver_456def", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := g.count(t)
			a := g.post(t, tt.path, tt.header, body(tt.body))
			if a.Status != http.StatusOK || !strings.HasPrefix(a.ID, "evt_") || a.Duplicate {
				t.Fatalf("answer %+v, want 200 with a new evt_ id", a)
			}
			if got := g.count(t); got != before+1 {
				t.Fatalf("%d events stored, want %d", got, before+1)
			}
			ev, err := g.store.FindEvent(context.Background(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Body) != tt.body || ev.Flag != "" {
				t.Errorf("stored body %q flag %q", ev.Body, ev.Flag)
			}
			if ev.Header.Get("Authorization") != "" || ev.Header.Get("X-Idwise-Key") != "" {
				t.Error("a credential header was stored")
			}
		})
	}
}

// TestWebhook_Hostile: every refused request gets its status and code, and
// nothing unauthenticated is stored.
func TestWebhook_Hostile(t *testing.T) {
	g := newGateway(t)
	good := sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed)
	huge := strings.Repeat("x", 5<<10)
	tests := []struct {
		name, method, path string
		header             http.Header
		body               io.Reader
		status             int
		code               string
	}{
		{"forged signature", "POST", "/webhooks/sumsub", sumsubSigned(t, "guessed", "HMAC_SHA256_HEX", sumsubReviewed), body(sumsubReviewed), 401, "unauthorized"},
		{"another source's secret", "POST", "/webhooks/sumsub-eu", good, body(sumsubReviewed), 401, "unauthorized"},
		{"signature of another body", "POST", "/webhooks/sumsub", good, body(strings.Replace(sumsubReviewed, "GREEN", "RED", 1)), 401, "unauthorized"},
		{"unknown digest algorithm", "POST", "/webhooks/sumsub", http.Header{"X-Payload-Digest": good["X-Payload-Digest"], "X-Payload-Digest-Alg": {"HMAC_MD5_HEX"}}, body(sumsubReviewed), 401, "unauthorized"},
		{"missing signature header", "POST", "/webhooks/sumsub", http.Header{"X-Payload-Digest-Alg": {"HMAC_SHA256_HEX"}}, body(sumsubReviewed), 401, "unauthorized"},
		{"forged signature header before the real one", "POST", "/webhooks/sumsub", http.Header{"X-Payload-Digest": {strings.Repeat("0", 64), good.Get("X-Payload-Digest")}, "X-Payload-Digest-Alg": {"HMAC_SHA256_HEX"}}, body(sumsubReviewed), 401, "unauthorized"},
		{"two algorithms", "POST", "/webhooks/sumsub", http.Header{"X-Payload-Digest": good["X-Payload-Digest"], "X-Payload-Digest-Alg": {"HMAC_MD5_HEX", "HMAC_SHA256_HEX"}}, body(sumsubReviewed), 401, "unauthorized"},
		{"bearer token with trailing junk", "POST", "/webhooks/idwise", http.Header{"Authorization": {"Bearer " + idwiseToken + " x"}}, body(idwiseJourney), 401, "unauthorized"},
		{"truncated signature", "POST", "/webhooks/metamap", http.Header{"X-Signature": {metamap.Sign(metamapSecret, []byte(metamapStarted)).Get("X-Signature")[:40]}}, body(metamapStarted), 401, "unauthorized"},
		{"verifyyou without prefix", "POST", "/webhooks/verifyyou", http.Header{"X-Verifyyou-Signature": {strings.TrimPrefix(verifyyou.Sign(verifyyouSecret, []byte(verifyyouCompleted)).Get("X-Verifyyou-Signature"), "sha256=")}}, body(verifyyouCompleted), 401, "unauthorized"},
		{"wrong bearer token", "POST", "/webhooks/idwise", bearer("guess"), body(idwiseJourney), 401, "unauthorized"},
		{"missing bearer token", "POST", "/webhooks/idwise", nil, body(idwiseJourney), 401, "unauthorized"},
		{"basic scheme on a bearer source", "POST", "/webhooks/idwise", http.Header{"Authorization": {"Basic " + idwiseToken}}, body(idwiseJourney), 401, "unauthorized"},
		{"wrong basic password", "POST", "/webhooks/idwise-basic", http.Header{"Authorization": {"Basic a3ljOndyb25n"}}, body(idwiseJourney), 401, "unauthorized"},
		{"wrong basic user", "POST", "/webhooks/idwise-basic", http.Header{"Authorization": {"Basic a2N5OnA0c3MtdzByZA=="}}, body(idwiseJourney), 401, "unauthorized"},
		{"wrong custom header", "POST", "/webhooks/idwise-header", http.Header{"X-Idwise-Key": {"nope"}}, body(idwiseJourney), 401, "unauthorized"},
		{"wrong url token", "POST", "/webhooks/vericato/" + vericatoToken + "x", nil, body(vericatoVerified), 401, "unauthorized"},
		{"missing url token", "POST", "/webhooks/vericato", nil, body(vericatoVerified), 401, "unauthorized"},
		{"url token on a source without one", "POST", "/webhooks/sumsub/" + vericatoToken, good, body(sumsubReviewed), 404, "not_found"},
		{"IP not allowed", "POST", "/webhooks/vericato-ip", nil, body(vericatoVerified), 403, "forbidden"},
		{"allowed address forged left of the proxy's entry", "POST", "/webhooks/vericato-ip", http.Header{"X-Forwarded-For": {"203.0.113.9, 198.51.100.1"}}, body(vericatoVerified), 403, "forbidden"},
		{"oversized, declared", "POST", "/webhooks/sumsub", good, strings.NewReader(huge), 413, "too_large"},
		{"oversized, chunked", "POST", "/webhooks/sumsub", good, io.MultiReader(strings.NewReader(huge)), 413, "too_large"},
		{"compressed body", "POST", "/webhooks/sumsub", merge(good, http.Header{"Content-Encoding": {"gzip"}}), body("\x1f\x8b\x08\x00"), 415, "unsupported_media"},
		{"empty body, unsigned", "POST", "/webhooks/sumsub", nil, body(""), 401, "unauthorized"},
		{"not JSON, unsigned", "POST", "/webhooks/metamap", nil, body("hello"), 401, "unauthorized"},
		{"wrong method", "GET", "/webhooks/sumsub", nil, nil, 405, "method_not_allowed"},
		{"wrong method with token", "PUT", "/webhooks/vericato/" + vericatoToken, nil, nil, 405, "method_not_allowed"},
		{"unknown source", "POST", "/webhooks/onfido", nil, body("{}"), 404, "not_found"},
		{"unknown path", "POST", "/hooks/sumsub", good, body(sumsubReviewed), 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := g.count(t)
			req, err := http.NewRequest(tt.method, g.URL+tt.path, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			a := g.do(t, req)
			if a.Status != tt.status || a.Error.Code != tt.code {
				t.Fatalf("answer %d %q (%s), want %d %q", a.Status, a.Error.Code, a.Error.Message, tt.status, tt.code)
			}
			if a.Error.Message == "" {
				t.Error("error without a message")
			}
			if got := g.count(t); got != before {
				t.Fatalf("%d events stored after a refused request, want %d", got, before)
			}
		})
	}
	// The gateway still serves the real provider afterwards.
	if a := g.post(t, "/webhooks/sumsub", good, body(sumsubReviewed)); a.Status != 200 {
		t.Fatalf("legitimate request after the hostile ones: %+v", a)
	}
	// Refusals were logged with the request's id, with neither credentials,
	// signatures nor bodies.
	logs := g.logs.String()
	if !strings.Contains(logs, "webhook refused") {
		t.Error("refusals were not logged")
	}
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/webhooks/sumsub", body(sumsubReviewed))
	req.Header.Set("X-Request-Id", "provider-trace-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "provider-trace-42" || !strings.Contains(g.logs.String(), "request_id=provider-trace-42") {
		t.Errorf("request id: answered %q; not in the log of the refusal", resp.Header.Get("X-Request-Id"))
	}
	for _, secret := range []string{sumsubSecret, sumsubOldSecret, metamapSecret, verifyyouSecret, idwiseToken, vericatoToken, "p4ss-w0rd", "k3y", good.Get("X-Payload-Digest"), "5cb56e8e0a975a35f333cb83", "user-42"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
}

// TestWebhook_AuthenticButNotUnderstood: an authentic body kycgate cannot
// parse, or whose event it does not know, is stored flagged and answered 200,
// so the provider does not retry it for days and then drop it.
func TestWebhook_AuthenticButNotUnderstood(t *testing.T) {
	g := newGateway(t)
	tests := []struct {
		name, body, flag string
	}{
		{"empty body", "", "unparseable"},
		{"not JSON", "hello", "unparseable"},
		{"JSON of another shape", `{"hello":"world"}`, "unparseable"},
		{"unknown event", `{"type":"applicantTeleported","applicantId":"a1","correlationId":"c1"}`, "unknown_event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", tt.body)
			a := g.post(t, "/webhooks/sumsub", h, body(tt.body))
			if a.Status != 200 || a.Duplicate {
				t.Fatalf("answer %+v, want 200", a)
			}
			ev, err := g.store.FindEvent(context.Background(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Flag) != tt.flag || ev.FlagDetail == "" || string(ev.Body) != tt.body {
				t.Errorf("stored flag %q (%s) body %q; want flag %q", ev.Flag, ev.FlagDetail, ev.Body, tt.flag)
			}
			// The provider's retry of the same bytes is recognised.
			if a2 := g.post(t, "/webhooks/sumsub", h, body(tt.body)); !a2.Duplicate || a2.ID != a.ID {
				t.Errorf("retry answered %+v, want duplicate of %s", a2, a.ID)
			}
		})
	}
}

// TestWebhook_Dedup: retries are stored once, even when the provider
// re-stamps the send time and re-signs; distinct events are not merged.
func TestWebhook_Dedup(t *testing.T) {
	g := newGateway(t)
	send := func(b string) answer {
		return g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", b), body(b))
	}
	first := send(sumsubReviewed)
	if first.Status != 200 || first.Duplicate {
		t.Fatalf("first delivery: %+v", first)
	}
	for name, b := range map[string]string{
		"identical retry":            sumsubReviewed,
		"retry with a new send time": strings.Replace(sumsubReviewed, "13:23:19.321", "18:23:20.007", 1),
		"retry reformatted":          strings.ReplaceAll(sumsubReviewed, `":"`, `": "`),
	} {
		if a := send(b); a.Status != 200 || !a.Duplicate || a.ID != first.ID {
			t.Errorf("%s: %+v, want duplicate of %s", name, a, first.ID)
		}
	}
	other := send(strings.Replace(sumsubReviewed, "applicantReviewed", "applicantPending", 1))
	if other.Duplicate {
		t.Error("another event type with the same correlationId was taken for a retry")
	}
	// MetaMap re-stamps timestamp on a retry; the content is the same event.
	restamped := strings.Replace(metamapStarted, "21:50:19.342Z", "21:55:19.342Z", 1)
	m1 := g.post(t, "/webhooks/metamap", metamap.Sign(metamapSecret, []byte(metamapStarted)), body(metamapStarted))
	m2 := g.post(t, "/webhooks/metamap", metamap.Sign(metamapSecret, []byte(restamped)), body(restamped))
	if m1.Duplicate || !m2.Duplicate || m2.ID != m1.ID {
		t.Errorf("metamap retry: %+v then %+v", m1, m2)
	}
	// The same dedup key on another source is another account's event.
	eu, _ := sumsub.Sign("another-account-secret", "HMAC_SHA256_HEX", []byte(sumsubReviewed))
	if a := g.post(t, "/webhooks/sumsub-eu", eu, body(sumsubReviewed)); a.Duplicate {
		t.Error("an event of another source was taken for a retry")
	}
	if got := g.count(t); got != 4 {
		t.Errorf("%d events stored, want 4", got)
	}
}

// TestWebhook_ConcurrentRetries: a burst of identical deliveries (a provider
// retrying while the first is still in flight) stores one event.
func TestWebhook_ConcurrentRetries(t *testing.T) {
	g := newGateway(t)
	const n = 32
	h := sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed)
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = g.post(t, "/webhooks/sumsub", h, body(sumsubReviewed)) })
	}
	wg.Wait()
	fresh := 0
	for _, a := range answers {
		if a.Status != 200 || a.ID != answers[0].ID {
			t.Fatalf("answer %+v, first %+v", a, answers[0])
		}
		if !a.Duplicate {
			fresh++
		}
	}
	if fresh != 1 || g.count(t) != 1 {
		t.Fatalf("%d answered as new and %d stored, want 1 and 1", fresh, g.count(t))
	}
}

// TestWebhook_StoreCannotCommit: when the store refuses the write, ingest
// answers 503 and acknowledges nothing; it recovers when the store does.
func TestWebhook_StoreCannotCommit(t *testing.T) {
	g := newGateway(t)
	if _, err := g.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b := strings.Replace(sumsubReviewed, "req-a2", fmt.Sprintf("req-%02d", i), 1)
			a := g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", b), body(b))
			if a.Status != http.StatusServiceUnavailable || a.Error.Code != "unavailable" || a.ID != "" {
				t.Errorf("answer %+v, want 503 unavailable without an id", a)
			}
		})
	}
	wg.Wait()
	if got := g.count(t); got != 0 {
		t.Fatalf("%d events stored while the store refused", got)
	}
	if _, err := g.db.Exec(`DROP TRIGGER refuse`); err != nil {
		t.Fatal(err)
	}
	if a := g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed), body(sumsubReviewed)); a.Status != 200 {
		t.Fatalf("after recovery: %+v", a)
	}
}

func TestHealth(t *testing.T) {
	g := newGateway(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(g.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"ok"`)) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	g.store.Close()
	resp, err := http.Get(g.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed: %d, want 503", resp.StatusCode)
	}
}

func TestMetrics_CountOutcomes(t *testing.T) {
	g := newGateway(t)
	g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed), body(sumsubReviewed))
	g.post(t, "/webhooks/sumsub", sumsubSigned(t, "forged", "HMAC_SHA256_HEX", sumsubReviewed), body(sumsubReviewed))
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`kycgate_ingest_requests_total{outcome="accepted",provider="sumsub",source="sumsub"} 1`,
		`kycgate_ingest_requests_total{outcome="unauthenticated",provider="sumsub",source="sumsub"} 1`,
		`kycgate_verifications{provider="sumsub",status="approved"} 1`,
		`kycgate_store_up 1`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestWebhook_ForgeryFlood: an address that keeps failing authentication is
// answered 429 without any work, and the provider, at its own address, is
// still served.
func TestWebhook_ForgeryFlood(t *testing.T) {
	g := newGateway(t)
	forged := merge(sumsubSigned(t, "guessed", "HMAC_SHA256_HEX", sumsubReviewed), http.Header{"X-Forwarded-For": {"198.51.100.66"}})
	statuses := map[int]int{}
	for range 40 {
		statuses[g.post(t, "/webhooks/sumsub", forged, body(sumsubReviewed)).Status]++
	}
	if statuses[401] != 20 || statuses[429] != 20 {
		t.Fatalf("answers to 40 forged requests: %v, want 20 401s then 20 429s", statuses)
	}
	real := merge(sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed), http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	if a := g.post(t, "/webhooks/sumsub", real, body(sumsubReviewed)); a.Status != 200 {
		t.Fatalf("the provider during the flood: %+v", a)
	}
	if got := g.count(t); got != 1 {
		t.Fatalf("%d events stored, want the provider's 1", got)
	}
}

// TestWebhook_AuthenticHostileBodies: bodies signed with the real secret
// that are built to hurt a parser are stored (flagged when not understood)
// and answered 200, and the gateway goes on serving.
func TestWebhook_AuthenticHostileBodies(t *testing.T) {
	g := newGateway(t)
	tests := []struct {
		name, body, contentType string
		flag                    string
	}{
		{"deeply nested, within the source's 4 KiB", strings.Repeat("[", 2000) + strings.Repeat("]", 2000), "application/json", "unparseable"},
		{"duplicate keys", `{"type":"applicantCreated","type":"applicantReviewed","applicantId":"a1","correlationId":"dup","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"}}`, "application/json", ""},
		{"invalid UTF-8", "{\"type\":\"applicantCreated\",\"applicantId\":\"\xff\xfe\",\"correlationId\":\"utf\"}", "application/json", "altered"},
		// Valid JSON: the number is in a field the adapter does not read.
		{"huge number", `{"type":"applicantCreated","applicantId":"a2","correlationId":"num","reviewResult":{"score":1e999999}}`, "application/json", ""},
		{"huge number where a string belongs", `{"type":"applicantCreated","applicantId":1e999999,"correlationId":"num2"}`, "application/json", "unparseable"},
		// A raw control character inside a string is not JSON.
		{"NUL bytes", "{\"type\":\"applicantCreated\",\"applicantId\":\"a3\u0000\",\"correlationId\":\"nul\"}", "application/json", "unparseable"},
		{"wrong content type", `{"type":"applicantCreated","applicantId":"a4","correlationId":"ct"}`, "text/plain", ""},
		{"binary", "\x00\x01\x02\x03\xff", "application/octet-stream", "unparseable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", tt.body)
			h.Set("Content-Type", tt.contentType)
			a := g.post(t, "/webhooks/sumsub", h, body(tt.body))
			if a.Status != 200 {
				t.Fatalf("answer %+v, want 200", a)
			}
			ev, err := g.store.FindEvent(context.Background(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Flag) != tt.flag || string(ev.Body) != tt.body {
				t.Errorf("stored flag %q (%s), body kept: %v; want flag %q", ev.Flag, ev.FlagDetail, string(ev.Body) == tt.body, tt.flag)
			}
		})
	}
	if a := g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", sumsubReviewed), body(sumsubReviewed)); a.Status != 200 {
		t.Fatalf("legitimate request afterwards: %+v", a)
	}
}
