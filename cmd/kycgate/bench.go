package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate/internal/bench"
)

func newBenchCmd() *cobra.Command {
	var (
		o      bench.Options
		output string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure durable ingest against a bare-HTTP floor, in one run",
		Long: `Measure how fast kycgate ingests, beside what this machine can do at all.

kycgate bench starts a gateway on a fresh store (SQLite in a temporary
directory, or --store) with one source per provider, or drives the one at
--url, and a bare HTTP handler that reads the body and answers 200: the
floor. It drives both with the same pre-signed simulator traffic of every
provider (with --duplicates of retries), on --connections keep-alive
connections; every run against kycgate gets webhooks of its own, so that
none turns into a run of retries:

  1. closed loop, as fast as each answers: the maximum rate, and the ratio
     of kycgate's to the floor's;
  2. open loop against kycgate at --rate (default: half of its maximum),
     each request timed from when it was due, so that queueing shows;
  3. with --chart FILE.svg, open loop against both at 10, 25, 50, 75 and 90%
     of kycgate's maximum, drawn as latency against rate;
  4. with --e2e-rate, end to end: kycgate forwards every event to a local
     receiver (a Standard Webhooks destination), and each event is timed
     from when the provider was due to send it to when the receiver got it;
  5. with --verifications N, the query API: a store seeded with N
     verifications answers, open loop, a filtered list and one verification
     with its timeline;
  6. with --soak D, closed loop for D against a gateway in a process of its
     own (kycgate serve, on a store of --seed verifications), with webhooks
     made as it goes, reporting its throughput and resident memory in
     twenty slices: memory that grows from slice to slice is a leak.

With --url, the gateway is yours: --config is its configuration file, whose
sources' secrets sign the webhooks (one source per provider; a provider with
none is left out). Its /metrics, when reachable, add events per commit,
commit time and resident memory to the results.

The load generator runs on the same machine and takes its share of the CPU,
as it does for the floor. Results: a table, or -o json.`,
		Example: `  kycgate bench
  kycgate bench --duration 20s --connections 128 --chart latency.svg
  kycgate bench --store postgres://root@127.0.0.1:5432/test --rate 3000 -o json
  kycgate bench --duration 5s --soak 10m --seed 500000
  kycgate bench --url http://10.0.0.7:8080 --config /etc/kycgate/kycgate.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("--output %q: want table or json", output)}
			}
			if err := o.Check(); err != nil {
				return usageError{err}
			}
			o.Version = version
			results, err := bench.Run(cmd.Context(), cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(results)
			}
			bench.Print(cmd.OutOrStdout(), results)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Storage, "store", "", "storage URL for the gateway (default: SQLite in a temporary directory)")
	fl.StringVar(&o.URL, "url", "", "drive the gateway at this base URL instead of starting one (needs --config)")
	fl.StringVarP(&o.ConfigPath, "config", "c", "", "with --url: the gateway's configuration file, for its sources' paths and secrets")
	fl.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each run")
	fl.IntVar(&o.Connections, "connections", 64, "keep-alive connections")
	fl.IntVar(&o.Deliveries, "deliveries", 200_000, "signed webhooks to prepare for each closed-loop run (a run that sends more wraps around, as retries)")
	fl.Float64Var(&o.Rate, "rate", 0, "open-loop rate in requests per second (default: half the measured maximum)")
	fl.Float64Var(&o.Duplicates, "duplicates", 0.1, "fraction of requests that are retries of one already sent")
	fl.StringVar(&o.Chart, "chart", "", "also measure latency at five rates and draw it in this SVG file")
	fl.Float64Var(&o.E2ERate, "e2e-rate", 0, "also measure provider-to-destination latency at this rate (e.g. 1000); 0 to skip")
	fl.IntVar(&o.Verifications, "verifications", 0, "also measure the query API on a store seeded with this many verifications (e.g. 1000000); 0 to skip")
	fl.DurationVar(&o.Soak, "soak", 0, "also drive a gateway in a process of its own for this long, watching its memory (e.g. 10m)")
	fl.IntVar(&o.Seed, "seed", 0, "with --soak: verifications (two events each) stored before the soak starts")
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}
