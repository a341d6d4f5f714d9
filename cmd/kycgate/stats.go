package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

func newStatsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Analytics across providers (a client of the server's API)",
	}
	cf.register(cmd)

	var f struct {
		source, provider, flow, groupBy string
		since, until                    timeFlag
		top                             int
	}
	funnel := &cobra.Command{
		Use:   "funnel",
		Short: "How many verifications reached each stage, how they were decided, and where the others stopped",
		Long: `Print the verification funnel per provider (or per source, flow or tracker):
how many verifications were created, started, submitted and decided, with the
conversion from each stage to the next; the decision mix; how many were
abandoned or expired; where the ones that ended without approval stopped (a
failed or cancelled step, a reject label, ...); and the time from creation to
the first decision at p50, p90 and p99. Providers date their events
differently (docs/state.md), and the time to decision measures only
verifications whose creation and first decision both have a provider time:
those of a provider that sends no times, and those created and decided by
one event (an outcome that does not say when the verification began), are
left out of it and counted in the UNTIMED column. A provider that dates its
webhooks only when it sends them has its times marked as send times.

--since and --until select verifications by when they were created, so that
each group is one cohort followed through the stages (unlike verifications
list --since, which selects by last update).`,
		Example: `  kycgate stats funnel
  kycgate stats funnel --group-by flow --provider ` + registry.Names()[0] + ` --since 2026-11-01T00:00:00Z
  kycgate stats funnel -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "source", f.source)
			setIf(q, "provider", f.provider)
			setIf(q, "flow", f.flow)
			setIf(q, "since", string(f.since))
			setIf(q, "until", string(f.until))
			setIf(q, "group_by", f.groupBy)
			if f.top != 0 {
				q.Set("top", strconv.Itoa(f.top))
			}
			var out kycgate.Funnel
			body, err := c.GetJSON(cmd.Context(), "/api/v1/stats/funnel", q, &out)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(cmd.OutOrStdout(), body)
			}
			w := cmd.OutOrStdout()
			if len(out.Groups) == 0 {
				fmt.Fprintln(w, "no verifications match")
				return nil
			}
			tw := table(w)
			fmt.Fprintf(tw, "%s\tCREATED\tSTARTED\tSUBMITTED\tDECIDED\tAPPROVED\tDECLINED\tREVIEW\tRESUBMIT\tABANDONED\tEXPIRED\tP50\tP90\tP99\tCLOCK\tUNTIMED\n", strings.ToUpper(string(out.GroupBy)))
			for _, g := range out.Groups {
				cells := []string{orDash(g.Group)}
				for i, s := range g.Stages {
					if i == 0 {
						cells = append(cells, strconv.Itoa(s.Count))
						continue
					}
					cells = append(cells, fmt.Sprintf("%d (%.0f%%)", s.Count, 100*s.Conversion))
				}
				for _, d := range []kycgate.Decision{kycgate.DecisionApproved, kycgate.DecisionDeclined, kycgate.DecisionReviewNeeded, kycgate.DecisionResubmissionRequested} {
					cells = append(cells, strconv.Itoa(g.Decisions[d]))
				}
				cells = append(cells, strconv.Itoa(g.Abandoned), strconv.Itoa(g.Expired))
				if d := g.ToDecision; d != nil {
					cells = append(cells, seconds(d.P50), seconds(d.P90), seconds(d.P99), string(d.Clock))
				} else {
					cells = append(cells, "-", "-", "-", "-")
				}
				cells = append(cells, strconv.Itoa(g.ToDecisionLeftOut))
				fmt.Fprintln(tw, strings.Join(cells, "\t"))
			}
			tw.Flush()
			fmt.Fprintln(w)
			tw = table(w)
			fmt.Fprintf(tw, "%s\tSTOPPED AT\tCODE\tCOUNT\n", strings.ToUpper(string(out.GroupBy)))
			for _, g := range out.Groups {
				for _, d := range g.DropOff {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", orDash(g.Group), d.Label, d.Code, d.Count)
				}
			}
			return tw.Flush()
		},
	}
	funnel.Flags().StringVar(&f.source, "source", "", "only this source")
	funnel.Flags().StringVar(&f.provider, "provider", "", "only this provider")
	funnel.Flags().StringVar(&f.flow, "flow", "", "only this flow (the provider's flow or level id)")
	funnel.Flags().Var(&f.since, "since", "only verifications created at or after this RFC 3339 time")
	funnel.Flags().Var(&f.until, "until", "only verifications created before this RFC 3339 time")
	funnel.Flags().StringVar(&f.groupBy, "group-by", "", "provider (default), source, flow or tracker")
	funnel.Flags().IntVar(&f.top, "top", 0, "drop-off places listed per group, 1 to 100 (default 10)")
	cmd.AddCommand(funnel)
	return cmd
}

// seconds prints a duration in seconds at a readable precision.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}
