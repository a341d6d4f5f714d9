package delivery

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kycgate/kycgate"
)

type metrics struct {
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	circuit  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycgate_delivery_attempts_total",
			Help: "Delivery attempts by destination and outcome (delivered, retry, dead).",
		}, []string{"destination", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kycgate_delivery_duration_seconds",
			Help:    "Time one delivery attempt takes, by destination.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"destination"}),
		circuit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kycgate_delivery_circuit_open",
			Help: "1 while a destination that kept failing is paused and probed.",
		}, []string{"destination"}),
	}
	if reg != nil {
		reg.MustRegister(m.attempts, m.latency, m.circuit)
	}
	return m
}

func (m *metrics) observe(dest string, state kycgate.DeliveryState, res Result, took time.Duration) {
	outcome := "retry"
	switch state {
	case kycgate.DeliveryDelivered:
		outcome = "delivered"
	case kycgate.DeliveryDead:
		outcome = "dead"
	}
	m.attempts.WithLabelValues(dest, outcome).Inc()
	m.latency.WithLabelValues(dest).Observe(took.Seconds())
}
