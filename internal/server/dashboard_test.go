package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/server"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// page requests a dashboard page with the session cookie, if any, and
// returns the status, the body and the response.
func page(t *testing.T, method, u string, cookie *http.Cookie, form url.Values) (int, string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Accept", "text/html") // as a browser asks
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

var loginCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// postLogin posts form to the login form as a browser does: the form's
// page first, then the form with what the page carries (its token) and the
// cookie the page set.
func postLogin(t *testing.T, base string, form url.Values) (int, string, *http.Response) {
	t.Helper()
	_, body, resp := page(t, "GET", base+"/login", nil, nil)
	m := loginCSRF.FindStringSubmatch(body)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "kycgate_login" {
			cookie = c
		}
	}
	if m != nil {
		form.Set("csrf", m[1])
	}
	return page(t, "POST", base+"/login", cookie, form)
}

// login logs in with token and returns the session cookie.
func login(t *testing.T, base, token string) *http.Cookie {
	t.Helper()
	status, body, resp := postLogin(t, base, url.Values{"token": {token}, "next": {"/verifications"}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/verifications" {
		t.Fatalf("login: %d %s %s", status, resp.Header.Get("Location"), body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "kycgate_session" {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

func TestDashboard_Login(t *testing.T) {
	g := newGateway(t)

	status, _, resp := page(t, "GET", g.URL+"/verifications?status=declined", nil, nil)
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fverifications%3Fstatus%3Ddeclined" {
		t.Errorf("without a session: %d to %q", status, resp.Header.Get("Location"))
	}
	status, body, resp := postLogin(t, g.URL, url.Values{"token": {"guess"}})
	if status != http.StatusUnauthorized || !strings.Contains(body, "API tokens (api_tokens in its configuration)") || len(resp.Cookies()) != 0 {
		t.Errorf("wrong token: %d, cookies %v", status, resp.Cookies())
	}

	c := login(t, g.URL, apiToken)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure {
		t.Errorf("cookie on loopback: %+v; want HttpOnly, SameSite=Strict, not Secure", c)
	}
	// Anywhere else, the cookie is Secure: the dashboard is served over TLS.
	_, loginPage, loginResp := page(t, "GET", g.URL+"/login", nil, nil)
	form := url.Values{"token": {apiToken}}
	if m := loginCSRF.FindStringSubmatch(loginPage); m != nil {
		form.Set("csrf", m[1])
	}
	req, _ := http.NewRequest("POST", g.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range loginResp.Cookies() {
		req.AddCookie(c)
	}
	req.Host = "kyc.example.com"
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != "kycgate_session" || !cs[0].Secure {
		t.Errorf("cookie for kyc.example.com: %+v, want Secure", cs)
	}

	// A redirect after login stays on this site.
	// Browsers drop a tab, CR or LF anywhere in a URL and read a backslash
	// as a slash: "/\t/evil.example" is "//evil.example" to them.
	for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
		"/\t/evil.example", "/\r/evil.example", "/\n/evil.example", "/\t\\evil.example", "\t//evil.example", "/ /evil.example", "/\x7f/evil.example"} {
		_, _, resp := postLogin(t, g.URL, url.Values{"token": {apiToken}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirects to %q", next, loc)
		}
	}
	for _, q := range []string{"/%09/evil.example", "/%0d/evil.example", "/%0A/evil.example"} {
		_, body, _ := page(t, "GET", g.URL+"/login?next="+q, nil, nil)
		if strings.Contains(body, "evil.example") {
			t.Errorf("the login form for next=%s carries it on", q)
		}
	}
	if _, _, resp := postLogin(t, g.URL, url.Values{"token": {apiToken}, "next": {"/verifications?q=a%20b"}}); resp.Header.Get("Location") != "/verifications?q=a%20b" {
		t.Errorf("a path of this site: redirected to %q", resp.Header.Get("Location"))
	}

	status, body, resp = page(t, "GET", g.URL+"/", c, nil)
	if status != 200 || !strings.Contains(body, "No verifications") || !strings.Contains(body, "No sources are configured") {
		t.Errorf("empty overview: %d\n%s", status, body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}

	// A forged or altered session is no session.
	for _, v := range []string{"", "garbage", "99999999999." + strings.SplitN(c.Value, ".", 2)[1], c.Value + "x"} {
		status, _, _ := page(t, "GET", g.URL+"/", &http.Cookie{Name: "kycgate_session", Value: v}, nil)
		if status != http.StatusSeeOther {
			t.Errorf("cookie %q: %d, want a redirect to log in", v, status)
		}
	}
	// A form without the session's form token is refused, and does nothing.
	status, body, _ = page(t, "POST", g.URL+"/deliveries/retry", c, url.Values{"destination": {"x"}})
	if status != http.StatusForbidden || !strings.Contains(body, "reload the page") {
		t.Errorf("form without its token: %d %s", status, body)
	}
	status, _, _ = page(t, "POST", g.URL+"/deliveries/retry", nil, url.Values{"destination": {"x"}})
	if status != http.StatusUnauthorized {
		t.Errorf("form without a session: %d", status)
	}

	status, _, resp = page(t, "POST", g.URL+"/logout", c, url.Values{"csrf": {formToken(t, g.URL, c)}})
	if cs := resp.Cookies(); status != http.StatusSeeOther || len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout: %d %+v", status, cs)
	}
}

// formToken returns the form token the dashboard's pages carry for session
// c, "" when they carry none.
func formToken(t *testing.T, base string, c *http.Cookie) string {
	t.Helper()
	_, body, _ := page(t, "GET", base+"/", c, nil)
	if m := loginCSRF.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// TestDashboard_Logout: logging out ends the session for good: its cookie,
// kept or stolen, no longer opens a page. The logout form needs the
// session's form token, so another site cannot log a user out.
func TestDashboard_Logout(t *testing.T) {
	g := newGateway(t)
	c := login(t, g.URL, apiToken)
	other := login(t, g.URL, apiToken)
	csrf := formToken(t, g.URL, c)
	if status, _, _ := page(t, "POST", g.URL+"/logout", c, url.Values{}); status != http.StatusForbidden {
		t.Errorf("logout without the form token: %d, want 403", status)
	}
	if status, _, _ := page(t, "GET", g.URL+"/", c, nil); status != 200 {
		t.Fatalf("the session after a refused logout: %d, want it still open", status)
	}
	if status, _, _ := page(t, "POST", g.URL+"/logout", c, url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if status, _, resp := page(t, "GET", g.URL+"/verifications", c, nil); status != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("the logged-out cookie, sent again: %d %s, want a redirect to log in", status, resp.Header.Get("Location"))
	}
	if status, _, _ := page(t, "POST", g.URL+"/deliveries/retry", c, url.Values{"csrf": {csrf}, "destination": {"x"}}); status != http.StatusUnauthorized {
		t.Errorf("a form with the logged-out cookie: %d, want 401", status)
	}
	if status, _, _ := page(t, "GET", g.URL+"/", other, nil); status != 200 {
		t.Errorf("another session after this one logged out: %d, want it still open", status)
	}
}

// TestDashboard_LoginNeedsItsForm: a login posted without the token of a
// login form this site served (a cross-site login) is refused.
func TestDashboard_LoginNeedsItsForm(t *testing.T) {
	g := newGateway(t)
	for name, form := range map[string]url.Values{
		"no form token":   {"token": {apiToken}},
		"a made-up token": {"token": {apiToken}, "csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		status, _, resp := page(t, "POST", g.URL+"/login", nil, form)
		for _, c := range resp.Cookies() {
			if c.Name == "kycgate_session" {
				t.Errorf("%s: logged in", name)
			}
		}
		if status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, status)
		}
	}
}

// TestAuthFailures_RateLimited: an address that keeps failing to log in,
// or keeps sending bad API tokens, is answered 429 without its guesses
// being checked, while other addresses are served.
func TestAuthFailures_RateLimited(t *testing.T) {
	g := newGateway(t)
	limited := 0
	for range 40 {
		if status, _, _ := postLogin(t, g.URL, url.Values{"token": {"guess"}}); status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("40 failed logins in a row were never answered 429")
	}
	// Even the right token waits now: a guess that happened to be right
	// must not be told apart.
	if status, _, _ := postLogin(t, g.URL, url.Values{"token": {apiToken}}); status != http.StatusTooManyRequests {
		t.Errorf("login from the limited address: %d, want 429", status)
	}
	var e apiError
	if status := g.get(t, "/api/v1/verifications", "guess", &e); status != http.StatusTooManyRequests || e.Error.Code != "rate_limited" {
		t.Errorf("a bad API token from the limited address: %d %+v, want 429", status, e)
	}
	// The clock moves on: the address may try again.
	g.clock.Add(2 * time.Minute)
	if status := g.get(t, "/api/v1/verifications", apiToken, nil); status != 200 {
		t.Errorf("after the window: %d, want 200", status)
	}
	apiLimited := 0
	for range 40 {
		if status := g.get(t, "/api/v1/verifications", "guess", nil); status == http.StatusTooManyRequests {
			apiLimited++
		}
	}
	if apiLimited == 0 {
		t.Error("40 bad API tokens in a row were never answered 429")
	}
}

func TestDashboard_Pages(t *testing.T) {
	g := newGateway(t)
	feed(t, g)
	c := login(t, g.URL, apiToken)

	var list apiList[apiEvent]
	g.get(t, "/api/v1/events?verification_id=app-1&type=verification.decided", apiToken, &list)
	if len(list.Data) != 1 {
		t.Fatalf("events: %+v", list)
	}
	eventID := list.Data[0].ID

	for _, tc := range []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/", 200, []string{`data-provider="sumsub"`, `data-provider="metamap"`, "<svg", "sumsub p50", `data-provider="metamap" data-left-out="1"`}, []string{"sumsub (send times)", "metamap p50"}},
		{"/?range=24h", 200, nil, nil},
		{"/?range=forever", 400, []string{"range"}, nil},
		{"/verifications", 200, []string{"app-1", "mm-1", "user-42"}, nil},
		{"/verifications?provider=metamap", 200, []string{"mm-1"}, []string{"app-1"}},
		{"/verifications?id=app-1", 200, []string{"app-1"}, []string{"mm-1"}},
		{"/verifications?status=bogus", 400, []string{"query parameter status"}, nil},
		{"/verifications?since=yesterday", 400, []string{"not a date"}, nil},
		{"/verifications?provider=idwise", 200, []string{"No verification matches"}, nil},
		{"/verifications/sumsub/app-1", 200, []string{"approved", "applicantReviewed", "basic-kyc-level"}, nil},
		{"/verifications/sumsub/nope", 404, []string{"not found"}, nil},
		{"/events/" + eventID, 200, []string{"Show the raw payload"}, []string{"reviewAnswer"}},
		{"/events/" + eventID + "?raw=1", 200, []string{"reviewAnswer", "X-Payload-Digest"}, nil},
		{"/users/user-42", 200, []string{"app-1", "mm-1", "No provider declined this user", `data-provider="sumsub"`, ">approved</a>", ">review_needed</a>"}, nil},
		{"/users/nobody", 404, nil, nil},
		{"/users/user-4", 200, []string{"No end user is exactly", "app-1", "mm-1"}, nil},
		{"/verifications?q=user-4", 200, []string{"app-1", "mm-1"}, nil},
		{"/verifications?q=app", 200, []string{"app-1"}, []string{"mm-1"}},
		{"/no/such/page", 404, []string{"Not found", "there is no page at /no/such/page"}, []string{"something went wrong"}},
		{"/deliveries", 200, []string{"No destinations are configured"}, nil},
		{"/deliveries?state=sent", 400, []string{"query parameter state"}, nil},
	} {
		status, body, _ := page(t, "GET", g.URL+tc.path, c, nil)
		if status != tc.status {
			t.Errorf("%s: %d, want %d\n%s", tc.path, status, tc.status, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tc.path, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(body, n) {
				t.Errorf("%s shows %q", tc.path, n)
			}
		}
	}

	// With the store gone, pages say so and what to do.
	g.store.Close()
	status, body, _ := page(t, "GET", g.URL+"/", c, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "/readyz") {
		t.Errorf("store down: %d %s", status, body)
	}
}

func TestDashboard_ClosedWithoutTokens(t *testing.T) {
	g := newGateway(t)
	srv := server.New(server.Options{Store: g.store, Gatherer: g.reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	status, body, _ := page(t, "GET", ts.URL+"/login", nil, nil)
	if status != 200 || !strings.Contains(body, "The dashboard is closed") {
		t.Errorf("login page: %d %s", status, body)
	}
	if status, _, resp := postLogin(t, ts.URL, url.Values{"token": {""}}); status != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("empty token: %d", status)
	}
}
