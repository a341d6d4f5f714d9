package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/simulator"
)

// verificationJSON is what GET /api/v1/verifications/{source}/{id} answers
// of fetching from the provider's API.
type verificationJSON struct {
	kycgate.Verification
	ProviderFetch *kycgate.Fetch `json:"provider_fetch"`
	ProviderData  *struct {
		EventID  string          `json:"event_id"`
		Request  string          `json:"request"`
		Document json.RawMessage `json:"document"`
		Purged   bool            `json:"purged"`
	} `json:"provider_data"`
}

func getVerification(t *testing.T, api *client.Client, source, id, include string) verificationJSON {
	t.Helper()
	var v verificationJSON
	q := map[string][]string{}
	if include != "" {
		q["include"] = []string{include}
	}
	if _, err := api.GetJSON(context.Background(), "/api/v1/verifications/"+source+"/"+id, q, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// enrichedReceiver keeps the verification.enriched envelopes it is sent.
type enrichedReceiver struct {
	mu  sync.Mutex
	got map[string]json.RawMessage // verification id -> provider_data
}

func (r *enrichedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var env struct {
		Type         kycgate.EventType `json:"type"`
		Verification struct {
			ID string `json:"id"`
		} `json:"verification"`
		ProviderData json.RawMessage `json:"provider_data"`
	}
	body, _ := io.ReadAll(req.Body)
	json.Unmarshal(body, &env)
	if env.Type == kycgate.EventEnriched {
		r.mu.Lock()
		r.got[env.Verification.ID] = env.ProviderData
		r.mu.Unlock()
	}
}

// TestFetch_EndToEnd: the demo's loop on each store. Providers' webhooks
// arrive; kycgate fetches each decided verification from a fake of its
// provider's API, which checks the real authentication; the API shows the
// fetch and, when asked, the document; a destination that asks for it
// receives the document; refresh fetches again; erasure purges it.
func TestFetch_EndToEnd(t *testing.T) {
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) { testFetchEndToEnd(t, storage) })
	}
}

func testFetchEndToEnd(t *testing.T, storage string) {
	rcv := &enrichedReceiver{got: map[string]json.RawMessage{}}
	base, secrets, fake := demoGateway(t, storage, rcv, ", include_provider_data: true, filter: {types: [verification.enriched]}")
	if _, err := demo.Feed(context.Background(), base, secrets, 2, fake); err != nil {
		t.Fatal(err)
	}
	api := client.New(base, secrets.API)
	all, err := api.ListVerifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fetched := map[string]verificationJSON{}
	for _, v := range all {
		// Every webhook was acknowledged, so every fetch is requested.
		got := getVerification(t, api, v.Source, v.ID, "")
		if got.ProviderFetch == nil {
			if v.Decision != "" {
				t.Errorf("%s %s: decided, yet nothing asked of the provider", v.Provider, v.ID)
			}
			continue
		}
		waitUntil(t, v.Provider+" "+v.ID+" fetched", func() bool {
			got = getVerification(t, api, v.Source, v.ID, "")
			return got.ProviderFetch != nil && got.ProviderFetch.State != kycgate.FetchPending
		})
		if got.ProviderFetch.State != kycgate.FetchDone || got.ProviderDataAt == nil {
			t.Errorf("%s %s: fetch %+v", v.Provider, v.ID, got.ProviderFetch)
			continue
		}
		if v.Status != got.Status {
			t.Errorf("%s %s: enrichment moved the status from %s to %s", v.Provider, v.ID, v.Status, got.Status)
		}
		wantType, wantCountry := simulator.DocumentOf(simulator.Journey{Provider: v.Provider, VerificationID: v.ID})
		if got.DocumentType != wantType || got.DocumentCountry != wantCountry {
			t.Errorf("%s %s: document %q %q, want %q %q", v.Provider, v.ID, got.DocumentType, got.DocumentCountry, wantType, wantCountry)
		}
		fetched[v.Provider] = got
	}
	for _, p := range simulator.Providers() {
		if _, ok := fetched[p]; !ok {
			t.Errorf("no %s verification was fetched", p)
		}
	}

	v := fetched["sumsub"]
	withData := getVerification(t, api, "sumsub", v.ID, "provider_data")
	if d := withData.ProviderData; d == nil || d.Purged || !strings.Contains(string(d.Document), `"firstName":"Jane"`) || !strings.HasPrefix(d.Request, "GET "+secrets.APIBase+"/sumsub/resources/applicants/") {
		t.Fatalf("?include=provider_data: %+v", withData.ProviderData)
	}
	if getVerification(t, api, "sumsub", v.ID, "").ProviderData != nil {
		t.Error("the document came without ?include=provider_data")
	}
	waitUntil(t, "the destination receives the document", func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return strings.Contains(string(rcv.got[v.ID]), `"firstName":"Jane"`)
	})

	// Refresh from the CLI: fetched again, the same document is not stored twice.
	calls := fake.Calls("sumsub")
	conn := []string{"--server", base, "--token", secrets.API}
	code, out, errOut := cli(t, append([]string{"verifications", "refresh", "sumsub", v.ID, "--wait", "10s"}, conn...)...)
	if code != 0 || !strings.Contains(out, "done, fetched") || fake.Calls("sumsub") != calls+1 {
		t.Fatalf("refresh: %d %q %q (%d calls before, %d after)", code, out, errOut, calls, fake.Calls("sumsub"))
	}
	if after := getVerification(t, api, "sumsub", v.ID, ""); after.Events != withData.Events {
		t.Errorf("an unchanged document was stored again: %d events, then %d", withData.Events, after.Events)
	}
	for _, bad := range [][]string{{"nope", v.ID}, {"sumsub", "nope"}} {
		if code, _, errOut := cli(t, append([]string{"verifications", "refresh", bad[0], bad[1]}, conn...)...); code != 1 || !strings.Contains(errOut, "not_found") {
			t.Errorf("refresh %v: %d %q", bad, code, errOut)
		}
	}

	// The dashboard shows the fetch and refreshes from a form.
	dashboardRefresh(t, base, secrets.API, fetched["metamap"])

	// Metrics show the jobs by state.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`kycgate_provider_fetch_jobs{source="sumsub",state="done"}`, `kycgate_provider_fetches_total{outcome="fetched",source="metamap"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Erasure purges the document and ends the job; refresh is refused.
	if _, err := api.Do(context.Background(), http.MethodDelete, "/api/v1/verifications/sumsub/"+v.ID, nil); err != nil {
		t.Fatal(err)
	}
	erased := getVerification(t, api, "sumsub", v.ID, "provider_data")
	if erased.ProviderFetch != nil || erased.ProviderData == nil || !erased.ProviderData.Purged || string(erased.ProviderData.Document) != "null" {
		t.Errorf("after erasure: fetch %+v, data %+v", erased.ProviderFetch, erased.ProviderData)
	}
	if code, _, errOut := cli(t, append([]string{"verifications", "refresh", "sumsub", v.ID}, conn...)...); code != 1 || !strings.Contains(errOut, "erased") {
		t.Errorf("refresh after erasure: %d %q", code, errOut)
	}
}

// dashboardRefresh checks a verification's "Provider data" panel and its
// "Fetch again now" form.
func dashboardRefresh(t *testing.T, base, token string, v verificationJSON) {
	t.Helper()
	web := webLogin(t, base, token)
	pagePath := "/verifications/" + v.Source + "/" + v.ID
	resp, err := web.Get(base + pagePath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(body)
	for _, want := range []string{`id="fetch-state">done<`, v.DocumentType + " · " + v.DocumentCountry, `id="provider-document"`, `action="` + pagePath + `/refresh"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the verification page lacks %s", want)
		}
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no form token on the page")
	}
	resp, err = web.PostForm(base+pagePath+"/refresh", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != pagePath {
		t.Errorf("refresh form: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

var formTokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webLogin logs in to the dashboard at base as a browser does (the login
// form, then posting it) and returns a client holding the session.
func webLogin(t *testing.T, base, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar}
	resp, err := web.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"token": {token}}
	if m := formTokenRE.FindStringSubmatch(string(body)); m != nil {
		form.Set("csrf", m[1])
	}
	resp, err = web.PostForm(base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return web
}
