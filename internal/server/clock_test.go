package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The server reads only its injected clock: the same journeys, dated
// relative to that clock, give the same pages and the same session and
// erasure times whatever the date, and every expectation below is computed
// from the clock, not from the wall clock.
func TestServer_Clock(t *testing.T) {
	for name, now := range map[string]time.Time{
		"today":            time.Now().UTC().Truncate(time.Second),
		"months ahead":     fixtureTime.AddDate(0, 7, 0),
		"leap day":         time.Date(2028, 2, 29, 0, 30, 0, 0, time.UTC),
		"turn of the year": time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC),
	} {
		t.Run(name, func(t *testing.T) {
			g := newGatewayAt(t, now)
			// One verification decided two hours ago, one created ten days ago.
			for _, b := range []string{
				sumsubAt("app-recent", "applicantCreated", "null", now.Add(-3*time.Hour)),
				sumsubAt("app-recent", "applicantReviewed", `{"reviewAnswer":"GREEN"}`, now.Add(-2*time.Hour)),
				sumsubAt("app-old", "applicantCreated", "null", now.Add(-10*24*time.Hour)),
			} {
				if a := g.post(t, "/webhooks/sumsub", sumsubSigned(t, sumsubSecret, "HMAC_SHA256_HEX", b), body(b)); a.Status != 200 {
					t.Fatalf("sumsub: %+v", a)
				}
			}
			c := login(t, g.URL, apiToken)

			day, hour := 24*time.Hour, time.Hour
			for _, tc := range []struct {
				path       string
				total      string
				firstLabel string
			}{
				{"/", "1", now.Truncate(day).Add(-6 * day).Format("Jan 2")},
				{"/?range=24h", "1", now.Truncate(hour).Add(-23 * hour).Format("15:04")},
				{"/?range=30d", "2", now.Truncate(day).Add(-29 * day).Format("Jan 2")},
			} {
				status, page, _ := page(t, "GET", g.URL+tc.path, c, nil)
				if status != 200 {
					t.Fatalf("%s: %d", tc.path, status)
				}
				if got := kpiTotal(page); got != tc.total {
					t.Errorf("%s: %s verifications created, want %s", tc.path, got, tc.total)
				}
				if !strings.Contains(page, ">"+tc.firstLabel+"</text>") {
					t.Errorf("%s: no chart label %q for the first bucket", tc.path, tc.firstLabel)
				}
			}

			// A session lasts twelve hours of the server's clock.
			g.clock.Add(12*time.Hour - time.Minute)
			if status, _, _ := page(t, "GET", g.URL+"/", c, nil); status != 200 {
				t.Errorf("session a minute before it expires: %d", status)
			}
			g.clock.Add(2 * time.Minute)
			if status, _, resp := page(t, "GET", g.URL+"/", c, nil); status != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("session a minute after it expired: %d %s", status, resp.Header.Get("Location"))
			}

			// An erasure is received at the server's time.
			erasedAt := g.clock.Now()
			req, _ := http.NewRequest(http.MethodDelete, g.URL+"/api/v1/verifications/sumsub/app-old", nil)
			req.Header.Set("Authorization", "Bearer "+apiToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("erase: %d", resp.StatusCode)
			}
			var list apiList[apiEvent]
			g.get(t, "/api/v1/events?verification_id=app-old&type=verification.deleted", apiToken, &list)
			if len(list.Data) != 1 || !list.Data[0].ReceivedAt.Equal(erasedAt) {
				t.Errorf("erasure event: %+v, want one received at %s", list.Data, erasedAt)
			}
		})
	}
}

// sumsubAt is a Sumsub webhook of applicant id stamped at.
func sumsubAt(id, typ, review string, at time.Time) string {
	return fmt.Sprintf(`{"applicantId":%q,"correlationId":"req-%s-%s","externalUserId":"user-%s","levelName":"basic-kyc-level","type":%q,"reviewStatus":"completed","reviewResult":%s,"createdAtMs":%q}`,
		id, id, typ, id, typ, review, at.UTC().Format("2006-01-02 15:04:05.000"))
}

var kpiTotalRE = regexp.MustCompile(`id="kpi-total">(\d+)<`)

// kpiTotal is the overview's count of verifications created in its period,
// or "none" when it shows no verification.
func kpiTotal(page string) string {
	if m := kpiTotalRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return "none"
}
