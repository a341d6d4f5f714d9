package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
)

func newDeliveriesCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List, show and retry deliveries to your destinations (a client of the server's API)",
	}
	cf.register(cmd)

	var f struct {
		destination, state, event, cursor string
		limit                             int
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List deliveries, newest first",
		Example: `  kycgate deliveries list --state dead
  kycgate deliveries list --destination my-app --event evt_01K…`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "destination", f.destination)
			setIf(q, "state", f.state)
			setIf(q, "event_id", f.event)
			pageQuery(q, f.limit, f.cursor)
			return runList(cmd, &cf, "/api/v1/deliveries", q, "ID\tDESTINATION\tEVENT\tVERIFICATION\tSTATE\tATTEMPTS\tLAST ERROR\tNEXT ATTEMPT",
				func(d kycgate.Delivery) string {
					next := "-"
					if d.State == kycgate.DeliveryPending {
						next = when(d.NextAttemptAt)
					}
					return strings.Join([]string{d.ID, d.Destination, d.EventID, d.VerificationID, string(d.State), strconv.Itoa(d.Attempts), orDash(d.LastError), next}, "\t")
				})
		},
	}
	list.Flags().StringVar(&f.destination, "destination", "", "only this destination")
	list.Flags().StringVar(&f.state, "state", "", "only this state: pending, delivered or dead")
	list.Flags().StringVar(&f.event, "event", "", "only deliveries of this event id")
	list.Flags().IntVar(&f.limit, "limit", 0, "page size, 1 to 500 (default 50)")
	list.Flags().StringVar(&f.cursor, "cursor", "", "continue after the previous page")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one delivery with every attempt",
		Args:  argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body, err := c.Get(cmd.Context(), "/api/v1/deliveries/"+url.PathEscape(args[0]), nil)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), body)
		},
	}

	var rf struct{ destination, state string }
	retry := &cobra.Command{
		Use:   "retry [ID]",
		Short: "Send a dead delivery again, or all dead deliveries of a destination",
		Example: `  kycgate deliveries retry dlv_01K…
  kycgate deliveries retry --destination my-app          # every dead letter of my-app`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var body []byte
			switch {
			case len(args) == 1 && rf.destination == "":
				body, err = c.Do(cmd.Context(), http.MethodPost, "/api/v1/deliveries/"+url.PathEscape(args[0])+"/retry", nil)
			case len(args) == 0 && rf.destination != "":
				q := url.Values{"destination": {rf.destination}}
				setIf(q, "state", rf.state)
				body, err = c.Do(cmd.Context(), http.MethodPost, "/api/v1/deliveries/retry", q)
			default:
				return usageError{fmt.Errorf("give a delivery ID, or --destination for all its dead letters")}
			}
			if err != nil {
				return err
			}
			var r api.Retried
			json.Unmarshal(body, &r)
			fmt.Fprintf(cmd.OutOrStdout(), "%d delivery(ies) will be sent again now\n", r.Retried)
			return nil
		},
	}
	retry.Flags().StringVar(&rf.destination, "destination", "", "retry this destination's deliveries in bulk")
	retry.Flags().StringVar(&rf.state, "state", "", "with --destination: dead (default) or pending (retry the waiting ones now)")
	cmd.AddCommand(list, show, retry)
	return cmd
}

// newEventsReplayCmd is "kycgate events replay".
func newEventsReplayCmd(cf *clientFlags) *cobra.Command {
	var destination string
	cmd := &cobra.Command{
		Use:   "replay ID",
		Short: "Deliver a stored event again, to one destination or every destination that takes it",
		Args:  argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "destination", destination)
			var page api.List[kycgate.Delivery]
			body, err := c.Do(cmd.Context(), http.MethodPost, "/api/v1/events/"+url.PathEscape(args[0])+"/replay", q)
			var apiErr *kycgate.Error
			if errors.As(err, &apiErr) && apiErr.Code == kycgate.EUNPROCESSABLE {
				// The server speaks of its query parameter; here it is a flag.
				return &kycgate.Error{Code: apiErr.Code, Message: strings.ReplaceAll(apiErr.Message, "?destination=", "--destination")}
			}
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(cmd.OutOrStdout(), body)
			}
			json.Unmarshal(body, &page)
			for _, d := range page.Data {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: new delivery %s\n", d.Destination, d.ID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&destination, "destination", "", "only this destination (default: every destination whose filter takes the event)")
	return cmd
}
