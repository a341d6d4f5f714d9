// Package providertest is the conformance suite every provider adapter
// passes: signature vectors computed outside kycgate, hostile signatures, the
// identity and canonical meaning of every example payload in the adapter's
// testdata (golden files), and bodies
// that must never make an adapter panic.
package providertest

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Vector is a known signature of a testdata file, computed with openssl.
type Vector struct {
	Body      string `json:"body"` // file name under testdata/
	Secret    string `json:"secret"`
	Alg       string `json:"alg,omitempty"`
	Signature string `json:"signature"`
}

// Signer turns a vector's signature into the request headers the provider
// sends.
type Signer func(v Vector, signature string) http.Header

func vectors(t *testing.T) []Vector {
	t.Helper()
	var vs []Vector
	if err := json.Unmarshal(readFile(t, "signatures.json"), &vs); err != nil {
		t.Fatalf("signatures.json: %v", err)
	}
	if len(vs) == 0 {
		t.Fatal("signatures.json has no vectors")
	}
	return vs
}

// RunSign checks that the adapter's signing function reproduces every
// vector of testdata/signatures.json.
func RunSign(t *testing.T, sign func(v Vector, body []byte) string) {
	t.Helper()
	for _, v := range vectors(t) {
		if got := sign(v, readFile(t, v.Body)); got != v.Signature {
			t.Errorf("%s %s: signed %q, want %q", v.Body, v.Alg, got, v.Signature)
		}
	}
}

// RunSignatures checks the adapter against testdata/signatures.json.
func RunSignatures(t *testing.T, a provider.Adapter, sign Signer) {
	t.Helper()
	for _, v := range vectors(t) {
		body := readFile(t, v.Body)
		name := v.Body + " " + v.Alg
		auth := func(secrets []string, body []byte, h http.Header) error {
			p, err := a.New(provider.Config{Secrets: secrets})
			if err != nil {
				t.Fatal(err)
			}
			return p.Authenticate(h, body)
		}
		t.Run(name+"/valid", func(t *testing.T) {
			if err := auth([]string{v.Secret}, body, sign(v, v.Signature)); err != nil {
				t.Fatalf("known-good signature refused: %v", err)
			}
		})
		t.Run(name+"/rotation: any secret verifies", func(t *testing.T) {
			if err := auth([]string{"a-retired-secret", v.Secret}, body, sign(v, v.Signature)); err != nil {
				t.Fatalf("second secret not tried: %v", err)
			}
		})
		t.Run(name+"/wrong secret", func(t *testing.T) {
			if err := auth([]string{v.Secret + "x"}, body, sign(v, v.Signature)); err == nil {
				t.Fatal("accepted with the wrong secret")
			}
		})
		t.Run(name+"/tampered body", func(t *testing.T) {
			tampered := bytes.Replace(body, []byte(`"`), []byte(`'`), 1)
			if err := auth([]string{v.Secret}, tampered, sign(v, v.Signature)); err == nil {
				t.Fatal("accepted a tampered body")
			}
			if err := auth([]string{v.Secret}, append(bytes.Clone(body), ' '), sign(v, v.Signature)); err == nil {
				t.Fatal("accepted a body with a byte appended")
			}
		})
		t.Run(name+"/truncated signature", func(t *testing.T) {
			if err := auth([]string{v.Secret}, body, sign(v, v.Signature[:len(v.Signature)-2])); err == nil {
				t.Fatal("accepted a truncated signature")
			}
		})
		t.Run(name+"/signature of another body", func(t *testing.T) {
			other := sign(v, strings.Repeat("0", len(v.Signature)))
			if err := auth([]string{v.Secret}, body, other); err == nil {
				t.Fatal("accepted an all-zero signature")
			}
		})
		t.Run(name+"/no headers", func(t *testing.T) {
			if err := auth([]string{v.Secret}, body, http.Header{}); err == nil {
				t.Fatal("accepted a request without signature headers")
			}
		})
	}
}

// Examples returns the example payloads in testdata (every .json file but
// signatures.json), by file name.
func Examples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		if filepath.Base(f) == "signatures.json" || strings.HasSuffix(f, ".golden.json") {
			continue
		}
		out[filepath.Base(f)] = readFile(t, filepath.Base(f))
	}
	if len(out) == 0 {
		t.Fatal("no example payloads in testdata")
	}
	return out
}

// RunIdentify checks every example payload: it identifies as an event of the
// adapter's catalogue, with a verification id and a dedup key; keys differ
// between examples; and, when resendField is set, a retry that re-stamps
// that top-level field keeps its key.
func RunIdentify(t *testing.T, a provider.Adapter, resendField string) {
	t.Helper()
	p, err := a.New(provider.Config{Secrets: []string{"unused"}})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for name, body := range Examples(t) {
		t.Run(name, func(t *testing.T) {
			id, _, err := p.Parse(http.Header{}, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !a.Known(id.ProviderEvent) {
				t.Errorf("event %q is not in the catalogue", id.ProviderEvent)
			}
			if id.VerificationID == "" || id.DedupKey == "" {
				t.Errorf("identity %+v lacks the verification id or dedup key", id)
			}
			if other, dup := keys[id.DedupKey]; dup {
				t.Errorf("dedup key %q shared with %s", id.DedupKey, other)
			}
			keys[id.DedupKey] = name
			if resendField == "" {
				return
			}
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				t.Fatal(err)
			}
			if _, ok := obj[resendField]; !ok {
				return
			}
			obj[resendField] = "2030-01-01T00:00:00.000Z"
			resent, _ := json.MarshalIndent(obj, "", "\t")
			id2, _, err := p.Parse(http.Header{}, resent)
			if err != nil {
				t.Fatalf("Parse(re-stamped): %v", err)
			}
			if id2.DedupKey != id.DedupKey {
				t.Errorf("re-stamping %s changed the dedup key:\n %s\n %s", resendField, id.DedupKey, id2.DedupKey)
			}
		})
	}
}

// Hostile are bodies that are not any provider's shape. Parse must never
// pass one off as an event of the catalogue (ingest stores it flagged), and
// never panic.
var Hostile = map[string]string{
	"empty":           "",
	"not JSON":        "hello",
	"null":            "null",
	"array":           "[]",
	"empty object":    "{}",
	"truncated":       `{"type": "applicantReviewed", "eventName": "step_completed", "event": "x", "stage": "x"`,
	"wrong types":     `{"type": 7, "eventName": [], "event": {}, "stage": false, "body": "x", "data": 1}`,
	"deeply nested":   strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	"invalid UTF-8":   "{\"type\": \"\xff\xfe\"}",
	"huge number":     `{"n": 1e999999}`,
	"duplicate keys":  `{"type": "", "type": "", "eventName": "", "event": "", "stage": ""}`,
	"string not JSON": `"applicantReviewed"`,
}

// RunHostile checks that no hostile body identifies as a known event and
// none panics.
func RunHostile(t *testing.T, a provider.Adapter) {
	t.Helper()
	p, err := a.New(provider.Config{Secrets: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range Hostile {
		t.Run(name, func(t *testing.T) {
			if id, _, err := p.Parse(http.Header{}, []byte(body)); err == nil && a.Known(id.ProviderEvent) {
				t.Errorf("Parse took a hostile body for a known event: %+v", id)
			}
			_ = p.Authenticate(http.Header{}, []byte(body)) // must not panic
		})
	}
}

// Fuzz seeds f with the adapter's examples and hostile bodies and checks
// that Authenticate and Parse never panic, and that an identified event
// always has a dedup key.
func Fuzz(f *testing.F, a provider.Adapter) {
	for _, body := range Examples(f) {
		f.Add(body)
	}
	for _, body := range Hostile {
		f.Add([]byte(body))
	}
	p, err := a.New(provider.Config{Secrets: []string{"s"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = p.Authenticate(http.Header{}, body)
		if id, _, err := p.Parse(http.Header{}, body); err == nil && id.DedupKey == "" {
			t.Fatalf("identified %q without a dedup key", body)
		}
	})
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden is what an example payload means: its canonical event, and the
// verification it alone produces.
type golden struct {
	Event        goldenEvent          `json:"event"`
	Verification kycgate.Verification `json:"verification"`
}

type goldenEvent struct {
	Type           kycgate.EventType `json:"type"`
	ProviderEvent  string            `json:"provider_event"`
	VerificationID string            `json:"verification_id"`
	OccurredAt     time.Time         `json:"occurred_at"`
	DedupKey       string            `json:"dedup_key"`
	Data           kycgate.Change    `json:"data"`
}

// goldenReceivedAt is when the golden tests pretend every example arrived.
var goldenReceivedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// RunGolden compares what every example payload means with
// testdata/NAME.golden.json; go test -update rewrites the files.
func RunGolden(t *testing.T, a provider.Adapter, cfg provider.Config) {
	t.Helper()
	p, err := a.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range Examples(t) {
		t.Run(name, func(t *testing.T) {
			id, change, err := p.Parse(http.Header{}, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ev := kycgate.Event{ID: "evt_golden", Identity: id, Type: a.Type(id.ProviderEvent), Data: change, ReceivedAt: goldenReceivedAt}
			got := golden{
				Event: goldenEvent{Type: ev.Type, ProviderEvent: id.ProviderEvent, VerificationID: id.VerificationID,
					OccurredAt: id.OccurredAt, DedupKey: id.DedupKey, Data: change},
				Verification: kycgate.Rebuild("source", a.Name, id.VerificationID, []kycgate.LogEntry{ev.LogEntry()}),
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			gotJSON = append(gotJSON, '\n')
			path := filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden.json")
			if *update {
				if err := os.WriteFile(path, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(gotJSON, want) {
				t.Errorf("%s differs from what the payload now means (review, then go test -update):\ngot:\n%s", path, gotJSON)
			}
		})
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchParse measures Parse over the adapter's example payloads.
func BenchParse(b *testing.B, a provider.Adapter) {
	p, err := a.New(provider.Config{Secrets: []string{"s"}})
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	for _, body := range Examples(b) {
		bodies = append(bodies, body)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := p.Parse(http.Header{}, bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
}
