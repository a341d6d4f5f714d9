package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate"
)

// Counter returns the store's totals.
type Counter interface {
	Counts(ctx context.Context) (kycgate.Counts, error)
}

// StateCollector exports the store's totals at each scrape: verifications
// by provider and status, the deliveries waiting or dead-lettered, with
// the age of the oldest (the delivery lag), and the provider fetches by state.
type StateCollector struct {
	store   Counter
	now     func() time.Time
	verifs  *prometheus.Desc
	backlog *prometheus.Desc
	lag     *prometheus.Desc
	up      *prometheus.Desc
	fetches *prometheus.Desc
}

// NewStateCollector returns a collector over store; now is its clock for the
// delivery lag (nil for the wall clock).
func NewStateCollector(store Counter, now func() time.Time) *StateCollector {
	return &StateCollector{
		store:   store,
		now:     clock(now),
		verifs:  prometheus.NewDesc("kycgate_verifications", "Verifications by provider and status.", []string{"provider", "status"}, nil),
		backlog: prometheus.NewDesc("kycgate_deliveries", "Deliveries not yet delivered, by destination and state (pending, dead).", []string{"destination", "state"}, nil),
		lag:     prometheus.NewDesc("kycgate_delivery_oldest_seconds", "Age of the oldest delivery in a state, by destination.", []string{"destination", "state"}, nil),
		up:      prometheus.NewDesc("kycgate_store_up", "1 when the store answered the last scrape.", nil, nil),
		fetches: prometheus.NewDesc("kycgate_provider_fetch_jobs", "Verifications to fetch from their provider's API, by source and state (pending, done, failed).", []string{"source", "state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.verifs
	ch <- c.backlog
	ch <- c.lag
	ch <- c.up
	ch <- c.fetches
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.store.Counts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, v := range counts.Verifications {
		ch <- prometheus.MustNewConstMetric(c.verifs, prometheus.GaugeValue, float64(v.Count), v.Provider, string(v.Status))
	}
	now := c.now()
	for _, d := range counts.Deliveries {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(d.Count), d.Destination, string(d.State))
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, now.Sub(d.Oldest).Seconds(), d.Destination, string(d.State))
	}
	for _, f := range counts.Fetches {
		ch <- prometheus.MustNewConstMetric(c.fetches, prometheus.GaugeValue, float64(f.Count), f.Source, string(f.State))
	}
}
