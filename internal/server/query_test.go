package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPI_UnknownParameter: a parameter a route does not take, such as a
// misspelled filter, is answered 400 naming it and the ones the route
// accepts, instead of being ignored (and so selecting everything).
func TestAPI_UnknownParameter(t *testing.T) {
	g := newGateway(t)
	for _, c := range []struct{ path, unknown, accepted string }{
		{"/api/v1/verifications?flw=x", "flw", "source, provider, status, external_user_id, q, since, cursor, limit"},
		{"/api/v1/verifications?status=approved&externalUserId=u1", "externalUserId", "external_user_id"},
		{"/api/v1/events?flaged=true", "flaged", "flagged"},
		{"/api/v1/verifications/sumsub/x?include=provider_data&inclde=x", "inclde", "include"},
		{"/api/v1/deliveries?destinaton=app", "destinaton", "destination"},
		{"/api/v1/stats/funnel?group=flow", "group", "group_by"},
	} {
		var e apiError
		status := g.get(t, c.path, apiToken, &e)
		if status != http.StatusBadRequest || e.Error.Code != "invalid" ||
			!strings.Contains(e.Error.Message, `"`+c.unknown+`"`) || !strings.Contains(e.Error.Message, c.accepted) {
			t.Errorf("%s: %d %+v; want 400 naming %s and %s", c.path, status, e, c.unknown, c.accepted)
		}
	}
	for _, path := range []string{"/api/v1/verifications?status=approved&limit=5", "/api/v1/events?flagged=true", "/api/v1/stats/funnel?group_by=flow"} {
		if status := g.get(t, path, apiToken, nil); status != 200 {
			t.Errorf("%s: %d, want 200", path, status)
		}
	}

	c := login(t, g.URL, apiToken)
	status, body, _ := page(t, "GET", g.URL+"/verifications?flw=x", c, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "flw") || !strings.Contains(body, "external_user_id") {
		t.Errorf("dashboard /verifications?flw=x: %d\n%s", status, body)
	}
	for _, path := range []string{"/verifications?status=approved&since=2026-11-01", "/deliveries?state=dead", "/deliveries?retried=2"} {
		if status, body, _ := page(t, "GET", g.URL+path, c, nil); status != 200 {
			t.Errorf("dashboard %s: %d\n%.300s", path, status, body)
		}
	}
}
