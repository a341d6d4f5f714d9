package persona

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate/internal/provider"
)

// The headers Persona sends with every webhook.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>";
	// while a secret is being rotated, two such sets separated by a space.
	HeaderSignature        = "Persona-Signature"
	HeaderAttemptsMade     = "Persona-Webhook-Attempts-Made"
	HeaderAttemptsLeft     = "Persona-Webhook-Attempts-Left"
	HeaderFirstAttemptedAt = "Persona-Webhook-First-Attempted-At"
)

// Tolerance is how far the signed timestamp may be from the receiver's
// clock, either way: a request replayed later than that is refused.
const Tolerance = 5 * time.Minute

// ErrStale is a request whose signature is good but whose timestamp is
// outside Tolerance: a replay, or a clock far off.
var ErrStale = errors.New("signed timestamp is outside the tolerance")

// signatureSet is one "t=…,v1=…" set of the header.
type signatureSet struct {
	t   string
	v1s []string
}

// parseSignature reads the header's sets; a set without t or v1 is skipped.
func parseSignature(header string) []signatureSet {
	var sets []signatureSet
	for _, field := range strings.Fields(header) {
		var s signatureSet
		for _, pair := range strings.Split(field, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			switch {
			case !ok:
			case k == "t":
				s.t = v
			case k == "v1":
				s.v1s = append(s.v1s, v)
			}
		}
		if s.t != "" && len(s.v1s) > 0 {
			sets = append(sets, s)
		}
	}
	return sets
}

// Authenticate checks Persona-Signature: some set's v1 must be the HMAC,
// under one of the source's secrets, of its t, a dot and the raw body, and
// that t must be within Tolerance of the clock.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	header := h.Get(HeaderSignature)
	if header == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	sets := parseSignature(header)
	if len(sets) == 0 {
		return fmt.Errorf("%s has no t=…,v1=… set", HeaderSignature)
	}
	err := provider.ErrSignatureMismatch
	for _, s := range sets {
		sec, perr := strconv.ParseInt(s.t, 10, 64)
		if perr != nil {
			err = fmt.Errorf("%s: t is not Unix seconds", HeaderSignature)
			continue
		}
		signed := signedPayload(s.t, body)
		for _, v1 := range s.v1s {
			if provider.VerifyHexHMAC(sha256.New, p.secrets, signed, v1) != nil {
				continue
			}
			if skew := p.now().Sub(time.Unix(sec, 0)); skew.Abs() > Tolerance {
				return fmt.Errorf("%w (%s off, at most %s)", ErrStale, skew.Round(time.Second), Tolerance)
			}
			return nil
		}
	}
	return err
}

// signedPayload is what Persona signs: the timestamp, a dot, the raw body.
func signedPayload(t string, body []byte) []byte {
	b := make([]byte, 0, len(t)+1+len(body))
	b = append(b, t...)
	b = append(b, '.')
	return append(b, body...)
}

// Sign returns the Persona-Signature header Persona sends with body at t:
// one set per secret, space-separated, as during a rotation.
func Sign(t time.Time, body []byte, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	sets := make([]string, len(secrets))
	for i, secret := range secrets {
		sets[i] = "t=" + ts + ",v1=" + provider.HexHMAC(sha256.New, secret, signedPayload(ts, body))
	}
	return strings.Join(sets, " ")
}
