package verifyyou

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays VerifyYou's status API: POST /v2/verification/status with the
// API-KEY header, asking by external_id.
var Fake = sim.Fake{New: newFake, Document: func(sim.Journey) (string, string) { return "", "" }}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/verification/status", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderAPIKey) != creds["api_key"] {
			sim.APIError(w, http.StatusUnauthorized, "invalid API-KEY")
			return
		}
		var q struct {
			ExternalID string `json:"external_id"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q); err != nil || q.ExternalID == "" {
			sim.APIError(w, http.StatusBadRequest, "send token or external_id")
			return
		}
		j, found := s.JourneyOfUser(q.ExternalID)
		s.Serve(w, j, found, func(j sim.Journey) any {
			return map[string]any{"verification_complete": j.Want == kycgate.StatusApproved, "external_id": j.ExternalUserID}
		})
	})
	return mux
}
