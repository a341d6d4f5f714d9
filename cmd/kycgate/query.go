package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

// clientFlags are the flags every API command shares.
type clientFlags struct {
	server, token, output string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	server := os.Getenv("KYCGATE_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	cmd.PersistentFlags().StringVar(&f.server, "server", server, "kycgate server URL (env KYCGATE_SERVER)")
	cmd.PersistentFlags().StringVar(&f.token, "token", os.Getenv("KYCGATE_TOKEN"), "API token, one of the server's api_tokens (env KYCGATE_TOKEN)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
}

func (f *clientFlags) client() (*client.Client, error) {
	if f.output != "table" && f.output != "json" {
		return nil, usageError{fmt.Errorf("--output %q: want table or json", f.output)}
	}
	if f.token == "" {
		return nil, usageError{fmt.Errorf("no API token: pass --token or set KYCGATE_TOKEN to one of the server's api_tokens")}
	}
	return client.New(f.server, f.token), nil
}

// printJSON writes the server's answer indented.
func printJSON(w io.Writer, body []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := out.WriteTo(w)
	return err
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// pageQuery adds the paging flags to q.
func pageQuery(q url.Values, limit int, cursor string) {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
}

// timeFlag is a flag that takes an RFC 3339 time, refused as a usage
// error when it is not one.
type timeFlag string

func (f *timeFlag) String() string { return string(*f) }
func (f *timeFlag) Type() string   { return "time" }
func (f *timeFlag) Set(v string) error {
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Errorf("want an RFC 3339 time, such as 2026-11-01T00:00:00Z")
	}
	*f = timeFlag(v)
	return nil
}

func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func nextPage(w io.Writer, cursor string) {
	if cursor != "" {
		fmt.Fprintf(w, "more: add --cursor %s\n", cursor)
	}
}

// runList gets one page of path with q and prints it: as the server
// answered with -o json, else a table of header and one row per item, and
// the cursor of the next page on stderr.
func runList[T any](cmd *cobra.Command, cf *clientFlags, path string, q url.Values, header string, row func(T) string) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	var page api.List[T]
	body, err := c.GetJSON(cmd.Context(), path, q, &page)
	if err != nil {
		return err
	}
	if cf.output == "json" {
		return printJSON(cmd.OutOrStdout(), body)
	}
	tw := table(cmd.OutOrStdout())
	fmt.Fprintln(tw, header)
	for _, item := range page.Data {
		fmt.Fprintln(tw, row(item))
	}
	tw.Flush()
	nextPage(cmd.ErrOrStderr(), page.NextCursor)
	return nil
}

func newVerificationsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "verifications",
		Short: "List, show, refresh and erase verifications (a client of the server's API)",
	}
	cf.register(cmd)

	var f struct {
		source, provider, status, user, search, cursor string
		since                                          timeFlag
		limit                                          int
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List verifications, the most recently received first",
		Long: `List verifications, the ones kycgate heard of most recently first (the
order is stable from page to page: --cursor continues where a page ended).

--since selects verifications by their last update, for finding what changed
since a time (unlike stats funnel --since, which selects by creation).`,
		Example: `  kycgate verifications list --status review_needed
  kycgate verifications list --search user-00
  kycgate verifications list --provider ` + registry.Names()[0] + ` --since 2026-11-01T00:00:00Z -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "source", f.source)
			setIf(q, "provider", f.provider)
			setIf(q, "status", f.status)
			setIf(q, "external_user_id", f.user)
			setIf(q, "q", f.search)
			setIf(q, "since", string(f.since))
			pageQuery(q, f.limit, f.cursor)
			return runList(cmd, &cf, "/api/v1/verifications", q, "SOURCE\tID\tPROVIDER\tSTATUS\tDECISION\tUSER\tUPDATED",
				func(v kycgate.Verification) string {
					return strings.Join([]string{v.Source, v.ID, v.Provider, string(v.Status), orDash(string(v.Decision)), orDash(v.ExternalUserID), when(v.UpdatedAt)}, "\t")
				})
		},
	}
	list.Flags().StringVar(&f.source, "source", "", "only this source")
	list.Flags().StringVar(&f.provider, "provider", "", "only this provider")
	list.Flags().StringVar(&f.status, "status", "", "only this status (pending, in_progress, submitted, on_hold, approved, declined, review_needed, resubmission_requested, abandoned, expired, deleted)")
	list.Flags().StringVar(&f.user, "user", "", "only this external user id")
	list.Flags().StringVar(&f.search, "search", "", "only verifications whose id or external user id starts with this, across providers")
	list.Flags().Var(&f.since, "since", "only verifications updated at or after this RFC 3339 time")
	list.Flags().IntVar(&f.limit, "limit", 0, "page size, 1 to 500 (default 50)")
	list.Flags().StringVar(&f.cursor, "cursor", "", "continue after the previous page")

	var withProviderData bool
	show := &cobra.Command{
		Use:   "show SOURCE ID",
		Short: "Show one verification and its timeline of events",
		Example: `  kycgate verifications show kyc-prod 5cb56e8e0a975a35f333cb83
  kycgate verifications show kyc-prod 5cb56e8e0a975a35f333cb83 --provider-data -o json`,
		Args: argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var q url.Values
			if withProviderData {
				q = url.Values{"include": {"provider_data"}}
			}
			var v api.VerificationWithTimeline
			body, err := c.GetJSON(cmd.Context(), "/api/v1/verifications/"+url.PathEscape(args[0])+"/"+url.PathEscape(args[1]), q, &v)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(cmd.OutOrStdout(), body)
			}
			tw := table(cmd.OutOrStdout())
			decided := "-"
			if v.DecidedAt != nil {
				decided = when(*v.DecidedAt)
			}
			for _, kv := range [][2]string{
				{"source", v.Source}, {"id", v.ID}, {"provider", v.Provider}, {"status", string(v.Status)},
				{"decision", orDash(string(v.Decision))}, {"original decision", orDash(string(v.OriginalDecision))},
				{"reasons", orDash(strings.Join(v.Reasons, "; "))}, {"external user", orDash(v.ExternalUserID)},
				{"flow", orDash(v.Flow)}, {"document", orDash(strings.TrimSpace(v.DocumentType + " " + v.DocumentCountry))},
				{"created", when(v.CreatedAt)}, {"decided", decided}, {"updated", when(v.UpdatedAt)},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
			}
			if f := v.ProviderFetch; f != nil {
				fmt.Fprintf(tw, "provider fetch:\t%s\n", describeFetch(f))
			}
			if d := v.ProviderData; d != nil {
				size := fmt.Sprintf("%d bytes", len(d.Document))
				if d.Purged {
					size = "purged"
				}
				fmt.Fprintf(tw, "provider data:\tfetched %s, %s (-o json shows it)\n", when(d.FetchedAt), size)
			}
			for _, s := range v.Steps {
				fmt.Fprintf(tw, "step:\t%s %s %s\n", s.Name, s.Outcome, s.ErrorCode)
			}
			tw.Flush()
			fmt.Fprintln(cmd.OutOrStdout())
			tw = table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "OCCURRED\tRECEIVED\tTYPE\tPROVIDER EVENT\tEVENT ID")
			for _, e := range v.Timeline {
				occurred := "-"
				if e.OccurredAt != nil {
					occurred = when(*e.OccurredAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", occurred, when(e.ReceivedAt), e.Type, e.ProviderEvent, e.ID)
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&withProviderData, "provider-data", false, "include the document last fetched from the provider's API (personal data)")

	var wait time.Duration
	refresh := &cobra.Command{
		Use:   "refresh SOURCE ID",
		Short: "Fetch a verification from its provider's API again, now",
		Long: `Ask kycgate to fetch a verification's full document from its provider's
API now, for a source configured with API credentials (its api block).
kycgate fetches on its own after each decision; refresh is for what changed
since, or after fixing credentials. With --wait, it waits for the outcome
and fails when the fetch fails.`,
		Example: `  kycgate verifications refresh kyc-prod 6156311aba4c52001b1290a2 --wait 30s`,
		Args:    argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			path := "/api/v1/verifications/" + url.PathEscape(args[0]) + "/" + url.PathEscape(args[1])
			body, err := c.Do(cmd.Context(), http.MethodPost, path+"/refresh", nil)
			if err != nil {
				return err
			}
			var f kycgate.Fetch
			if err := json.Unmarshal(body, &f); err != nil {
				return fmt.Errorf("read the answer: %w", err)
			}
			for deadline := time.Now().Add(wait); f.State == kycgate.FetchPending && time.Now().Before(deadline); {
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-time.After(200 * time.Millisecond):
				}
				var v api.VerificationWithTimeline
				if body, err = c.GetJSON(cmd.Context(), path, nil, &v); err != nil {
					return err
				}
				if v.ProviderFetch == nil {
					return errors.New("the fetch job is gone: the verification was erased")
				}
				f = *v.ProviderFetch
			}
			if cf.output == "json" {
				out, _ := json.Marshal(f)
				if err := printJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "verification %s of %s: %s\n", args[1], args[0], describeFetch(&f))
			}
			if wait > 0 && f.State == kycgate.FetchFailed {
				return errors.New("the fetch failed: " + f.LastError)
			}
			return nil
		},
	}
	refresh.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the outcome (e.g. 30s); 0 returns at once")

	del := &cobra.Command{
		Use:   "delete SOURCE ID",
		Short: "Erase a verification's personal data, keeping a tombstone",
		Long: `Erase a verification's personal data at your request (e.g. a GDPR erasure):
the verification becomes a tombstone that keeps its ids, status, decision and
timestamps, and the raw bodies and metadata of its events are purged. Events
the provider sends later are purged too. The deletion is forwarded to your
destinations as verification.deleted. Running it twice changes nothing.`,
		Args: argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body, err := c.Do(cmd.Context(), http.MethodDelete, "/api/v1/verifications/"+url.PathEscape(args[0])+"/"+url.PathEscape(args[1]), nil)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(cmd.OutOrStdout(), body)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "verification %s of %s erased; a tombstone remains\n", args[1], args[0])
			return nil
		},
	}
	cmd.AddCommand(list, show, refresh, del)
	return cmd
}

// describeFetch says where fetching from the provider's API stands.
func describeFetch(f *kycgate.Fetch) string {
	switch f.State {
	case kycgate.FetchDone:
		if f.FetchedAt == nil {
			return "done"
		}
		return "done, fetched " + when(*f.FetchedAt)
	case kycgate.FetchFailed:
		return "failed: " + f.LastError
	}
	s := "pending, next attempt " + when(f.NextAttemptAt)
	if f.LastError != "" {
		s += " (last error: " + f.LastError + ")"
	}
	return s
}

func newEventsCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List, show and replay stored webhook events (a client of the server's API)",
	}
	cf.register(cmd)

	var f struct {
		source, provider, verification, typ, cursor string
		since                                       timeFlag
		flagged                                     bool
		limit                                       int
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List events, newest first",
		Example: `  kycgate events list --flagged        # events kycgate stored but could not understand
  kycgate events list --verification 5cb56e8e0a975a35f333cb83`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "source", f.source)
			setIf(q, "provider", f.provider)
			setIf(q, "verification_id", f.verification)
			setIf(q, "type", f.typ)
			setIf(q, "since", string(f.since))
			if f.flagged {
				q.Set("flagged", "true")
			}
			pageQuery(q, f.limit, f.cursor)
			return runList(cmd, &cf, "/api/v1/events", q, "ID\tRECEIVED\tSOURCE\tPROVIDER EVENT\tTYPE\tVERIFICATION\tFLAG",
				func(e api.Event) string {
					return strings.Join([]string{e.ID, when(e.ReceivedAt), e.Source, orDash(e.ProviderEvent), orDash(string(e.Type)), orDash(e.VerificationID), orDash(string(e.Flag))}, "\t")
				})
		},
	}
	list.Flags().StringVar(&f.source, "source", "", "only this source")
	list.Flags().StringVar(&f.provider, "provider", "", "only this provider")
	list.Flags().StringVar(&f.verification, "verification", "", "only events of this verification id")
	list.Flags().StringVar(&f.typ, "type", "", "only this canonical type, e.g. verification.decided")
	list.Flags().BoolVar(&f.flagged, "flagged", false, "only events stored flagged (unparseable, unknown_event, altered or unstorable)")
	list.Flags().Var(&f.since, "since", "only received at or after this RFC 3339 time")
	list.Flags().IntVar(&f.limit, "limit", 0, "page size, 1 to 500 (default 50)")
	list.Flags().StringVar(&f.cursor, "cursor", "", "continue after the previous page")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one event with its headers and raw body",
		Args:  argsOfUse,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var ev api.Event
			body, err := c.GetJSON(cmd.Context(), "/api/v1/events/"+url.PathEscape(args[0]), nil, &ev)
			if err != nil {
				return err
			}
			if cf.output == "json" {
				return printJSON(cmd.OutOrStdout(), body)
			}
			return printEvent(cmd.OutOrStdout(), ev)
		},
	}
	cmd.AddCommand(list, show, newEventsReplayCmd(&cf))
	return cmd
}

// printEvent shows an event as a table of its fields, then its headers and
// its raw body as received.
func printEvent(w io.Writer, ev api.Event) error {
	occurred := "-"
	if ev.OccurredAt != nil {
		occurred = when(*ev.OccurredAt)
	}
	flag := orDash(string(ev.Flag))
	if ev.FlagDetail != "" {
		flag += " (" + ev.FlagDetail + ")"
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return err
	}
	tw := table(w)
	for _, kv := range [][2]string{
		{"id", ev.ID}, {"type", orDash(string(ev.Type))}, {"provider event", orDash(ev.ProviderEvent)},
		{"source", ev.Source}, {"provider", ev.Provider}, {"verification", orDash(ev.VerificationID)},
		{"occurred", occurred}, {"received", when(ev.ReceivedAt)}, {"flag", flag},
		{"data", orDash(string(data))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	for _, name := range slices.Sorted(maps.Keys(ev.Headers)) {
		for _, v := range ev.Headers[name] {
			fmt.Fprintf(tw, "header:\t%s: %s\n", name, v)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case ev.RawPurged:
		_, err := fmt.Fprintln(w, "\nraw body: purged")
		return err
	case ev.Raw != nil:
		_, err := fmt.Fprintf(w, "\nraw body (%d bytes):\n%s\n", len(*ev.Raw), *ev.Raw)
		return err
	default:
		_, err := fmt.Fprintf(w, "\nraw body (%d bytes, not text; -o json shows it in base64)\n", len(ev.RawBase64))
		return err
	}
}
