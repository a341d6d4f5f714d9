package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzAPIQuery: no query string makes the API fail with a 5xx or panic;
// a bad parameter is a 400.
func FuzzAPIQuery(f *testing.F) {
	g := newGateway(f)
	for _, seed := range []string{
		"status=approved&limit=10", "cursor=abc", "limit=-1", "since=2026-11-22T10:00:00Z",
		"type=verification.decided&flagged=true", "limit=99999999999999999999", "since=%00", "status=%ff%fe",
		"destination=app&state=dead", "provider=sumsub&source=sumsub&external_user_id=u",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, path := range []string{"/api/v1/verifications", "/api/v1/events", "/api/v1/deliveries"} {
			u := g.URL + path + "?" + url.PathEscape(rawQuery)
			if _, err := url.Parse(u); err != nil {
				return
			}
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+apiToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("GET %s answered %d", u, resp.StatusCode)
			}
		}
	})
}
