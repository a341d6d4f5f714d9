package verifyyou

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays VerifyYou: its journeys, signature and retry schedule, for the simulator.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      func(r *rand.Rand) string { return "ver_" + sim.HexID(r, 16) },
	// Undocumented; assumed here.
	Retries: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set(HeaderSignature, Sign(c.Secret, d.Body).Get(HeaderSignature))
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_passed", "verification_completed")
		}},
		"liveness_retry": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_failed", "liveness_started", "liveness_passed", "verification_completed")
		}},
		"abandoned": {Want: kycgate.StatusAbandoned, Build: func(b *sim.Builder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_cancelled")
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			verifyyouStages(b, "verification_initialized", "verification_started", "account_created", "consent_granted",
				"liveness_started", "liveness_passed", "face_collision")
		}},
		"dropped": {Want: kycgate.StatusInProgress, Build: func(b *sim.Builder) {
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

func verifyyouStages(b *sim.Builder, stages ...string) {
	tracker := trackers[b.Rand.IntN(len(trackers))]
	score := 0.5
	for _, stage := range stages {
		at := b.Next()
		step := "null"
		if n, ok := verifyyouSteps[stage]; ok {
			step = fmt.Sprint(n)
		}
		score += b.Rand.Float64() * 0.1
		body := fmt.Sprintf(`{"stage":"%s","step":%s,"occurred_at":"%s","verification_id":"%s","external_id":"%s","external_tracker":"%s","trust_score":%.2f}`,
			stage, step, at.UTC().Format("2006-01-02T15:04:05.000000+00:00"), b.VerificationID, b.User, tracker, min(score, 0.99))
		b.Add(stage, []byte(body))
		b.Deliveries[len(b.Deliveries)-1].Header.Set(HeaderEvent, stage)
	}
}
