package vericato

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Play plays Vericato: its journeys, signature and retry schedule, for the simulator.
var Play = sim.Player{
	Credential: sim.CredentialNone,
	NewID:      func(r *rand.Rand) string { return "ver_" + sim.HexID(r, 12) },
	// Undocumented: Vericato "may resend" on anything but 200. Assumed here.
	Retries: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute},
	Sign: func(_ sim.Credentials, d *sim.Delivery) error {
		d.Header.Set("User-Agent", "Vericato-Webhook/1.0")
		return nil // Vericato sends no credential; its URL carries the source's token
	},
	Scenarios: map[string]sim.Scenario{
		"approved": {Want: kycgate.StatusApproved, Build: func(b *sim.Builder) {
			vericatoEvent(b, "verification.verified", "verified", `"verification_verified_name":"Demo Person","verification_date_identified":"{at}","verification_method":"passport",`)
		}},
		"declined": {Want: kycgate.StatusDeclined, Build: func(b *sim.Builder) {
			vericatoEvent(b, "verification.failed", "failed", `"verification_failed_reason":"Document verification failed","verification_method":"id_card",`)
		}},
		"expired": {Want: kycgate.StatusExpired, Build: func(b *sim.Builder) {
			vericatoEvent(b, "verification.expired", "expired", `"verification_expired_date":"{at}",`)
		}},
	},
}

// vericatoEvent adds a webhook in the shape of Vericato's documentation;
// eventFields may use {at} for the event's time.
func vericatoEvent(b *sim.Builder, event, status, eventFields string) {
	created := b.At
	at := b.Next().Add(20 * time.Minute)
	ts := at.UTC().Format("2006-01-02T15:04:05.000Z")
	body := fmt.Sprintf(`{"event":"%s","timestamp":"%s","data":{"verification_id":"%s","verification_status":"%s","verification_original_name":"Demo Person",`+strings.ReplaceAll(eventFields, "{at}", ts)+
		`"company_id":"comp_456def","company_name":"kycgate demo","original_verification":{"created_at":"%s","updated_at":"%s","expires_at":"%s","email":"demo.person@example.com","purpose":"identity_verification"}}}`,
		event, ts, b.VerificationID, status, created.UTC().Format("2006-01-02T15:04:05.000Z"), ts, created.Add(7*24*time.Hour).UTC().Format("2006-01-02T15:04:05.000Z"))
	d := b.Add(event, []byte(body))
	d.Header.Set(HeaderEvent, event)
	d.Header.Set(HeaderVerificationID, b.VerificationID)
}
