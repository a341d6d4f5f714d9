package metamap

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

type identityFields struct {
	EventName string `json:"eventName"`
	Resource  string `json:"resource"`
	Timestamp string `json:"timestamp"`
}

// Identify reads eventName, the verification id from resource and the send
// time. MetaMap sends no event id, so the dedup key is the payload's content
// without the send timestamp, which a retry may re-stamp.
func (p *Provider) Identify(_ http.Header, body []byte) (kycgate.Identity, error) {
	var f identityFields
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, fmt.Errorf("metamap: decode payload: %w", err)
	}
	if f.EventName == "" {
		return kycgate.Identity{}, errors.New("metamap: payload has no eventName")
	}
	vid, err := VerificationID(f.Resource)
	if err != nil {
		return kycgate.Identity{}, err
	}
	key, err := provider.ContentKey(body, "timestamp")
	if err != nil {
		return kycgate.Identity{}, fmt.Errorf("metamap: %w", err)
	}
	occurred, _ := time.Parse(time.RFC3339Nano, f.Timestamp)
	return kycgate.Identity{
		ProviderEvent:  f.EventName,
		VerificationID: vid,
		OccurredAt:     occurred.UTC(),
		DedupKey:       key,
	}, nil
}

// VerificationID returns the verification id at the end of a resource URL,
// such as https://api.getmati.com/v2/verifications/6156311aba4c52001b1290a2
// or the same path on api.prod.metamap.com.
func VerificationID(resource string) (string, error) {
	if resource == "" {
		return "", errors.New("metamap: payload has no resource")
	}
	u, err := url.Parse(resource)
	if err != nil {
		return "", fmt.Errorf("metamap: resource: %w", err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != "verifications" || parts[len(parts)-1] == "" {
		return "", fmt.Errorf("metamap: resource %q does not name a verification", resource)
	}
	return parts[len(parts)-1], nil
}
