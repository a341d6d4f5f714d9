package veriff

import (
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate/internal/provider"
)

// The headers of Veriff's signatures: X-HMAC-SIGNATURE carries the hex
// HMAC-SHA256 of the raw body keyed with the shared secret key; Veriff
// documents VRF-HMAC-SIGNATURE as the same signature under another name.
// X-AUTH-CLIENT carries the integration's API key (a credential: not stored).
const (
	HeaderSignature    = "X-HMAC-SIGNATURE"
	HeaderSignatureVRF = "VRF-HMAC-SIGNATURE"
	HeaderAuthClient   = "X-AUTH-CLIENT"
)

// Authenticate checks X-HMAC-SIGNATURE (or VRF-HMAC-SIGNATURE) against the
// raw body, with any of the source's secrets, in constant time.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		sig = h.Get(HeaderSignatureVRF)
	}
	if sig == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	return provider.VerifyHexHMAC(sha256.New, p.secrets, body, sig)
}

// Signature is the lowercase hex HMAC-SHA256 of msg keyed with secret: of a
// webhook's body, or of the session id of an API GET request.
func Signature(secret string, msg []byte) string {
	return provider.HexHMAC(sha256.New, secret, msg)
}

// Sign returns the headers Veriff sends with body: the signature under
// secret and the integration's API key.
func Sign(apiKey, secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, Signature(secret, body))
	if apiKey != "" {
		h.Set(HeaderAuthClient, apiKey)
	}
	return h
}
