package kycgate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Flags of events stored with some of their values changed. The raw body
// is always kept exactly as received; only the values read from it are
// changed, and only as far as a store needs.
const (
	// FlagAltered marks an event some of whose values no store column or
	// index could hold as sent (a NUL character, invalid UTF-8, an
	// identifier longer than MaxKeyLen): they were stored altered, as
	// FlagDetail says, and the event is otherwise understood and applied.
	FlagAltered Flag = "altered"
	// FlagUnstorable marks an event the store refused even altered: only
	// its raw body, headers and arrival are kept, for reprocessing.
	FlagUnstorable Flag = "unstorable"
)

// MaxKeyLen is the longest identifier, in bytes, stored as sent (a
// verification id, a dedup key, an external user id, a flow): a longer one
// is cut and ends with the digest of the whole, so that it stays unique
// and fits every index.
const MaxKeyLen = 512

// replacement stands for a NUL character or a byte that is not UTF-8.
const replacement = "\uFFFD"

// MakeStorable changes, in place, the values of e that a store's text or
// JSON columns, or its indexes, cannot hold as they are, and flags the
// event FlagAltered when it changed any (an event flagged already keeps its
// flag). The change is a pure function of the values, so a retry of the
// same delivery gets the same dedup key. The raw body is never changed.
func (e *Event) MakeStorable() {
	var changed []string // the fields changed, each once
	note := func(name string) {
		if !slices.Contains(changed, name) {
			changed = append(changed, name)
		}
	}
	key := func(name string, s *string) {
		if v, ok := storableKey(*s); ok {
			*s = v
			note(name)
		}
	}
	text := func(name string, s *string) {
		if v, ok := storableText(*s); ok {
			*s = v
			note(name)
		}
	}
	key("verification_id", &e.VerificationID)
	key("dedup_key", &e.DedupKey)
	key("provider_event", &e.ProviderEvent)
	text("remote_ip", &e.RemoteIP)
	text("flag_detail", &e.FlagDetail)
	if storableHeader(e.Header) {
		note("headers")
	}
	if e.Data.makeStorable(key, text) {
		note("metadata")
	}
	if len(changed) == 0 {
		return
	}
	detail := "stored altered so that the store can hold it (" + strings.Join(changed, ", ") +
		": NUL characters and invalid UTF-8 replaced by U+FFFD, identifiers over " +
		fmt.Sprint(MaxKeyLen) + " bytes cut and ended with a digest); the raw body is as received"
	switch {
	case e.Flag == FlagNone:
		e.Flag, e.FlagDetail = FlagAltered, detail
	case !strings.Contains(e.FlagDetail, detail):
		e.FlagDetail += "; " + detail
	}
}

// makeStorable applies key and text to the change's identifiers and texts
// and reports whether it had to rewrite its metadata.
func (c *Change) makeStorable(key, text func(string, *string)) bool {
	key("external_user_id", &c.ExternalUserID)
	key("flow", &c.Flow)
	key("tracker", &c.Tracker)
	text("document_type", &c.DocumentType)
	text("document_country", &c.DocumentCountry)
	text("dashboard_url", &c.DashboardURL)
	text("resource_url", &c.ResourceURL)
	for i := range c.Reasons {
		text("reasons", &c.Reasons[i])
	}
	steps := func(s *Step) {
		text("steps", &s.Name)
		text("steps", &s.Outcome)
		text("steps", &s.ErrorCode)
	}
	if c.Step != nil {
		steps(c.Step)
	}
	for i := range c.Steps {
		steps(&c.Steps[i])
	}
	if len(c.Extra) > 0 {
		extra := make(map[string]string, len(c.Extra))
		for k, v := range c.Extra {
			text("extra", &k)
			text("extra", &v)
			extra[k] = v
		}
		c.Extra = extra
	}
	if m, ok := storableJSON(c.Metadata); ok {
		c.Metadata = m
		return true
	}
	return false
}

// storableText returns s with NUL characters and bytes that are not UTF-8
// replaced, and whether it changed.
func storableText(s string) (string, bool) {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s, false
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, replacement), "\x00", replacement), true
}

// storableKey returns s as storableText does, cut to MaxKeyLen when longer;
// a changed key ends with the digest of the original, so that two keys that
// differ still differ once changed.
func storableKey(s string) (string, bool) {
	v, changed := storableText(s)
	if !changed && len(v) <= MaxKeyLen {
		return s, false
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "~sha256:" + hex.EncodeToString(sum[:])
	cut := MaxKeyLen - len(suffix)
	if len(v) > cut {
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v + suffix, true
}

// storableHeader cleans header values in place and reports whether any
// changed.
func storableHeader(h map[string][]string) bool {
	changed := false
	for k, vs := range h {
		for i, v := range vs {
			if s, ok := storableText(v); ok {
				vs[i], changed = s, true
			}
		}
		if s, ok := storableText(k); ok {
			delete(h, k)
			h[s] = vs
			changed = true
		}
	}
	return changed
}

// storableJSON returns raw with the NUL characters and lone surrogates of
// its strings and keys replaced, and whether it changed. Only a document
// holding one of them is rewritten.
func storableJSON(raw json.RawMessage) (json.RawMessage, bool) {
	if len(raw) == 0 || !needsRewrite(raw) {
		return raw, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw)) // replaces lone surrogates and invalid UTF-8
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		s, _ := storableText(string(raw))
		out, _ := json.Marshal(s)
		return out, true
	}
	out, err := json.Marshal(cleanJSON(v))
	if err != nil {
		return raw, false
	}
	return out, true
}

// needsRewrite reports whether raw holds invalid UTF-8, a NUL byte, a
// \u0000 escape or a surrogate escape that is not part of a pair.
func needsRewrite(raw []byte) bool {
	if !utf8.Valid(raw) || bytes.IndexByte(raw, 0) >= 0 {
		return true
	}
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(raw[i+2:])
		if !ok {
			return true
		}
		switch {
		case r == 0 || r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if len(raw) < i+12 || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return true
			}
			if lo, ok := hex4(raw[i+8:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
		i += 5
	}
	return false
}

// hex4 reads the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func cleanJSON(v any) any {
	switch v := v.(type) {
	case string:
		s, _ := storableText(v)
		return s
	case []any:
		for i := range v {
			v[i] = cleanJSON(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			s, _ := storableText(k)
			out[s] = cleanJSON(x)
		}
		return out
	}
	return v
}
