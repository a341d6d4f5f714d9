package ingest

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"direct client, no header", "203.0.113.9:4711", "", "203.0.113.9"},
		{"untrusted peer's header is ignored", "198.51.100.1:4711", "203.0.113.9", "198.51.100.1"},
		{"trusted proxy", "10.0.0.2:80", "203.0.113.9", "203.0.113.9"},
		{"chain of trusted proxies", "10.0.0.2:80", "203.0.113.9, 10.1.1.1, 10.2.2.2", "203.0.113.9"},
		{"client-forged entry left of the real one", "10.0.0.2:80", "203.0.113.9, 198.51.100.1", "198.51.100.1"},
		{"several header lines", "10.0.0.2:80", "203.0.113.9\n198.51.100.7", "198.51.100.7"},
		{"garbage entry stops the walk", "10.0.0.2:80", "203.0.113.9, bogus, 10.1.1.1", "10.1.1.1"},
		{"all trusted", "10.0.0.2:80", "10.3.3.3", "10.3.3.3"},
		{"IPv6 proxy", "[::1]:80", "2001:db8::7", "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.9]:80", "", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.xff != "" {
				for _, line := range strings.Split(tt.xff, "\n") {
					h.Add("X-Forwarded-For", line)
				}
			}
			if got := ClientIP(tt.remote, h, trusted).String(); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}
