package kycgate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Flag marks a stored event that kycgate could not fully understand. Flagged
// events are kept like any other, so that a later version can reprocess them.
type Flag string

const (
	FlagNone         Flag = ""
	FlagUnparseable  Flag = "unparseable"   // the body is not the provider's JSON shape
	FlagUnknownEvent Flag = "unknown_event" // the body parses but names an event kycgate does not know
)

// Identity is what an adapter reads from an authentic webhook to file it and
// to recognise a retried delivery of it.
type Identity struct {
	ProviderEvent  string    // the provider's own event name, e.g. "applicantReviewed"
	VerificationID string    // the provider's id of the verification, e.g. an applicant id
	OccurredAt     time.Time // provider time; zero when the provider sends none
	// DedupKey is stable across retries of the same delivery, even when the
	// provider re-stamps the send time. It is unique per source.
	DedupKey string
}

// Event is one webhook delivery as kycgate stored it: the raw request, its
// identity and its canonical meaning. Its ID is kycgate's own, time-sortable,
// with the "evt_" prefix.
type Event struct {
	ID       string
	Seq      int64 // the store's order of arrival; 0 until stored
	Source   string
	Provider string
	Identity
	Type       EventType // canonical type; "" when the body could not be parsed
	Data       Change    // what the event says about its verification
	ReceivedAt time.Time
	RemoteIP   string
	Header     http.Header // only the headers worth keeping; never credentials
	Body       []byte
	Flag       Flag
	FlagDetail string // why the event was flagged, for people
	// Destinations the event is to be forwarded to; the store creates
	// their deliveries in the transaction that stores the event.
	Destinations []string
	// Fetch asks, in the same transaction, for the verification's document
	// to be fetched from the provider's API (see Store.RequestFetch).
	Fetch bool

	enc *Encoding // set by Encode
}

// Receipt says what the store did with one event of a batch.
type Receipt struct {
	ID        string // the stored event's id: the new one, or the first delivery's
	Duplicate bool   // the event was a retry of one already stored
}

// Encoding is what a store writes of an event besides its plain fields,
// and what its log entry holds once read back.
type Encoding struct {
	Header []byte // Event.Header as JSON
	Data   []byte // Event.Data as JSON
	// Change is Data decoded: the Change a log read from the store holds,
	// which may differ from Event.Data in what JSON does not keep.
	Change Change
	err    error
}

// Encode makes the event storable (MakeStorable) and encodes it, for the
// store to write as it is. Call it as the last step before committing, on
// the goroutine that received the event, so that a store's single writer
// does not spend its time encoding: after Encode, a change to the headers
// or data is not written, and a change to any other value is not made
// storable.
func (e *Event) Encode() {
	enc := e.encode()
	e.enc = &enc
}

// Encoding returns the encoding Encode made, or, when it was not called,
// makes the event storable and encodes it now.
func (e *Event) Encoding() (*Encoding, error) {
	if e.enc == nil {
		enc := e.encode()
		return &enc, enc.err
	}
	return e.enc, e.enc.err
}

func (e *Event) encode() Encoding {
	e.MakeStorable()
	var enc Encoding
	if enc.Header, enc.err = json.Marshal(e.Header); enc.err != nil {
		enc.err = fmt.Errorf("encode headers: %w", enc.err)
		return enc
	}
	if enc.Data, enc.err = json.Marshal(e.Data); enc.err != nil {
		enc.err = fmt.Errorf("encode data: %w", enc.err)
		return enc
	}
	if enc.err = json.Unmarshal(enc.Data, &enc.Change); enc.err != nil {
		enc.err = fmt.Errorf("decode data: %w", enc.err)
	}
	return enc
}

// LogEntry returns the event as an entry of its verification's log.
func (e *Event) LogEntry() LogEntry {
	return LogEntry{ID: e.ID, Seq: e.Seq, DedupKey: e.DedupKey, Type: e.Type, OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt, Change: e.Data}
}
