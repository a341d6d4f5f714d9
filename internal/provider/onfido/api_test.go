package onfido_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/onfido"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// journeys is the sim.Server the fake API answers from in these tests.
type journeys struct {
	mu    sync.Mutex
	byID  map[string]sim.Journey
	paths []string
}

func (s *journeys) Journey(id string) (sim.Journey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.byID[id]
	return j, ok
}

func (s *journeys) JourneyOfUser(string) (sim.Journey, bool) { return sim.Journey{}, false }

func (s *journeys) Serve(w http.ResponseWriter, j sim.Journey, known bool, doc func(sim.Journey) any) {
	if !known {
		sim.APIError(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc(j))
}

func (s *journeys) Now() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

// fakeAPI serves Onfido's fake API on a loopback server, answering for the
// given journeys with the token "api-token".
func fakeAPI(t *testing.T, js ...sim.Journey) (*httptest.Server, *journeys) {
	t.Helper()
	s := &journeys{byID: map[string]sim.Journey{}}
	for _, j := range js {
		s.byID[j.VerificationID] = j
	}
	h := onfido.Fake.New(map[string]string{"api_token": "api-token"}, s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func client(t *testing.T, base, token string) provider.API {
	t.Helper()
	c, err := onfido.API.New(provider.APIConfig{BaseURL: base, Keys: map[string]string{"api_token": token}, Client: &http.Client{Timeout: 5 * time.Second},
		Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAPI_FetchWorkflowRun: the run is asked for with the token, on its
// v3.6 path, and its document says what the journey ended in.
func TestAPI_FetchWorkflowRun(t *testing.T) {
	j := sim.Journey{Provider: onfido.Name, VerificationID: run, ExternalUserID: "user-1", Want: kycgate.StatusDeclined}
	srv, s := fakeAPI(t, j)
	doc, err := client(t, srv.URL, "api-token").Fetch(context.Background(), &kycgate.Verification{ID: run,
		ResourceURL: "https://api.eu.onfido.com/v3.6/workflow_runs/" + run})
	if err != nil {
		t.Fatal(err)
	}
	if s.paths[0] != "GET /v3.6/workflow_runs/"+run || !strings.HasPrefix(doc.Request, "GET "+srv.URL+"/v3.6/workflow_runs/") {
		t.Errorf("asked %v (%s)", s.paths, doc.Request)
	}
	c, err := onfido.API.Parse(doc.Body)
	if err != nil {
		t.Fatal(err)
	}
	wantType, wantCountry := onfido.Fake.Document(j)
	if c.Decision != kycgate.DecisionDeclined || c.ExternalUserID != "user-1" || c.DocumentType != wantType || c.DocumentCountry != wantCountry ||
		len(c.Reasons) != 1 || c.Flow == "" {
		t.Errorf("document read as %+v", c)
	}
}

// TestAPI_FetchCheck: a verification whose resource is a check is asked
// for as a check.
func TestAPI_FetchCheck(t *testing.T) {
	srv, s := fakeAPI(t, sim.Journey{Provider: onfido.Name, VerificationID: check, Want: kycgate.StatusApproved})
	doc, err := client(t, srv.URL, "api-token").Fetch(context.Background(), &kycgate.Verification{ID: check,
		ResourceURL: "https://api.onfido.com/v3.6/checks/" + check})
	if err != nil {
		t.Fatal(err)
	}
	if s.paths[0] != "GET /v3.6/checks/"+check {
		t.Errorf("asked %v", s.paths)
	}
	if c, err := onfido.API.Parse(doc.Body); err != nil || c.Decision != kycgate.DecisionApproved {
		t.Errorf("check read as %+v, %v", c, err)
	}
}

// TestAPI_Refused: a wrong token, and an unknown run, are API errors.
func TestAPI_Refused(t *testing.T) {
	srv, _ := fakeAPI(t, sim.Journey{Provider: onfido.Name, VerificationID: run, Want: kycgate.StatusApproved})
	var apiErr *provider.APIError
	_, err := client(t, srv.URL, "another-token").Fetch(context.Background(), &kycgate.Verification{ID: run})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %v", err)
	}
	_, err = client(t, srv.URL, "api-token").Fetch(context.Background(), &kycgate.Verification{ID: "unknown"})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown run: %v", err)
	}
}

// TestAPI_FakeChecksTheHeader: the fake takes only Onfido's header form.
func TestAPI_FakeChecksTheHeader(t *testing.T) {
	srv, _ := fakeAPI(t, sim.Journey{Provider: onfido.Name, VerificationID: run, Want: kycgate.StatusApproved})
	for name, auth := range map[string]string{"none": "", "bearer": "Bearer api-token", "bare token": "api-token", "right": "Token token=api-token"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v3.6/workflow_runs/"+run, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 401}[name == "right"]; resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, want)
		}
	}
}

func TestAPI_Regions(t *testing.T) {
	for region, host := range map[string]string{"eu": "https://api.eu.onfido.com", "us": "https://api.us.onfido.com", "ca": "https://api.ca.onfido.com"} {
		if onfido.API.Regions[region] != host {
			t.Errorf("region %s: %q", region, onfido.API.Regions[region])
		}
	}
	if onfido.API.BaseURL != onfido.API.Regions["eu"] {
		t.Errorf("base URL %s", onfido.API.BaseURL)
	}
}

// TestAPI_ParseDocument: the statuses of a workflow run and the results of
// a check, read as the webhooks read them.
func TestAPI_ParseDocument(t *testing.T) {
	for doc, want := range map[string]kycgate.Decision{
		`{"id":"r","workflow_id":"w","status":"approved"}`:                            kycgate.DecisionApproved,
		`{"id":"r","workflow_id":"w","status":"review"}`:                              kycgate.DecisionReviewNeeded,
		`{"id":"r","workflow_id":"w","status":"error","error":{"type":"task_error"}}`: kycgate.DecisionReviewNeeded,
		`{"id":"r","workflow_id":"w","status":"awaiting_input"}`:                      "",
		`{"id":"r","workflow_version_id":2,"status":"declined","reasons":["x"]}`:      kycgate.DecisionDeclined,
		`{"id":"c","status":"complete","result":"consider"}`:                          kycgate.DecisionReviewNeeded,
		`{"id":"c","status":"in_progress","result":null}`:                             "",
	} {
		if c, err := onfido.API.Parse([]byte(doc)); err != nil || c.Decision != want {
			t.Errorf("%s: %q, %v; want %q", doc, c.Decision, err, want)
		}
	}
	c, _ := onfido.API.Parse([]byte(`{"id":"r","workflow_id":"w","status":"approved","output":{"properties":{"document_type":"passport","issuing_country":"GBR"}}}`))
	if c.DocumentType != "passport" || c.DocumentCountry != "GBR" {
		t.Errorf("output.properties read as %q %q", c.DocumentType, c.DocumentCountry)
	}
}
