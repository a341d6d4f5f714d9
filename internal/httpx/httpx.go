// Package httpx holds the HTTP details kycgate's outbound clients share:
// forwarding to destinations and fetching from provider APIs.
package httpx

import (
	"net/http"
	"strconv"
	"time"
)

// RetryAfter reads a Retry-After header, seconds or an HTTP date, as the
// wait from now; 0 when absent, malformed or past.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
