package verifyyou

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

type payload struct {
	Stage           string          `json:"stage"`
	OccurredAt      string          `json:"occurred_at"`
	VerificationID  string          `json:"verification_id"`
	ExternalID      provider.Text   `json:"external_id"`
	ExternalTracker provider.Text   `json:"external_tracker"`
	TrustScore      provider.Number `json:"trust_score"` // a number; a string holding one is read too

}

// stages maps each stage to what it says; see docs/providers/verifyyou.md.
var stages = map[string]kycgate.Change{
	"verification_initialized": {Status: kycgate.StatusPending},
	"verification_started":     {Status: kycgate.StatusInProgress},
	"account_created":          {Status: kycgate.StatusInProgress, Step: &kycgate.Step{Name: "account", Outcome: kycgate.OutcomePassed}},
	"consent_granted":          {Status: kycgate.StatusInProgress, Step: &kycgate.Step{Name: "consent", Outcome: kycgate.OutcomePassed}},
	"liveness_started":         {Status: kycgate.StatusInProgress, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeStarted}},
	"liveness_passed":          {Status: kycgate.StatusInProgress, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomePassed}},
	// The user stopped at a failed liveness check, until a later event says
	// they tried again.
	"liveness_failed":    {Status: kycgate.StatusAbandoned, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeFailed, ErrorCode: "liveness_failed"}},
	"liveness_cancelled": {Status: kycgate.StatusAbandoned, Step: &kycgate.Step{Name: "liveness", Outcome: kycgate.OutcomeCancelled}},
	// The face is another verification's: a risk signal that the flow's
	// completion does not overrule.
	"face_collision":         {Decision: kycgate.DecisionDeclined, Reasons: []string{"face_collision"}, By: kycgate.ActorRisk},
	"verification_completed": {Decision: kycgate.DecisionApproved, Reasons: []string{}},
}

// Parse reads a VerifyYou webhook. occurred_at is the time of the event,
// not of the send, so the dedup key is stage, verification and time: a user
// who fails liveness twice makes two events.
func (p *Webhooks) Parse(_ http.Header, body []byte) (kycgate.Identity, kycgate.Change, error) {
	var f payload
	if err := json.Unmarshal(body, &f); err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("verifyyou: decode payload: %w", err)
	}
	if f.Stage == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("verifyyou: payload has no stage")
	}
	if f.VerificationID == "" {
		return kycgate.Identity{}, kycgate.Change{}, errors.New("verifyyou: payload has no verification_id")
	}
	occurred, err := time.Parse(time.RFC3339Nano, f.OccurredAt)
	if err != nil {
		return kycgate.Identity{}, kycgate.Change{}, fmt.Errorf("verifyyou: occurred_at: %w", err)
	}
	id := kycgate.Identity{
		ProviderEvent:  f.Stage,
		VerificationID: f.VerificationID,
		OccurredAt:     occurred.UTC(),
		DedupKey:       "event|" + f.Stage + "|" + f.VerificationID + "|" + occurred.UTC().Format(time.RFC3339Nano),
	}
	c := stages[f.Stage]
	if c.Step != nil {
		s := *c.Step
		c.Step = &s
	}
	c.ExternalUserID, c.Tracker = string(f.ExternalID), string(f.ExternalTracker)
	c.Score = f.TrustScore.Ptr()
	c.Clock = kycgate.ClockEvent
	if f.Stage == "verification_completed" && p.minTrustScore != nil && (!f.TrustScore.Valid || f.TrustScore.Value < *p.minTrustScore) {
		c.Decision, c.Reasons = kycgate.DecisionReviewNeeded, []string{"trust_score_below_minimum"}
	}
	return id, c, nil
}
