package server

import (
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
)

// limitFailures runs check, an authentication of r, unless r's client has
// failed too often lately (then it answers 429 without checking), and
// counts its failures: bad API tokens cannot be guessed at speed.
func (s *Server) limitFailures(r *http.Request, check func(*http.Request) error) error {
	ip, now := ingest.ClientIP(r.RemoteAddr, r.Header, s.trustedProxies), s.now()
	if !s.authFailures.Allow(ip, now) {
		return kycgate.Errorf(kycgate.ERATELIMITED, "too many failed authentications from %s; try again in a minute", ip)
	}
	if err := check(r); err != nil {
		s.authFailures.Failed(ip, now)
		return err
	}
	return nil
}
