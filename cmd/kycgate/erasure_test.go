package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kycgate/kycgate"
)

const vericatoToken = "erasure-test-url-token"

func postVericato(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url+"/webhooks/vericato/"+vericatoToken, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&a)
	if resp.StatusCode != 200 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
	return a.ID
}

// TestCLI_Erasure: erasing a verification keeps a tombstone, purges the
// names and emails its raw bodies carried, is forwarded, and holds for
// events the provider sends afterwards.
func TestCLI_Erasure(t *testing.T) {
	var mu sync.Mutex
	var forwarded []string
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Type string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &env)
		mu.Lock()
		forwarded = append(forwarded, env.Type)
		mu.Unlock()
	}))
	defer dest.Close()
	url, _ := startApp(t,
		fmt.Sprintf("  - {name: vericato, provider: vericato, auth: {url_token: %q}}", vericatoToken),
		fmt.Sprintf("destinations:\n  - {name: app, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}", dest.URL))
	personal := `"verification_original_name":"Jane Roe","original_verification":{"email":"jane.roe@example.com","purpose":"identity_verification"}`
	evID := postVericato(t, url, `{"event":"verification.verified","timestamp":"2026-11-22T10:30:00.000Z","data":{"verification_id":"ver_erase","verification_status":"verified",`+personal+`}}`)
	conn := []string{"--server", url, "--token", cliToken}

	_, out, _ := cli(t, append([]string{"events", "show", evID}, conn...)...)
	if !strings.Contains(out, "jane.roe@example.com") {
		t.Fatalf("the raw body should hold the email before erasure:\n%s", out)
	}
	code, out, errOut := cli(t, append([]string{"verifications", "delete", "vericato", "ver_erase"}, conn...)...)
	if code != 0 || !strings.Contains(out, "erased") {
		t.Fatalf("delete: %d %s %s", code, out, errOut)
	}
	_, out, _ = cli(t, append([]string{"verifications", "show", "vericato", "ver_erase", "-o", "json"}, conn...)...)
	var v kycgate.Verification
	json.Unmarshal([]byte(out), &v)
	if v.Status != kycgate.StatusDeleted || v.Decision != kycgate.DecisionApproved || v.ID != "ver_erase" {
		t.Errorf("tombstone: %+v", v)
	}
	_, out, _ = cli(t, append([]string{"events", "show", evID}, conn...)...)
	if strings.Contains(out, "jane.roe") || strings.Contains(out, "Jane Roe") || !strings.Contains(out, "raw body: purged") {
		t.Errorf("after erasure the event still shows personal data:\n%s", out)
	}
	// The provider sends another event afterwards: it is purged on arrival.
	late := postVericato(t, url, `{"event":"verification.expired","timestamp":"2026-11-22T11:00:00.000Z","data":{"verification_id":"ver_erase","verification_status":"expired",`+personal+`}}`)
	if _, out, _ := cli(t, append([]string{"events", "show", late}, conn...)...); strings.Contains(out, "jane.roe") {
		t.Errorf("an event after the erasure kept personal data:\n%s", out)
	}
	if code, _, _ := cli(t, append([]string{"verifications", "delete", "vericato", "ver_erase"}, conn...)...); code != 0 {
		t.Errorf("a second erasure: exit %d", code)
	}
	if code, _, errOut := cli(t, append([]string{"verifications", "delete", "vericato", "nope"}, conn...)...); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("erasing an unknown verification: %d %s", code, errOut)
	}
	waitUntil(t, "the deletion forwarded", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, typ := range forwarded {
			if typ == string(kycgate.EventDeleted) {
				return true
			}
		}
		return false
	})
}
