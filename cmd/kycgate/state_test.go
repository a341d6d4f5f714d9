package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/clocktest"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
	"github.com/kycgate/kycgate/internal/simulator"
)

// envelopes keeps what a destination received, per verification, in order.
type envelopes struct {
	mu  sync.Mutex
	got map[string][]receivedEnvelope
}

type receivedEnvelope struct {
	Type         kycgate.EventType    `json:"type"`
	Late         bool                 `json:"late"`
	Verification kycgate.Verification `json:"verification"`
}

func (e *envelopes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var env receivedEnvelope
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	k := env.Verification.Source + "/" + env.Verification.ID
	e.got[k] = append(e.got[k], env)
}

func (e *envelopes) last(source, id string) (receivedEnvelope, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := e.got[source+"/"+id]
	if len(got) == 0 {
		return receivedEnvelope{}, 0
	}
	return got[len(got)-1], len(got)
}

// stateCase is one verification delivered the hard way: bodies in the
// order they reach kycgate (a lost first attempt simply comes later), and
// the truth a reviewer would check.
type stateCase struct {
	name, source, id, user string
	bodies                 []string
	status                 kycgate.Status
	decision               kycgate.Decision
	by                     kycgate.Actor
	fake                   *simulator.Journey // what the provider's API holds, for reconciliation
}

func mmBody(id, event, extra, at string) string {
	return fmt.Sprintf(`{"resource":"https://api.prod.metamap.com/v2/verifications/%s","eventName":%q,"flowId":"f1","metadata":{"userId":"u-%s","email":"jane@example.com"},"timestamp":"2026-11-22T%s:00.000Z"%s}`, id, event, id, at, extra)
}

func idwBody(id, event string, n int, extra string) string {
	return fmt.Sprintf(`{"event":%q,"body":{"eventId":"%s-%d","journeyId":%q,"referenceNo":"u-%s"%s}}`, event, id, n, id, id, extra)
}

var stateCases = []stateCase{
	{name: "metamap approval retried after the reviewer's rejection", source: "metamap", id: "mm-case1", user: "u-mm-case1",
		bodies: []string{
			mmBody("mm-case1", "verification_started", "", "10:00"),
			mmBody("mm-case1", "verification_updated", `,"status":"verified","identityStatus":"rejected"`, "10:10"),
			mmBody("mm-case1", "verification_completed", `,"status":"verified","identityStatus":"verified"`, "10:13"),
		}, status: "declined", decision: "declined", by: "reviewer"},
	{name: "idwise AML clean result after a manual rejection", source: "idwise", id: "idw-case2", user: "u-idw-case2",
		bodies: []string{
			idwBody("idw-case2", "Finished Journey", 1, `,"systemDecision":"Refer"`),
			idwBody("idw-case2", "Manually Reviewed", 2, `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`),
			idwBody("idw-case2", "AML Monitor Update", 3, `,"systemDecision":"Complete","previousSystemDecision":"Refer","updatedAMLVersionNumber":2`),
		}, status: "declined", decision: "declined", by: "reviewer"},
	{name: "idwise renewal", source: "idwise", id: "idw-case3", user: "u-idw-case3",
		bodies: []string{
			idwBody("idw-case3", "Finished Journey", 1, `,"systemDecision":"Complete"`),
			idwBody("idw-case3", "Verification Update Required", 2, `,"systemDecision":"Complete","trigger":"KYC Renewal","requiredSteps":[{"stepId":"1","reasonCode":"DOCUMENT_EXPIRED"}]`),
			idwBody("idw-case3", "Finished User Steps", 3, ""),
			idwBody("idw-case3", "Finished Journey", 4, `,"systemDecision":"Complete"`),
		}, status: "approved", decision: "approved", by: "automatic"},
	{name: "idwise reviewer's approval retried after the rejection, settled by IDWise's API", source: "idwise", id: "idw-case4", user: "u-idw-case4",
		bodies: []string{
			idwBody("idw-case4", "Finished Journey", 1, `,"systemDecision":"Refer"`),
			idwBody("idw-case4", "Updated Journey", 3, `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`),
			idwBody("idw-case4", "Manually Reviewed", 2, `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`),
		}, status: "declined", decision: "declined", by: "provider_api",
		fake: &simulator.Journey{Provider: "idwise", VerificationID: "idw-case4", ExternalUserID: "u-idw-case4", Want: kycgate.StatusDeclined}},
	{name: "vericato verified, then expired", source: "vericato", id: "vc-case5", user: "",
		bodies: []string{
			`{"event":"verification.verified","timestamp":"2026-11-14T10:30:00.000Z","data":{"verification_id":"vc-case5","verification_status":"verified","verification_date_identified":"2026-11-14T10:25:00.000Z","original_verification":{"created_at":"2026-11-14T09:00:00.000Z","purpose":"kyc"}}}`,
			`{"event":"verification.expired","timestamp":"2026-11-21T09:00:00.000Z","data":{"verification_id":"vc-case5","verification_status":"expired","verification_expired_date":"2026-11-21T09:00:00.000Z","original_verification":{"created_at":"2026-11-14T09:00:00.000Z","purpose":"kyc"}}}`,
		}, status: "approved", decision: "approved", by: "automatic"},
	{name: "verifyyou face collision, then completion", source: "verifyyou", id: "vy-case6", user: "u-vy-case6",
		bodies: []string{
			`{"stage":"face_collision","occurred_at":"2026-11-22T10:00:03.000000+00:00","verification_id":"vy-case6","external_id":"u-vy-case6"}`,
			`{"stage":"verification_completed","occurred_at":"2026-11-22T10:00:04.000000+00:00","verification_id":"vy-case6","external_id":"u-vy-case6","trust_score":0.9}`,
		}, status: "declined", decision: "declined", by: "risk"},
	{name: "metamap deleted by the provider", source: "metamap", id: "mm-case7", user: "u-mm-case7",
		bodies: []string{
			mmBody("mm-case7", "verification_completed", `,"status":"verified","identityStatus":"verified"`, "10:05"),
			mmBody("mm-case7", "verification_updated", `,"status":"verified","identityStatus":"deleted"`, "10:10"),
		}, status: "deleted", decision: "approved", by: "automatic"},
	{name: "sumsub level changed after the approval", source: "sumsub", id: "ss-case8", user: "u-ss-case8",
		bodies: []string{
			`{"applicantId":"ss-case8","correlationId":"c1","externalUserId":"u-ss-case8","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:00:02.000"}`,
			`{"applicantId":"ss-case8","correlationId":"c2","externalUserId":"u-ss-case8","levelName":"enhanced-kyc-level","type":"applicantLevelChanged","reviewStatus":"init","createdAtMs":"2026-11-22 10:00:03.000"}`,
		}, status: "pending", decision: "", by: ""},
	// The resubmission request's first delivery lost; the user resubmits,
	// is approved, and a reviewer's decline without createdAtMs follows;
	// then the request's retry.
	{name: "sumsub resubmission request retried after the resubmission's approval and decline", source: "sumsub", id: "ss-case9", user: "u-ss-case9",
		bodies: []string{
			`{"applicantId":"ss-case9","correlationId":"c1","externalUserId":"u-ss-case9","levelName":"basic-kyc-level","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:01.000"}`,
			`{"applicantId":"ss-case9","correlationId":"c3","externalUserId":"u-ss-case9","levelName":"basic-kyc-level","type":"applicantPending","reviewStatus":"pending","createdAtMs":"2026-11-22 10:00:03.000"}`,
			`{"applicantId":"ss-case9","correlationId":"c4","externalUserId":"u-ss-case9","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:00:04.000"}`,
			`{"applicantId":"ss-case9","correlationId":"c5","externalUserId":"u-ss-case9","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"RED","reviewRejectType":"FINAL","rejectLabels":["FORGERY"]}}`,
			`{"applicantId":"ss-case9","correlationId":"c2","externalUserId":"u-ss-case9","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"RED","reviewRejectType":"RETRY","rejectLabels":["BAD_PROOF_OF_ADDRESS"]},"createdAtMs":"2026-11-22 10:00:02.000"}`,
		}, status: "declined", decision: "declined", by: "automatic"},
}

// TestState_EndToEnd: on each store, verifications delivered with lost
// first attempts, re-stamped retries, reviewer flips, AML after review,
// renewals and provider deletions end in the true state through the API,
// the dashboard, the user view and the last envelope a destination got.
func TestState_EndToEnd(t *testing.T) {
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) { testStateEndToEnd(t, storage) })
	}
}

// demoGateway runs a gateway with the demo's sources on storage, fetching
// from fakes of the provider APIs, and forwarding to rcv as a destination
// with the options opts (YAML flow-map entries, or "").
func demoGateway(t *testing.T, storage string, rcv http.Handler, opts string) (string, demo.Secrets, *simulator.API) {
	t.Helper()
	return demoGatewayAt(t, storage, rcv, opts, nil)
}

// demoGatewayAt is demoGateway with the gateway's clock now (nil: the wall
// clock).
func demoGatewayAt(t *testing.T, storage string, rcv http.Handler, opts string, now func() time.Time) (string, demo.Secrets, *simulator.API) {
	t.Helper()
	dest := httptest.NewServer(rcv)
	t.Cleanup(dest.Close)
	secrets := demo.NewSecrets()
	fake, stop, err := demo.StartProviderAPIs(&secrets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg, err := demo.Config("127.0.0.1:0", storage, secrets, `destinations:
  - {name: app, url: "`+dest.URL+`", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`+opts+`}`)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runAppAt(t, cfg, now)
	return "http://" + app.Addr(), secrets, fake
}

func testStateEndToEnd(t *testing.T, storage string) {
	rcv := &envelopes{got: map[string][]receivedEnvelope{}}
	base, secrets, fake := demoGateway(t, storage, rcv, "")
	api := client.New(base, secrets.API)
	dashboard := webLogin(t, base, secrets.API)

	for _, c := range stateCases {
		if c.fake != nil {
			fake.Add(*c.fake)
		}
		for _, b := range c.bodies {
			postSigned(t, base, secrets, c.source, b)
		}
	}
	for _, c := range stateCases {
		t.Run(c.name, func(t *testing.T) {
			var v verificationJSON
			waitUntil(t, c.id+" settled and delivered", func() bool {
				v = getVerification(t, api, c.source, c.id, "")
				last, n := rcv.last(c.source, c.id)
				settled := v.Status == c.status && v.Decision == c.decision && v.DecidedBy == c.by
				fetching := v.ProviderFetch != nil && v.ProviderFetch.State == kycgate.FetchPending
				return settled && !fetching && n == v.Events && last.Verification.Events == v.Events
			})
			last, _ := rcv.last(c.source, c.id)
			if last.Verification.Status != c.status || last.Verification.Decision != c.decision {
				t.Errorf("last envelope: %s %s, want %s %s", last.Verification.Status, last.Verification.Decision, c.status, c.decision)
			}
			page := dashboardPage(t, dashboard, base+"/verifications/"+c.source+"/"+c.id)
			if !strings.Contains(page, `id="status">`+string(c.status)+`<`) {
				t.Errorf("the dashboard does not show %s", c.status)
			}
			if c.user != "" && c.status != kycgate.StatusDeleted {
				var u struct{ Verifications []kycgate.Verification }
				if _, err := api.GetJSON(context.Background(), "/api/v1/users/"+c.user, nil, &u); err != nil {
					t.Fatal(err)
				}
				if len(u.Verifications) != 1 || u.Verifications[0].Status != c.status {
					t.Errorf("user view: %+v", u.Verifications)
				}
			}
		})
	}

	// Shuffled, duplicated traffic of every provider: for every
	// verification, the last envelope the destination got is the state the
	// API shows.
	if _, err := demo.Feed(context.Background(), base, secrets, 4, fake); err != nil {
		t.Fatal(err)
	}
	all, err := api.ListVerifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		var now verificationJSON
		waitUntil(t, v.Provider+" "+v.ID+" delivered", func() bool {
			now = getVerification(t, api, v.Source, v.ID, "")
			_, n := rcv.last(v.Source, v.ID)
			fetching := now.ProviderFetch != nil && now.ProviderFetch.State == kycgate.FetchPending
			return !fetching && n >= now.Events // one delivery per stored event, at least once
		})
		if last, _ := rcv.last(v.Source, v.ID); last.Verification.Status != now.Status || last.Verification.Decision != now.Decision {
			t.Errorf("%s %s: the last envelope says %s %s, the API %s %s", v.Provider, v.ID, last.Verification.Status, last.Verification.Decision, now.Status, now.Decision)
		}
	}

	// reprocess reads every body again and rebuilds: the same states.
	cfgPath := filepath.Join(t.TempDir(), "kycgate.yaml")
	if err := os.WriteFile(cfgPath, []byte(demo.ConfigYAML("127.0.0.1:0", storage, secrets)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, "reprocess", "--config", cfgPath); code != 0 {
		t.Fatalf("reprocess: %d %s %s", code, out, errOut)
	}
	for _, c := range stateCases {
		if v := getVerification(t, api, c.source, c.id, ""); v.Status != c.status || v.Decision != c.decision || v.DecidedBy != c.by {
			t.Errorf("%s after reprocess: %s %s by %s", c.id, v.Status, v.Decision, v.DecidedBy)
		}
	}

	// The late approval of case 4 shows as overruled by IDWise's API.
	var withTimeline struct {
		Timeline []struct {
			ProviderEvent string `json:"provider_event"`
			Effect        *struct {
				Late        bool          `json:"late"`
				OverruledBy kycgate.Actor `json:"overruled_by"`
			} `json:"effect"`
		} `json:"timeline"`
	}
	if _, err := api.GetJSON(context.Background(), "/api/v1/verifications/idwise/idw-case4", nil, &withTimeline); err != nil {
		t.Fatal(err)
	}
	overruled := ""
	for _, e := range withTimeline.Timeline {
		if e.Effect != nil && e.Effect.OverruledBy == kycgate.ActorProviderAPI {
			overruled += e.ProviderEvent
		}
	}
	if overruled != "Manually Reviewed" {
		t.Errorf("overruled by the provider's API: %q, want the late Manually Reviewed", overruled)
	}
	// The provider's deletion purged the raw bodies, metadata included.
	var events struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := api.GetJSON(context.Background(), "/api/v1/events", url.Values{"verification_id": {"mm-case7"}}, &events); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Data {
		var ev struct {
			Raw       *string         `json:"raw"`
			RawPurged bool            `json:"raw_purged"`
			Data      json.RawMessage `json:"data"`
		}
		if _, err := api.GetJSON(context.Background(), "/api/v1/events/"+e.ID, nil, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Raw != nil || !ev.RawPurged || bytes.Contains(ev.Data, []byte("jane@example.com")) {
			t.Errorf("event %s of a deleted verification kept personal data: raw %v, data %s", e.ID, ev.Raw != nil, ev.Data)
		}
	}
}

// TestState_RenewalDaysLater: on each store, a journey kycgate first hears
// of at its renewal, and a journey renewed twice, are decided by the
// renewed journey finished days later: IDWise retries for half an hour, so
// those events are no late deliveries of the journey before. The API and
// the last envelope say approved, in the renewal's attempt.
func TestState_RenewalDaysLater(t *testing.T) {
	renewal := `,"systemDecision":"Complete","trigger":"KYC Renewal","requiredSteps":[{"stepId":"1","reasonCode":"DOCUMENT_EXPIRED"}]`
	finished := func(id string, n int) []string {
		return []string{
			idwBody(id, "Finished Step", n, `,"stepId":"1","stepResult":{"status":"Passed"}`),
			idwBody(id, "Finished User Steps", n+1, ""),
			idwBody(id, "Finished Journey", n+2, `,"systemDecision":"Complete"`),
		}
	}
	day := 24 * time.Hour
	type delivery struct {
		after time.Duration // on the gateway's clock, since the delivery before
		body  string
	}
	cases := []struct {
		id         string
		deliveries []delivery
		attempt    int
	}{
		{id: "idw-first-seen-at-renewal", attempt: 2, deliveries: []delivery{
			{0, idwBody("idw-first-seen-at-renewal", "Verification Update Required", 1, renewal)},
			{3 * day, finished("idw-first-seen-at-renewal", 2)[0]},
			{time.Minute, finished("idw-first-seen-at-renewal", 2)[1]},
			{time.Minute, finished("idw-first-seen-at-renewal", 2)[2]},
		}},
		{id: "idw-renewed-twice", attempt: 3, deliveries: []delivery{
			{0, idwBody("idw-renewed-twice", "Finished Journey", 1, `,"systemDecision":"Complete"`)},
			{300 * day, idwBody("idw-renewed-twice", "Verification Update Required", 2, renewal)},
			{30 * day, idwBody("idw-renewed-twice", "KYC Renewal Deadline Exceeded", 3, `,"systemDecision":"Complete"`)},
			{30 * day, idwBody("idw-renewed-twice", "Verification Update Required", 4, renewal)},
			{day, finished("idw-renewed-twice", 5)[0]},
			{time.Minute, finished("idw-renewed-twice", 5)[1]},
			{time.Minute, finished("idw-renewed-twice", 5)[2]},
		}},
	}
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clock := &clocktest.Ahead{}
			rcv := &envelopes{got: map[string][]receivedEnvelope{}}
			base, secrets, _ := demoGatewayAt(t, storage, rcv, "", clock.Now)
			api := client.New(base, secrets.API)
			for _, c := range cases {
				for i, d := range c.deliveries {
					clock.Advance(d.after)
					postSigned(t, base, secrets, "idwise", d.body)
					waitUntil(t, fmt.Sprintf("%s: delivery %d stored", c.id, i), func() bool {
						return getVerification(t, api, "idwise", c.id, "").Events == i+1
					})
				}
				var v verificationJSON
				waitUntil(t, c.id+" decided and delivered", func() bool {
					v = getVerification(t, api, "idwise", c.id, "")
					last, n := rcv.last("idwise", c.id)
					// At least once: a delivery in flight when days pass may go twice.
					return v.Status == kycgate.StatusApproved && n >= v.Events && last.Verification.Events == v.Events
				})
				if v.Decision != kycgate.DecisionApproved || v.Attempt != c.attempt {
					t.Errorf("%s: %s %s attempt %d; want approved, attempt %d", c.id, v.Status, v.Decision, v.Attempt, c.attempt)
				}
				if last, _ := rcv.last("idwise", c.id); last.Verification.Status != kycgate.StatusApproved || last.Late {
					t.Errorf("%s: the last envelope says %s (late %v)", c.id, last.Verification.Status, last.Late)
				}
			}
		})
	}
}

// postSigned sends body to source's webhook as its provider signs it.
func postSigned(t *testing.T, base string, s demo.Secrets, source, body string) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	u := base + "/webhooks/" + source
	switch source {
	case "sumsub":
		sig, err := sumsub.Sign(s.Sources["sumsub"], "HMAC_SHA256_HEX", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		h = sig
	case "metamap":
		h = metamap.Sign(s.Sources["metamap"], []byte(body))
	case "verifyyou":
		h = verifyyou.Sign(s.Sources["verifyyou"], []byte(body))
	case "idwise":
		h.Set("Authorization", "Bearer "+s.Sources["idwise"])
	case "vericato":
		u += "/" + url.PathEscape(s.Sources["vericato"])
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s webhook: %d %s", source, resp.StatusCode, answer)
	}
}

func dashboardPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", u, resp.StatusCode)
	}
	return string(b)
}
