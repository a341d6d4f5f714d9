package veriff_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/veriff"
	"github.com/kycgate/kycgate/internal/simulator"
)

// The GET request's X-HMAC-SIGNATURE is the session id signed with the
// shared secret; computed with openssl:
//
//	printf '%s' 12df6045-3846-3e45-946a-14fa6136d78b | openssl dgst -sha256 -hmac Rotated-Veriff-Shared-Secret-2026
func TestSignRequest(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/v1/sessions/12df6045-3846-3e45-946a-14fa6136d78b/decision", nil)
	veriff.SignRequest(req, "api-key", testSecret, "12df6045-3846-3e45-946a-14fa6136d78b")
	if got := req.Header.Get(veriff.HeaderSignature); got != "e0dc1c28b1b555116f1da144cdedfe2723a0cc3632536eabb43d9b3a63611551" {
		t.Errorf("X-HMAC-SIGNATURE %s", got)
	}
	if got := req.Header.Get(veriff.HeaderAuthClient); got != "api-key" {
		t.Errorf("X-AUTH-CLIENT %s", got)
	}
}

// TestAPI_Fetch: the client against the fake over loopback HTTP, which
// checks the API key and the session id's signature.
func TestAPI_Fetch(t *testing.T) {
	creds := simulator.APICredentials{veriff.Name: {"api_key": "key-1", "shared_secret": "secret-1"}}
	fake := simulator.NewAPI(creds)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	r := rand.New(rand.NewPCG(1, 2))
	journey := func(scenario string) simulator.Journey {
		js, err := simulator.NewJourneys(simulator.Options{Provider: veriff.Name, Scenario: scenario, Count: 1, Rand: r,
			Start: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), Creds: simulator.Credentials{Secret: "s"}})
		if err != nil {
			t.Fatal(err)
		}
		fake.Add(js...)
		return js[0]
	}
	client := func(keys map[string]string) provider.API {
		a, err := veriff.API.New(provider.APIConfig{BaseURL: simulator.BaseURL(ts.URL, veriff.Name), Keys: keys, Client: ts.Client(), Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	good := client(creds[veriff.Name])

	for scenario, want := range map[string]kycgate.Decision{"declined": kycgate.DecisionDeclined, "approved": kycgate.DecisionApproved, "review": kycgate.DecisionReviewNeeded} {
		j := journey(scenario)
		doc, err := good.Fetch(context.Background(), &kycgate.Verification{ID: j.VerificationID})
		if err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		c, err := veriff.API.Parse(doc.Body)
		if err != nil {
			t.Fatalf("%s: %v", scenario, err)
		}
		docType, country := simulator.DocumentOf(j)
		if c.Decision != want || c.DocumentType != docType || c.DocumentCountry != country || c.ExternalUserID != j.ExternalUserID {
			t.Errorf("%s: %+v", scenario, c)
		}
		if doc.Request != "GET "+simulator.BaseURL(ts.URL, veriff.Name)+"/v1/sessions/"+j.VerificationID+"/decision" {
			t.Errorf("request %s", doc.Request)
		}
	}

	j := journey("declined")
	for name, keys := range map[string]map[string]string{
		"wrong shared secret": {"api_key": "key-1", "shared_secret": "secret-2"},
		"wrong API key":       {"api_key": "key-2", "shared_secret": "secret-1"},
	} {
		_, err := client(keys).Fetch(context.Background(), &kycgate.Verification{ID: j.VerificationID})
		var apiErr *provider.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Signed over another session's id: refused.
	req, _ := http.NewRequest(http.MethodGet, simulator.BaseURL(ts.URL, veriff.Name)+"/v1/sessions/"+j.VerificationID+"/decision", nil)
	veriff.SignRequest(req, "key-1", "secret-1", "another-session")
	if resp, err := ts.Client().Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signature of another session: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// A session the API does not know.
	_, err := good.Fetch(context.Background(), &kycgate.Verification{ID: "00000000-0000-4000-a000-000000000000"})
	var apiErr *provider.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session: %v", err)
	}
}

func TestParseDecision(t *testing.T) {
	// No decision yet.
	c, err := veriff.ParseDecision([]byte(`{"status":"success","verification":null}`))
	if err != nil || c.Decision != "" || c.Status != "" {
		t.Errorf("no decision yet: %+v, %v", c, err)
	}
	// The decision webhook's verification object, as the endpoint answers it.
	c, err = veriff.ParseDecision(providertestExample(t, "decision_declined.json"))
	if err != nil || c.Decision != kycgate.DecisionDeclined || len(c.Reasons) != 1 || c.Reasons[0] != "102" || c.DocumentType != "DRIVERS_LICENSE" {
		t.Errorf("declined: %+v, %v", c, err)
	}
	// An abandonment is left to the webhooks.
	c, err = veriff.ParseDecision(providertestExample(t, "decision_abandoned.json"))
	if err != nil || c.Status != "" || c.Decision != "" || c.UndecidedOnly {
		t.Errorf("abandoned: %+v, %v", c, err)
	}
	for _, body := range []string{`{"status":"fail"}`, `{"status":"success","verification":{"status":"approved"}}`} {
		if _, err := veriff.ParseDecision([]byte(body)); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
}
