package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
)

var sumsubSim = providerSim{
	newID:   func(r *rand.Rand) string { return hexID(r, 24) },
	retries: []time.Duration{5 * time.Minute, time.Hour, 5 * time.Hour, 18 * time.Hour},
	sign: func(c Credentials, d *Delivery) error {
		h, err := sumsub.Sign(c.Secret, "HMAC_SHA256_HEX", d.Body)
		if err != nil {
			return err
		}
		for k, v := range h {
			d.Header[k] = v
		}
		return nil
	},
	scenarios: map[string]scenario{
		"approved": {kycgate.StatusApproved, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"declined": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"moderationComment":"We could not verify your profile.","clientComment":"Suspected fraudulent account.","reviewAnswer":"RED","rejectLabels":["UNSATISFACTORY_PHOTOS","GRAPHIC_EDITOR","FORGERY"],"reviewRejectType":"FINAL"}`)
		}},
		"resubmission": {kycgate.StatusApproved, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["BAD_PROOF_OF_ADDRESS"],"reviewRejectType":"RETRY","buttonIds":["proofOfAddress_issueDate"]}`)
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"on_hold": {kycgate.StatusOnHold, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantOnHold", "onHold", "")
		}},
		"review": {kycgate.StatusApproved, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantOnHold", "onHold", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
		}},
		"not_submitted": {kycgate.StatusPending, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
		}},
		"reset": {kycgate.StatusPending, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["DOCUMENT_PAGE_MISSING"],"reviewRejectType":"FINAL"}`)
			sumsubEvent(b, "applicantReset", "init", "")
		}},
		"deleted": {kycgate.StatusDeleted, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantDeleted", "init", "")
		}},
		"post_decision_update": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			sumsubEvent(b, "applicantCreated", "init", "")
			sumsubEvent(b, "applicantPending", "pending", "")
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantPersonalInfoChanged", "completed", `{"reviewAnswer":"GREEN"}`)
			sumsubEvent(b, "applicantReviewed", "completed", `{"reviewAnswer":"RED","rejectLabels":["ADVERSE_MEDIA"],"reviewRejectType":"FINAL"}`)
		}},
	},
}

// sumsubEvent adds a webhook in the shape of Sumsub's documented examples.
func sumsubEvent(b *journeyBuilder, typ, reviewStatus, reviewResult string) {
	at := b.next()
	result := ""
	if reviewResult != "" {
		result = `,"reviewResult":` + reviewResult
	}
	body := fmt.Sprintf(`{"applicantId":"%s","inspectionId":"%s","applicantType":"individual","correlationId":"req-%s","levelName":"basic-kyc-level","externalUserId":"%s","type":"%s","sandboxMode":false,"reviewStatus":"%s"%s,"createdAt":"%s","createdAtMs":"%s","clientId":"kycgate-demo"}`,
		b.vid, b.vid[:20]+"beef", uuid(b.r), b.user, typ, reviewStatus, result,
		at.UTC().Format("2006-01-02 15:04:05+0000"), at.UTC().Format("2006-01-02 15:04:05.000"))
	b.add(typ, []byte(body))
}
