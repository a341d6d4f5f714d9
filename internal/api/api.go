// Package api declares the query API's wire types once, for the server
// that writes them and the command-line client that reads them. The
// OpenAPI document (internal/server/openapi.json) describes the same.
package api

import (
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/kycgate/kycgate"
)

// List is the envelope of every list answer.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// VerificationWithTimeline is one verification and its events, in the
// order they apply.
type VerificationWithTimeline struct {
	*kycgate.Verification
	Timeline []Event `json:"timeline"`
	// ProviderFetch is the job fetching it from the provider's API, when
	// there is one: its state and last error.
	ProviderFetch *kycgate.Fetch `json:"provider_fetch"`
	// ProviderData is the document last fetched, on ?include=provider_data.
	ProviderData *ProviderData `json:"provider_data,omitempty"`
}

// User is one end user's verifications across every source and provider.
type User struct {
	ExternalUserID string                  `json:"external_user_id"`
	Verifications  []*kycgate.Verification `json:"verifications"`
}

// Event is an event as the API shows it.
type Event struct {
	ID             string            `json:"id"`
	Type           kycgate.EventType `json:"type"`
	ProviderEvent  string            `json:"provider_event"`
	Source         string            `json:"source"`
	Provider       string            `json:"provider"`
	VerificationID string            `json:"verification_id"`
	OccurredAt     *time.Time        `json:"occurred_at"`
	ReceivedAt     time.Time         `json:"received_at"`
	Data           kycgate.Change    `json:"data"`
	Flag           kycgate.Flag      `json:"flag"`
	FlagDetail     string            `json:"flag_detail"`
	// Effect is what the event did to its verification; only in a
	// verification's timeline, and only for events kycgate understood.
	Effect *Effect `json:"effect,omitempty"`
	// Only on GET /api/v1/events/{id}:
	Headers   http.Header `json:"headers,omitempty"`
	Raw       *string     `json:"raw,omitempty"`        // the raw body, when it is UTF-8 text
	RawBase64 []byte      `json:"raw_base64,omitempty"` // the raw body, when it is not
	RawPurged bool        `json:"raw_purged,omitempty"` // the raw body was purged
}

// Effect is what one event did to its verification: its status and
// decision right after it, whether it arrived late, and who overruled the
// decision it carried.
type Effect struct {
	Attempt     int              `json:"attempt"`
	Status      kycgate.Status   `json:"status"`
	Decision    kycgate.Decision `json:"decision"`
	Late        bool             `json:"late"`
	OverruledBy kycgate.Actor    `json:"overruled_by,omitempty"`
}

// NewEffect is the wire form of e.
func NewEffect(e kycgate.Effect) *Effect {
	return &Effect{Attempt: e.Attempt, Status: e.Status, Decision: e.Decision, Late: e.Late, OverruledBy: e.OverruledBy}
}

// NewEvent is the wire form of ev; withRaw adds its headers and raw body.
func NewEvent(ev *kycgate.Event, withRaw bool) Event {
	out := Event{
		ID: ev.ID, Type: ev.Type, ProviderEvent: ev.ProviderEvent, Source: ev.Source,
		Provider: ev.Provider, VerificationID: ev.VerificationID, ReceivedAt: ev.ReceivedAt,
		Data: ev.Data, Flag: ev.Flag, FlagDetail: ev.FlagDetail,
	}
	if !ev.OccurredAt.IsZero() {
		t := ev.OccurredAt
		out.OccurredAt = &t
	}
	if !withRaw {
		return out
	}
	out.Headers = ev.Header
	switch {
	case ev.Body == nil:
		out.RawPurged = true
	case utf8.Valid(ev.Body):
		raw := string(ev.Body)
		out.Raw = &raw
	default:
		out.RawBase64 = ev.Body
	}
	return out
}

// ProviderData is the document last fetched from the provider's API.
type ProviderData struct {
	EventID   string          `json:"event_id"`
	FetchedAt time.Time       `json:"fetched_at"`
	Request   string          `json:"request"`  // what was asked of the provider, without credentials
	Document  json.RawMessage `json:"document"` // null once purged
	Purged    bool            `json:"purged"`   // purged by erasure or retention
}

// Retried is the answer of a retry of deliveries.
type Retried struct {
	Retried int `json:"retried"`
}
