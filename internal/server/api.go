package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
)

// Reader is what the query API reads from the store.
type Reader interface {
	FindEvent(ctx context.Context, id string) (*kycgate.Event, error)
	ListEvents(ctx context.Context, f kycgate.EventFilter) ([]*kycgate.Event, string, error)
	FindVerification(ctx context.Context, source, id string) (*kycgate.Verification, error)
	ListVerifications(ctx context.Context, f kycgate.VerificationFilter) ([]*kycgate.Verification, string, error)
}

// apiRoute is one route of /api/v1. The OpenAPI document lists exactly these.
type apiRoute struct {
	method, pattern string
	handle          func(*Server, http.ResponseWriter, *http.Request) error
}

var apiRoutes = []apiRoute{
	{"GET", "/api/v1/verifications", (*Server).listVerifications},
	{"GET", "/api/v1/verifications/{source}/{id}", (*Server).getVerification},
	{"DELETE", "/api/v1/verifications/{source}/{id}", (*Server).deleteVerification},
	{"POST", "/api/v1/verifications/{source}/{id}/refresh", (*Server).refreshVerification},
	{"GET", "/api/v1/users/{external_user_id}", (*Server).getUser},
	{"GET", "/api/v1/events", (*Server).listEvents},
	{"GET", "/api/v1/events/{id}", (*Server).getEvent},
	{"POST", "/api/v1/events/{id}/replay", (*Server).replayEvent},
	{"GET", "/api/v1/deliveries", (*Server).listDeliveries},
	{"GET", "/api/v1/deliveries/{id}", (*Server).getDelivery},
	{"POST", "/api/v1/deliveries/{id}/retry", (*Server).retryDelivery},
	{"POST", "/api/v1/deliveries/retry", (*Server).retryDeliveries},
	{"GET", "/api/v1/destinations", (*Server).listDestinations},
	{"POST", "/api/v1/destinations/{name}/enable", (*Server).enableDestination},
	{"GET", "/api/v1/stats/funnel", (*Server).funnel},
}

func (s *Server) routeAPI(mux *http.ServeMux) {
	for _, r := range apiRoutes {
		mux.HandleFunc(r.method+" "+r.pattern, s.authenticated(r.handle))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, kycgate.Errorf(kycgate.ENOTFOUND, "no API route for %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	})
}

// authenticated requires one of the configured API tokens as a bearer token.
func (s *Server) authenticated(h func(*Server, http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.limitFailures(r, s.checkToken); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kycgate"`)
			s.writeError(w, r, err)
			return
		}
		if err := h(s, w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) checkToken(r *http.Request) error {
	if len(s.tokens) == 0 {
		return kycgate.Errorf(kycgate.EUNAUTHORIZED, "the API is closed: no api_tokens are configured")
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return kycgate.Errorf(kycgate.EUNAUTHORIZED, "missing bearer token (Authorization: Bearer TOKEN)")
	}
	if !s.validToken(token) {
		return kycgate.Errorf(kycgate.EUNAUTHORIZED, "the bearer token is not valid")
	}
	return nil
}

// validToken reports whether token is one of the configured API tokens, in
// constant time.
func (s *Server) validToken(token string) bool {
	got := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range s.tokens {
		match |= subtle.ConstantTimeCompare(got[:], t[:])
	}
	return match == 1
}

func (s *Server) listVerifications(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	f := kycgate.VerificationFilter{
		Source:         q.str("source"),
		Provider:       q.str("provider"),
		Status:         oneOf(&q, "status", kycgate.Statuses),
		ExternalUserID: q.str("external_user_id"),
		Search:         q.str("q"),
		Since:          q.time("since"),
		Cursor:         q.str("cursor"),
		Limit:          q.limit(),
	}
	if err := q.check(); err != nil {
		return err
	}
	vs, next, err := s.reader.ListVerifications(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.List[*kycgate.Verification]{Data: nonNil(vs), NextCursor: next})
	return nil
}

func (s *Server) getVerification(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	include := oneOf(&q, "include", []string{"provider_data"})
	if err := q.check(); err != nil {
		return err
	}
	// The fetch job first: a fetch it says is done stored its document
	// before, so the verification read next reflects it.
	fetch, err := s.providerFetch(r.Context(), r.PathValue("source"), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, events, effects, err := s.verificationWithEvents(r)
	if err != nil {
		return err
	}
	out := api.VerificationWithTimeline{Verification: v, Timeline: make([]api.Event, len(events)), ProviderFetch: fetch}
	for i, ev := range events {
		out.Timeline[i] = api.NewEvent(ev, false)
		if e, ok := effects[ev.ID]; ok {
			out.Timeline[i].Effect = api.NewEffect(e)
		}
	}
	if include == "provider_data" {
		if out.ProviderData, err = s.latestProviderData(r.Context(), events); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// verificationWithEvents returns the verification the request's path names
// and its events in the order they apply.
func (s *Server) verificationWithEvents(r *http.Request) (*kycgate.Verification, []*kycgate.Event, map[string]kycgate.Effect, error) {
	source, id := r.PathValue("source"), r.PathValue("id")
	v, err := s.reader.FindVerification(r.Context(), source, id)
	if err != nil {
		return nil, nil, nil, err
	}
	var events []*kycgate.Event
	for cursor := ""; ; {
		page, next, err := s.reader.ListEvents(r.Context(), kycgate.EventFilter{Source: source, VerificationID: id, Cursor: cursor, Limit: kycgate.MaxPageSize})
		if err != nil {
			return nil, nil, nil, err
		}
		events = append(events, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	return v, events, timeline(v, events), nil
}

// timeline returns what each event did to v, and orders events as they
// apply; events kycgate could not read come last, by arrival.
func timeline(v *kycgate.Verification, events []*kycgate.Event) map[string]kycgate.Effect {
	var log []kycgate.LogEntry
	for _, ev := range events {
		if ev.Type != "" {
			log = append(log, ev.LogEntry())
		}
	}
	_, effects := kycgate.Replay(v.Source, v.Provider, v.ID, log)
	byID := make(map[string]kycgate.Effect, len(effects))
	pos := make(map[string]int, len(effects))
	for i, e := range effects {
		byID[e.EventID], pos[e.EventID] = e, i
	}
	slices.SortStableFunc(events, func(a, b *kycgate.Event) int {
		pa, oka := pos[a.ID]
		pb, okb := pos[b.ID]
		switch {
		case oka && okb:
			return cmp.Compare(pa, pb)
		case oka != okb:
			return cmp.Compare(b2i(!oka), b2i(!okb))
		}
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), a.ReceivedAt.Compare(b.ReceivedAt))
	})
	return byID
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ErasureEvent is the provider event name of an erasure requested through
// the API.
const ErasureEvent = "kycgate.erasure_requested"

// deleteVerification erases a verification's personal data at the
// company's request: it records a verification.deleted event, so that the
// verification stays a function of its log, ends as a tombstone, and has its
// raw bodies and metadata purged. The deletion is forwarded like any event.
func (s *Server) deleteVerification(w http.ResponseWriter, r *http.Request) error {
	source, id := r.PathValue("source"), r.PathValue("id")
	v, err := s.reader.FindVerification(r.Context(), source, id)
	if err != nil {
		return err
	}
	if v.Status != kycgate.StatusDeleted {
		now := s.now().UTC()
		// After every provider event, even one stamped ahead of this clock.
		at := now
		if !v.LastEventAt.Before(at) {
			at = v.LastEventAt.Add(time.Microsecond)
		}
		ev := &kycgate.Event{
			ID: kycgate.NewID("evt", now), Source: source, Provider: v.Provider,
			Identity:   kycgate.Identity{ProviderEvent: ErasureEvent, VerificationID: id, OccurredAt: at, DedupKey: "erasure|" + id},
			Type:       kycgate.EventDeleted,
			ReceivedAt: now, Header: http.Header{},
		}
		if s.recorder == nil {
			return kycgate.Errorf(kycgate.EUNAVAILABLE, "this server records no events")
		}
		if _, err := s.recorder.Record(r.Context(), ev); err != nil {
			return err
		}
		s.notify()
		if v, err = s.reader.FindVerification(r.Context(), source, id); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("external_user_id")
	all, err := s.userVerifications(r, uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.User{ExternalUserID: uid, Verifications: all})
	return nil
}

// userVerifications returns every verification of one end user, or
// ENOTFOUND when there is none.
func (s *Server) userVerifications(r *http.Request, uid string) ([]*kycgate.Verification, error) {
	var all []*kycgate.Verification
	for cursor := ""; ; {
		vs, next, err := s.reader.ListVerifications(r.Context(), kycgate.VerificationFilter{ExternalUserID: uid, Cursor: cursor, Limit: kycgate.MaxPageSize})
		if err != nil {
			return nil, err
		}
		all = append(all, vs...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) == 0 {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "no verification of external user %q", uid)
	}
	return all, nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	f := kycgate.EventFilter{
		Source:         q.str("source"),
		Provider:       q.str("provider"),
		VerificationID: q.str("verification_id"),
		Type:           oneOf(&q, "type", kycgate.EventTypes),
		Flag:           oneOf(&q, "flag", []kycgate.Flag{kycgate.FlagUnparseable, kycgate.FlagUnknownEvent, kycgate.FlagAltered, kycgate.FlagUnstorable}),
		Flagged:        q.bool("flagged"),
		Since:          q.time("since"),
		Cursor:         q.str("cursor"),
		Limit:          q.limit(),
	}
	if err := q.check(); err != nil {
		return err
	}
	evs, next, err := s.reader.ListEvents(r.Context(), f)
	if err != nil {
		return err
	}
	out := api.List[api.Event]{Data: make([]api.Event, len(evs)), NextCursor: next}
	for i, ev := range evs {
		out.Data[i] = api.NewEvent(ev, false)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.reader.FindEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.NewEvent(ev, true))
	return nil
}

// query reads and validates query parameters; the first problem is kept,
// and check names any parameter that was not read.
type query struct {
	r    *http.Request
	err  error
	read []string // the parameters the handler reads, in order
}

func (q *query) str(name string) string {
	if !slices.Contains(q.read, name) {
		q.read = append(q.read, name)
	}
	return q.r.URL.Query().Get(name)
}

func (q *query) fail(name, format string, args ...any) {
	if q.err == nil {
		q.err = kycgate.Errorf(kycgate.EINVALID, "query parameter %s: "+format, append([]any{name}, args...)...)
	}
}

func oneOf[T ~string](q *query, name string, allowed []T) T {
	v := q.str(name)
	if v == "" || slices.Contains(allowed, T(v)) {
		return T(v)
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	q.fail(name, "%q is not one of %s", v, strings.Join(names, ", "))
	return ""
}

func (q *query) time(name string) time.Time {
	v := q.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail(name, "%q is not an RFC 3339 time such as 2026-11-22T10:00:00Z", v)
	}
	return t
}

func (q *query) bool(name string) bool {
	v := q.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail(name, "%q is not true or false", v)
	}
	return b
}

func (q *query) limit() int { return q.intIn("limit", 1, kycgate.MaxPageSize) }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
