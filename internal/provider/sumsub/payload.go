package sumsub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// Sumsub's time formats: createdAtMs is "yyyy-MM-dd HH:mm:ss.fff" in UTC;
// createdAt carries a numeric zone.
const (
	layoutCreatedAtMs = "2006-01-02 15:04:05.000"
	layoutCreatedAt   = "2006-01-02 15:04:05-0700"
)

// identityFields are the only fields ingest decodes.
type identityFields struct {
	Type              string `json:"type"`
	ApplicantID       string `json:"applicantId"`
	ApplicantActionID string `json:"applicantActionId"`
	CorrelationID     string `json:"correlationId"`
	CreatedAtMs       string `json:"createdAtMs"`
	CreatedAt         string `json:"createdAt"`
}

// Identify reads the webhook type, the applicant and the creation time. The
// dedup key is the correlationId with the type, applicant and action: Sumsub
// documents correlationId as the event's unique id, yet its own examples reuse
// one across types and applicants.
func (p *Provider) Identify(_ http.Header, body []byte) (kycgate.Identity, error) {
	var f identityFields
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, fmt.Errorf("sumsub: decode payload: %w", err)
	}
	if f.Type == "" {
		return kycgate.Identity{}, errors.New("sumsub: payload has no type")
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Type,
		VerificationID: f.ApplicantID,
		OccurredAt:     parseTime(f.CreatedAtMs, f.CreatedAt),
	}
	if f.CorrelationID != "" {
		id.DedupKey = strings.Join([]string{"correlation", f.CorrelationID, f.Type, f.ApplicantID, f.ApplicantActionID}, "|")
		return id, nil
	}
	key, err := provider.ContentKey(body, "createdAtMs", "createdAt")
	if err != nil {
		return kycgate.Identity{}, fmt.Errorf("sumsub: %w", err)
	}
	id.DedupKey = key
	return id, nil
}

// parseTime reads createdAtMs, falling back to createdAt; zero if neither parses.
func parseTime(createdAtMs, createdAt string) time.Time {
	if t, err := time.ParseInLocation(layoutCreatedAtMs, createdAtMs, time.UTC); err == nil {
		return t
	}
	if t, err := time.Parse(layoutCreatedAt, createdAt); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
