package onfido_test

import (
	"net/http"
	"testing"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/onfido"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

func TestProvider_Authenticate(t *testing.T) {
	providertest.RunSignatures(t, onfido.Adapter, func(_ providertest.Vector, sig string) http.Header {
		h := http.Header{}
		h.Set("x-sha2-signature", sig) // header names are case-insensitive
		return h
	})
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		return onfido.Sign(v.Secret, body).Get(onfido.HeaderSignature)
	})
}

// Onfido stamps no send time, so no field of a retry is re-stamped.
func TestProvider_Parse(t *testing.T) { providertest.RunIdentify(t, onfido.Adapter, "") }

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, onfido.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, onfido.Adapter) }

func TestProvider_Golden(t *testing.T) {
	providertest.RunGolden(t, onfido.Adapter, provider.Config{})
}

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, onfido.Adapter) }

// TestProvider_VerificationID: each event is filed under its workflow run,
// else its check, else its own object.
func TestProvider_VerificationID(t *testing.T) {
	p, _ := onfido.New(provider.Config{})
	examples := providertest.Examples(t)
	for file, want := range map[string]string{
		"workflow_task.started.json":                "bc77c6e5-753a-4580-96a6-aaed3e5a8d19", // object.workflow_run_id
		"workflow_timeline_file.created.json":       "bc77c6e5-753a-4580-96a6-aaed3e5a8d19", // the run in href
		"workflow_run.completed_approved.json":      "2f152409-d6c4-4711-8750-48517f99a8d6",
		"report.completed.json":                     "8546921-123123-123123",                // resource.check_id
		"report.withdrawn.json":                     "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", // no check named: the report
		"check.completed.json":                      "check-123",
		"watchlist_monitor.matches_updated.json":    "2b7bb3a5-91ef-4a3c-9c6e-3b1d4f8e2a10",
		"workflow_run_evidence_folder.created.json": "bc77c6e5-753a-4580-96a6-aaed3e5a8d19",
	} {
		if id, _, err := p.Parse(nil, examples[file]); err != nil || id.VerificationID != want {
			t.Errorf("%s: filed under %q (%v), want %q", file, id.VerificationID, err, want)
		}
	}
}

// TestProvider_ParseRefuses: a body without Onfido's envelope, action or
// object id is not an Onfido event.
func TestProvider_ParseRefuses(t *testing.T) {
	p, _ := onfido.New(provider.Config{})
	for _, body := range []string{
		`{"resource_type":"check","action":"check.completed","object":{"id":"c"}}`,
		`{"payload":{"resource_type":"check","object":{"id":"c"}}}`,
		`{"payload":{"resource_type":"check","action":"check.completed","object":{}}}`,
		`{"payload":null}`,
	} {
		if _, _, err := p.Parse(nil, []byte(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
	// An action Onfido adds later is read, then stored flagged by ingest.
	id, _, err := p.Parse(nil, []byte(`{"payload":{"resource_type":"passkey","action":"passkey.created","object":{"id":"k"}}}`))
	if err != nil || onfido.Adapter.Known(id.ProviderEvent) {
		t.Errorf("unknown action: %+v, %v", id, err)
	}
}

// TestProvider_DedupWithoutTime: an object without a time is keyed by its
// content: a retry, even re-encoded, keeps its key; another update of the
// same monitor does not share it.
func TestProvider_DedupWithoutTime(t *testing.T) {
	p, _ := onfido.New(provider.Config{})
	key := func(body string) string {
		t.Helper()
		id, _, err := p.Parse(nil, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return id.DedupKey
	}
	first := `{"payload":{"resource_type":"watchlist_monitor","action":"watchlist_monitor.matches_updated","object":{"id":"m1","href":"https://api.eu.onfido.com/v3.6/watchlist_monitors/m1"},"resource":{"id":"m1","matches":["a"]}}}`
	retry := "{\n  \"payload\": " + first[len(`{"payload":`):]
	second := `{"payload":{"resource_type":"watchlist_monitor","action":"watchlist_monitor.matches_updated","object":{"id":"m1","href":"https://api.eu.onfido.com/v3.6/watchlist_monitors/m1"},"resource":{"id":"m1","matches":["a","b"]}}}`
	if key(first) != key(retry) {
		t.Error("a re-encoded retry changed the key")
	}
	if key(first) == key(second) {
		t.Error("two updates of one monitor share a key")
	}
}
