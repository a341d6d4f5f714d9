package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Ingest outcomes, as counted in kycgate_ingest_requests_total.
const (
	OutcomeAccepted        = "accepted"
	OutcomeDuplicate       = "duplicate"
	OutcomeUnauthenticated = "unauthenticated"
	OutcomeForbidden       = "forbidden"
	OutcomeTooLarge        = "too_large"
	OutcomeUnknownSource   = "unknown_source"
	OutcomeBadRequest      = "bad_request"
	OutcomeUnavailable     = "unavailable"
	OutcomeRateLimited     = "rate_limited"
)

// Metrics are ingest's Prometheus instruments.
type Metrics struct {
	requests   *prometheus.CounterVec
	flagged    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	batchSize  prometheus.Histogram
	commitTime prometheus.Histogram
	commitErrs prometheus.Counter
}

// NewMetrics creates ingest's instruments and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycgate_ingest_requests_total",
			Help: "Webhook requests by source, provider and outcome.",
		}, []string{"source", "provider", "outcome"}),
		flagged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycgate_ingest_flagged_total",
			Help: "Authentic events stored flagged, by source and flag (unparseable, unknown_event).",
		}, []string{"source", "provider", "flag"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kycgate_ingest_duration_seconds",
			Help:    "Time from request to durable acknowledgement, by source.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kycgate_ingest_commit_batch_events",
			Help:    "Events per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kycgate_ingest_commit_duration_seconds",
			Help:    "Time one group commit takes.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		commitErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kycgate_ingest_commit_errors_total",
			Help: "Group commits the store refused.",
		}),
	}
	reg.MustRegister(m.requests, m.flagged, m.latency, m.batchSize, m.commitTime, m.commitErrs)
	return m
}

func (m *Metrics) observeCommit(events int, took time.Duration, err error) {
	m.batchSize.Observe(float64(events))
	m.commitTime.Observe(took.Seconds())
	if err != nil {
		m.commitErrs.Inc()
	}
}
