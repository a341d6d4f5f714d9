package storetest

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/ingest"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// LateRequestSession is the Veriff session of LateRequest.
const LateRequestSession = "10aaaaaa-0000-4000-8000-00000000000a"

// LateRequest is a Veriff session of source "veriff" whose first attempt's
// resubmission request arrived two hours after the second attempt's
// approval, as ingest reads it with the real adapter, in arrival order.
// Stored, the session is approved, in attempt 2; a version before the
// rules for late openers kept it resubmission_requested.
func LateRequest(t testing.TB) []*kycgate.Event {
	t.Helper()
	a, _ := registry.Lookup("veriff")
	p, err := a.New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	event := func(action, attempt string, code int) string {
		return fmt.Sprintf(`{"id":%q,"attemptId":%q,"feature":"selfid","code":%d,"action":%q,"vendorData":"u10","endUserId":null}`, LateRequestSession, attempt, code, action)
	}
	decision := func(status, attempt string, code int, at string) string {
		return fmt.Sprintf(`{"status":"success","verification":{"id":%q,"attemptId":%q,"code":%d,"status":%q,"reason":null,"reasonCode":null,"vendorData":"u10","decisionTime":"2026-04-01T%s:00.000Z","acceptanceTime":"2026-04-01T10:00:00.000Z"}}`, LateRequestSession, attempt, code, status, at)
	}
	bodies := []string{
		event("started", "a1", 7001), event("submitted", "a1", 7002),
		event("started", "a2", 7001), event("submitted", "a2", 7002),
		fmt.Sprintf(`{"checkType":"updated_result","attemptId":"a2","sessionId":%q,"vendorData":"u10","endUserId":null,"matchStatus":"no_match","searchTerm":{"name":"Jane Doe"},"totalHits":0,"hits":[]}`, LateRequestSession),
		decision("approved", "a2", 9001, "10:30"),
		decision("resubmission_requested", "a1", 9103, "10:10"), // the retry
	}
	at := time.Date(2026, 4, 1, 10, 31, 0, 0, time.UTC)
	var events []*kycgate.Event
	for i, b := range bodies {
		if i == len(bodies)-1 {
			at = at.Add(2 * time.Hour)
		}
		ev := &kycgate.Event{ID: kycgate.NewID("evt", at), Source: "veriff", Provider: "veriff", ReceivedAt: at, Body: []byte(b), Header: http.Header{}}
		ingest.Normalize(a, p, http.Header{}, ev)
		events = append(events, ev)
		at = at.Add(time.Second)
	}
	return events
}
