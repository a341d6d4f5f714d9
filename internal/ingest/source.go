package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

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

// DefaultMaxBody is the largest body a source accepts when its options
// name no limit.
const DefaultMaxBody = 1 << 20

// SourceOptions configure one source's endpoint.
type SourceOptions struct {
	Name     string
	Provider string // a provider the registry lists
	// Webhooks is what the provider's adapter is given: its secrets and
	// options.
	Webhooks provider.Config
	MaxBody  int64 // DefaultMaxBody when zero
	// Credential is what a request carries beside its body; the zero value
	// asks for none.
	Credential Credential
	Allow      []netip.Prefix // client addresses that may deliver; any when empty
}

// Credential is a credential a request carries beside its body: in its URL
// or in a header. Compare in constant time.
type Credential struct {
	check    credential
	urlToken bool
}

// BasicAuth asks for HTTP Basic credentials.
func BasicAuth(user, password string) Credential {
	return Credential{check: basicCredential(user, password)}
}

// BearerToken asks for Authorization: Bearer token.
func BearerToken(token string) Credential {
	return Credential{check: headerCredential("Authorization", "Bearer "+token)}
}

// HeaderToken asks for the header name with the value.
func HeaderToken(name, value string) Credential {
	return Credential{check: headerCredential(name, value)}
}

// URLToken asks for the token as the last segment of the webhook's path.
func URLToken(token string) Credential {
	return Credential{check: tokenCredential(token), urlToken: true}
}

// NewSource builds a source from its options.
func NewSource(o SourceOptions) (*Source, error) {
	adapter, ok := registry.Lookup(o.Provider)
	if !ok {
		return nil, fmt.Errorf("source %s: unknown provider %q", o.Name, o.Provider)
	}
	p, err := adapter.New(o.Webhooks)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", o.Name, err)
	}
	s := &Source{
		Name:           o.Name,
		Adapter:        adapter,
		Webhooks:       p,
		MaxBody:        o.MaxBody,
		checkSignature: !adapter.Signs || len(o.Webhooks.Secrets) > 0,
		failures:       NewFailureLimiter(),
		allow:          o.Allow,
		credential:     o.Credential.check,
		urlToken:       o.Credential.urlToken,
	}
	if s.MaxBody <= 0 {
		s.MaxBody = DefaultMaxBody
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
