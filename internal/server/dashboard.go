package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
)

// The dashboard is server-rendered from templates embedded in the binary:
// no build step, and no script is needed to read it (one small script adds
// live refresh). It is behind the same API tokens as /api/v1: a login form
// trades a token for a signed session cookie.

//go:embed web
var webFS embed.FS

const (
	sessionCookie = "kycgate_session"
	sessionTTL    = 12 * time.Hour
)

// SourceInfo names a configured source, for the dashboard.
type SourceInfo struct {
	Name     string
	Provider string
	API      bool // kycgate fetches verifications from the provider's API
}

// page is what every dashboard template receives.
type page struct {
	Title   string
	Nav     string // the active section
	CSRF    string // the form token of the session
	Sources []SourceInfo
	Notice  string // a result to show once, e.g. after a retry
	Data    any
}

// dashboard holds the parsed templates, one set per page.
type dashboard struct {
	pages map[string]*template.Template
}

func newDashboard() *dashboard {
	d := &dashboard{pages: map[string]*template.Template{}}
	names, err := fs.Glob(webFS, "web/templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "web/templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue // the layout and the partials go with every page
		}
		d.pages[base] = template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(webFS, "web/templates/layout.html", "web/templates/partials.html", name))
	}
	return d
}

// routeDashboard adds the dashboard's routes to mux.
func (s *Server) routeDashboard(mux *http.ServeMux) {
	static, _ := fs.Sub(webFS, "web/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	for pattern, h := range map[string]func(*Server, http.ResponseWriter, *http.Request) error{
		"GET /{$}":                                  (*Server).overview,
		"GET /verifications":                        (*Server).verificationsPage,
		"GET /verifications/{source}/{id}":          (*Server).verificationPage,
		"GET /events/{id}":                          (*Server).eventPage,
		"GET /users/{external_user_id}":             (*Server).userPage,
		"GET /deliveries":                           (*Server).deliveriesPage,
		"POST /deliveries/{id}/retry":               (*Server).retryDeliveryForm,
		"POST /deliveries/retry":                    (*Server).retryDeliveriesForm,
		"POST /destinations/{name}/enable":          (*Server).enableDestinationForm,
		"POST /verifications/{source}/{id}/refresh": (*Server).refreshForm,
	} {
		mux.HandleFunc(pattern, s.session(h))
	}
}

// session requires a valid session cookie, and on POST the session's form
// token; without a session, a page asks to log in.
func (s *Server) session(h func(*Server, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		sess, ok, err := s.readSession(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if !ok {
			if r.Method != http.MethodGet {
				s.renderError(w, r, kycgate.Errorf(kycgate.EUNAUTHORIZED, "your session has ended: log in again"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(sess.csrf())) {
			s.renderError(w, r, kycgate.Errorf(kycgate.EFORBIDDEN, "this form has expired: reload the page and try again"))
			return
		}
		ctx := context.WithValue(r.Context(), csrfKey{}, sess.csrf())
		if err := h(s, w, r.WithContext(ctx)); err != nil {
			s.renderError(w, r, err)
		}
	}
}

type csrfKey struct{}

// sessionKeys derives one signing key per API token, so that a session ends
// when its token is removed from the configuration, and every instance
// sharing the configuration accepts it.
func (s *Server) sessionKeys() [][]byte {
	keys := make([][]byte, len(s.tokens))
	for i, t := range s.tokens {
		keys[i] = sessionKeyOf(t)
	}
	return keys
}

// sessionKeyOf is the session signing key of the token whose SHA-256 is t.
func sessionKeyOf(t [sha256.Size]byte) []byte {
	m := hmac.New(sha256.New, t[:])
	m.Write([]byte("kycgate dashboard session"))
	return m.Sum(nil)
}

func sign(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "|")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session is a logged-in browser: its cookie is "EXP.ID.MAC", the expiry in
// Unix seconds, a random id (what logging out revokes) and their signature
// with the key of the token it logged in with.
type session struct {
	key     []byte
	exp, id string
}

func (ss session) cookie() string {
	return ss.exp + "." + ss.id + "." + sign(ss.key, "session", ss.exp, ss.id)
}

// csrf is the form token of the session.
func (ss session) csrf() string { return sign(ss.key, "form", ss.exp, ss.id) }

func (ss session) expiry() time.Time {
	unix, _ := strconv.ParseInt(ss.exp, 10, 64)
	return time.Unix(unix, 0)
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// readSession returns the request's session: signed, unexpired and not
// logged out; an error when the store cannot say whether it logged out.
func (s *Server) readSession(r *http.Request) (session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false, nil
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return session{}, false, nil
	}
	unix, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || s.now().Unix() > unix {
		return session{}, false, nil
	}
	for _, key := range s.sessionKeys() {
		ss := session{key: key, exp: parts[0], id: parts[1]}
		if !hmac.Equal([]byte(ss.cookie()), []byte(c.Value)) {
			continue
		}
		revoked, err := s.store.SessionRevoked(r.Context(), ss.id)
		if err != nil {
			return session{}, false, err
		}
		return ss, !revoked, nil
	}
	return session{}, false, nil
}

// loginCookie holds the login form's token, so that only a form this site
// served can log a browser in (a forged cross-site login is refused).
const loginCookie = "kycgate_login"

// loginToken returns the token of the browser's login cookie, setting a new
// cookie when it has none.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v, Path: "/login", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode})
	return v
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: loginData{
		Next: safeNext(r.URL.Query().Get("next")), Closed: len(s.tokens) == 0, CSRF: loginToken(w, r)}})
}

type loginData struct {
	Next   string
	Error  string
	Closed bool   // no api_tokens are configured
	CSRF   string // the login form's token
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token, next := strings.TrimSpace(r.PostFormValue("token")), safeNext(r.PostFormValue("next"))
	refuse := func(status int, msg string) {
		s.render(w, r, status, "login", page{Title: "Log in", Data: loginData{
			Next: next, Closed: len(s.tokens) == 0, Error: msg, CSRF: loginToken(w, r)}})
	}
	ip, now := ingest.ClientIP(r.RemoteAddr, r.Header, s.trustedProxies), s.now()
	if !s.authFailures.Allow(ip, now) {
		s.log.Warn("dashboard login refused: too many failures", "request_id", w.Header().Get(headerRequestID), "remote_ip", ip.String())
		refuse(http.StatusTooManyRequests, "Too many failed logins from this address: try again in a minute.")
		return
	}
	if c, err := r.Cookie(loginCookie); err != nil || !hmac.Equal([]byte(c.Value), []byte(r.PostFormValue("csrf"))) {
		refuse(http.StatusForbidden, "This form has expired: log in again.")
		return
	}
	if len(s.tokens) == 0 || !s.validToken(token) {
		s.authFailures.Failed(ip, now)
		s.log.Warn("dashboard login refused", "request_id", w.Header().Get(headerRequestID), "remote_ip", ip.String())
		refuse(http.StatusUnauthorized, "That is not one of this server's API tokens (api_tokens in its configuration).")
		return
	}
	ss := session{key: sessionKeyOf(sha256.Sum256([]byte(token))), exp: strconv.FormatInt(now.Add(sessionTTL).Unix(), 10), id: randomToken()[:22]}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: ss.cookie(), Path: "/",
		MaxAge: int(sessionTTL.Seconds()), HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session for good: it is revoked in the store, so that
// its cookie is refused by every instance even if the browser keeps it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	ss, ok, err := s.readSession(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if ok {
		if !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(ss.csrf())) {
			s.renderError(w, r, kycgate.Errorf(kycgate.EFORBIDDEN, "this form has expired: reload the page and try again"))
			return
		}
		if err := s.store.RevokeSession(r.Context(), ss.id, ss.expiry(), s.now()); err != nil {
			s.renderError(w, r, err) // the session goes on: say so rather than pretend
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// secureCookie is true but for plain HTTP to a loopback address (kycgate
// demo, local development), where a browser may refuse a Secure cookie.
func secureCookie(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = strings.Trim(r.Host, "[]") // no port
	}
	if host == "localhost" {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err != nil || !a.IsLoopback()
}

// safeNext keeps a redirect after login on this site: a path of its own,
// with no scheme or host, and none of the characters a browser strips or
// reads as a slash (a tab, CR or LF anywhere, a backslash), which would
// turn "/\t/evil.example" into "//evil.example".
func safeNext(next string) string {
	bad := func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, bad) {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// render writes a page; a template error is written as an error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if csrf, ok := r.Context().Value(csrfKey{}).(string); ok {
		p.CSRF = csrf
	}
	p.Sources = s.sources
	var buf bytes.Buffer
	if err := s.dash.pages[name].Execute(&buf, p); err != nil {
		s.log.Error("render dashboard page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; see the server's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// errorData is what the error page shows.
type errorData struct {
	Status  int
	Heading string
	Message string
	Hint    string
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := s.errorStatus(w, r, err)
	d := errorData{Status: status, Heading: fmt.Sprintf("%d: something went wrong", status), Message: kycgate.ErrorMessage(err)}
	switch kycgate.ErrorCode(err) {
	case kycgate.EINVALID:
		d.Heading = "That request is not valid"
	case kycgate.EUNAVAILABLE:
		d.Heading = "The store is unreachable"
		d.Hint = "The store cannot be reached just now. kycgate keeps trying by itself; reload in a moment. GET /readyz tells when it is back."
	case kycgate.ENOTFOUND:
		d.Heading = "Not found"
		d.Hint = "It may have been erased, or the link is wrong. Search for it from the Verifications page."
	case kycgate.EUNAUTHORIZED, kycgate.EFORBIDDEN:
		d.Hint = "Log in again with one of the server's API tokens."
	}
	s.render(w, r, status, "error", page{Title: "Error", Data: d})
}
