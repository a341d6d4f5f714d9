package sumsub

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"net/http"

	"github.com/kycgate/kycgate/internal/provider"
)

// The headers Sumsub signs its webhooks with.
const (
	HeaderDigest    = "X-Payload-Digest"
	HeaderDigestAlg = "X-Payload-Digest-Alg"
)

// Algorithms maps the values of X-Payload-Digest-Alg to their hash. Any other
// value is refused.
var Algorithms = map[string]func() hash.Hash{
	"HMAC_SHA1_HEX":   sha1.New,
	"HMAC_SHA256_HEX": sha256.New,
	"HMAC_SHA512_HEX": sha512.New,
}

// Authenticate checks X-Payload-Digest: the hex HMAC of the raw body with the
// algorithm X-Payload-Digest-Alg names.
func (p *Webhooks) Authenticate(h http.Header, body []byte) error {
	sig := h.Get(HeaderDigest)
	if sig == "" {
		return fmt.Errorf("missing %s header", HeaderDigest)
	}
	alg := h.Get(HeaderDigestAlg)
	if alg == "" {
		return fmt.Errorf("missing %s header", HeaderDigestAlg)
	}
	newHash, ok := Algorithms[alg]
	if !ok {
		return fmt.Errorf("unsupported %s %q", HeaderDigestAlg, alg)
	}
	return provider.VerifyHexHMAC(newHash, p.secrets, body, sig)
}

// Sign returns the headers Sumsub sends with body, signed with secret under
// the algorithm alg names (one of Algorithms' keys).
func Sign(secret, alg string, body []byte) (http.Header, error) {
	newHash, ok := Algorithms[alg]
	if !ok {
		return nil, fmt.Errorf("sumsub: unsupported algorithm %q", alg)
	}
	h := http.Header{}
	h.Set(HeaderDigest, provider.HexHMAC(newHash, secret, body))
	h.Set(HeaderDigestAlg, alg)
	return h, nil
}
