package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/server"
)

// get calls the API with token and decodes the answer into v.
func (g *gateway) get(t *testing.T, path, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %d %s: %v", path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type apiVerification struct {
	Source, Provider, ID, Status, Decision string
	OriginalDecision                       string `json:"original_decision"`
	ExternalUserID                         string `json:"external_user_id"`
	Events                                 int
	Timeline                               []apiEvent
}

type apiEvent struct {
	ID, Type, Flag string
	ProviderEvent  string    `json:"provider_event"`
	VerificationID string    `json:"verification_id"`
	ReceivedAt     time.Time `json:"received_at"`
	Raw            *string   `json:"raw"`
	RawPurged      bool      `json:"raw_purged"`
	Data           struct {
		Decision string
	}
}

type apiList[T any] struct {
	Data       []T
	NextCursor string `json:"next_cursor"`
}

type apiError struct {
	Error struct{ Code, Message string }
}

func sumsubEvent(typ, review string, n int) string {
	return fmt.Sprintf(`{"applicantId":"app-1","correlationId":"req-%d","externalUserId":"user-42","levelName":"basic-kyc-level","type":%q,"reviewStatus":"completed","reviewResult":%s,"createdAtMs":"2026-11-22 10:00:%02d.000"}`, n, typ, review, n)
}

// feed delivers a Sumsub journey out of order (the decision first) and a
// MetaMap verification of the same end user.
func feed(t *testing.T, g *gateway) {
	t.Helper()
	for _, b := range []string{
		sumsubEvent("applicantReviewed", `{"reviewAnswer":"GREEN"}`, 3),
		sumsubEvent("applicantCreated", "null", 1),
		sumsubEvent("applicantPending", "null", 2),
	} {
		if a := g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", b), body(b)); a.Status != 200 {
			t.Fatalf("sumsub: %+v", a)
		}
	}
	mm := `{"resource":"https://api.getmati.com/v2/verifications/mm-1","eventName":"verification_completed","flowId":"f1","metadata":{"userId":"user-42"},"status":"reviewNeeded","identityStatus":"reviewNeeded","timestamp":"2026-11-22T10:05:00.000Z"}`
	if a := g.post(t, "/webhooks/metamap", metamap.Sign(metamapSecret, []byte(mm)), body(mm)); a.Status != 200 {
		t.Fatalf("metamap: %+v", a)
	}
}

func TestAPI_Auth(t *testing.T) {
	g := newGateway(t)
	var e apiError
	for name, token := range map[string]string{"no token": "", "wrong token": "guess"} {
		if status := g.get(t, "/api/v1/verifications", token, &e); status != 401 || e.Error.Code != "unauthorized" {
			t.Errorf("%s: %d %+v", name, status, e)
		}
	}
	for _, token := range []string{"other-token", apiToken} {
		if status := g.get(t, "/api/v1/verifications", token, nil); status != 200 {
			t.Errorf("token %s: %d", token, status)
		}
	}
	// The OpenAPI document is public: it holds no data.
	if status := g.get(t, "/api/v1/openapi.json", "", nil); status != 200 {
		t.Errorf("openapi.json: %d", status)
	}
	if status := g.get(t, "/api/v1/nothing", apiToken, &e); status != 404 {
		t.Errorf("unknown API route: %d", status)
	}
}

func TestAPI_Verifications(t *testing.T) {
	g := newGateway(t)
	feed(t, g)

	var one apiVerification
	if status := g.get(t, "/api/v1/verifications/sumsub/app-1", apiToken, &one); status != 200 {
		t.Fatalf("status %d", status)
	}
	if one.Status != "approved" || one.Decision != "approved" || one.ExternalUserID != "user-42" || one.Events != 3 {
		t.Errorf("verification delivered out of order: %+v", one)
	}
	var order []string
	for _, e := range one.Timeline {
		order = append(order, e.ProviderEvent)
	}
	if strings.Join(order, ",") != "applicantCreated,applicantPending,applicantReviewed" {
		t.Errorf("timeline in provider time: %v", order)
	}

	var list apiList[apiVerification]
	g.get(t, "/api/v1/verifications?provider=metamap", apiToken, &list)
	if len(list.Data) != 1 || list.Data[0].ID != "mm-1" || list.Data[0].Status != "review_needed" {
		t.Errorf("by provider: %+v", list.Data)
	}
	g.get(t, "/api/v1/verifications?status=approved", apiToken, &list)
	if len(list.Data) != 1 || list.Data[0].ID != "app-1" {
		t.Errorf("by status: %+v", list.Data)
	}
	// q finds a verification by the start of its id or of its user's id,
	// across providers.
	for q, want := range map[string]string{"user-4": "mm-1,app-1", "app-": "app-1", "mm": "mm-1", "user-43": "", "User": ""} {
		g.get(t, "/api/v1/verifications?q="+q, apiToken, &list)
		var got []string
		for _, v := range list.Data {
			got = append(got, v.ID)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("q=%s: %v, want %s", q, got, want)
		}
	}
	// Pages of one cover both verifications once.
	var ids []string
	for cursor := ""; ; {
		g.get(t, "/api/v1/verifications?limit=1&cursor="+cursor, apiToken, &list)
		for _, v := range list.Data {
			ids = append(ids, v.ID)
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(ids, ",") != "mm-1,app-1" {
		t.Errorf("pages: %v", ids)
	}

	var u struct {
		ExternalUserID string `json:"external_user_id"`
		Verifications  []apiVerification
	}
	if status := g.get(t, "/api/v1/users/user-42", apiToken, &u); status != 200 || len(u.Verifications) != 2 {
		t.Errorf("user across providers: %d %+v", status, u)
	}
	var e apiError
	if status := g.get(t, "/api/v1/users/nobody", apiToken, &e); status != 404 {
		t.Errorf("unknown user: %d", status)
	}
	if status := g.get(t, "/api/v1/verifications/sumsub/nope", apiToken, &e); status != 404 || e.Error.Code != "not_found" {
		t.Errorf("unknown verification: %d %+v", status, e)
	}
}

func TestAPI_Events(t *testing.T) {
	g := newGateway(t)
	feed(t, g)
	garbage := "not json"
	g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", garbage), body(garbage))

	var list apiList[apiEvent]
	g.get(t, "/api/v1/events?verification_id=app-1", apiToken, &list)
	if len(list.Data) != 3 || list.Data[0].Raw != nil {
		t.Fatalf("events of app-1: %+v", list.Data)
	}
	g.get(t, "/api/v1/events?type=verification.decided", apiToken, &list)
	if len(list.Data) != 2 {
		t.Errorf("decided events: %d", len(list.Data))
	}
	g.get(t, "/api/v1/events?flagged=true", apiToken, &list)
	if len(list.Data) != 1 || list.Data[0].Flag != "unparseable" {
		t.Fatalf("flagged events: %+v", list.Data)
	}
	var ev apiEvent
	if status := g.get(t, "/api/v1/events/"+list.Data[0].ID, apiToken, &ev); status != 200 || ev.Raw == nil || *ev.Raw != garbage {
		t.Errorf("one event with its raw body: %d %+v", status, ev)
	}
}

func TestAPI_BadParameters(t *testing.T) {
	g := newGateway(t)
	for _, q := range []string{
		"/api/v1/verifications?status=bogus",
		"/api/v1/verifications?limit=0",
		"/api/v1/verifications?limit=501",
		"/api/v1/verifications?limit=ten",
		"/api/v1/verifications?since=yesterday",
		"/api/v1/verifications?cursor=abc",
		"/api/v1/events?type=verification.teleported",
		"/api/v1/events?flag=odd",
		"/api/v1/events?flagged=maybe",
		"/api/v1/stats/funnel?group_by=status",
		"/api/v1/stats/funnel?top=0",
		"/api/v1/stats/funnel?top=101",
		"/api/v1/stats/funnel?until=2026-11-22",
		"/api/v1/stats/funnel?since=2026-11-23T00:00:00Z&until=2026-11-22T00:00:00Z",
	} {
		var e apiError
		if status := g.get(t, q, apiToken, &e); status != 400 || e.Error.Code != "invalid" || e.Error.Message == "" {
			t.Errorf("%s: %d %+v", q, status, e)
		}
	}
}

func TestAPI_ClosedWithoutTokens(t *testing.T) {
	g := newGateway(t)
	srv := server.New(server.Options{Ingest: nil, Store: g.store, Gatherer: g.reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/verifications", nil)
	req.Header.Set("Authorization", "Bearer anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "no api_tokens are configured") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

// TestAPI_Funnel: the funnel over HTTP, grouped and filtered.
func TestAPI_Funnel(t *testing.T) {
	g := newGateway(t)
	feed(t, g)
	var got map[string]any
	if status := g.get(t, "/api/v1/stats/funnel", apiToken, &got); status != 200 {
		t.Fatalf("funnel: %d %v", status, got)
	}
	groups := got["groups"].([]any)
	summary := map[string]string{}
	for _, x := range groups {
		m := x.(map[string]any)
		stages := m["stages"].([]any)
		decided := stages[3].(map[string]any)["count"]
		summary[m["group"].(string)] = fmt.Sprintf("total %v decided %v decisions %v", m["total"], decided, m["decisions"])
	}
	want := map[string]string{
		"sumsub":  "total 1 decided 1 decisions map[approved:1 declined:0 resubmission_requested:0 review_needed:0]",
		"metamap": "total 1 decided 1 decisions map[approved:0 declined:0 resubmission_requested:0 review_needed:1]",
	}
	if fmt.Sprint(summary) != fmt.Sprint(want) {
		t.Errorf("funnel %v\nwant %v", summary, want)
	}
	if status := g.get(t, "/api/v1/stats/funnel?group_by=flow&provider=metamap", apiToken, &got); status != 200 {
		t.Fatalf("funnel by flow: %d", status)
	}
	if groups := got["groups"].([]any); len(groups) != 1 || groups[0].(map[string]any)["group"] != "f1" {
		t.Errorf("metamap by flow: %v", got)
	}
	if status := g.get(t, "/api/v1/stats/funnel", "", nil); status != 401 {
		t.Errorf("funnel without a token: %d", status)
	}
}
