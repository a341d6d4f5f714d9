package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// ContentKey returns a dedup key made of the body's content without the named
// top-level fields (typically the send time a provider re-stamps on retry).
// Object keys are sorted and white space dropped, so reformatting the same
// content gives the same key.
func ContentKey(body []byte, drop ...string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", fmt.Errorf("decode body: %w", err)
	}
	for _, k := range drop {
		delete(obj, k)
	}
	canonical, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("encode body: %w", err)
	}
	return "content:" + sha256Hex(canonical), nil
}

// RawKey returns the dedup key of a body kycgate could not parse: a hash of
// its exact bytes, so that a retried delivery of the same bytes is stored once.
func RawKey(body []byte) string {
	return "raw:" + sha256Hex(body)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
