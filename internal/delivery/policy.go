package delivery

import (
	"math/rand/v2"
	"time"

	"github.com/kycgate/kycgate"
)

// Policy decides what follows an attempt.
type Policy struct {
	MaxAttempts int           // then dead-lettered
	MaxAge      time.Duration // since the delivery was created; then dead-lettered
	Base        time.Duration // first backoff ceiling
	Cap         time.Duration // largest backoff ceiling
}

// Next returns the state after attempt number attempts (1 for the first)
// of a delivery created at created, given what the attempt got. A retry is
// due after a random wait up to Base·2^(attempts-1), capped at Cap (full
// jitter), or after what the destination asked for, whichever is longer.
func (p Policy) Next(attempts int, created, now time.Time, res Result, r *rand.Rand) (kycgate.DeliveryState, time.Time) {
	switch {
	case res.Err == nil:
		return kycgate.DeliveryDelivered, now
	case res.Permanent:
		return kycgate.DeliveryDead, now
	case attempts >= p.MaxAttempts, p.MaxAge > 0 && now.Sub(created) >= p.MaxAge:
		return kycgate.DeliveryDead, now
	}
	ceiling := p.Cap
	if attempts-1 < 32 && p.Base<<(attempts-1) < p.Cap && p.Base<<(attempts-1) > 0 {
		ceiling = p.Base << (attempts - 1)
	}
	n := rand.Int64N
	if r != nil {
		n = r.Int64N
	}
	wait := time.Duration(n(int64(ceiling) + 1))
	return kycgate.DeliveryPending, now.Add(max(wait, res.RetryAfter))
}
