package sumsub

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays Sumsub: its journeys, signature and retry schedule, for the simulator.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      func(r *rand.Rand) string { return sim.HexID(r, 24) },
	Retries:    []time.Duration{5 * time.Minute, time.Hour, 5 * time.Hour, 18 * time.Hour},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		h, err := Sign(c.Secret, "HMAC_SHA256_HEX", d.Body)
		if err != nil {
			return err
		}
		for k, v := range h {
			d.Header[k] = v
		}
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"moderationComment":"We could not verify your profile.","clientComment":"Suspected fraudulent account.","reviewAnswer":"RED","rejectLabels":["UNSATISFACTORY_PHOTOS","GRAPHIC_EDITOR","FORGERY"],"reviewRejectType":"FINAL"}`)
		}},
		"resubmission": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["BAD_PROOF_OF_ADDRESS"],"reviewRejectType":"RETRY","buttonIds":["proofOfAddress_issueDate"]}`)
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"on_hold": {Want: kycgate.StatusOnHold, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantOnHold", "onHold", "")
		}},
		"review": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantOnHold", "onHold", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"not_submitted": {Want: kycgate.StatusPending, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
		}},
		"reset": {Want: kycgate.StatusPending, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["DOCUMENT_PAGE_MISSING"],"reviewRejectType":"FINAL"}`)
			sumsubEvent(b, "applicantReset", "init", "")
		}},
		"deleted": {Want: kycgate.StatusDeleted, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantDeleted", "init", "")
		}},
		"post_decision_update": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantPersonalInfoChanged", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["ADVERSE_MEDIA"],"reviewRejectType":"FINAL"}`)
		}},
	},
}

// sumsubEvent adds a webhook in the shape of Sumsub's documented examples.
func sumsubEvent(b *sim.Builder, typ, reviewStatus, reviewResult string) {
	at := b.Next()
	result := ""
	if reviewResult != "" {
		result = `,"reviewResult":` + reviewResult
	}
	body := fmt.Sprintf(`{"applicantId":"%s","inspectionId":"%s","applicantType":"individual","correlationId":"req-%s","levelName":"basic-kyc-level","externalUserId":"%s","type":"%s","sandboxMode":false,"reviewStatus":"%s"%s,"createdAt":"%s","createdAtMs":"%s","clientId":"kycgate-demo"}`,
		b.VerificationID, b.VerificationID[:20]+"beef", sim.UUID(b.Rand), b.User, typ, reviewStatus, result,
		at.UTC().Format("2006-01-02 15:04:05+0000"), at.UTC().Format("2006-01-02 15:04:05.000"))
	b.Add(typ, []byte(body))
}
