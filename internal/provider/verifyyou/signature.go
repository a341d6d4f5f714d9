package verifyyou

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"

	"github.com/kycgate/kycgate/internal/provider"
)

// The headers VerifyYou sends with every webhook.
const (
	HeaderSignature = "X-VerifyYou-Signature" // "sha256=" + hex HMAC-SHA256 of the raw body
	HeaderEvent     = "X-VerifyYou-Event"     // the stage
)

const signaturePrefix = "sha256="

// Authenticate checks X-VerifyYou-Signature against the raw body.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	hexSig, ok := strings.CutPrefix(sig, signaturePrefix)
	if !ok {
		return fmt.Errorf("%s does not start with %q", HeaderSignature, signaturePrefix)
	}
	return provider.VerifyHexHMAC(sha256.New, p.secrets, body, hexSig)
}

// Sign returns the signature header VerifyYou sends with body, signed with
// secret. (VerifyYou also sends the stage as X-VerifyYou-Event.)
func Sign(secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderSignature, signaturePrefix+provider.HexHMAC(sha256.New, secret, body))
	return h
}
