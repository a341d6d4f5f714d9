package metamap

import (
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate/internal/provider"
)

// HeaderSignature carries the lowercase hex HMAC-SHA256 of the raw body.
const HeaderSignature = "X-Signature"

// Authenticate checks x-signature against the raw body.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	return provider.VerifyHexHMAC(sha256.New, p.secrets, body, sig)
}

// Sign returns the header MetaMap sends with body, signed with secret.
func Sign(secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, provider.HexHMAC(sha256.New, secret, body))
	return h
}
