package metamap

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays MetaMap: its journeys, signature and retry schedule, for the simulator.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      func(r *rand.Rand) string { return sim.HexID(r, 24) },
	Retries:    []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute, 7 * time.Minute, 10 * time.Minute},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set(HeaderSignature, Sign(c.Secret, d.Body).Get(HeaderSignature))
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			metamapFlow(b, "")
			metamapDecision(b, "verification_completed", "verified", "verified")
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.fraudAttempt","message":"Document is considered as fraud attempt"}`)
			metamapDecision(b, "verification_completed", "rejected", "rejected")
		}},
		"review_needed": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.negligence","message":"Document is considered as negligence"}`)
			metamapDecision(b, "verification_completed", "reviewNeeded", "reviewNeeded")
		}},
		"review": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.negligence","message":"Document is considered as negligence"}`)
			metamapDecision(b, "verification_completed", "reviewNeeded", "reviewNeeded")
			metamapDecision(b, "verification_updated", "reviewNeeded", "verified")
		}},
		"post_decision_update": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			metamapFlow(b, "")
			metamapDecision(b, "verification_completed", "verified", "verified")
			metamapDecision(b, "verification_updated", "verified", "rejected")
		}},
		"postponed": {Want: kycgate.StatusOnHold, Build: func(b *sim.Builder) {
			metamapEvent(b, "verification_started", "")
			metamapEvent(b, "verification_inputs_completed", "")
			metamapEvent(b, "verification_postponed", "")
		}},
		"abandoned": {Want: kycgate.StatusInProgress, Build: func(b *sim.Builder) {
			metamapEvent(b, "verification_started", "")
			metamapStep(b, "liveness", "")
		}},
		"expired": {Want: kycgate.StatusExpired, Build: func(b *sim.Builder) {
			metamapEvent(b, "verification_started", "")
			metamapEvent(b, "verification_expired", "")
		}},
	},
}

func metamapResource(b *sim.Builder) string {
	return "https://api.prod.com/v2/verifications/" + b.VerificationID
}

func metamapEvent(b *sim.Builder, event, extra string) {
	at := b.Next()
	body := fmt.Sprintf(`{"resource":"%s","eventName":"%s","flowId":"68d2ec723dda50f591db64f8"%s,"metadata":{"userId":"%s"},"timestamp":"%s"}`,
		metamapResource(b), event, extra, b.User, at.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.Add(event, []byte(body))
}

func metamapStep(b *sim.Builder, id, stepError string) {
	if stepError == "" {
		stepError = "null"
	}
	metamapEvent(b, "step_completed", fmt.Sprintf(`,"step":{"status":200,"id":"%s","error":%s,"documentType":"national-id"}`, id, stepError))
}

// metamapFlow is a user going through the flow: start, steps, inputs in.
func metamapFlow(b *sim.Builder, alterationError string) {
	metamapEvent(b, "verification_started", "")
	metamapStep(b, "document-reading", "")
	metamapStep(b, "alteration-detection", alterationError)
	metamapStep(b, "liveness", "")
	metamapStep(b, "facematch", "")
	metamapEvent(b, "verification_inputs_completed", "")
}

// metamapDecision adds verification_completed or verification_updated: status
// is the one MetaMap first assigned, identityStatus the current one.
func metamapDecision(b *sim.Builder, event, status, identityStatus string) {
	metamapEvent(b, event, fmt.Sprintf(`,"identityStatus":"%s","status":"%s","matiDashboardUrl":"https://dashboard.com/identities/%s","deviceFingerprint":{"ua":"Mozilla/5.0","ip":"181.199.146.54"},"details":{"age":{"data":%d}}`,
		identityStatus, status, b.VerificationID, 18+b.Rand.IntN(60)))
}
