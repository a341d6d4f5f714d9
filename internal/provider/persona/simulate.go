package persona

import (
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// templateID is the inquiry template the simulated inquiries use.
const templateID = "itmpl_p8ANAJy9iqadm2buF2xcVgqH"

// Play plays Persona: its journeys, signature and retry schedule, for the
// simulator. Each delivery is signed when it is built, at the wall clock's
// time, since the receiver checks the signed time against its own clock.
var Play = sim.Player{
	Credential: sim.CredentialSignature,
	NewID:      func(r *rand.Rand) string { return "inq_" + token(r, 24) },
	// "Up to 5 times with an exponential backoff (0, 3, 18, 83, 258 seconds)".
	Retries: []time.Duration{0, 3 * time.Second, 18 * time.Second, 83 * time.Second, 258 * time.Second},
	Sign: func(c sim.Credentials, d *sim.Delivery) error {
		d.Header.Set(HeaderSignature, Sign(time.Now(), d.Body, c.Secret))
		return nil
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.transitioned", "pending", nil)
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.approved", "approved", nil)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.requires-retry")
			j.governmentID("verification.created", "verification.submitted", "verification.failed")
			j.inquiry("inquiry.failed", "failed", nil)
		}},
		"marked_for_review": {Want: kycgate.StatusReviewNeeded, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.marked-for-review", "needs_review", nil)
		}},
		"review": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.marked-for-review", "needs_review", nil)
			j.inquiry("inquiry.approved", "approved", reviewer(b))
		}},
		"reviewer_override": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.approved", "approved", nil)
			j.inquiry("inquiry.declined", "declined", reviewer(b))
		}},
		"expired": {Want: kycgate.StatusExpired, Build: func(b *sim.Builder) {
			j := start(b)
			j.inquiry("inquiry.expired", "expired", nil)
		}},
		"resumed": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			j := start(b)
			j.inquiry("inquiry.expired", "expired", nil)
			j.inquiry("inquiry.started", "pending", nil)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.approved", "approved", nil)
		}},
		"not_started": {Want: kycgate.StatusPending, Build: func(b *sim.Builder) {
			j := &journey{b: b, created: b.At}
			j.inquiry("inquiry.created", "created", nil)
		}},
		"redacted": {Want: kycgate.StatusDeleted, Build: func(b *sim.Builder) {
			j := start(b)
			j.governmentID("verification.created", "verification.submitted", "verification.passed")
			j.inquiry("inquiry.completed", "completed", nil)
			j.inquiry("inquiry.approved", "approved", nil)
			j.redacted = true
			j.inquiry("inquiry.redacted", "approved", nil)
		}},
	},
}

// journey builds one inquiry's events in the shape of Persona's documented
// examples.
type journey struct {
	b        *sim.Builder
	created  time.Time
	redacted bool
}

// start creates and starts an inquiry.
func start(b *sim.Builder) *journey {
	j := &journey{b: b, created: b.At}
	j.inquiry("inquiry.created", "created", nil)
	j.inquiry("inquiry.started", "pending", nil)
	return j
}

// reviewer is a dashboard user who decides an inquiry.
func reviewer(b *sim.Builder) map[string]any {
	return map[string]any{"type": "user", "id": "user_" + token(b.Rand, 24)}
}

// inquiry adds an inquiry event; reviewedBy is the inquiry's reviewer
// relationship (nil: none).
func (j *journey) inquiry(name, status string, reviewedBy map[string]any) {
	at := j.b.Next()
	if reviewedBy == nil {
		reviewedBy = map[string]any{}
	}
	first, last, birthdate := any("Jane"), any("Doe"), any("1990-04-12")
	var redactedAt any
	if j.redacted {
		first, last, birthdate, redactedAt = nil, nil, nil, stamp(at)
	}
	inq := map[string]any{
		"type": "inquiry", "id": j.b.VerificationID,
		"attributes": map[string]any{
			"status": status, "reference-id": j.b.User, "note": nil, "tags": []string{},
			"reviewer-comment": nil, "created-at": stamp(j.created), "updated-at": stamp(at),
			"redacted-at": redactedAt, "previous-step-name": "start", "next-step-name": "verification_government_id",
			"fields": map[string]any{
				"name-first": map[string]any{"type": "string", "value": first},
				"name-last":  map[string]any{"type": "string", "value": last},
				"birthdate":  map[string]any{"type": "date", "value": birthdate},
			},
		},
		"relationships": map[string]any{
			"inquiry-template": map[string]any{"data": map[string]any{"type": "inquiry-template", "id": templateID}},
			"reviewer":         map[string]any{"data": reviewedBy},
			"verifications":    map[string]any{"data": []any{}},
		},
	}
	j.add(name, at, inq)
}

// governmentID adds the events of one government id verification.
func (j *journey) governmentID(names ...string) {
	idClass, country := fakeDocument(sim.Journey{VerificationID: j.b.VerificationID})
	id := "ver_" + token(j.b.Rand, 24)
	statuses := map[string]string{
		"verification.created": "initiated", "verification.submitted": "submitted", "verification.passed": "passed",
		"verification.failed": "failed", "verification.requires-retry": "requires_retry", "verification.canceled": "canceled",
	}
	for _, name := range names {
		at := j.b.Next()
		ver := map[string]any{
			"type": "verification/government-id", "id": id,
			"attributes": map[string]any{"status": statuses[name], "created-at": stamp(at), "id-class": idClass, "country-code": country},
			"relationships": map[string]any{
				"inquiry": map[string]any{"data": map[string]any{"type": "inquiry", "id": j.b.VerificationID}},
			},
		}
		j.add(name, at, ver)
	}
}

// add appends the event envelope around obj.
func (j *journey) add(name string, at time.Time, obj map[string]any) {
	body, err := json.Marshal(map[string]any{"data": map[string]any{
		"type": "event", "id": "evt_" + token(j.b.Rand, 24),
		"attributes": map[string]any{"name": name, "created-at": stamp(at), "payload": map[string]any{"data": obj, "included": []any{}}},
	}})
	if err != nil {
		panic(err) // maps of strings and times always encode
	}
	j.b.Add(name, body)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// token returns n characters of Persona's id alphabet.
func token(r *rand.Rand, n int) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
