package kycgate_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kycgate/kycgate"
)

func TestEvent_MakeStorable(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4,000 bytes
	t.Run("clean event unchanged", func(t *testing.T) {
		ev := &kycgate.Event{Identity: kycgate.Identity{VerificationID: "v1", DedupKey: "k1"},
			Data: kycgate.Change{ExternalUserID: "u1", Reasons: []string{"ok"}, Metadata: json.RawMessage(`{"a":"\ud83d\ude00 b"}`)}}
		ev.MakeStorable()
		if ev.Flag != "" || ev.VerificationID != "v1" || ev.DedupKey != "k1" || string(ev.Data.Metadata) != `{"a":"\ud83d\ude00 b"}` {
			t.Fatalf("changed a storable event: %+v", ev)
		}
	})
	t.Run("NUL, invalid UTF-8 and long identifiers", func(t *testing.T) {
		ev := &kycgate.Event{Identity: kycgate.Identity{VerificationID: "v\x00", DedupKey: long},
			Data: kycgate.Change{ExternalUserID: "u\xff", Reasons: []string{"a\x00b"},
				Metadata: json.RawMessage(`{"k\u0000":"x\u0000y","lone":"\ud800","n":12345678901234567890}`)}}
		ev.MakeStorable()
		if ev.Flag != kycgate.FlagAltered || !strings.Contains(ev.FlagDetail, "verification_id") {
			t.Fatalf("flag %q %q", ev.Flag, ev.FlagDetail)
		}
		for _, s := range []string{ev.VerificationID, ev.DedupKey, ev.Data.ExternalUserID, ev.Data.Reasons[0], string(ev.Data.Metadata)} {
			if strings.Contains(s, "\x00") || strings.Contains(s, `\u0000`) || strings.Contains(s, `\ud800`) || !utf8.ValidString(s) || len(s) > kycgate.MaxKeyLen {
				t.Errorf("not storable: %q", s)
			}
		}
		if !strings.HasPrefix(ev.DedupKey, "ééé") || !strings.Contains(ev.DedupKey, "~sha256:") {
			t.Errorf("long key %q", ev.DedupKey)
		}
		if ev.Data.Reasons[0] != "a\uFFFDb" || !strings.Contains(string(ev.Data.Metadata), "12345678901234567890") {
			t.Errorf("reasons %q metadata %s", ev.Data.Reasons, ev.Data.Metadata)
		}
	})
	t.Run("same values, same keys; different values, different keys", func(t *testing.T) {
		a := &kycgate.Event{Identity: kycgate.Identity{VerificationID: "v\x00", DedupKey: long + "1"}}
		b := &kycgate.Event{Identity: kycgate.Identity{VerificationID: "v\x00", DedupKey: long + "1"}}
		c := &kycgate.Event{Identity: kycgate.Identity{VerificationID: "v\uFFFD", DedupKey: long + "2"}}
		a.MakeStorable()
		b.MakeStorable()
		c.MakeStorable()
		if a.Identity != b.Identity || a.VerificationID == c.VerificationID || a.DedupKey == c.DedupKey {
			t.Fatalf("keys: %+v %+v %+v", a.Identity, b.Identity, c.Identity)
		}
	})
	t.Run("a flagged event keeps its flag", func(t *testing.T) {
		ev := &kycgate.Event{Flag: kycgate.FlagUnknownEvent, FlagDetail: "event \"x\x00\" unknown"}
		ev.MakeStorable()
		if ev.Flag != kycgate.FlagUnknownEvent || strings.Contains(ev.FlagDetail, "\x00") {
			t.Fatalf("flag %q %q", ev.Flag, ev.FlagDetail)
		}
	})
}
