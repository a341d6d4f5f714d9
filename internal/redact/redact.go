// Package redact hides credentials wherever kycgate shows text: the
// passwords, tokens and keys of URLs, and every secret of the
// configuration in log lines and messages.
package redact

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces what is hidden.
const Mask = "<redacted>"

// URL returns raw with its credentials replaced by Mask: the password of
// its user info (the whole user info for schemes where a lone user is a
// token, such as nats://TOKEN@host), and the values of query parameters
// that name a password, token, key, secret or signature. It reads raw as
// text, so a URL that does not parse is masked too.
func URL(raw string) string {
	u, ok := split(raw)
	if !ok {
		return raw
	}
	out := u.scheme + "://"
	switch {
	case u.hasPassword:
		out += u.user + ":" + Mask + "@"
	case u.hasUser && tokenSchemes[strings.ToLower(u.scheme)]:
		out += Mask + "@"
	case u.hasUser:
		out += u.user + "@"
	}
	out += u.host + u.path
	if u.hasQuery {
		params := slices.Clone(u.params)
		for i, p := range params {
			if name, _, hasValue := strings.Cut(p, "="); hasValue && secretParam(name) {
				params[i] = name + "=" + Mask
			}
		}
		out += "?" + strings.Join(params, "&")
	}
	return out + u.fragment
}

// URLSecrets returns the credentials URL masks in raw, so that a
// Redactor also hides them where they appear elsewhere.
func URLSecrets(raw string) []string {
	u, ok := split(raw)
	if !ok {
		return nil
	}
	var out []string
	switch {
	case u.hasPassword:
		out = append(out, u.password)
	case u.hasUser && tokenSchemes[strings.ToLower(u.scheme)]:
		out = append(out, u.user)
	}
	for _, p := range u.params {
		if name, value, ok := strings.Cut(p, "="); ok && secretParam(name) {
			out = append(out, value)
		}
	}
	return out
}

// parts are the pieces of a URL as written.
type parts struct {
	scheme, user, password, host, path string
	hasUser, hasPassword, hasQuery     bool
	params                             []string // the query's k=v pairs
	fragment                           string   // with its "#"
}

func split(raw string) (parts, bool) {
	var u parts
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return u, false
	}
	u.scheme = scheme
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	u.host, rest = rest[:end], rest[end:]
	if at := strings.LastIndex(u.host, "@"); at >= 0 {
		u.hasUser = true
		u.user, u.password, u.hasPassword = strings.Cut(u.host[:at], ":")
		u.host = u.host[at+1:]
	}
	if i := strings.Index(rest, "#"); i >= 0 {
		rest, u.fragment = rest[:i], rest[i:]
	}
	var query string
	u.path, query, u.hasQuery = strings.Cut(rest, "?")
	if u.hasQuery {
		u.params = strings.Split(query, "&")
	}
	return u, true
}

// tokenSchemes take a token alone as user info.
var tokenSchemes = map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}

// secretParam reports whether a query parameter carries a credential.
func secretParam(name string) bool {
	n, err := url.QueryUnescape(name)
	if err != nil {
		n = name
	}
	n = strings.ToLower(n)
	for _, word := range []string{"pass", "pwd", "secret", "token", "key", "sig", "auth", "credential"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// Redactor replaces known secrets in any text.
type Redactor struct {
	r *strings.Replacer
}

// New returns a Redactor of secrets, each also as URLs escape it. Empty
// secrets are ignored.
func New(secrets ...string) *Redactor {
	var all []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		all = append(all, s, url.QueryEscape(s), url.PathEscape(s))
		if u, err := url.QueryUnescape(s); err == nil {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b string) int { return cmp.Compare(len(b), len(a)) }) // longest first
	all = slices.Compact(all)
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, Mask)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret, and every URL credential, masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Handler returns a log handler that masks the secrets in every message
// and attribute before h sees them.
func (r *Redactor) Handler(h slog.Handler) slog.Handler { return handler{h, r} }

type handler struct {
	next slog.Handler
	r    *Redactor
}

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return handler{h.next.WithAttrs(clean), h.r}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name), h.r} }

func (h handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = h.attr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		}
		if c := h.r.String(s); c != s {
			return slog.String(a.Key, c)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
