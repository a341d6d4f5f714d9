package kycgate

import (
	"encoding/json"
	"testing"
)

func TestSpellOutLossy(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		lossy     bool
	}{
		{`{"a":"plain é"}`, `{"a":"plain é"}`, false},
		{`{"a":"\u00e9 \ud83d\ude00"}`, `{"a":"\u00e9 \ud83d\ude00"}`, false}, // a pair
		{`{"a":"\\ud800"}`, `{"a":"\\ud800"}`, false},                         // an escaped backslash, then text
		{`{"a":"x\ud800"}`, `{"a":"x\ufffd\\ud800"}`, true},
		{`{"a":"x\uDBFFy"}`, `{"a":"x\ufffd\\uDBFFy"}`, true},
		{`{"a":"\udc00\ud800\udc00"}`, `{"a":"\ufffd\\udc00\ud800\udc00"}`, true}, // a low half alone, then a pair
		{`{"a":"\ud800\u0041"}`, `{"a":"\ufffd\\ud800\u0041"}`, true},
		{`{"a":"\ud8"}`, `{"a":"\ud8"}`, false}, // not an escape: the reader refuses it
		{"{\"a\":\"x\xffy\xfe\"}", `{"a":"x\ufffd\\xffy\ufffd\\xfe"}`, true},
		{"{\"a\":\"5cb\xc3(\"}", `{"a":"5cb\ufffd\\xc3("}`, true},
		{"\xff", `\ufffd\\xff`, true},
		{`"\`, `"\`, false},
	} {
		got, lossy := SpellOutLossy([]byte(c.raw))
		if string(got) != c.want || lossy != c.lossy {
			t.Errorf("SpellOutLossy(%q) = %q, %v; want %q, %v", c.raw, got, lossy, c.want, c.lossy)
		}
	}
	// Bodies a reader takes alike read apart once spelled out.
	read := func(raw string) string {
		body, _ := SpellOutLossy([]byte(raw))
		var v struct{ A string }
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return v.A
	}
	seen := map[string]string{}
	for _, raw := range []string{`{"a":"x\ud800"}`, `{"a":"x\udbff"}`, "{\"a\":\"x\xff\"}", "{\"a\":\"x\xfe\"}", `{"a":"x\ufffd"}`, "{\"a\":\"x\xef\xbf\xbd\"}"} {
		a := read(raw)
		if other, ok := seen[a]; ok && !(raw == "{\"a\":\"x\xef\xbf\xbd\"}" && other == `{"a":"x\ufffd"}`) {
			t.Errorf("%q and %q read alike: %q", raw, other, a)
		}
		seen[a] = raw
	}
}
