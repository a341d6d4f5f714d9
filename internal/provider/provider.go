// Package provider defines what an identity-verification provider adapter
// implements, and the few wire-level helpers the adapters share. Each adapter
// lives in a subpackage and is the only code that knows its provider's
// formats; package registry lists them.
package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Webhooks reads one configured source's webhooks: it authenticates them
// with the provider's scheme and parses them into canonical terms.
type Webhooks interface {
	// Authenticate checks that the raw request came from the provider: the
	// signature for providers that sign, any other consistency the provider
	// guarantees. The error says why, without secrets.
	Authenticate(h http.Header, body []byte) error

	// Parse reads an authentic event: its identity, and what it says about
	// its verification in canonical terms. An error means the body is not in
	// the provider's shape; the event is then stored flagged.
	Parse(h http.Header, body []byte) (kycgate.Identity, kycgate.Change, error)
}

// Config is what a source gives its provider adapter.
type Config struct {
	Secrets []string // signing secrets; any one verifies (rotation)
	// ExternalUserIDKey names the metadata key holding the company's own user
	// id, for providers that carry it in free-form metadata.
	ExternalUserIDKey string
	// Now is the clock of a provider whose signature covers a timestamp
	// with a tolerance (nil: the wall clock).
	Now func() time.Time
	// MinTrustScore is the least trust score at which a completion
	// approves; below it, the verification needs a review. Nil for none.
	MinTrustScore *float64
}

// Adapter describes one provider kycgate supports.
type Adapter struct {
	Name string
	// Signs is true when the provider signs its webhooks, so that a source of
	// it must be configured with at least one secret.
	Signs bool
	// Headers lists the request headers worth storing beside the raw body:
	// the provider's event and signature headers, never credentials.
	Headers []string
	// RetriesFor is how long after a webhook's first delivery attempt the
	// provider may still deliver it, by its documented retry schedule with a
	// margin for timeouts; zero when the schedule is not known. Every event
	// of the provider carries it (Change.RetryWindowSeconds).
	RetriesFor time.Duration
	// Catalogue maps every event name the provider sends to its canonical type.
	Catalogue map[string]kycgate.EventType
	// New returns the adapter for one source.
	New func(Config) (Webhooks, error)
	// API is the provider's API kycgate fetches full verifications from;
	// nil when kycgate cannot fetch from it.
	API *APISpec
	// Play is how the simulator plays the provider: its journeys, signature
	// and retries.
	Play *sim.Player
	// Fake plays the provider's API for tests and the demo; nil when API is.
	Fake *sim.Fake
	// Options are the source options beside credentials the adapter reads
	// (OptionExternalUserIDKey, OptionMinTrustScore); a source setting
	// another is refused.
	Options []string
}

// Source options an adapter may read (see Config).
const (
	OptionExternalUserIDKey = "external_user_id_key"
	OptionMinTrustScore     = "min_trust_score"
)

// Known reports whether the adapter's catalogue names the event.
func (a Adapter) Known(event string) bool {
	_, ok := a.Catalogue[event]
	return ok
}

// Type returns the canonical type of a provider event: verification.other
// for an event the catalogue does not name.
func (a Adapter) Type(event string) kycgate.EventType {
	if t, ok := a.Catalogue[event]; ok {
		return t
	}
	return kycgate.EventOther
}

// Bool returns a pointer to b, for Change.Sandbox.
func Bool(b bool) *bool { return &b }

// Extra returns the non-empty values of key/value pairs as an event's extra
// facts, or nil when all are empty.
func Extra(kv ...string) map[string]string {
	var e map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if e == nil {
			e = map[string]string{}
		}
		e[kv[i]] = kv[i+1]
	}
	return e
}

// Text reads a JSON string, number or boolean as its text, and null as
// empty. It is for the fields kycgate only carries along (an id, a version
// number, a time it reads as text): a provider sending 2.0 where its
// documents show 2, or a number where they show a string, must not make an
// authentic webhook unparseable, and so unapplied.
type Text string

// UnmarshalJSON reads a string, number, boolean or null; an object or an
// array is an error.
func (t *Text) UnmarshalJSON(data []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*t = ""
	case string:
		*t = Text(v)
	case json.Number:
		*t = Text(v)
	case bool:
		*t = Text(strconv.FormatBool(v))
	default:
		return fmt.Errorf("%s is neither a string nor a number", data)
	}
	return nil
}

// Number reads a JSON number, or a string that holds one; anything else
// (null, an empty or other string, a boolean) reads as no number, so that a
// field kycgate can do without never makes a webhook unparseable.
type Number struct {
	Value float64
	Valid bool
}

// UnmarshalJSON reads a number, or a string holding one, else nothing.
func (n *Number) UnmarshalJSON(data []byte) error {
	var t Text
	*n = Number{}
	if t.UnmarshalJSON(data) != nil {
		return nil
	}
	if f, err := strconv.ParseFloat(string(t), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		*n = Number{Value: f, Valid: true}
	}
	return nil
}

// Ptr returns the number, or nil when there is none.
func (n Number) Ptr() *float64 {
	if !n.Valid {
		return nil
	}
	f := n.Value
	return &f
}
