package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
	"github.com/kycgate/kycgate/internal/fetch"
)

// Fetching is the live side of fetching from provider APIs.
type Fetching interface {
	Wake()
}

// providerFetch returns a verification's fetch job, or nil when there is none.
func (s *Server) providerFetch(ctx context.Context, source, id string) (*kycgate.Fetch, error) {
	f, err := s.store.FindFetch(ctx, source, id)
	if kycgate.ErrorCode(err) == kycgate.ENOTFOUND {
		return nil, nil
	}
	return f, err
}

// latestDocument returns the event of the newest document fetched from
// the provider's API among a verification's events, or nil.
func latestDocument(events []*kycgate.Event) *kycgate.Event {
	var latest *kycgate.Event
	for _, ev := range events {
		if ev.ProviderEvent == fetch.ProviderEvent && (latest == nil || ev.ReceivedAt.After(latest.ReceivedAt)) {
			latest = ev
		}
	}
	return latest
}

// source returns the configured source named name.
func (s *Server) source(name string) (SourceInfo, bool) {
	i := slices.IndexFunc(s.sources, func(src SourceInfo) bool { return src.Name == name })
	if i < 0 {
		return SourceInfo{}, false
	}
	return s.sources[i], true
}

// latestProviderData returns the newest document fetched for the
// verification whose events are events, or nil when none was.
func (s *Server) latestProviderData(ctx context.Context, events []*kycgate.Event) (*api.ProviderData, error) {
	latest := latestDocument(events)
	if latest == nil {
		return nil, nil
	}
	ev, err := s.reader.FindEvent(ctx, latest.ID)
	if err != nil {
		return nil, err
	}
	out := &api.ProviderData{EventID: ev.ID, FetchedAt: ev.ReceivedAt, Request: ev.Header.Get(fetch.HeaderFetchedFrom)}
	switch {
	case ev.Body == nil:
		out.Purged = true
	case json.Valid(ev.Body):
		out.Document = ev.Body
	default:
		out.Document, _ = json.Marshal(string(ev.Body))
	}
	return out, nil
}

// refresh asks for a verification's document to be fetched again now.
func (s *Server) refresh(r *http.Request) (*kycgate.Fetch, error) {
	source, id := r.PathValue("source"), r.PathValue("id")
	src, ok := s.source(source)
	if !ok {
		return nil, kycgate.Errorf(kycgate.ENOTFOUND, "no source named %q", source)
	}
	if !src.API {
		return nil, kycgate.Errorf(kycgate.ECONFLICT, "source %q has no api block: configure %s's API credentials to fetch from it (see docs/providers/%s.md)", source, src.Provider, src.Provider)
	}
	f, err := s.store.RequestFetch(r.Context(), source, id, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if s.fetching != nil {
		s.fetching.Wake()
	}
	return f, nil
}

func (s *Server) refreshVerification(w http.ResponseWriter, r *http.Request) error {
	f, err := s.refresh(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, f)
	return nil
}

func (s *Server) refreshForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.refresh(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/verifications/"+url.PathEscape(r.PathValue("source"))+"/"+url.PathEscape(r.PathValue("id"))+"?refreshed=1", http.StatusSeeOther)
	return nil
}
