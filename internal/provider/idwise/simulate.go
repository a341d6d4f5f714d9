package idwise

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays IDWise: its journeys, signature and retry schedule, for the simulator.
var Play = sim.Player{
	Credential: sim.CredentialBearer,
	NewID:      func(r *rand.Rand) string { return sim.HexID(r, 24) },
	Retries:    []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set("Authorization", "Bearer "+c.Secret)
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
		}},
		"review": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Approved","finalDecision":"Approved"`)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Manually Reviewed", `,"systemDecision":"Refer","manualDecision":"Rejected","finalDecision":"Rejected"`)
		}},
		"abandoned": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			idwiseEvent(b, "Finished Step", `,"stepId":"0","stepType":"Document"`)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Incomplete"`)
		}},
		"resubmission": {Want: kycgate.StatusResubmissionRequested, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Refer"`)
			idwiseEvent(b, "Verification Update Required", `,"systemDecision":"Refer","manualDecision":null,"finalDecision":"Refer","trigger":"Manual Review","requiredSteps":[{"stepId":"0","reasonCode":"RESUBMIT_BAD_QUALITY"}]`)
		}},
		"aml_update": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
			idwiseEvent(b, "AML Monitor Update", `,"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2`)
		}},
		"expired": {Want: kycgate.StatusExpired, Build: func(b *sim.Builder) {
			idwiseSteps(b)
			idwiseEvent(b, "Finished Journey", `,"systemDecision":"Complete"`)
			idwiseEvent(b, "KYC Renewal Deadline Exceeded", `,"requiredSteps":[{"stepId":"0","renewalDeadline":"2027-01-01T00:00:00Z"}]`)
		}},
	},
}

// idwiseEvent adds {"event": ..., "body": {...}}. IDWise sends no time.
func idwiseEvent(b *sim.Builder, event, fields string) {
	b.Next()
	body := fmt.Sprintf(`{"event":"%s","body":{"eventId":"%s","journeyId":"%s","referenceNo":"%s"%s}}`, event, sim.UUID(b.Rand), b.VerificationID, b.User, fields)
	b.Add(event, []byte(body))
}

func idwiseSteps(b *sim.Builder) {
	idwiseEvent(b, "Finished Step", `,"stepId":"0","stepType":"Document"`)
	idwiseEvent(b, "Finished Step", `,"stepId":"2","stepType":"Selfie"`)
	idwiseEvent(b, "Finished User Steps", `,"systemDecision":"Complete"`)
}
