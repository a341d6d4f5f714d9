package sqlstore

import (
	"fmt"

	"github.com/kycgate/kycgate"
)

// RebuildMarker, on a migration's first line, asks the store to rebuild
// every verification from its log once the migration is applied: the way a
// migration fills new columns that only Rebuild can compute.
const RebuildMarker = "-- kycgate: rebuild verifications"

// DecisionMicros is the time from v's creation to its first decision in
// microseconds, or nil (SQL NULL) when it has none or there is no provider
// time to measure it on (kycgate.ClockNone).
func DecisionMicros(v *kycgate.Verification) any {
	if v.FirstDecidedAt == nil || v.DecisionClock == kycgate.ClockNone {
		return nil
	}
	return v.FirstDecidedAt.Sub(v.CreatedAt).Microseconds()
}

// Query runs a read query; done closes its rows.
type Query func(query string, args ...any) (rows Rows, done func(), err error)

// Funnel counts the funnel of q with three grouped queries over the
// verifications table: stages and outcomes, the top drop-off labels, and
// the time-to-decision percentiles.
func Funnel(d Dialect, q kycgate.FunnelQuery, query Query) (*kycgate.Funnel, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	g := string(q.GroupBy) // one of four column names, checked by Validate
	where := func(extra string) *Where {
		w := NewWhere(d)
		w.Eq("source", q.Source)
		w.Eq("provider", q.Provider)
		w.Eq("flow", q.Flow)
		if !q.Since.IsZero() {
			w.Add("created_at >= ?", d.Time(q.Since))
		}
		if !q.Until.IsZero() {
			w.Add("created_at < ?", d.Time(q.Until))
		}
		if extra != "" {
			w.AddRaw(extra)
		}
		return w
	}
	f := &kycgate.Funnel{GroupBy: q.GroupBy, Groups: []kycgate.FunnelStats{}}
	groups := map[string]*kycgate.FunnelStats{}

	w := where("")
	err := each(query, `SELECT `+g+`, count(*),
		sum(CASE WHEN stage >= 1 THEN 1 ELSE 0 END), sum(CASE WHEN stage >= 2 THEN 1 ELSE 0 END),
		sum(CASE WHEN stage >= 3 THEN 1 ELSE 0 END),
		sum(CASE WHEN decision = 'approved' THEN 1 ELSE 0 END), sum(CASE WHEN decision = 'declined' THEN 1 ELSE 0 END),
		sum(CASE WHEN decision = 'review_needed' THEN 1 ELSE 0 END),
		sum(CASE WHEN decision = 'resubmission_requested' THEN 1 ELSE 0 END),
		sum(CASE WHEN status = 'abandoned' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'expired' THEN 1 ELSE 0 END),
		sum(CASE WHEN decision_clock = 'none' THEN 1 ELSE 0 END)
		FROM verifications`+w.SQL()+` GROUP BY `+g+` ORDER BY count(*) DESC, `+g, w.Args(), func(r Rows) error {
		var (
			s                                       = kycgate.FunnelStats{Stages: make([]kycgate.StageCount, len(kycgate.Stages)), DropOff: []kycgate.DropOffCount{}}
			started, submitted, decided             int
			approved, declined, review, resubmitted int
		)
		if err := r.Scan(&s.Group, &s.Total, &started, &submitted, &decided,
			&approved, &declined, &review, &resubmitted, &s.Abandoned, &s.Expired, &s.ToDecisionLeftOut); err != nil {
			return err
		}
		for i, n := range []int{s.Total, started, submitted, decided} {
			s.Stages[i] = kycgate.StageCount{Stage: kycgate.Stages[i], Count: n}
		}
		s.SetConversion()
		s.Decisions = map[kycgate.Decision]int{
			kycgate.DecisionApproved: approved, kycgate.DecisionDeclined: declined,
			kycgate.DecisionReviewNeeded: review, kycgate.DecisionResubmissionRequested: resubmitted,
		}
		f.Groups = append(f.Groups, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range f.Groups {
		groups[f.Groups[i].Group] = &f.Groups[i]
	}

	w = where("drop_off != ''")
	w.args = append(w.args, q.TopN)
	err = each(query, `SELECT g, drop_off, n FROM (
		SELECT `+g+` AS g, drop_off, count(*) AS n,
			row_number() OVER (PARTITION BY `+g+` ORDER BY count(*) DESC, drop_off) AS rn
		FROM verifications`+w.SQL()+` GROUP BY `+g+`, drop_off) ranked
		WHERE rn <= `+d.Placeholder(len(w.args))+` ORDER BY g, n DESC, drop_off`, w.Args(), func(r Rows) error {
		var group string
		var c kycgate.DropOffCount
		if err := r.Scan(&group, &c.Code, &c.Count); err != nil {
			return err
		}
		c.Label = kycgate.DropOffLabel(c.Code)
		if s := groups[group]; s != nil {
			s.DropOff = append(s.DropOff, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	w = where("decision_us IS NOT NULL")
	// max: "sent" sorts after "event", so a group with any send time says so.
	err = each(query, `SELECT g, rn, n, d, c FROM (
		SELECT `+g+` AS g, decision_us AS d, count(*) OVER (PARTITION BY `+g+`) AS n,
			row_number() OVER (PARTITION BY `+g+` ORDER BY decision_us) AS rn,
			max(decision_clock) OVER (PARTITION BY `+g+`) AS c
		FROM verifications`+w.SQL()+`) ranked
		WHERE rn IN ((n*50+99)/100, (n*90+99)/100, (n*99+99)/100)`, w.Args(), func(r Rows) error {
		var group string
		var rank, n int
		var micros int64
		var clock string
		if err := r.Scan(&group, &rank, &n, &micros, &clock); err != nil {
			return err
		}
		s := groups[group]
		if s == nil {
			return nil
		}
		if s.ToDecision == nil {
			s.ToDecision = &kycgate.DecisionDurations{Count: n, Clock: kycgate.Clock(clock)}
		}
		seconds := float64(micros) / 1e6
		// One row can be several percentiles when the group is small.
		if rank == kycgate.Rank(50, n) {
			s.ToDecision.P50 = seconds
		}
		if rank == kycgate.Rank(90, n) {
			s.ToDecision.P90 = seconds
		}
		if rank == kycgate.Rank(99, n) {
			s.ToDecision.P99 = seconds
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// each runs a query and calls scan for each row.
func each(query Query, sql string, args []any, scan func(Rows) error) error {
	rows, done, err := query(sql, args...)
	if err != nil {
		return err
	}
	defer done()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
	}
	return rows.Err()
}
