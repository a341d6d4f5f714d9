package persona_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/persona"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

// signedAt is the t of every vector in testdata/signatures.json.
var signedAt = time.Unix(1708040897, 0)

// clock returns a Config clock reading at.
func clock(at time.Time) func() time.Time { return func() time.Time { return at } }

func auth(t *testing.T, now time.Time, secrets []string, body []byte, header string) error {
	t.Helper()
	p, err := persona.New(provider.Config{Secrets: secrets, Now: clock(now)})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	if header != "" {
		h.Set(persona.HeaderSignature, header)
	}
	return p.Authenticate(h, body)
}

type vector struct {
	Body, Secret, Signature string
}

func vectors(t *testing.T) []vector {
	t.Helper()
	var vs []vector
	b, err := os.ReadFile(filepath.Join("testdata", "signatures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vs); err != nil || len(vs) == 0 {
		t.Fatalf("signatures.json: %v", err)
	}
	return vs
}

// TestProvider_Authenticate is providertest.RunSignatures with the clock
// injected (Persona signs a timestamp), plus the tolerance either way.
func TestProvider_Authenticate(t *testing.T) {
	for _, v := range vectors(t) {
		body, err := os.ReadFile(filepath.Join("testdata", v.Body))
		if err != nil {
			t.Fatal(err)
		}
		now := signedAt.Add(10 * time.Second)
		zeros := v.Signature[:strings.Index(v.Signature, "v1=")+3] + strings.Repeat("0", 64)
		for name, tc := range map[string]struct {
			now     time.Time
			secrets []string
			body    []byte
			header  string
			ok      bool
		}{
			"valid":                     {now, []string{v.Secret}, body, v.Signature, true},
			"rotation: any secret":      {now, []string{"a-retired-secret", v.Secret}, body, v.Signature, true},
			"wrong secret":              {now, []string{v.Secret + "x"}, body, v.Signature, false},
			"tampered body":             {now, []string{v.Secret}, bytes.Replace(body, []byte(`"`), []byte(`'`), 1), v.Signature, false},
			"byte appended":             {now, []string{v.Secret}, append(bytes.Clone(body), ' '), v.Signature, false},
			"truncated signature":       {now, []string{v.Secret}, body, v.Signature[:len(v.Signature)-2], false},
			"all-zero signature":        {now, []string{v.Secret}, body, zeros, false},
			"no header":                 {now, []string{v.Secret}, body, "", false},
			"another timestamp":         {now, []string{v.Secret}, body, strings.Replace(v.Signature, "t=1708040897", "t=1708040898", 1), false},
			"at the tolerance":          {signedAt.Add(persona.Tolerance), []string{v.Secret}, body, v.Signature, true},
			"replayed after tolerance":  {signedAt.Add(persona.Tolerance + time.Second), []string{v.Secret}, body, v.Signature, false},
			"from beyond the tolerance": {signedAt.Add(-persona.Tolerance - time.Second), []string{v.Secret}, body, v.Signature, false},
			"upper-case hex":            {now, []string{v.Secret}, body, strings.ToUpper(v.Signature[strings.Index(v.Signature, ",")+1:]), false},
		} {
			t.Run(v.Body+"/"+name, func(t *testing.T) {
				err := auth(t, tc.now, tc.secrets, tc.body, tc.header)
				if tc.ok && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !tc.ok && err == nil {
					t.Fatal("accepted")
				}
			})
		}
	}
}

func TestProvider_AuthenticateStale(t *testing.T) {
	v := vectors(t)[0]
	body, _ := os.ReadFile(filepath.Join("testdata", v.Body))
	err := auth(t, signedAt.Add(time.Hour), []string{v.Secret}, body, v.Signature)
	if !errors.Is(err, persona.ErrStale) {
		t.Fatalf("a replay an hour later: %v, want ErrStale", err)
	}
	// A forged signature is a mismatch, whatever its time.
	err = auth(t, signedAt.Add(time.Hour), []string{"other"}, body, v.Signature)
	if !errors.Is(err, provider.ErrSignatureMismatch) {
		t.Fatalf("a wrong secret an hour later: %v, want a mismatch", err)
	}
}

// During a rotation Persona sends two space-separated sets, one per secret;
// the old set was computed with openssl under wbhsec_old_0c1d2e3f.
func TestProvider_AuthenticateRotation(t *testing.T) {
	v := vectors(t)[0]
	body, _ := os.ReadFile(filepath.Join("testdata", v.Body))
	const oldSet = "t=1708040897,v1=f1c9d3c6a9fc47d21d0bb6df982ffc46112468352ae28b29f82144fdd200711a"
	now := signedAt.Add(time.Second)
	for name, tc := range map[string]struct {
		secrets []string
		header  string
		ok      bool
	}{
		"new secret, both sets":   {[]string{v.Secret}, oldSet + " " + v.Signature, true},
		"old secret, both sets":   {[]string{"wbhsec_old_0c1d2e3f"}, oldSet + " " + v.Signature, true},
		"old secret, new set":     {[]string{"wbhsec_old_0c1d2e3f"}, v.Signature, false},
		"neither secret":          {[]string{"wbhsec_other"}, oldSet + " " + v.Signature, false},
		"bad set then a good one": {[]string{v.Secret}, "t=x,v1=00 " + v.Signature, true},
		"two v1 in one set":       {[]string{v.Secret}, v.Signature + ",v1=" + strings.Repeat("ab", 32), true},
		"no t":                    {[]string{v.Secret}, v.Signature[strings.Index(v.Signature, ",")+1:], false},
	} {
		t.Run(name, func(t *testing.T) {
			err := auth(t, now, tc.secrets, body, tc.header)
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %v, err = %v", tc.ok, err)
			}
		})
	}
	if got := persona.Sign(signedAt, body, "wbhsec_old_0c1d2e3f", v.Secret); got != oldSet+" "+v.Signature {
		t.Errorf("Sign with two secrets = %q", got)
	}
}

func TestSign(t *testing.T) {
	providertest.RunSign(t, func(v providertest.Vector, body []byte) string {
		ts, _, _ := strings.Cut(strings.TrimPrefix(v.Signature, "t="), ",")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", v.Body, err)
		}
		return persona.Sign(time.Unix(sec, 0), body, v.Secret)
	})
}

func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, persona.Adapter, "")
	p, _ := persona.New(provider.Config{})
	examples := providertest.Examples(t)
	body := examples["inquiry.approved.json"]
	id, c, err := p.Parse(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	if id.VerificationID != "inq_zEx4jL84ShbUyuwX6AzPSqt6" || id.DedupKey != "event|evt_o9byQRbjygu76Jbtea9wuJ1boP7a|inquiry.approved|inq_zEx4jL84ShbUyuwX6AzPSqt6" {
		t.Errorf("identity %+v", id)
	}
	if got := id.OccurredAt.Format(time.RFC3339Nano); got != "2024-02-15T23:48:17.732Z" {
		t.Errorf("created-at read as %s", got)
	}
	if c.ExternalUserID != "abc-123" || c.Flow != "itmpl_p8ANAJy9iqadm2buF2xcVgqH" || c.By != "" {
		t.Errorf("change %+v", c)
	}
	// A retry is the same bytes under a new Persona-Signature: one event.
	retry := http.Header{}
	retry.Set(persona.HeaderSignature, persona.Sign(time.Unix(1708041155, 0), body, "s"))
	retry.Set(persona.HeaderAttemptsMade, "2")
	id2, _, _ := p.Parse(retry, body)
	if id2.DedupKey != id.DedupKey {
		t.Error("a retry changed the dedup key")
	}
	// A reviewer (a dashboard user) outranks the workflows.
	_, c, _ = p.Parse(nil, examples["inquiry.declined_by_reviewer.json"])
	if c.By != "reviewer" || len(c.Reasons) != 1 {
		t.Errorf("reviewer's decline: %+v", c)
	}
	// Verification events are steps of their inquiry.
	id, c, _ = p.Parse(nil, examples["verification.passed.json"])
	if id.VerificationID != "inq_zEx4jL84ShbUyuwX6AzPSqt6" || c.Step == nil || c.Step.Name != "government-id" || c.DocumentType != "dl" || c.DocumentCountry != "US" {
		t.Errorf("verification.passed: %+v %+v", id, c)
	}
	// The webhooks page's example has no event time.
	_, c, _ = p.Parse(nil, examples["webhooks_overview_example.json"])
	if c.Clock != "none" {
		t.Errorf("an event without created-at has clock %q", c.Clock)
	}
	if _, _, err := p.Parse(nil, []byte(`{"data":{"type":"inquiry","id":"inq_x","attributes":{"name":"inquiry.approved"}}}`)); err == nil {
		t.Error("an inquiry passed off as an event was accepted")
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, persona.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, persona.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, persona.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, persona.Adapter) }
