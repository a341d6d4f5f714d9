package idwise

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

type identityFields struct {
	Event string     `json:"event"`
	Body  bodyFields `json:"body"`
}

type bodyFields struct {
	EventID            string `json:"eventId"`
	JourneyID          string `json:"journeyId"`
	SpotCheckJourneyID string `json:"spotCheckJourneyId"`
}

// Identify reads the event name and the journey. IDWise keeps eventId across
// retries, so it (with the event name) is the dedup key; IDWise sends no event time, so ingest
// files the event at its receipt time.
func (Provider) Identify(_ http.Header, body []byte) (kycgate.Identity, error) {
	var f identityFields
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, fmt.Errorf("idwise: decode payload: %w", err)
	}
	if f.Event == "" {
		return kycgate.Identity{}, errors.New("idwise: payload has no event")
	}
	journey := f.Body.JourneyID
	if journey == "" {
		journey = f.Body.SpotCheckJourneyID
	}
	id := kycgate.Identity{ProviderEvent: f.Event, VerificationID: journey}
	if f.Body.EventID != "" {
		id.DedupKey = "event|" + f.Body.EventID + "|" + f.Event
		return id, nil
	}
	key, err := provider.ContentKey(body)
	if err != nil {
		return kycgate.Identity{}, fmt.Errorf("idwise: %w", err)
	}
	id.DedupKey = key
	return id, nil
}
