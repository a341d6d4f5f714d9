package stripe_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/stripe"
	"github.com/kycgate/kycgate/internal/simulator"
)

// fakeStripe serves Stripe's fake API on loopback, knowing a journey of
// every scenario, and returns its base URL and the journeys.
func fakeStripe(t *testing.T, key string) (string, map[string]simulator.Journey) {
	t.Helper()
	api := simulator.NewAPI(simulator.APICredentials{stripe.Name: {"secret_key": key}})
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	scenarios, err := simulator.Scenarios(stripe.Name)
	if err != nil {
		t.Fatal(err)
	}
	journeys := map[string]simulator.Journey{}
	r := rand.New(rand.NewPCG(1, 2))
	for name := range scenarios {
		js, err := simulator.NewJourneys(simulator.Options{Provider: stripe.Name, Scenario: name, Count: 1, Rand: r,
			Start: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Creds: simulator.Credentials{Secret: "whsec_x"}})
		if err != nil {
			t.Fatal(err)
		}
		api.Add(js...)
		journeys[name] = js[0]
	}
	return simulator.BaseURL(ts.URL, stripe.Name), journeys
}

func client(t *testing.T, base, key string) provider.API {
	t.Helper()
	c, err := stripe.API.New(provider.APIConfig{BaseURL: base, Keys: map[string]string{"secret_key": key}, Client: http.DefaultClient,
		Now: func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAPI_FetchFromFake: the real client fetches every journey's session
// over loopback from the fake, which checks the secret key; the document
// says what the journey ended in, and the document's type and country.
func TestAPI_FetchFromFake(t *testing.T) {
	const key = "rk_test_kycgateRestrictedKey"
	base, journeys := fakeStripe(t, key)
	c := client(t, base, key)
	want := map[kycgate.Status]kycgate.Decision{kycgate.StatusApproved: kycgate.DecisionApproved,
		kycgate.StatusResubmissionRequested: kycgate.DecisionResubmissionRequested}
	for name, j := range journeys {
		t.Run(name, func(t *testing.T) {
			doc, err := c.Fetch(context.Background(), &kycgate.Verification{ID: j.VerificationID})
			if j.Want == kycgate.StatusDeleted {
				var apiErr *provider.APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
					t.Fatalf("a redacted session: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(doc.Request, "GET "+base+"/v1/identity/verification_sessions/"+j.VerificationID) || strings.Contains(doc.Request, key) {
				t.Errorf("request %q", doc.Request)
			}
			ch, err := stripe.API.Parse(doc.Body)
			if err != nil {
				t.Fatal(err)
			}
			docType, country := stripe.Fake.Document(j)
			if ch.Decision != want[j.Want] || ch.DocumentType != docType || ch.DocumentCountry != country || ch.ExternalUserID != j.ExternalUserID {
				t.Errorf("document of a journey ending %s: %+v", j.Want, ch)
			}
			p, _ := stripe.New(provider.Config{})
			_, first, err := p.Parse(nil, j.Deliveries[0].Body)
			if err != nil || ch.CreatedAt == nil || first.CreatedAt == nil || !ch.CreatedAt.Equal(*first.CreatedAt) {
				t.Errorf("the API's session created at %v, the webhooks' at %v (%v)", ch.CreatedAt, first.CreatedAt, err)
			}
			if len(ch.Steps) != 2 || ch.Steps[0].Name != "document" || ch.Steps[1].Name != "selfie" {
				t.Errorf("steps %+v", ch.Steps)
			}
		})
	}
}

// TestAPI_FakeChecksTheKey: a wrong key is refused as Stripe refuses it;
// the key as basic-auth user name, which Stripe also takes, is accepted.
func TestAPI_FakeChecksTheKey(t *testing.T) {
	const key = "sk_test_kycgate"
	base, journeys := fakeStripe(t, key)
	j := journeys["approved"]
	_, err := client(t, base, "sk_test_other").Fetch(context.Background(), &kycgate.Verification{ID: j.VerificationID})
	var apiErr *provider.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || !strings.Contains(apiErr.Message, "invalid_request_error") {
		t.Fatalf("wrong key: %v", err)
	}
	for name, set := range map[string]func(*http.Request){
		"basic":    func(r *http.Request) { r.SetBasicAuth(key, "") },
		"none":     func(*http.Request) {},
		"empty":    func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") },
		"bad user": func(r *http.Request) { r.SetBasicAuth("sk_test_other", "") },
	} {
		req, _ := http.NewRequest(http.MethodGet, base+stripe.SessionPath(j.VerificationID), nil)
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ok := resp.StatusCode == http.StatusOK; ok != (name == "basic") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	// Unknown session: 404.
	_, err = client(t, base, key).Fetch(context.Background(), &kycgate.Verification{ID: "vs_unknown"})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session: %v", err)
	}
}

// TestParseSession: Stripe's documented VerificationSession object, a
// session without its report expanded, and an expanded failure.
func TestParseSession(t *testing.T) {
	documented := `{
  "id": "vs_1NuNAILkdIwHu7ixh7OtGMLw",
  "object": "identity.verification_session",
  "client_secret": "...",
  "created": 1695680526,
  "last_error": null,
  "last_verification_report": null,
  "livemode": false,
  "metadata": {},
  "options": {
    "document": {
      "require_matching_selfie": true
    }
  },
  "redaction": null,
  "status": "requires_input",
  "type": "document",
  "url": "..."
}`
	c, err := stripe.ParseSession([]byte(documented))
	if err != nil || c.Decision != "" || c.Flow != "document" || c.Sandbox == nil || !*c.Sandbox || c.DocumentType != "" {
		t.Errorf("documented object: %+v, %v", c, err)
	}
	verified := strings.Replace(strings.Replace(documented, `"requires_input"`, `"verified"`, 1), `"last_verification_report": null`, `"last_verification_report": "vr_1"`, 1)
	if c, err := stripe.ParseSession([]byte(verified)); err != nil || c.Decision != kycgate.DecisionApproved || len(c.Steps) != 0 {
		t.Errorf("verified, report not expanded: %+v, %v", c, err)
	}
	failed := strings.Replace(strings.Replace(documented, `"last_error": null`, `"last_error": {"code": "document_expired", "reason": "The document is expired."}`, 1),
		`"last_verification_report": null`, `"last_verification_report": {"id": "vr_1", "object": "identity.verification_report", "document": {"status": "unverified", "error": {"code": "document_expired", "reason": "x"}, "type": "passport", "issuing_country": "US"}, "selfie": {"status": "verified", "error": null}}`, 1)
	c, err = stripe.ParseSession([]byte(failed))
	if err != nil || c.Decision != kycgate.DecisionResubmissionRequested || len(c.Reasons) != 1 || c.Reasons[0] != "document_expired" ||
		c.DocumentType != "passport" || c.DocumentCountry != "US" || len(c.Steps) != 2 ||
		c.Steps[0] != (kycgate.Step{Name: "document", Outcome: kycgate.OutcomeFailed, ErrorCode: "document_expired"}) ||
		c.Steps[1] != (kycgate.Step{Name: "selfie", Outcome: kycgate.OutcomePassed}) {
		t.Errorf("expanded failure: %+v, %v", c, err)
	}
	for _, bad := range []string{`{"id": "evt_1", "object": "event"}`, `{"object": "identity.verification_session"}`,
		`{"id": "vs_1", "object": "identity.verification_session", "last_verification_report": {"document": 7}}`} {
		if _, err := stripe.ParseSession([]byte(bad)); err == nil {
			t.Errorf("ParseSession(%s) accepted it", bad)
		}
	}
}
