// Package delivery forwards canonical events to the company's own services:
// HTTP endpoints signed per the Standard Webhooks specification, and NATS
// JetStream subjects. Deliveries come from the store's outbox, are sent at
// least once, in order per verification and destination, retried with
// exponential backoff and full jitter, and dead-lettered when they cannot
// be delivered; a destination that keeps failing is paused and probed.
package delivery

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/kycgate/kycgate"
)

// Envelope is what a destination receives for one event.
type Envelope struct {
	ID            string               `json:"id"`
	Type          kycgate.EventType    `json:"type"`
	OccurredAt    *time.Time           `json:"occurred_at"`
	ReceivedAt    time.Time            `json:"received_at"`
	Source        string               `json:"source"`
	Provider      string               `json:"provider"`
	ProviderEvent string               `json:"provider_event"`
	Verification  kycgate.Verification `json:"verification"`
	// Late is true when the event arrived after events that happened after
	// it; Verification is the current state all the same.
	Late bool           `json:"late"`
	Data kycgate.Change `json:"data"`
	Raw  *string        `json:"raw,omitempty"`
	// ProviderData is the document fetched from the provider's API, on a
	// verification.enriched event to a destination that asks for it.
	ProviderData json.RawMessage `json:"provider_data,omitempty"`
}

// Include says what an envelope carries besides the canonical event.
type Include struct {
	Raw          bool // the raw body of provider webhooks
	ProviderData bool // the document of verification.enriched events
}

// NewEnvelope returns the envelope of a stored event, with its
// verification's current state: every event stored when the delivery is
// sent applied, in the order they apply, so the last envelope a
// destination receives carries the truth, whatever order the events came
// in, and a retried or replayed delivery is never stale. With inc.Raw, the
// raw body comes along when it is text and was not purged; with
// inc.ProviderData, a fetched document does.
func NewEnvelope(f *kycgate.Forwarded, inc Include) Envelope {
	ev := f.Event
	env := Envelope{
		ID: ev.ID, Type: ev.Type, ReceivedAt: ev.ReceivedAt, Source: ev.Source, Provider: ev.Provider,
		ProviderEvent: ev.ProviderEvent, Data: ev.Data, Verification: f.Verification, Late: f.Late,
	}
	if !ev.OccurredAt.IsZero() {
		t := ev.OccurredAt
		env.OccurredAt = &t
	}
	if ev.Type == kycgate.EventEnriched {
		if inc.ProviderData && json.Valid(ev.Body) {
			env.ProviderData = ev.Body
		}
		return env // the document is personal data: only where asked for by name
	}
	if inc.Raw && ev.Body != nil && utf8.Valid(ev.Body) {
		raw := string(ev.Body)
		env.Raw = &raw
	}
	return env
}

// Marshal encodes the envelope.
func (e Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }
