package provider

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
)

// ErrSignatureMismatch is returned when no configured secret reproduces the
// signature the request carries.
var ErrSignatureMismatch = errors.New("signature does not match")

// VerifyHexHMAC checks a hex HMAC of body, computed with newHash under any one
// of secrets, against the signature the request carries. The comparison is in
// constant time; hex case is not significant.
func VerifyHexHMAC(newHash func() hash.Hash, secrets []string, body []byte, signature string) error {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != newHash().Size() {
		return errors.New("signature is not a hex digest of the expected length")
	}
	for _, secret := range secrets {
		mac := hmac.New(newHash, []byte(secret))
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// HexHMAC returns the lowercase hex HMAC of body under secret. The simulator
// and the tests sign with it.
func HexHMAC(newHash func() hash.Hash, secret string, body []byte) string {
	mac := hmac.New(newHash, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
