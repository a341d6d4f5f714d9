// Package kycgate holds the domain model of the identity-verification gateway:
// stored webhook events, their identity, the storage contract and the
// application error codes. It imports no other package of this module; the
// packages under internal/ implement what it describes, and cmd/kycgate wires
// them together.
package kycgate
