package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
)

var idwiseSim = providerSim{
	newID:   func(r *rand.Rand) string { return hexID(r, 24) },
	retries: []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute},
	sign: func(c Credentials, d *Delivery) error {
		d.Header.Set("Authorization", "Bearer "+c.Secret)
		return nil
	},
	scenarios: map[string]scenario{
		"approved": {kycgate.StatusApproved, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
		}},
		"review": {kycgate.StatusApproved, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`)
		}},
		"declined": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`)
		}},
		"abandoned": {kycgate.StatusAbandoned, func(b *journeyBuilder) {
			idwiseEvent(b, "Finished Step", `,"stepId":"0","stepType":"Document"`)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Incomplete"`)
		}},
		"resubmission": {kycgate.StatusResubmissionRequested, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Verification Update Required", `,"systemDecision":"Refer","manualDecision":null,"finalDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"0","reasonCode":"RESUBMIT_BAD_QUALITY"}]`)
		}},
		"aml_update": {kycgate.StatusReviewNeeded, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
			idwiseEvent(b, "AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`)
		}},
		"expired": {kycgate.StatusExpired, func(b *journeyBuilder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
			idwiseEvent(b, "KYC Renewal Deadline Exceeded", `,"requiredSteps":[{"stepId":"0","renewalDeadline":"2027-01-01T00:00:00Z"}]`)
		}},
	},
}

// idwiseEvent adds {"event": ..., "body": {...}}. IDWise sends no time.
func idwiseEvent(b *journeyBuilder, event, fields string) {
	b.next()
	body := fmt.Sprintf(`{"event":"%s","body":{"eventId":"%s","journeyId":"%s","referenceNo":"%s"%s}}`, event, uuid(b.r), b.vid, b.user, fields)
	b.add(event, []byte(body))
}

func idwiseSteps(b *journeyBuilder) {
	idwiseEvent(b, "Finished Step", `,"stepId":"0","stepType":"Document"`)
	idwiseEvent(b, "Finished Step", `,"stepId":"2","stepType":"Selfie"`)
	idwiseEvent(b, "Finished User Steps", `,"systemDecision":"Complete"`)
}
