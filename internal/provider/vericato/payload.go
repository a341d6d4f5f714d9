package vericato

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
)

type identityFields struct {
	Event     string `json:"event"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		VerificationID string `json:"verification_id"`
	} `json:"data"`
}

func decode(body []byte) (identityFields, error) {
	var f identityFields
	if err := json.Unmarshal(body, &f); err != nil {
		return f, fmt.Errorf("vericato: decode payload: %w", err)
	}
	if f.Event == "" {
		return f, errors.New("vericato: payload has no event")
	}
	if f.Data.VerificationID == "" {
		return f, errors.New("vericato: payload has no data.verification_id")
	}
	return f, nil
}

// Authenticate refuses a request whose X-Vericato-Event or
// X-Vericato-Verification-Id header contradicts its body. A body that cannot
// be read is left for Identify to flag.
func (Provider) Authenticate(h http.Header, body []byte) error {
	event, vid := h.Get(HeaderEvent), h.Get(HeaderVerificationID)
	if event == "" && vid == "" {
		return nil
	}
	f, err := decode(body)
	if err != nil {
		return nil
	}
	if event != "" && event != f.Event {
		return fmt.Errorf("%s header %q does not match the body's event %q", HeaderEvent, event, f.Event)
	}
	if vid != "" && vid != f.Data.VerificationID {
		return fmt.Errorf("%s header %q does not match the body's verification_id %q", HeaderVerificationID, vid, f.Data.VerificationID)
	}
	return nil
}

// Identify reads the event, the verification and the send time. Each event
// happens once per verification, and timestamp is the send time a retry may
// re-stamp, so the dedup key is the event with the verification id.
func (Provider) Identify(_ http.Header, body []byte) (kycgate.Identity, error) {
	f, err := decode(body)
	if err != nil {
		return kycgate.Identity{}, err
	}
	occurred, _ := time.Parse(time.RFC3339Nano, f.Timestamp)
	return kycgate.Identity{
		ProviderEvent:  f.Event,
		VerificationID: f.Data.VerificationID,
		OccurredAt:     occurred.UTC(),
		DedupKey:       "event|" + f.Event + "|" + f.Data.VerificationID,
	}, nil
}
