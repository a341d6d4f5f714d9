package onfido

import (
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/kycgate/kycgate/internal/provider"
)

// HeaderSignature carries the hex HMAC-SHA256 of the raw body, keyed with
// the webhook's token.
const HeaderSignature = "X-SHA2-Signature"

// Authenticate checks X-SHA2-Signature against the raw body, with every
// configured token (rotation: a source lists the token of each webhook that
// may send to it).
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	return provider.VerifyHexHMAC(sha256.New, p.secrets, body, sig)
}

// Sign returns the header Onfido sends with body, signed with token.
func Sign(token string, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, provider.HexHMAC(sha256.New, token, body))
	return h
}
