package veriff

import (
	"fmt"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Retries is Veriff's retry schedule: about once an hour for up to seven
// days after a delivery that was not answered 200.
var Retries = hourly(7 * 24)

func hourly(n int) []time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = time.Hour
	}
	return d
}

// simAPIKey is the X-AUTH-CLIENT the simulator sends; kycgate does not
// read it, the signature authenticates.
const simAPIKey = "00000000-0000-4000-a000-00000000beef"

// Play plays Veriff: its journeys, signature and retry schedule, for the
// simulator.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      sim.UUID,
	Retries:    Retries,
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		for k, v := range Sign(simAPIKey, c.Secret, d.Body) {
			d.Header[k] = v
		}
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "approved", 9001, "", 0)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "declined", 9102, "Suspected document tampering", 102)
		}},
		"resubmission": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			decision(b, flow(b), "resubmission_requested", 9103, "Poor image quality", 201)
			decision(b, flow(b), "approved", 9001, "", 0)
		}},
		"resubmission_decisions_only": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			// An integration without the (optional) event webhook.
			decision(b, sim.UUID(b.Rand), "resubmission_requested", 9103, "Document not fully visible", 204)
			decision(b, sim.UUID(b.Rand), "declined", 9102, "Suspected document tampering", 102)
		}},
		"resubmission_requested": {Want: kycgate.StatusResubmissionRequested, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "resubmission_requested", 9103, "Document not fully visible", 204)
		}},
		"review": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "review", 9121, "", 0)
		}},
		"reviewed": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "review", 9121, "", 0)
			decision(b, a, "declined", 9102, "Known fraud", 106)
		}},
		"abandoned": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			a := sim.UUID(b.Rand)
			event(b, a, "started", 7001)
			decision(b, a, "abandoned", 9104, "", 0)
		}},
		"expired": {Want: kycgate.StatusExpired, Build: func(b *sim.Builder) {
			decision(b, sim.UUID(b.Rand), "expired", 9104, "", 0)
		}},
		"watchlist_hit": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "approved", 9001, "", 0)
			screening(b, a, "updated_result", "possible_match", 1)
		}},
		"watchlist_clear": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			a := flow(b)
			decision(b, a, "approved", 9001, "", 0)
			screening(b, a, "initial_result", "no_match", 0)
		}},
	},
}

// flow is a user starting and submitting an attempt, as the event webhook
// reports it; it returns the attempt's id.
func flow(b *sim.Builder) string {
	a := sim.UUID(b.Rand)
	event(b, a, "started", 7001)
	event(b, a, "submitted", 7002)
	return a
}

func event(b *sim.Builder, attempt, action string, code int) {
	b.Next()
	body := fmt.Sprintf(`{"id":"%s","attemptId":"%s","feature":"selfid","code":%d,"action":"%s","vendorData":"%s","endUserId":null}`,
		b.VerificationID, attempt, code, action, b.User)
	b.Add(action, []byte(body))
}

func decision(b *sim.Builder, attempt, status string, code int, reason string, reasonCode int) {
	at := b.Next()
	reasonJSON, reasonCodeJSON := "null", "null"
	if reason != "" {
		reasonJSON, reasonCodeJSON = fmt.Sprintf("%q", reason), fmt.Sprint(reasonCode)
	}
	body := fmt.Sprintf(`{"status":"success","verification":{"id":"%s","attemptId":"%s","vendorData":"%s","endUserId":null,"status":"%s","code":%d,"reason":%s,"reasonCode":%s,"decisionTime":"%s","acceptanceTime":"%s","person":{"firstName":"JANE","lastName":"DOE","dateOfBirth":"1990-04-12","idNumber":null},"document":{"type":"PASSPORT","number":"C01X00T47","country":"DE","validUntil":"2031-04-20"},"riskLabels":[]},"technicalData":{"ip":"186.153.67.122"}}`,
		b.VerificationID, attempt, b.User, status, code, reasonJSON, reasonCodeJSON,
		at.UTC().Format("2006-01-02T15:04:05.000Z"), at.Add(-10*time.Minute).UTC().Format("2006-01-02T15:04:05.000Z"))
	b.Add(status, []byte(body))
}

func screening(b *sim.Builder, attempt, checkType, matchStatus string, hits int) {
	at := b.Next()
	hitsJSON := "[]"
	if hits > 0 {
		hitsJSON = `[{"matchedName":"JANE DOE","countries":["DE"],"dateOfBirth":"1990","dateOfDeath":null,"matchTypes":["name_exact"],"aka":[],"associates":[],"listingsRelatedToMatch":{"warnings":[],"sanctions":[{"sourceName":"EU Consolidated List","sourceUrl":"https://example.org/eu","date":null}],"fitnessProbity":[],"pep":[],"adverseMedia":[]}}]`
	}
	body := fmt.Sprintf(`{"checkType":"%s","attemptId":"%s","sessionId":"%s","vendorData":"%s","endUserId":null,"matchStatus":"%s","searchTerm":{"name":"Jane Doe","year":"1990"},"totalHits":%d,"createdAt":"%s","hits":%s}`,
		checkType, attempt, b.VerificationID, b.User, matchStatus, hits, at.UTC().Format("2006-01-02T15:04:05.000Z"), hitsJSON)
	b.Add(checkType, []byte(body))
}
