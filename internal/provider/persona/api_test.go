package persona_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/persona"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// TestParseInquiry reads GET /api/v1/inquiries/{id} in the documented
// shape (the webhook examples' inquiry, still pending), then with each
// status and an included government id.
func TestParseInquiry(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "api", "inquiry_pending.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := persona.ParseInquiry(doc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Decision != "" || c.ExternalUserID != "abc-123" || c.Flow != "itmpl_p8ANAJy9iqadm2buF2xcVgqH" || len(c.Steps) != 0 {
		t.Errorf("pending inquiry: %+v", c)
	}
	for status, want := range map[string]kycgate.Decision{
		"created": "", "pending": "", "expired": "", "completed": kycgate.DecisionApproved, "approved": kycgate.DecisionApproved,
		"failed": kycgate.DecisionDeclined, "declined": kycgate.DecisionDeclined, "needs_review": kycgate.DecisionReviewNeeded,
	} {
		body := `{"data":{"type":"inquiry","id":"inq_1","attributes":{"status":"` + status + `"}},"included":[` +
			`{"type":"inquiry-session","id":"iqse_1","attributes":{"status":"expired","country-code":"US"}},` +
			`{"type":"verification/selfie","id":"ver_1","attributes":{"status":"passed"}},` +
			`{"type":"verification/government-id","id":"ver_2","attributes":{"status":"failed","id-class":"pp","country-code":"DE"}}]}`
		c, err := persona.ParseInquiry([]byte(body))
		if err != nil || c.Decision != want {
			t.Errorf("%s: %+v, %v", status, c, err)
		}
		if len(c.Steps) != 2 || c.Steps[1] != (kycgate.Step{Name: "government-id", Outcome: kycgate.OutcomeFailed}) || c.DocumentType != "pp" || c.DocumentCountry != "DE" {
			t.Errorf("%s: steps %+v, document %q %q", status, c.Steps, c.DocumentType, c.DocumentCountry)
		}
	}
	if _, err := persona.ParseInquiry([]byte(`{"data":{"type":"account","id":"act_1"}}`)); err == nil {
		t.Error("an account was read as an inquiry")
	}
}

// server is the journeys a fake API answers from.
type server map[string]sim.Journey

func (s server) Journey(id string) (sim.Journey, bool)    { j, ok := s[id]; return j, ok }
func (s server) JourneyOfUser(string) (sim.Journey, bool) { return sim.Journey{}, false }
func (s server) Now() time.Time                           { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
func (s server) Serve(w http.ResponseWriter, j sim.Journey, known bool, doc func(sim.Journey) any) {
	if !known {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc(j))
}

// TestFetch_Fake: the client asks the fake API, over loopback HTTP, with
// the bearer API key; the fake refuses another key, and answers the
// journey's inquiry, which reads as the journey ended.
func TestFetch_Fake(t *testing.T) {
	j := sim.Journey{Provider: persona.Name, VerificationID: "inq_Fk3sPz9QwN2xLc7VbR5tYm8D", ExternalUserID: "user-7", Want: kycgate.StatusDeclined}
	srv := httptest.NewServer(persona.Fake.New(map[string]string{"api_key": "persona_key"}, server{j.VerificationID: j}))
	defer srv.Close()
	fetch := func(key, id string) (*provider.Document, error) {
		api, err := persona.API.New(provider.APIConfig{BaseURL: srv.URL, Keys: map[string]string{"api_key": key}, Client: srv.Client(), Now: server{}.Now})
		if err != nil {
			t.Fatal(err)
		}
		return api.Fetch(context.Background(), &kycgate.Verification{ID: id})
	}
	var apiErr *provider.APIError
	if _, err := fetch("wrong", j.VerificationID); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong key: %v", err)
	}
	doc, err := fetch("persona_key", j.VerificationID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Request != "GET "+srv.URL+"/api/v1/inquiries/"+j.VerificationID {
		t.Errorf("request %q", doc.Request)
	}
	c, err := persona.ParseInquiry(doc.Body)
	if err != nil {
		t.Fatal(err)
	}
	docType, country := persona.Fake.Document(j)
	if c.Decision != kycgate.DecisionDeclined || c.ExternalUserID != "user-7" || c.DocumentType != docType || c.DocumentCountry != country {
		t.Errorf("fetched %+v", c)
	}
	if _, err := fetch("persona_key", "act_123"); !errors.Is(err, provider.ErrNotFetchable) {
		t.Errorf("an account's timeline: %v", err)
	}
}
