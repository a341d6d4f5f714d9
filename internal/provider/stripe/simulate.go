package stripe

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays Stripe Identity: its journeys, signature and retry schedule,
// for the simulator. Stripe signs each delivery when it sends it, so the
// simulator signs with the time it builds the delivery at, which a
// receiver must get within Tolerance.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      func(r *rand.Rand) string { return "vs_" + stripeID(r) },
	// Stripe retries for up to three days with an exponential back-off.
	Retries: []time.Duration{5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
		12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set(HeaderSignature, SignatureHeader(time.Now(), d.Body, c.Secret))
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
			j.event("verified", "verified", "")
		}},
		"resubmission": {Want: kycgate.StatusResubmissionRequested, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
			j.event("requires_input", "requires_input", "selfie_face_mismatch")
		}},
		"retry_approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
			j.event("requires_input", "requires_input", "document_expired")
			j.event("processing", "processing", "")
			j.event("verified", "verified", "")
		}},
		"consent_declined": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("requires_input", "requires_input", "consent_declined")
		}},
		"canceled": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("canceled", "canceled", "")
		}},
		"failed_then_canceled": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
			j.event("requires_input", "requires_input", "id_number_mismatch")
			j.event("canceled", "canceled", "")
		}},
		"not_submitted": {Want: kycgate.StatusPending, Build: func(b *sim.Builder) {
			newSession(b)
		}},
		"processing": {Want: kycgate.StatusSubmitted, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
		}},
		"redacted": {Want: kycgate.StatusDeleted, Build: func(b *sim.Builder) {
			j := newSession(b)
			j.event("processing", "processing", "")
			j.event("verified", "verified", "")
			j.event("redacted", "verified", "")
		}},
	},
}

// lastErrors are the reasons Stripe gives with the codes the journeys use.
var lastErrors = map[string]string{
	"selfie_face_mismatch": "The provided images did not match.",
	"document_expired":     "The document is expired.",
	"id_number_mismatch":   "The information provided could not be verified.",
	"consent_declined":     "The user declined to be verified by Stripe.",
}

// simSession is one simulated VerificationSession: its events carry it as it
// is then.
type simSession struct {
	b       *sim.Builder
	created time.Time
}

// newSession starts a journey with identity.verification_session.created.
func newSession(b *sim.Builder) *simSession {
	j := &simSession{b: b}
	j.event("created", "requires_input", "")
	return j
}

// event adds an identity.verification_session.<name> event in the shape
// of Stripe's events, its session in status, failed with errorCode when set.
func (j *simSession) event(name, status, errorCode string) {
	b := j.b
	at := b.Next()
	if j.created.IsZero() {
		j.created = at
	}
	typ := "identity.verification_session." + name
	lastError, report, redaction := "null", "null", "null"
	if errorCode != "" {
		e, _ := json.Marshal(map[string]string{"code": errorCode, "reason": lastErrors[errorCode]})
		lastError = string(e)
	}
	if (name == "requires_input" && errorCode != "consent_declined") || status == "verified" {
		report = `"vr_` + b.VerificationID[3:] + `"`
	}
	if name == "redacted" {
		redaction = `{"status":"redacted"}`
	}
	body := fmt.Sprintf(`{
  "id": "evt_%s",
  "object": "event",
  "api_version": "2024-06-20",
  "created": %d,
  "data": {
    "object": {
      "id": "%s",
      "object": "identity.verification_session",
      "client_reference_id": "%s",
      "client_secret": null,
      "created": %d,
      "last_error": %s,
      "last_verification_report": %s,
      "livemode": false,
      "metadata": {},
      "options": {
        "document": {
          "require_matching_selfie": true
        }
      },
      "redaction": %s,
      "status": "%s",
      "type": "document",
      "url": null
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {
    "id": null,
    "idempotency_key": null
  },
  "type": "%s"
}`, stripeID(b.Rand), at.Unix(), b.VerificationID, b.User, j.created.Unix(), lastError, report, redaction, status, typ)
	b.Add(typ, []byte(body))
}

// stripeID is the random part of a Stripe object id: "1" and 23 letters
// and digits.
func stripeID(r *rand.Rand) string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 24)
	out[0] = '1'
	for i := 1; i < len(out); i++ {
		out[i] = chars[r.IntN(len(chars))]
	}
	return string(out)
}
