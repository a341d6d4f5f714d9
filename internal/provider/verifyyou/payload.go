package verifyyou

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
)

type identityFields struct {
	Stage          string `json:"stage"`
	OccurredAt     string `json:"occurred_at"`
	VerificationID string `json:"verification_id"`
}

// Identify reads the stage, the verification and the event time (ISO 8601
// with microseconds and a numeric zone). occurred_at is the time of the
// event, not of the send, so the dedup key is stage, verification and time:
// a user who fails liveness twice makes two events.
func (p *Provider) Identify(_ http.Header, body []byte) (kycgate.Identity, error) {
	var f identityFields
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, fmt.Errorf("verifyyou: decode payload: %w", err)
	}
	if f.Stage == "" {
		return kycgate.Identity{}, errors.New("verifyyou: payload has no stage")
	}
	if f.VerificationID == "" {
		return kycgate.Identity{}, errors.New("verifyyou: payload has no verification_id")
	}
	occurred, err := time.Parse(time.RFC3339Nano, f.OccurredAt)
	if err != nil {
		return kycgate.Identity{}, fmt.Errorf("verifyyou: occurred_at: %w", err)
	}
	return kycgate.Identity{
		ProviderEvent:  f.Stage,
		VerificationID: f.VerificationID,
		OccurredAt:     occurred.UTC(),
		DedupKey:       "event|" + f.Stage + "|" + f.VerificationID + "|" + occurred.UTC().Format(time.RFC3339Nano),
	}, nil
}
