package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider/metamap"
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
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/metamap", strings.NewReader(body))
	req.Header = metamap.Sign(metamapSecret, []byte(body))
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
