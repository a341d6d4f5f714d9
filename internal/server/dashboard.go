package server

import (
	"bytes"
	"context"
	"crypto/hmac"
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
		key, exp, ok := s.sessionKey(r)
		if !ok {
			if r.Method != http.MethodGet {
				s.renderError(w, r, kycgate.Errorf(kycgate.EUNAUTHORIZED, "your session has ended: log in again"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		csrf := sign(key, "form", exp) // tied to this session
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(csrf)) {
			s.renderError(w, r, kycgate.Errorf(kycgate.EFORBIDDEN, "this form has expired: reload the page and try again"))
			return
		}
		ctx := context.WithValue(r.Context(), csrfKey{}, csrf)
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

// sessionKey returns the key and the expiry of the request's valid,
// unexpired session.
func (s *Server) sessionKey(r *http.Request) (key []byte, exp string, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, "", false
	}
	exp, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil, "", false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || s.now().Unix() > unix {
		return nil, "", false
	}
	for _, key := range s.sessionKeys() {
		if hmac.Equal([]byte(sign(key, "session", exp)), []byte(mac)) {
			return key, exp, true
		}
	}
	return nil, "", false
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: loginData{Next: safeNext(r.URL.Query().Get("next")), Closed: len(s.tokens) == 0}})
}

type loginData struct {
	Next   string
	Error  string
	Closed bool // no api_tokens are configured
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token, next := strings.TrimSpace(r.PostFormValue("token")), safeNext(r.PostFormValue("next"))
	if len(s.tokens) == 0 || !s.validToken(token) {
		s.log.Warn("dashboard login refused", "request_id", w.Header().Get(headerRequestID), "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "login", page{Title: "Log in", Data: loginData{
			Next: next, Closed: len(s.tokens) == 0,
			Error: "That is not one of this server's API tokens (api_tokens in its configuration).",
		}})
		return
	}
	exp := strconv.FormatInt(s.now().Add(sessionTTL).Unix(), 10)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: exp + "." + sign(sessionKeyOf(sha256.Sum256([]byte(token))), "session", exp), Path: "/",
		MaxAge: int(sessionTTL.Seconds()), HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
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

// safeNext keeps a redirect after login on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
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
