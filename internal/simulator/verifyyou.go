package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
)

var verifyyouSim = providerSim{
	newID: func(r *rand.Rand) string { return "ver_" + hexID(r, 16) },
	// Undocumented; assumed here.
	retries: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute},
	sign: func(c Credentials, d *Delivery) error {
		d.Header.Set(verifyyou.HeaderSignature, verifyyou.Sign(c.Secret, d.Body).Get(verifyyou.HeaderSignature))
		return nil
	},
	scenarios: map[string]scenario{
		"approved": {kycgate.StatusApproved, func(b *journeyBuilder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_passed", "verification_completed")
		}},
		"liveness_retry": {kycgate.StatusApproved, func(b *journeyBuilder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_failed", "liveness_started", "liveness_passed", "verification_completed")
		}},
		"abandoned": {kycgate.StatusAbandoned, func(b *journeyBuilder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_cancelled")
		}},
		"declined": {kycgate.StatusDeclined, func(b *journeyBuilder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_passed", "face_collision")
		}},
		"dropped": {kycgate.StatusInProgress, func(b *journeyBuilder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created")
		}},
	},
}

// The happy-path ordinal of each stage that has one.
var verifyyouSteps = map[string]int{
	"verification_initialized": 1, "verification_started": 2, "account_created": 3,
	"consent_granted": 4, "liveness_passed": 5, "verification_completed": 6,
}

var trackers = []string{"signup-campaign", "partner-referral", "organic"}

func verifyyouStages(b *journeyBuilder, stages ...string) {
	tracker := trackers[b.r.IntN(len(trackers))]
	score := 0.5
	for _, stage := range stages {
		at := b.next()
		step := "null"
		if n, ok := verifyyouSteps[stage]; ok {
			step = fmt.Sprint(n)
		}
		score += b.r.Float64() * 0.1
		body := fmt.Sprintf(`{"stage":"%s","step":%s,"occurred_at":"%s","verification_id":"%s","external_id":"%s","external_tracker":"%s","trust_score":%.2f}`,
			stage, step, at.UTC().Format("2006-01-02T15:04:05.000000+00:00"), b.vid, b.user, tracker, min(score, 0.99))
		b.add(stage, []byte(body))
		b.deliveries[len(b.deliveries)-1].Header.Set(verifyyou.HeaderEvent, stage)
	}
}
