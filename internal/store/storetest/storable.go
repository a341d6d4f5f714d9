package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kycgate/kycgate"
)

// unstorableEvents returns, each time the same way, a batch of authentic
// events whose values some column or index cannot hold as sent: NUL
// characters where providers pass on what end users typed (MetaMap
// metadata, a Sumsub moderation comment, an IDWise reference number, a
// VerifyYou external id), invalid UTF-8, and identifiers longer than an
// index entry takes. The first event of the batch is ordinary.
func unstorableEvents(source string, seq int) []*kycgate.Event {
	rnd := rand.New(rand.NewPCG(uint64(seq), 7))
	noise := func(n int) string { // incompressible, so that no index can take it whole
		var b strings.Builder
		for b.Len() < n {
			b.WriteByte(byte('!' + rnd.IntN(90)))
		}
		return b.String()
	}
	ordinary := NewEvent(source)
	nul := NewEvent(source)
	nul.VerificationID = fmt.Sprintf("applicant\x00%d", seq)
	nul.DedupKey = fmt.Sprintf("key\x00%d", seq)
	nul.ProviderEvent = "applicant\x00Reviewed"
	nul.Header.Set("X-Note", "a\x00b")
	nul.Body = []byte(`{"metadata":{"note":"a\u0000b"},"moderationComment":"x` + "\x00\xff" + `y"}`)
	nul.Data = kycgate.Change{Status: kycgate.StatusDeclined, Decision: kycgate.DecisionDeclined,
		ExternalUserID: "user\x00\xfe", Reasons: []string{"comment\x00"}, Flow: "flow\x00",
		Metadata: json.RawMessage(`{"note\u0000":"a\u0000b","lone":"\udc00","emoji":"\ud83d\ude00"}`),
		Extra:    map[string]string{"referenceNo": "ref\x00", "external_id\x00": "x"}}
	nul.Type = kycgate.EventDecided
	long := NewEvent(source)
	long.VerificationID = noise(6000)
	long.DedupKey = noise(6000)
	long.Data.ExternalUserID = noise(6000)
	long.Data.Flow = noise(3000)
	long.Body = []byte(`{"id":"` + long.VerificationID + `"}`)
	return []*kycgate.Event{ordinary, nul, long}
}

func testUnstorableValues(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	sent := unstorableEvents("src", 1)
	bodies := make([][]byte, len(sent))
	for i, ev := range sent {
		bodies[i] = bytes.Clone(ev.Body)
	}
	r, err := s.CreateEvents(ctx, sent)
	if err != nil {
		t.Fatalf("CreateEvents refused authentic events: %v (code %s)", err, kycgate.ErrorCode(err))
	}
	for i, rc := range r {
		if rc.Duplicate {
			t.Fatalf("receipt %d is a duplicate", i)
		}
		got, err := s.FindEvent(ctx, rc.ID)
		if err != nil {
			t.Fatalf("FindEvent(%d): %v", i, err)
		}
		if !bytes.Equal(got.Body, bodies[i]) {
			t.Errorf("event %d: raw body %q, want %q as received", i, got.Body, bodies[i])
		}
		wantFlag := kycgate.FlagAltered
		if i == 0 {
			wantFlag = kycgate.FlagNone
		}
		if got.Flag != wantFlag {
			t.Errorf("event %d: flag %q (%s), want %q", i, got.Flag, got.FlagDetail, wantFlag)
		}
		for _, v := range []string{got.VerificationID, got.DedupKey, got.ProviderEvent, got.Data.ExternalUserID, got.Data.Flow} {
			if strings.ContainsRune(v, 0) || !utf8.ValidString(v) || len(v) > kycgate.MaxKeyLen {
				t.Errorf("event %d: stored %.40q… (%d bytes)", i, v, len(v))
			}
		}
	}
	vs, _, err := s.ListVerifications(ctx, kycgate.VerificationFilter{Source: "src"})
	if err != nil || len(vs) != 3 {
		t.Fatalf("ListVerifications: %d, %v; want 3", len(vs), err)
	}
	for _, v := range vs {
		if v.ID == "" || strings.ContainsRune(v.ExternalUserID, 0) {
			t.Errorf("verification %.40q user %.40q", v.ID, v.ExternalUserID)
		}
	}
	// The provider retries: the same values are recognised as the same delivery.
	retry := unstorableEvents("src", 1)
	r2, err := s.CreateEvents(ctx, retry[1:])
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	for i, rc := range r2 {
		if rc != (kycgate.Receipt{ID: r[i+1].ID, Duplicate: true}) {
			t.Errorf("retry %d: receipt %+v, want a duplicate of %s", i+1, rc, r[i+1].ID)
		}
	}
}

// testWritesItsEncoding: a store writes an event as Encode encoded it, so
// that encoding is done off the store's writer; an event not encoded is
// encoded by the store.
func testWritesItsEncoding(t *testing.T, s kycgate.Store) {
	ctx := context.Background()
	encoded, plain := NewEvent("src"), NewEvent("src")
	encoded.Data = kycgate.Change{Status: kycgate.StatusSubmitted, ExternalUserID: "as-encoded"}
	encoded.Encode()
	encoded.Data.ExternalUserID = "changed-after"
	plain.Data = kycgate.Change{Status: kycgate.StatusSubmitted, ExternalUserID: "as-sent"}
	create(t, s, encoded, plain)
	for ev, want := range map[*kycgate.Event]string{encoded: "as-encoded", plain: "as-sent"} {
		got, err := s.FindEvent(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Data.ExternalUserID != want {
			t.Errorf("stored data says user %q, want %q", got.Data.ExternalUserID, want)
		}
		if v, err := s.FindVerification(ctx, "src", ev.VerificationID); err != nil || v.ExternalUserID != want {
			t.Errorf("its verification: %+v, %v; want user %q", v, err, want)
		}
	}
}
