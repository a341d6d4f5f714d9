package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/metamap"
)

var metamapSim = providerSim{
	newID:   func(r *rand.Rand) string { return hexID(r, 24) },
	retries: []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute, 7 * time.Minute, 10 * time.Minute},
	sign: func(c Credentials, d *Delivery) error {
		d.Header.Set(metamap.HeaderSignature, metamap.Sign(c.Secret, d.Body).Get(metamap.HeaderSignature))
		return nil
	},
	scenarios: map[string]scenario{
		"approved": {kycgate.StatusApproved, func(b *journeyBuilder) {
			metamapFlow(b, "")
			metamapDecision(b, "verification_completed", "verified", "verified")
		}},
		"declined": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.fraudAttempt","message":"Document is considered as fraud attempt"}`)
			metamapDecision(b, "verification_completed", "rejected", "rejected")
		}},
		"review_needed": {kycgate.StatusReviewNeeded, func(b *journeyBuilder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.negligence","message":"Document is considered as negligence"}`)
			metamapDecision(b, "verification_completed", "reviewNeeded", "reviewNeeded")
		}},
		"review": {kycgate.StatusApproved, func(b *journeyBuilder) {
			metamapFlow(b, `{"type":"StepError","code":"alterationDetection.negligence","message":"Document is considered as negligence"}`)
			metamapDecision(b, "verification_completed", "reviewNeeded", "reviewNeeded")
			metamapDecision(b, "verification_updated", "reviewNeeded", "verified")
		}},
		"post_decision_update": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			metamapFlow(b, "")
			metamapDecision(b, "verification_completed", "verified", "verified")
			metamapDecision(b, "verification_updated", "verified", "rejected")
		}},
		"postponed": {kycgate.StatusOnHold, func(b *journeyBuilder) {
			metamapEvent(b, "verification_started", "")
			metamapEvent(b, "verification_inputs_completed", "")
			metamapEvent(b, "verification_postponed", "")
		}},
		"abandoned": {kycgate.StatusInProgress, func(b *journeyBuilder) {
			metamapEvent(b, "verification_started", "")
			metamapStep(b, "liveness", "")
		}},
		"expired": {kycgate.StatusExpired, func(b *journeyBuilder) {
			metamapEvent(b, "verification_started", "")
			metamapEvent(b, "verification_expired", "")
		}},
	},
}

func metamapResource(b *journeyBuilder) string {
	return "https://api.prod.metamap.com/v2/verifications/" + b.vid
}

func metamapEvent(b *journeyBuilder, event, extra string) {
	at := b.next()
	body := fmt.Sprintf(`{"resource":"%s","eventName":"%s","flowId":"68d2ec723dda50f591db64f8"%s,"metadata":{"userId":"%s"},"timestamp":"%s"}`,
		metamapResource(b), event, extra, b.user, at.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.add(event, []byte(body))
}

func metamapStep(b *journeyBuilder, id, stepError string) {
	if stepError == "" {
		stepError = "null"
	}
	metamapEvent(b, "step_completed", fmt.Sprintf(`,"step":{"status":200,"id":"%s","error":%s,"documentType":"national-id"}`, id, stepError))
}

// metamapFlow is a user going through the flow: start, steps, inputs in.
func metamapFlow(b *journeyBuilder, alterationError string) {
	metamapEvent(b, "verification_started", "")
	metamapStep(b, "document-reading", "")
	metamapStep(b, "alteration-detection", alterationError)
	metamapStep(b, "liveness", "")
	metamapStep(b, "facematch", "")
	metamapEvent(b, "verification_inputs_completed", "")
}

// metamapDecision adds verification_completed or verification_updated: status
// is the one MetaMap first assigned, identityStatus the current one.
func metamapDecision(b *journeyBuilder, event, status, identityStatus string) {
	metamapEvent(b, event, fmt.Sprintf(`,"identityStatus":"%s","status":"%s","matiDashboardUrl":"https://dashboard.metamap.com/identities/%s","deviceFingerprint":{"ua":"Mozilla/5.0","ip":"181.199.146.54"},"details":{"age":{"data":%d}}`,
		identityStatus, status, b.vid, 18+b.r.IntN(60)))
}
