package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for a few seconds")
	}
	code, out, errOut := cli(t, "bench", "--duration", "1s", "--deliveries", "3000", "--connections", "8", "--e2e-rate", "100", "--verifications", "2000", "-o", "json")
	if code != 0 {
		t.Fatalf("bench: %d %s", code, errOut)
	}
	var res struct {
		Runs []struct {
			Target, Mode string
			Requests     int
			Errors       int
			Throughput   float64
			P99          int64 `json:"p99_ns"`
		}
		Ratio float64 `json:"durable_to_floor"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Runs) != 6 || res.Ratio <= 0 || res.Ratio > 2 || res.Runs[3].Target != "kycgate end to end" || res.Runs[5].Target != "API one, with timeline" {
		t.Fatalf("results: %+v", res)
	}
	for _, r := range res.Runs {
		if r.Requests == 0 || r.Errors != 0 || r.Throughput <= 0 || r.P99 <= 0 {
			t.Errorf("run %+v", r)
		}
	}
	if code, _, errOut := cli(t, "bench", "--duration", "10ms"); code != 2 || !strings.Contains(errOut, "--duration") {
		t.Errorf("a bad duration: %d %s", code, errOut)
	}
}
