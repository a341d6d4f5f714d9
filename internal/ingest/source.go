package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/kycgate/kycgate/internal/config"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// Source is one configured endpoint, ready to authenticate requests.
type Source struct {
	Name     string
	Adapter  provider.Adapter
	Webhooks provider.Webhooks
	MaxBody  int64

	checkSignature bool // false only for an insecure source of a signing provider without secrets
	failures       *FailureLimiter
	credential     credential
	allow          []netip.Prefix
	urlToken       bool
}

// NewSource builds a source from its validated configuration.
func NewSource(c config.Source) (*Source, error) {
	adapter, ok := registry.Lookup(c.Provider)
	if !ok {
		return nil, fmt.Errorf("source %s: unknown provider %q", c.Name, c.Provider)
	}
	p, err := adapter.New(provider.Config{Secrets: c.Secrets, ExternalUserIDKey: c.ExternalUserIDKey, MinTrustScore: c.MinTrustScore})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", c.Name, err)
	}
	s := &Source{
		Name:           c.Name,
		Adapter:        adapter,
		Webhooks:       p,
		MaxBody:        int64(c.MaxBodyBytes),
		checkSignature: !adapter.Signs || len(c.Secrets) > 0,
		failures:       NewFailureLimiter(),
		allow:          c.AllowPrefixes,
	}
	if s.MaxBody <= 0 {
		s.MaxBody = config.DefaultMaxBodyBytes
	}
	if a := c.Auth; a != nil {
		switch {
		case a.Basic != nil:
			s.credential = basicCredential(a.Basic.Username, a.Basic.Password)
		case a.Bearer != "":
			s.credential = headerCredential("Authorization", "Bearer "+a.Bearer)
		case a.Header != nil:
			s.credential = headerCredential(a.Header.Name, a.Header.Value)
		case a.URLToken != "":
			s.credential = tokenCredential(a.URLToken)
			s.urlToken = true
		}
	}
	return s, nil
}

// allowed reports whether the client address may deliver to this source.
func (s *Source) allowed(ip netip.Addr) bool {
	if len(s.allow) == 0 {
		return true
	}
	for _, p := range s.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// credential checks the part of a request that is not its body: the token in
// its URL, or a header. Comparisons are in constant time.
type credential func(token string, h http.Header) error

var errNoToken = errors.New("missing URL token")

func tokenCredential(want string) credential {
	return func(token string, _ http.Header) error {
		if token == "" {
			return errNoToken
		}
		if !equal(token, want) {
			return errors.New("URL token does not match")
		}
		return nil
	}
}

func headerCredential(name, want string) credential {
	return func(_ string, h http.Header) error {
		got := h.Get(name)
		if got == "" {
			return fmt.Errorf("missing %s header", name)
		}
		if name == "Authorization" {
			scheme, rest, _ := strings.Cut(got, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				return errors.New("Authorization is not a bearer token")
			}
			got = "Bearer " + rest
		}
		if !equal(got, want) {
			return fmt.Errorf("%s header does not match", name)
		}
		return nil
	}
}

func basicCredential(user, password string) credential {
	return func(_ string, h http.Header) error {
		r := http.Request{Header: h}
		u, p, ok := r.BasicAuth()
		if !ok {
			return errors.New("missing HTTP Basic credentials")
		}
		if !basicMatches(u, p, user, password, equal) {
			return errors.New("HTTP Basic credentials do not match")
		}
		return nil
	}
}

// basicMatches compares the user and the password with eq, always both, so
// that timing says nothing of which failed.
func basicMatches(gotUser, gotPassword, user, password string, eq func(a, b string) bool) bool {
	userOK := eq(gotUser, user)
	passwordOK := eq(gotPassword, password)
	return userOK && passwordOK
}

// equal compares two secrets in constant time, whatever their lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
