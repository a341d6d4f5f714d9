package stripe

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate/internal/provider"
)

// HeaderSignature is the header Stripe signs its webhooks with:
// "t=<unix seconds>,v1=<hex>", with several v1 while a secret is rolled.
const HeaderSignature = "Stripe-Signature"

// Tolerance is how far a signature's timestamp may be from the clock: a
// request replayed later than that is refused, as Stripe's libraries do.
const Tolerance = 300 * time.Second

// errNoSignature: the header carries no v1 signature kycgate can read.
var errNoSignature = errors.New("no v1 signature in " + HeaderSignature)

// Authenticate checks Stripe-Signature: any of its v1 signatures must be
// the hex HMAC-SHA256, under one of the source's secrets, of the timestamp,
// a dot and the raw body, and the timestamp within Tolerance of the clock.
// Comparisons are in constant time; v0 and unknown schemes are ignored.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	value := h.Get(HeaderSignature)
	if value == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	ts, sigs, err := parseHeader(value)
	if err != nil {
		return err
	}
	if !matches(p.secrets, signedPayload(ts, body), sigs) {
		return errors.New("signature does not match")
	}
	signed := time.Unix(ts, 0)
	if off := p.now().Sub(signed); off > Tolerance || off < -Tolerance {
		return fmt.Errorf("signature timestamp %s is %s off the clock, more than %s", signed.UTC().Format(time.RFC3339), off.Round(time.Second), Tolerance)
	}
	return nil
}

// parseHeader reads "t=…,v1=…[,v1=…][,v0=…]": the one timestamp and every
// v1 signature that is a SHA-256 hex digest.
func parseHeader(value string) (int64, []string, error) {
	var (
		ts    int64
		seenT bool
		sigs  []string
	)
	for _, part := range strings.Split(value, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%s: %q is not key=value", HeaderSignature, part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seenT {
				return 0, nil, fmt.Errorf("%s: invalid or repeated timestamp", HeaderSignature)
			}
			ts, seenT = n, true
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, v)
			}
		}
	}
	if !seenT {
		return 0, nil, fmt.Errorf("%s has no timestamp", HeaderSignature)
	}
	if len(sigs) == 0 {
		return 0, nil, errNoSignature
	}
	return ts, sigs, nil
}

// matches reports whether any v1 signature is the HMAC of the signed
// payload under any of the secrets.
func matches(secrets []string, signed []byte, sigs []string) bool {
	for _, sig := range sigs {
		if provider.VerifyHexHMAC(sha256.New, secrets, signed, sig) == nil {
			return true
		}
	}
	return false
}

// signedPayload is what Stripe signs: "<unix t>.<body>".
func signedPayload(ts int64, body []byte) []byte {
	t := strconv.FormatInt(ts, 10)
	b := make([]byte, 0, len(t)+1+len(body))
	b = append(b, t...)
	b = append(b, '.')
	return append(b, body...)
}

// Sign returns the v1 signature of body sent at t under secret: the hex
// HMAC-SHA256 of "<unix t>.<body>".
func Sign(secret string, t time.Time, body []byte) string {
	return provider.HexHMAC(sha256.New, secret, signedPayload(t.Unix(), body))
}

// SignatureHeader returns the Stripe-Signature value Stripe sends with body
// at t: one v1 per secret, as while a secret is rolled.
func SignatureHeader(t time.Time, body []byte, secrets ...string) string {
	var b strings.Builder
	b.WriteString("t=" + strconv.FormatInt(t.Unix(), 10))
	for _, s := range secrets {
		b.WriteString(",v1=" + Sign(s, t, body))
	}
	return b.String()
}
