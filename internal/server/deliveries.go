package server

import (
	"net/http"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
	"github.com/kycgate/kycgate/internal/delivery"
)

func (s *Server) deliveryFilter(q *query) kycgate.DeliveryFilter {
	f := kycgate.DeliveryFilter{
		Destination: q.str("destination"),
		State:       oneOf(q, "state", kycgate.DeliveryStates),
		EventID:     q.str("event_id"),
		Cursor:      q.str("cursor"),
		Limit:       q.limit(),
	}
	if f.Destination != "" && (s.router == nil || !s.router.Has(f.Destination)) {
		q.fail("destination", "no destination named %q", f.Destination)
	}
	return f
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	f := s.deliveryFilter(&q)
	if err := q.check(); err != nil {
		return err
	}
	ds, next, err := s.store.ListDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.List[*kycgate.Delivery]{Data: nonNil(ds), NextCursor: next})
	return nil
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.FindDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// retryDelivery sends a dead (or waiting) delivery again now, with a fresh
// count of attempts.
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	n, err := s.retryOne(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Retried{Retried: n})
	return nil
}

// retryOne makes one dead or waiting delivery due now; a delivered one is
// a conflict.
func (s *Server) retryOne(r *http.Request, id string) (int, error) {
	d, err := s.store.FindDelivery(r.Context(), id)
	if err != nil {
		return 0, err
	}
	if d.State == kycgate.DeliveryDelivered {
		return 0, kycgate.Errorf(kycgate.ECONFLICT, "delivery %s was delivered; to send the event again, replay it: POST /api/v1/events/%s/replay", d.ID, d.EventID)
	}
	return s.retry(r, kycgate.DeliveryFilter{ID: d.ID})
}

// retry makes the deliveries matching f due now and wakes the workers.
func (s *Server) retry(r *http.Request, f kycgate.DeliveryFilter) (int, error) {
	n, err := s.store.RetryDeliveries(r.Context(), f, s.now())
	if err != nil {
		return 0, err
	}
	s.notify()
	return n, nil
}

// retryDeliveries retries in bulk: by default a destination's dead letters.
func (s *Server) retryDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	f := s.deliveryFilter(&q)
	if err := q.check(); err != nil {
		return err
	}
	if f.Destination == "" {
		return kycgate.Errorf(kycgate.EINVALID, "query parameter destination: required, e.g. ?destination=my-app&state=dead")
	}
	if f.State == "" {
		f.State = kycgate.DeliveryDead
	}
	n, err := s.retry(r, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Retried{Retried: n})
	return nil
}

// replayEvent delivers a stored event again: to ?destination=NAME, or to
// every destination whose filter takes it.
func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.reader.FindEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.router == nil || s.router.Empty() {
		return kycgate.Errorf(kycgate.EUNPROCESSABLE, "no destinations are configured: add one under destinations in the configuration (docs/delivery.md)")
	}
	var dests []string
	if name := r.URL.Query().Get("destination"); name != "" {
		if !s.router.Has(name) {
			return kycgate.Errorf(kycgate.EINVALID, "query parameter destination: no destination named %q", name)
		}
		dests = []string{name}
	} else if dests = s.router.Route(ev.Type, ev.Provider, ev.Source); len(dests) == 0 {
		return kycgate.Errorf(kycgate.EUNPROCESSABLE, "no destination's filter takes event %s; name one with ?destination=", ev.ID)
	}
	ds, err := s.store.ReplayEvent(r.Context(), ev.ID, dests, s.now())
	if err != nil {
		return err
	}
	s.notify()
	writeJSON(w, http.StatusAccepted, api.List[*kycgate.Delivery]{Data: nonNil(ds)})
	return nil
}

func (s *Server) listDestinations(w http.ResponseWriter, r *http.Request) error {
	var st []delivery.Status
	if s.fwd != nil {
		st = s.fwd.Statuses()
	}
	writeJSON(w, http.StatusOK, api.List[delivery.Status]{Data: nonNil(st)})
	return nil
}

func (s *Server) enableDestination(w http.ResponseWriter, r *http.Request) error {
	if err := s.enable(r.PathValue("name")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "enabled"})
	return nil
}

// enable resumes a destination paused by its circuit breaker or disabled
// by a 410.
func (s *Server) enable(name string) error {
	if s.fwd == nil {
		return kycgate.Errorf(kycgate.ENOTFOUND, "no destinations are configured")
	}
	return s.fwd.Enable(name)
}

func (s *Server) notify() {
	if s.fwd != nil {
		s.fwd.Notify()
	}
}
