package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
)

const headerRequestID = "X-Request-Id"

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID gives every request an id, kept from a sane incoming
// X-Request-Id (a proxy's) or made, and answers with it, so that a log line
// can be found from a response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(headerRequestID)
		if !saneRequestID.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set(headerRequestID, id)
		next.ServeHTTP(w, r)
	})
}
