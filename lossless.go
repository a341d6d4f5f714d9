package kycgate

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// SpellOutLossy returns a JSON body as a reader can take it without losing
// what tells two bodies apart. A JSON reader replaces each byte that is not
// UTF-8, and each \uD800-\uDFFF escape without its pair, by one and the
// same U+FFFD, so that two bodies that differ only there would read alike:
// one webhook would be taken for a retry of another, or two verifications
// for one. Here each is written as U+FFFD followed by its spelling (\xff,
// \ud800) instead. lossy is false, and body is raw, when there is none.
// Outside a string either was invalid JSON and stays so.
func SpellOutLossy(raw []byte) (body []byte, lossy bool) {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u`)) {
		return raw, false // the common case, at the cost of two scans
	}
	var b bytes.Buffer
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			n, lone := surrogateEscape(raw[i:])
			if lone {
				b.WriteString(`\ufffd\\`)
				b.Write(raw[i+1 : i+6])
				lossy = true
			} else {
				b.Write(raw[i : i+n])
			}
			i += n
		case c == '\\' && i+1 < len(raw):
			b.Write(raw[i : i+2]) // an escaped character, perhaps a backslash
			i += 2
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				fmt.Fprintf(&b, `\ufffd\\x%02x`, c)
				lossy = true
			} else {
				b.Write(raw[i : i+n])
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	if !lossy {
		return raw, false
	}
	return b.Bytes(), true
}

// surrogateEscape reads the \u escape at the start of s: its length (both
// escapes of a surrogate pair), and whether it is a surrogate without its
// pair. An escape without four hex digits is left to the JSON reader.
func surrogateEscape(s []byte) (n int, lone bool) {
	r, ok := hex4(s[2:])
	switch {
	case !ok:
		return 2, false
	case r >= 0xDC00 && r <= 0xDFFF:
		return 6, true
	case r < 0xD800 || r > 0xDBFF:
		return 6, false
	}
	if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if lo, ok := hex4(s[8:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 12, false
		}
	}
	return 6, true
}
