// Package kycgate holds the domain model of the identity-verification gateway:
// stored webhook events, their identity, the storage contract and the
// application error codes. It imports no other package of this module; the
// packages under internal/ implement what it describes, and cmd/kycgate wires
// them together.
package kycgate

import (
	"time"

	"github.com/oklog/ulid/v2"
)

// NewID returns a new time-sortable id for time t with a type prefix, such
// as "evt_01K…" for events and "dlv_01K…" for deliveries.
func NewID(prefix string, t time.Time) string {
	return prefix + "_" + ulid.MustNew(ulid.Timestamp(t), ulid.DefaultEntropy()).String()
}
