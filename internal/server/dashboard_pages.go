package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/delivery"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

var templateFuncs = template.FuncMap{
	"when": func(t any) string {
		if p, ok := t.(*time.Time); ok && p != nil {
			t = *p
		}
		if t, ok := t.(time.Time); ok && !t.IsZero() {
			return t.UTC().Format("2006-01-02 15:04:05")
		}
		return "–"
	},
	"pct":      func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"duration": humanDuration,
	"dash": func(s any) string {
		if v := fmt.Sprint(s); v != "" {
			return v
		}
		return "–"
	},
	"join": strings.Join,
	// words writes a code such as resubmission_requested so that it can
	// wrap: "resubmission requested"; "–" for none.
	"words": func(s any) string {
		if v := fmt.Sprint(s); v != "" {
			return strings.ReplaceAll(v, "_", " ")
		}
		return "–"
	},
	"dropoff": func(code string) string {
		if code == "" {
			return "–"
		}
		return kycgate.DropOffLabel(code)
	},
	"path":     url.PathEscape,
	"query":    url.QueryEscape,
	"provider": providerClass,
	"score": func(f *float64) string {
		if f == nil {
			return "–"
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	},
}

// providerColours is how many provider colours the stylesheet has
// (.p0 to .p11).
const providerColours = 12

// providerClass is a provider's colour class in the stylesheet.
func providerClass(p string) string {
	if i := slices.Index(providerOrder, p); i >= 0 {
		return "p" + strconv.Itoa(i%providerColours)
	}
	return "p-other"
}

// providerOrder is every provider kycgate supports, by name.
var providerOrder = registry.Names()

var decisionOrder = []kycgate.Decision{kycgate.DecisionApproved, kycgate.DecisionReviewNeeded, kycgate.DecisionResubmissionRequested, kycgate.DecisionDeclined}

// timeRange is one of the overview's periods: the funnel counts the
// verifications created since Since; the charts over time show Buckets
// buckets of Step each, ending now.
type timeRange struct {
	Name, Label string
	step        time.Duration
	buckets     int
	all         bool
}

var timeRanges = []timeRange{
	{Name: "24h", Label: "Last 24 hours", step: time.Hour, buckets: 24},
	{Name: "7d", Label: "Last 7 days", step: 24 * time.Hour, buckets: 7},
	{Name: "30d", Label: "Last 30 days", step: 24 * time.Hour, buckets: 30},
	{Name: "all", Label: "All time", step: 24 * time.Hour, buckets: 30, all: true},
}

// bucketStart is the start of the first bucket of r ending at now.
func (r timeRange) bucketStart(now time.Time) time.Time {
	return now.UTC().Truncate(r.step).Add(-time.Duration(r.buckets-1) * r.step)
}

type overviewData struct {
	Range      timeRange
	Ranges     []timeRange
	Funnel     *kycgate.Funnel
	Panels     []providerPanel
	Total      int
	Decided    int
	Approved   int
	Volume     template.HTML
	Approval   template.HTML
	ToDecision template.HTML
	Legend     template.HTML
	Decisions  template.HTML // legend of the decision colours
	LeftOut    []leftOut     // providers with decided verifications the time to decision leaves out
}

// leftOut is how many decided verifications of a provider have no time to
// decision.
type leftOut struct {
	Provider string
	Count    int
}

// providerPanel is one provider's funnel, decision mix and drop-off.
type providerPanel struct {
	Stats     kycgate.FunnelStats
	Class     string
	Funnel    template.HTML
	Decisions template.HTML
	DropOff   template.HTML
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	rng := timeRanges[1]
	if name := r.URL.Query().Get("range"); name != "" {
		i := slices.IndexFunc(timeRanges, func(t timeRange) bool { return t.Name == name })
		if i < 0 {
			return kycgate.Errorf(kycgate.EINVALID, "range %q is not one of 24h, 7d, 30d, all", name)
		}
		rng = timeRanges[i]
	}
	now := s.now()
	start := rng.bucketStart(now)
	q := kycgate.FunnelQuery{}
	if !rng.all {
		q.Since = start
	}
	f, err := s.store.Funnel(r.Context(), q)
	if err != nil {
		return err
	}
	d := overviewData{Range: rng, Ranges: timeRanges, Funnel: f}
	var providers []string
	for _, g := range f.Groups {
		d.Total += g.Total
		d.Decided += g.Stages[3].Count
		d.Approved += g.Decisions[kycgate.DecisionApproved]
		providers = append(providers, g.Group)
		d.Panels = append(d.Panels, newProviderPanel(g))
	}
	slices.SortFunc(d.Panels, func(a, b providerPanel) int { return strings.Compare(a.Class, b.Class) })
	if d.Total > 0 {
		if err := s.overTime(r, &d, start, providers); err != nil {
			return err
		}
		var bars []hbar
		for _, p := range d.Panels {
			if t := p.Stats.ToDecision; t != nil {
				name := p.Stats.Group
				if t.Clock == kycgate.ClockSent {
					name += " (send times)"
				}
				bars = append(bars,
					hbar{name + " p50", t.P50, humanDuration(t.P50), p.Class},
					hbar{name + " p90", t.P90, humanDuration(t.P90), p.Class + " light"},
					hbar{name + " p99", t.P99, humanDuration(t.P99), p.Class + " lighter"})
			}
			if n := p.Stats.ToDecisionLeftOut; n > 0 {
				d.LeftOut = append(d.LeftOut, leftOut{Provider: p.Stats.Group, Count: n})
			}
		}
		if len(bars) > 0 {
			d.ToDecision = hbars("time from creation to first decision per provider", panelW, bars)
		}
	}
	var ds []series
	for _, dec := range decisionOrder {
		ds = append(ds, series{Name: string(dec), Class: "d-" + string(dec)})
	}
	d.Decisions = legend(ds)
	s.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Data: d})
	return nil
}

// overTime fills the charts over time: one funnel per bucket, counted by
// the store.
func (s *Server) overTime(r *http.Request, d *overviewData, start time.Time, providers []string) error {
	slices.SortFunc(providers, func(a, b string) int { return strings.Compare(providerClass(a), providerClass(b)) })
	labels := make([]string, d.Range.buckets)
	volume := make([]series, len(providers))
	approval := make([]series, len(providers))
	for i, p := range providers {
		volume[i] = series{Name: p, Class: providerClass(p), Values: make([]float64, d.Range.buckets)}
		approval[i] = series{Name: p, Class: providerClass(p), Values: make([]float64, d.Range.buckets)}
	}
	for b := range d.Range.buckets {
		from := start.Add(time.Duration(b) * d.Range.step)
		if d.Range.step < 24*time.Hour {
			labels[b] = from.Format("15:04")
		} else {
			labels[b] = from.Format("Jan 2")
		}
		f, err := s.store.Funnel(r.Context(), kycgate.FunnelQuery{Since: from, Until: from.Add(d.Range.step)})
		if err != nil {
			return err
		}
		for i, p := range providers {
			approval[i].Values[b] = math.NaN()
			for _, g := range f.Groups {
				if g.Group != p {
					continue
				}
				volume[i].Values[b] = float64(g.Total)
				if decided := g.Stages[3].Count; decided > 0 {
					approval[i].Values[b] = float64(g.Decisions[kycgate.DecisionApproved]) / float64(decided)
				}
			}
		}
	}
	d.Volume = overTimeChart(func(w int) template.HTML {
		return stackedBars("verifications created per provider over time", w, labels, volume)
	})
	d.Approval = overTimeChart(func(w int) template.HTML {
		return lines("share of decided verifications approved, per provider over time", w, labels, approval)
	})
	d.Legend = legend(volume)
	return nil
}

func newProviderPanel(g kycgate.FunnelStats) providerPanel {
	p := providerPanel{Stats: g, Class: providerClass(g.Group)}
	var stages []hbar
	for i, st := range g.Stages {
		text := strconv.Itoa(st.Count)
		if i > 0 {
			text += fmt.Sprintf(" (%.0f%%)", 100*st.Conversion)
		}
		stages = append(stages, hbar{Label: string(st.Stage), Value: float64(st.Count), Text: text, Class: p.Class})
	}
	p.Funnel = hbars(g.Group+" funnel", panelW, stages)
	var ds []series
	for _, dec := range decisionOrder {
		ds = append(ds, series{Name: string(dec), Class: "d-" + string(dec), Values: []float64{float64(g.Decisions[dec])}})
	}
	p.Decisions = shareBar(g.Group+" decision mix", ds)
	if len(g.DropOff) > 0 {
		var bars []hbar
		for _, x := range g.DropOff {
			bars = append(bars, hbar{Label: x.Label, Value: float64(x.Count), Text: strconv.Itoa(x.Count), Class: "dropoff"})
		}
		p.DropOff = hbars(g.Group+" drop-off", panelW, bars)
	}
	return p
}

type verificationsData struct {
	Filter    url.Values
	Statuses  []kycgate.Status
	Providers []string
	Rows      []*kycgate.Verification
	Next      string // the query of the next page, "" on the last
}

func (s *Server) verificationsPage(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	f := kycgate.VerificationFilter{
		ID:             strings.TrimSpace(q.str("id")),
		Source:         q.str("source"),
		Provider:       q.str("provider"),
		Status:         oneOf(&q, "status", kycgate.Statuses),
		ExternalUserID: strings.TrimSpace(q.str("external_user_id")),
		Search:         strings.TrimSpace(q.str("q")),
		ByCreation:     true, // the order of the column people read
		Cursor:         q.str("cursor"),
		Limit:          q.limit(),
	}
	if v := q.str("since"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			q.fail("since", "%q is not a date such as 2026-11-22", v)
		}
		f.Since = t
	}
	if err := q.check(); err != nil {
		return err
	}
	vs, next, err := s.reader.ListVerifications(r.Context(), f)
	if err != nil {
		return err
	}
	d := verificationsData{Filter: r.URL.Query(), Statuses: kycgate.Statuses, Providers: providerOrder, Rows: vs, Next: nextPage(r, next)}
	s.render(w, r, http.StatusOK, "verifications", page{Title: "Verifications", Nav: "verifications", Data: d})
	return nil
}

type verificationData struct {
	V        *kycgate.Verification
	Timeline []timelineEntry
	Fetch    *kycgate.Fetch // fetching it from the provider's API; nil when never asked
	CanFetch bool           // its source has API credentials
	Document string         // the event holding the last fetched document
}

// timelineEntry is an event of a verification and its deliveries.
type timelineEntry struct {
	*kycgate.Event
	Effect     *kycgate.Effect // what it did; nil for an event kycgate could not read
	Deliveries []*kycgate.Delivery
}

func (s *Server) verificationPage(w http.ResponseWriter, r *http.Request) error {
	v, events, effects, err := s.verificationWithEvents(r)
	if err != nil {
		return err
	}
	d := verificationData{V: v}
	if d.Fetch, err = s.providerFetch(r.Context(), v.Source, v.ID); err != nil {
		return err
	}
	src, _ := s.source(v.Source)
	d.CanFetch = src.API && v.Status != kycgate.StatusDeleted
	if doc := latestDocument(events); doc != nil {
		d.Document = doc.ID
	}
	for _, ev := range events {
		ds, _, err := s.store.ListDeliveries(r.Context(), kycgate.DeliveryFilter{EventID: ev.ID, Limit: kycgate.MaxPageSize})
		if err != nil {
			return err
		}
		for i, dl := range ds {
			if dl.Attempts > 0 { // with its attempts
				if ds[i], err = s.store.FindDelivery(r.Context(), dl.ID); err != nil {
					return err
				}
			}
		}
		entry := timelineEntry{Event: ev, Deliveries: ds}
		if e, ok := effects[ev.ID]; ok {
			entry.Effect = &e
		}
		d.Timeline = append(d.Timeline, entry)
	}
	s.render(w, r, http.StatusOK, "verification", page{Title: "Verification " + v.ID, Nav: "verifications", Data: d})
	return nil
}

type eventData struct {
	E        *kycgate.Event
	Data     string // the canonical data, indented
	ShowRaw  bool
	Raw      string // the raw body, indented when it is JSON
	RawBytes int
	Headers  []string
}

// eventPage shows one event; its raw payload, which may hold personal
// data, only when asked for with ?raw=1.
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.reader.FindEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data, _ := json.MarshalIndent(ev.Data, "", "  ")
	d := eventData{E: ev, Data: string(data), ShowRaw: r.URL.Query().Get("raw") == "1", RawBytes: len(ev.Body)}
	if d.ShowRaw && ev.Body != nil {
		var out bytes.Buffer
		switch {
		case json.Indent(&out, ev.Body, "", "  ") == nil:
			d.Raw = out.String()
		case utf8.Valid(ev.Body):
			d.Raw = string(ev.Body)
		default:
			d.Raw = fmt.Sprintf("(%d bytes that are not text)", len(ev.Body))
		}
		for name, vs := range ev.Header {
			d.Headers = append(d.Headers, name+": "+strings.Join(vs, ", "))
		}
		slices.Sort(d.Headers)
	}
	s.render(w, r, http.StatusOK, "event", page{Title: "Event " + ev.ID, Nav: "verifications", Data: d})
	return nil
}

type userData struct {
	ID      string
	Rows    []*kycgate.Verification
	Exact   bool             // Rows are the user's; else, the verifications of users whose id starts with ID
	Summary []providerResult // the latest decision of each provider
	// Declined is the latest verification a provider declined, if any.
	Declined *kycgate.Verification
}

// providerResult is where one end user stands with one provider: the
// latest of their verifications there, and the latest with a decision.
type providerResult struct {
	Provider      string
	Verifications int
	Latest        *kycgate.Verification // the one updated last
	Decided       *kycgate.Verification // the one decided last; nil when none is
}

// summarize returns where the user stands with each provider, in the
// dashboard's order of providers, and the latest declined verification.
func summarize(vs []*kycgate.Verification) ([]providerResult, *kycgate.Verification) {
	var out []providerResult
	var declined *kycgate.Verification
	for _, v := range vs {
		i := slices.IndexFunc(out, func(p providerResult) bool { return p.Provider == v.Provider })
		if i < 0 {
			out = append(out, providerResult{Provider: v.Provider})
			i = len(out) - 1
		}
		p := &out[i]
		p.Verifications++
		if p.Latest == nil || v.UpdatedAt.After(p.Latest.UpdatedAt) {
			p.Latest = v
		}
		if v.DecidedAt != nil && (p.Decided == nil || v.DecidedAt.After(*p.Decided.DecidedAt)) {
			p.Decided = v
		}
		if v.Decision == kycgate.DecisionDeclined && v.DecidedAt != nil && (declined == nil || v.DecidedAt.After(*declined.DecidedAt)) {
			declined = v
		}
	}
	slices.SortFunc(out, func(a, b providerResult) int {
		return strings.Compare(providerClass(a.Provider)+a.Provider, providerClass(b.Provider)+b.Provider)
	})
	return out, declined
}

// userPage shows an end user's verifications across providers, with where
// they stand with each. An id that is no user's but starts some shows the
// verifications of those users.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("external_user_id")
	d := userData{ID: uid, Exact: true}
	vs, err := s.userVerifications(r, uid)
	if kycgate.ErrorCode(err) == kycgate.ENOTFOUND {
		d.Exact = false
		var found []*kycgate.Verification
		if found, _, err = s.reader.ListVerifications(r.Context(), kycgate.VerificationFilter{Search: uid, Limit: kycgate.MaxPageSize}); err == nil {
			vs = slices.DeleteFunc(found, func(v *kycgate.Verification) bool { return !strings.HasPrefix(v.ExternalUserID, uid) })
			if len(vs) == 0 {
				err = kycgate.Errorf(kycgate.ENOTFOUND, "no end user %q, and no end user whose id starts with it", uid)
			}
		}
	}
	if err != nil {
		return err
	}
	slices.SortStableFunc(vs, func(a, b *kycgate.Verification) int { return b.CreatedAt.Compare(a.CreatedAt) })
	d.Rows = vs
	if d.Exact {
		d.Summary, d.Declined = summarize(vs)
	}
	s.render(w, r, http.StatusOK, "user", page{Title: "User " + uid, Nav: "verifications", Data: d})
	return nil
}

type deliveriesData struct {
	Destinations []destinationRow
	Filter       url.Values
	States       []kycgate.DeliveryState
	Rows         []*kycgate.Delivery
	Next         string
}

// destinationRow is a destination's live state and its backlog.
type destinationRow struct {
	delivery.Status
	Pending, Dead int
}

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request) error {
	q := query{r: r}
	q.accept("retried", "enabled") // notices after a retry or an enable
	f := s.deliveryFilter(&q)
	if err := q.check(); err != nil {
		return err
	}
	filter := r.URL.Query()
	if !filter.Has("state") {
		f.State = kycgate.DeliveryDead // what needs a person first
		filter.Set("state", string(f.State))
	}
	ds, next, err := s.store.ListDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	counts, err := s.store.Counts(r.Context())
	if err != nil {
		return err
	}
	d := deliveriesData{Filter: filter, States: kycgate.DeliveryStates, Rows: ds, Next: nextPage(r, next)}
	if s.fwd != nil {
		for _, st := range s.fwd.Statuses() {
			row := destinationRow{Status: st}
			for _, c := range counts.Deliveries {
				if c.Destination != st.Name {
					continue
				}
				switch c.State {
				case kycgate.DeliveryPending:
					row.Pending = c.Count
				case kycgate.DeliveryDead:
					row.Dead = c.Count
				}
			}
			d.Destinations = append(d.Destinations, row)
		}
	}
	p := page{Title: "Deliveries", Nav: "deliveries", Data: d}
	if n := r.URL.Query().Get("retried"); n != "" {
		p.Notice = n + " deliveries will be sent again now."
		if n == "1" {
			p.Notice = "1 delivery will be sent again now."
		}
	}
	if name := r.URL.Query().Get("enabled"); name != "" {
		p.Notice = "Destination " + name + " is active again."
	}
	s.render(w, r, http.StatusOK, "deliveries", p)
	return nil
}

func (s *Server) retryDeliveryForm(w http.ResponseWriter, r *http.Request) error {
	n, err := s.retryOne(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("back"))
	http.Redirect(w, r, withQuery(back, "retried", strconv.Itoa(n)), http.StatusSeeOther)
	return nil
}

func (s *Server) retryDeliveriesForm(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("destination")
	if s.router == nil || !s.router.Has(name) {
		return kycgate.Errorf(kycgate.EINVALID, "no destination named %q", name)
	}
	n, err := s.retry(r, kycgate.DeliveryFilter{Destination: name, State: kycgate.DeliveryDead})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/deliveries?retried="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

func (s *Server) enableDestinationForm(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.enable(name); err != nil {
		return err
	}
	http.Redirect(w, r, "/deliveries?enabled="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// nextPage is the query of the page after this one, ending at cursor; ""
// on the last page.
func nextPage(r *http.Request, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", cursor)
	return q.Encode()
}

// withQuery adds key=value to the query of a local URL.
func withQuery(u, key, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.QueryEscape(key) + "=" + url.QueryEscape(value)
}
