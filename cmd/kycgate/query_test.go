package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/store/sqlite"
)

const cliToken = "cli-test-token"

// startApp runs a gateway in-process on a free port, with a sumsub source
// and the extra configuration given, and returns its URL and configuration
// file.
func startApp(t *testing.T, extra ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "kycgate.yaml")
	yml := fmt.Sprintf("listen: \"127.0.0.1:0\"\nstorage: \"sqlite://%s/k.db\"\napi_tokens: [%q]\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s3cret]}\n%s", dir, cliToken, strings.Join(extra, "\n"))
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	return "http://" + app.Addr(), cfgPath
}

func postSumsub(t *testing.T, url, body string) {
	t.Helper()
	h, _ := sumsub.Sign("s3cret", "HMAC_SHA256_HEX", []byte(body))
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/sumsub", strings.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_Query(t *testing.T) {
	url, _ := startApp(t)
	postSumsub(t, url, `{"applicantId":"app-7","correlationId":"c1","externalUserId":"user-7","levelName":"basic-kyc-level","type":"applicantCreated","createdAtMs":"2026-11-22 10:00:00.000"}`)
	postSumsub(t, url, `{"applicantId":"app-7","correlationId":"c2","externalUserId":"user-7","levelName":"basic-kyc-level","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"RED","reviewRejectType":"FINAL","rejectLabels":["FORGERY"]},"createdAtMs":"2026-11-22 10:05:00.000"}`)
	postSumsub(t, url, `not json at all`)
	conn := []string{"--server", url, "--token", cliToken}

	code, out, errOut := cli(t, append([]string{"verifications", "list"}, conn...)...)
	if code != 0 || !strings.Contains(out, "app-7") || !strings.Contains(out, "declined") || !strings.Contains(out, "user-7") {
		t.Fatalf("verifications list: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cli(t, append([]string{"verifications", "list", "--status", "approved"}, conn...)...)
	if code != 0 || strings.Contains(out, "app-7") {
		t.Errorf("filtered list shows app-7:\n%s", out)
	}
	for search, found := range map[string]bool{"user-": true, "app-": true, "user-8": false} {
		code, out, _ = cli(t, append([]string{"verifications", "list", "--search", search}, conn...)...)
		if code != 0 || strings.Contains(out, "app-7") != found {
			t.Errorf("--search %s (found %v):\n%s", search, found, out)
		}
	}
	code, out, _ = cli(t, append([]string{"verifications", "list", "-o", "json"}, conn...)...)
	var page struct{ Data []kycgate.Verification }
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Data) != 1 {
		t.Errorf("-o json: %d %s", code, out)
	}
	code, out, _ = cli(t, append([]string{"verifications", "show", "sumsub", "app-7"}, conn...)...)
	for _, want := range []string{"declined", "FORGERY", "applicantCreated", "applicantReviewed", "verification.decided"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("verifications show lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, append([]string{"events", "list", "--flagged"}, conn...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(out, "unparseable") {
		t.Fatalf("events list --flagged: %d\n%s", code, out)
	}
	id := strings.Fields(lines[1])[0]
	code, out, _ = cli(t, append([]string{"events", "show", id, "-o", "json"}, conn...)...)
	if code != 0 || !strings.Contains(out, `"raw": "not json at all"`) {
		t.Errorf("events show -o json: %d\n%s", code, out)
	}
	// A table by default, as every other command.
	code, out, _ = cli(t, append([]string{"events", "show", id}, conn...)...)
	for _, want := range []string{"id:              " + id + "\n", "flag:            unparseable", "header:          X-Payload-Digest-Alg: HMAC_SHA256_HEX", "raw body (15 bytes):\nnot json at all\n"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("events show lacks %q: %d\n%s", want, code, out)
		}
	}

	code, out, _ = cli(t, append([]string{"stats", "funnel"}, conn...)...)
	for _, want := range []string{"PROVIDER", "sumsub", "1 (100%)", "FORGERY", "5m0s"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("stats funnel lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, append([]string{"stats", "funnel", "--group-by", "flow", "-o", "json"}, conn...)...)
	var funnel kycgate.Funnel
	if code != 0 || json.Unmarshal([]byte(out), &funnel) != nil || len(funnel.Groups) != 1 || funnel.Groups[0].Group != "basic-kyc-level" {
		t.Errorf("stats funnel --group-by flow -o json: %d %s", code, out)
	}

	// Failures say what is wrong.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"verifications", "list", "--server", url, "--token", "wrong"}, 1, "the bearer token is not valid"},
		{[]string{"verifications", "list", "--server", url, "--token", ""}, 2, "no API token"},
		{[]string{"verifications", "list", "--server", url, "--token", cliToken, "-o", "xml"}, 2, "--output"},
		{[]string{"verifications", "list", "--server", url, "--token", cliToken, "--status", "great"}, 1, "invalid: --status"},
		{[]string{"verifications", "show", "sumsub", "nope", "--server", url, "--token", cliToken}, 1, "not found"},
		{[]string{"verifications", "show", "only-one-arg", "--server", url, "--token", cliToken}, 2, "missing ID (usage: kycgate verifications show SOURCE ID"},
		{[]string{"events", "list", "--server", "http://127.0.0.1:1", "--token", cliToken}, 1, "cannot reach kycgate"},
		{[]string{"stats", "funnel", "--group-by", "colour", "--server", url, "--token", cliToken}, 1, "invalid: --group-by"},
	} {
		code, out, errOut := cli(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
}

// TestCLI_Reprocess: an event an older version stored as unparseable becomes
// a verification once reprocessed with today's adapters.
func TestCLI_Reprocess(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	cfgPath := filepath.Join(dir, "k.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("storage: \"sqlite://%s\"\nsources:\n  - {name: sumsub, provider: sumsub, secrets: [s]}\n", db)), 0o600)
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	store.Migrate(context.Background())
	body := `{"applicantId":"app-9","correlationId":"c9","type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"},"createdAtMs":"2026-11-22 10:00:00.000"}`
	old := &kycgate.Event{ID: "evt_old", Source: "sumsub", Provider: "sumsub", Identity: kycgate.Identity{DedupKey: "raw:old"},
		ReceivedAt: time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC), Body: []byte(body), Flag: kycgate.FlagUnparseable, FlagDetail: "an older version could not read it"}
	if _, err := store.CreateEvents(context.Background(), []*kycgate.Event{old}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	code, out, errOut := cli(t, "reprocess", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "reprocessed 1 events (1 changed meaning); rebuilt 1 verifications") {
		t.Fatalf("reprocess: %d %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "events: done") || !strings.Contains(errOut, "verifications: done") {
		t.Errorf("reprocess reported no progress:\n%s", errOut)
	}
	store, _ = sqlite.Open(context.Background(), db)
	defer store.Close()
	v, err := store.FindVerification(context.Background(), "sumsub", "app-9")
	if err != nil || v.Status != kycgate.StatusApproved {
		t.Fatalf("after reprocess: %+v, %v", v, err)
	}
	ev, _ := store.FindEvent(context.Background(), "evt_old")
	if ev.Flag != "" || ev.DedupKey != "raw:old" {
		t.Errorf("event after reprocess: flag %q key %q", ev.Flag, ev.DedupKey)
	}
	// Running it again changes nothing.
	if _, out, _ := cli(t, "reprocess", "--config", cfgPath); !strings.Contains(out, "(0 changed meaning)") {
		t.Errorf("second reprocess: %s", out)
	}
}

// TestCLI_ListOrder: verifications are listed as documented, the one
// kycgate heard of last first, whatever their providers' creation times.
func TestCLI_ListOrder(t *testing.T) {
	url, _ := startApp(t)
	postSumsub(t, url, `{"applicantId":"app-first","correlationId":"o1","type":"applicantCreated","createdAtMs":"2026-11-22 10:00:00.000"}`)
	postSumsub(t, url, `{"applicantId":"app-second","correlationId":"o2","type":"applicantCreated","createdAtMs":"2026-11-21 10:00:00.000"}`)
	code, out, errOut := cli(t, "verifications", "list", "--server", url, "--token", cliToken)
	first, second := strings.Index(out, "app-first"), strings.Index(out, "app-second")
	if code != 0 || first < 0 || second < 0 || second > first {
		t.Errorf("verifications list: want app-second (received last) first: exit %d\n%s%s", code, out, errOut)
	}
}
