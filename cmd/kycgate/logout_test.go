package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/kycgate/kycgate/internal/config"
)

// TestDashboard_LogoutEverywhere: two instances share one PostgreSQL
// database and one configuration; a session logged out on one is refused
// by the other, though the browser (or whoever stole it) keeps the cookie.
func TestDashboard_LogoutEverywhere(t *testing.T) {
	storage, ok := postgresSchema(t)
	if !ok {
		t.Skip("needs PostgreSQL")
	}
	cfg := func() *config.Config {
		c, err := config.Parse(fmt.Appendf(nil, "listen: \"127.0.0.1:0\"\nstorage: %q\napi_tokens: [%q]\n", storage, cliToken), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, _ := runApp(t, cfg())
	b, _ := runApp(t, cfg())
	baseA, baseB := "http://"+a.Addr(), "http://"+b.Addr()
	web := webLogin(t, baseA, cliToken)
	noRedirect := &http.Client{Jar: web.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(base string) (int, string) {
		t.Helper()
		resp, err := noRedirect.Get(base + "/verifications")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	// The cookie is for 127.0.0.1, so the browser sends it to both instances.
	status, body := get(baseB)
	if status != 200 {
		t.Fatalf("the session on the other instance: %d", status)
	}
	form := url.Values{} // the page's logout form, as served
	if m := formTokenRE.FindStringSubmatch(body); m != nil {
		form.Set("csrf", m[1])
	}
	u, _ := url.Parse(baseA)
	cookies := web.Jar.Cookies(u)
	resp, err := noRedirect.PostForm(baseA+"/logout", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	web.Jar.SetCookies(u, cookies) // the browser, or a thief, keeps the old cookie
	for _, base := range []string{baseA, baseB} {
		if status, _ := get(base); status != http.StatusSeeOther {
			t.Errorf("%s after logging out: %d, want a redirect to log in", base, status)
		}
	}
}
