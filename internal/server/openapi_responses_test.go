package server_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/delivery"
	"github.com/kycgate/kycgate/internal/simulator"
)

// feedAll plays count journeys of every provider into the test gateway.
func feedAll(t *testing.T, g *gateway, count int) {
	t.Helper()
	paths := map[string]string{"sumsub": "/webhooks/sumsub", "metamap": "/webhooks/metamap", "verifyyou": "/webhooks/verifyyou",
		"persona": "/webhooks/persona", "stripe": "/webhooks/stripe", "onfido": "/webhooks/onfido-eu",
		"idwise": "/webhooks/idwise", "vericato": "/webhooks/vericato/" + vericatoToken, "veriff": "/webhooks/veriff"}
	secrets := map[string]string{"sumsub": sumsubSecret, "metamap": metamapSecret, "verifyyou": verifyyouSecret, "persona": personaSecret, "idwise": idwiseToken, "veriff": veriffSecret, "stripe": stripeSecret, "onfido": onfidoToken}
	for i, p := range simulator.Providers() {
		js, err := simulator.NewJourneys(simulator.Options{
			Provider: p, Count: count, Start: fixtureTime.Add(-6 * time.Hour),
			Users: []string{"user-0001", "user-0002", "user-0003"},
			Rand:  rand.New(rand.NewPCG(uint64(i), 22)), Creds: simulator.Credentials{Secret: secrets[p]},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range js {
			for _, d := range j.Deliveries {
				if a := g.post(t, paths[p], d.Header, body(string(d.Body))); a.Status != 200 {
					t.Fatalf("%s %s: %+v", p, d.Event, a)
				}
			}
		}
	}
}

// TestOpenAPI_RealResponses: every answer of the test gateway, fed with
// journeys of every provider, is valid against /api/v1/openapi.json, for
// its route and status.
func TestOpenAPI_RealResponses(t *testing.T) {
	g := newGateway(t)
	feedAll(t, g, 12)
	var doc map[string]any
	if status := g.get(t, "/api/v1/openapi.json", "", &doc); status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	sv := schemaValidator{doc: doc}

	var list struct {
		Data []struct {
			Source, ID     string
			ExternalUserID string `json:"external_user_id"`
		}
	}
	g.get(t, "/api/v1/verifications?limit=500", apiToken, &list)
	var events struct{ Data []struct{ ID string } }
	g.get(t, "/api/v1/events?limit=500", apiToken, &events)
	if len(list.Data) < 50 || len(events.Data) < 100 {
		t.Fatalf("fed %d verifications, %d events", len(list.Data), len(events.Data))
	}

	type call struct {
		method, pattern, path string
		token                 string
		status                int
	}
	calls := []call{
		{"GET", "/api/v1/verifications", "/api/v1/verifications", apiToken, 200},
		{"GET", "/api/v1/verifications", "/api/v1/verifications?q=user-000&limit=5", apiToken, 200},
		{"GET", "/api/v1/verifications", "/api/v1/verifications?status=bogus", apiToken, 400},
		{"GET", "/api/v1/verifications", "/api/v1/verifications", "", 401},
		{"GET", "/api/v1/verifications/{source}/{id}", "/api/v1/verifications/sumsub/nope", apiToken, 404},
		{"GET", "/api/v1/verifications/{source}/{id}", "/api/v1/verifications/sumsub/nope?include=all", apiToken, 400},
		{"GET", "/api/v1/users/{external_user_id}", "/api/v1/users/user-0001", apiToken, 200},
		{"GET", "/api/v1/users/{external_user_id}", "/api/v1/users/nobody", apiToken, 404},
		{"GET", "/api/v1/events", "/api/v1/events?limit=500", apiToken, 200},
		{"GET", "/api/v1/events", "/api/v1/events?flag=odd", apiToken, 400},
		{"GET", "/api/v1/events/{id}", "/api/v1/events/evt_nope", apiToken, 404},
		{"GET", "/api/v1/deliveries", "/api/v1/deliveries", apiToken, 200},
		{"GET", "/api/v1/destinations", "/api/v1/destinations", apiToken, 200},
		{"GET", "/api/v1/stats/funnel", "/api/v1/stats/funnel", apiToken, 200},
		{"GET", "/api/v1/stats/funnel", "/api/v1/stats/funnel?group_by=flow", apiToken, 200},
		{"GET", "/api/v1/stats/funnel", "/api/v1/stats/funnel?group_by=tracker&since=2030-01-01T00:00:00Z", apiToken, 200},
		{"GET", "/api/v1/stats/funnel", "/api/v1/stats/funnel?top=0", apiToken, 400},
		{"POST", "/api/v1/verifications/{source}/{id}/refresh", "/api/v1/verifications/" + url.PathEscape(list.Data[0].Source) + "/" + url.PathEscape(list.Data[0].ID) + "/refresh", apiToken, 404}, // the test gateway names no sources to the server
	}
	for _, v := range list.Data {
		calls = append(calls, call{"GET", "/api/v1/verifications/{source}/{id}", "/api/v1/verifications/" + url.PathEscape(v.Source) + "/" + url.PathEscape(v.ID), apiToken, 200})
	}
	for _, ev := range events.Data {
		calls = append(calls, call{"GET", "/api/v1/events/{id}", "/api/v1/events/" + ev.ID, apiToken, 200})
	}
	// An erased verification, and its timeline.
	erased := "/api/v1/verifications/" + url.PathEscape(list.Data[1].Source) + "/" + url.PathEscape(list.Data[1].ID)
	calls = append(calls, call{"DELETE", "/api/v1/verifications/{source}/{id}", erased, apiToken, 200},
		call{"GET", "/api/v1/verifications/{source}/{id}", erased, apiToken, 200})

	failed := 0
	for _, c := range calls {
		req, _ := http.NewRequest(c.method, g.URL+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, resp.StatusCode, c.status, b)
			continue
		}
		schema, err := sv.response(c.pattern, c.method, c.status)
		if err != nil {
			t.Error(err)
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if errs := sv.validate(schema, v, "$"); len(errs) > 0 {
			failed++
			if failed <= 5 {
				t.Errorf("%s %s %d does not match the document:\n%v", c.method, c.path, c.status, errs[:min(len(errs), 8)])
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d responses do not match the document", failed, len(calls))
	}

	// The envelope of every event of the first verifications, as the
	// forwarder builds it from the store.
	envelope := map[string]any{"$ref": "#/components/schemas/Envelope"}
	ctx := context.Background()
	envelopes := 0
	for _, v := range list.Data[:20] {
		log, err := g.store.ListLog(ctx, v.Source, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			f, err := g.store.FindForwarded(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := delivery.NewEnvelope(f, delivery.Include{Raw: true}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var x any
			if err := json.Unmarshal(b, &x); err != nil {
				t.Fatal(err)
			}
			envelopes++
			if errs := sv.validate(envelope, x, "$"); len(errs) > 0 {
				t.Errorf("the envelope of %s does not match the document:\n%v", e.ID, errs[:min(len(errs), 8)])
			}
		}
	}
	if envelopes < 40 {
		t.Errorf("checked %d envelopes", envelopes)
	}
}
