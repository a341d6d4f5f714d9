package server

import (
	"net/http"
	"strconv"

	"github.com/kycgate/kycgate"
)

func (s *Server) funnel(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	fq := kycgate.FunnelQuery{
		Source:   q.str("source"),
		Provider: q.str("provider"),
		Flow:     q.str("flow"),
		Since:    q.time("since"),
		Until:    q.time("until"),
		GroupBy:  oneOf(&q, "group_by", kycgate.FunnelGroups),
		TopN:     q.intIn("top", 1, kycgate.MaxTopN),
	}
	if err := q.check(); err != nil {
		return err
	}
	f, err := s.store.Funnel(r.Context(), fq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// intIn reads an optional whole number from lo to hi; 0 when absent.
func (q *query) intIn(name string, lo, hi int) int {
	v := q.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.fail(name, "%q is not a number from %d to %d", v, lo, hi)
	}
	return n
}
