package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
)

const metamapSecret = "metamap-test-secret"

// startMetamapApp runs a gateway in-process on storage with one MetaMap
// source and returns its URL.
func startMetamapApp(t *testing.T, storage string) string {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "kycgate.yaml")
	yml := fmt.Sprintf("listen: \"127.0.0.1:0\"\nstorage: %q\napi_tokens: [%q]\nsources:\n  - {name: metamap, provider: metamap, secrets: [%q]}\n", storage, cliToken, metamapSecret)
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	return "http://" + app.Addr()
}

// TestIngest_AuthenticBodiesAlwaysStored: authentic MetaMap webhooks whose
// values no column or index can hold as sent (a NUL in the metadata the end
// user's browser supplied, a verification id longer than an index entry, a
// number beyond PostgreSQL's numeric type) are answered 200 and stored,
// raw body as received, flagged, on both stores; their retries are
// recognised.
func TestIngest_AuthenticBodiesAlwaysStored(t *testing.T) {
	for name, storage := range backends(t) {
		t.Run(name, func(t *testing.T) { testAuthenticBodiesStored(t, name, storage) })
	}
}

func testAuthenticBodiesStored(t *testing.T, backend, storage string) {
	base := startMetamapApp(t, storage)
	rnd := rand.New(rand.NewPCG(1, 2))
	var longID strings.Builder
	for longID.Len() < 6000 {
		longID.WriteByte("abcdefghijklmnopqrstuvwxyz0123456789"[rnd.IntN(36)])
	}
	body := func(id, metadata string) string {
		return `{"metadata":` + metadata + `,"resource":"https://api.prod.metamap.com/v2/verifications/` + id +
			`","identityStatus":"rejected","status":"rejected","eventName":"verification_completed","flowId":"flow-1","timestamp":"2026-11-22T10:00:00.000Z"}`
	}
	cases := []struct {
		name, body string
		flag       string // "" when the store holds the values as sent
	}{
		{"NUL in metadata", body("vrf-nul", `{"userId":"user\u00001","note":"typed \u0000 by the user"}`), "altered"},
		{"id longer than an index entry", body(longID.String(), `{"userId":"user-2"}`), "altered"},
		{"number beyond numeric", body("vrf-big", `{"userId":"user-3","age":1e200000}`), map[string]string{"sqlite": "", "postgres": "unstorable"}[backend]},
	}
	for _, c := range cases {
		ack, status := postMetamap(t, base, c.body)
		if status != 200 || ack.ID == "" || ack.Duplicate {
			t.Errorf("%s: answered %d %+v, want 200 and stored", c.name, status, ack)
			continue
		}
		var ev struct {
			Flag string  `json:"flag"`
			Raw  *string `json:"raw"`
		}
		b, err := clientFor(base).GetJSON(t.Context(), "/api/v1/events/"+ack.ID, nil, &ev)
		if err != nil {
			t.Fatalf("%s: GET event: %v", c.name, err)
		}
		if ev.Raw == nil || *ev.Raw != c.body {
			t.Errorf("%s: raw body not as received: %.200s", c.name, b)
		}
		if ev.Flag != c.flag {
			t.Errorf("%s: flag %q, want %q", c.name, ev.Flag, c.flag)
		}
		if again, status := postMetamap(t, base, c.body); status != 200 || again != (webhookAck{ID: ack.ID, Duplicate: true}) {
			t.Errorf("%s: the retry answered %d %+v, want a duplicate of %s", c.name, status, again, ack.ID)
		}
	}
	var list struct {
		Data []struct {
			ExternalUserID string `json:"external_user_id"`
			Status         string `json:"status"`
		} `json:"data"`
	}
	if _, err := clientFor(base).GetJSON(t.Context(), "/api/v1/verifications", nil, &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range list.Data {
		if strings.HasPrefix(v.ExternalUserID, "user\uFFFD1~sha256:") && v.Status == "declined" {
			found = true
		}
	}
	if !found {
		t.Errorf("the verification with a NUL in its user id was not applied: %.300v", list.Data)
	}
}

type webhookAck struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

func postMetamap(t *testing.T, base, body string) (webhookAck, int) {
	t.Helper()
	return postWebhook(t, base+"/webhooks/metamap", metamap.Sign(metamapSecret, []byte(body)), body)
}

// postWebhook posts body with header h to url and returns the answer.
func postWebhook(t *testing.T, url string, h http.Header, body string) (webhookAck, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a webhookAck
	json.Unmarshal(b, &a)
	return a, resp.StatusCode
}

// TestIngest_LossyBodiesStayDistinct: authentic Sumsub webhooks that differ
// only in bytes that are not UTF-8 or in lone surrogates, which a JSON
// reader replaces by one and the same U+FFFD, stay distinct events and
// distinct verifications: a reviewer's RED after GREEN is not taken for a
// retry of the GREEN. A true retry is still one. A decision that names no
// applicant is stored flagged, not quietly left unapplied.
func TestIngest_LossyBodiesStayDistinct(t *testing.T) {
	base, _ := startApp(t)
	post := func(body string) webhookAck {
		t.Helper()
		h, _ := sumsub.Sign("s3cret", "HMAC_SHA256_HEX", []byte(body))
		a, status := postWebhook(t, base+"/webhooks/sumsub", h, body)
		if status != 200 || a.ID == "" {
			t.Fatalf("answered %d %+v to %q", status, a, body)
		}
		return a
	}
	reviewed := func(applicant, correlation, answer, at string) string {
		return `{"applicantId":"` + applicant + `","correlationId":"` + correlation + `","externalUserId":"user-1","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"` + answer + `"},"createdAtMs":"2026-11-22 10:` + at + `:00.000"}`
	}
	api := clientFor(base)
	status := func(id string) string {
		t.Helper()
		var v struct{ Status string }
		if _, err := api.GetJSON(t.Context(), "/api/v1/verifications/sumsub/"+url.PathEscape(id), nil, &v); err != nil {
			t.Fatalf("verification %q: %v", id, err)
		}
		return v.Status
	}
	flag := func(id string) string {
		t.Helper()
		var ev struct{ Flag string }
		if _, err := api.GetJSON(t.Context(), "/api/v1/events/"+id, nil, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Flag
	}
	for _, c := range []struct{ name, applicant, first, second string }{
		{"lone surrogates", "app-1", `req-\ud800`, `req-\udbff`},
		{"bytes that are not UTF-8", "app-2", "req-\xff", "req-\xfe"},
	} {
		green := reviewed(c.applicant, c.first, "GREEN", "05")
		a, b := post(green), post(reviewed(c.applicant, c.second, "RED", "06"))
		if b.Duplicate || b.ID == a.ID {
			t.Errorf("%s: the reviewer's RED was taken for a retry of the GREEN: %+v, %+v", c.name, a, b)
		}
		if retry := post(green); retry != (webhookAck{ID: a.ID, Duplicate: true}) {
			t.Errorf("%s: a retry of the GREEN answered %+v, want a duplicate of %s", c.name, retry, a.ID)
		}
		if got := status(c.applicant); got != "declined" {
			t.Errorf("%s: the verification is %s, want declined (RED came last)", c.name, got)
		}
		if f := flag(a.ID); f != "altered" {
			t.Errorf("%s: flag %q, want altered", c.name, f)
		}
	}

	// Two applicants whose ids differ only in bytes that are not UTF-8.
	post(reviewed("app-3\xc3(", "c-31", "GREEN", "05"))
	post(reviewed("app-3\xff(", "c-32", "RED", "05"))
	var list struct{ Data []struct{ ID, Status string } }
	if _, err := api.GetJSON(t.Context(), "/api/v1/verifications", url.Values{"q": {"app-3"}}, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 || list.Data[0].ID == list.Data[1].ID || list.Data[0].Status == list.Data[1].Status {
		t.Errorf("two applicants merged: %+v", list.Data)
	}

	// A decision that names no applicant.
	for _, body := range []string{
		`{"correlationId":"c-41","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:05:00.000"}`,
		`{"applicantId":"","correlationId":"c-42","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:05:00.000"}`,
	} {
		if f := flag(post(body).ID); f != "unparseable" {
			t.Errorf("a decision without an applicant is flagged %q, want unparseable: %s", f, body)
		}
	}
}
