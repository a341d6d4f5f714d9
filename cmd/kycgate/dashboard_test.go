package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/client"
	"github.com/kycgate/kycgate/internal/demo"
	"github.com/kycgate/kycgate/internal/simulator"
)

// chromium returns the path of the Chromium the browser tests drive. Tests
// skip without one, except in CI, where .ci/run installs Debian's package.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("KYCGATE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium: .ci/run installs Debian's chromium package")
	}
	t.Skip("no Chromium installed (apt-get install chromium, or set KYCGATE_CHROMIUM): skipping the browser test")
	return ""
}

// browser starts a headless Chromium and returns a context to drive it.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	// Chromium may still write its profile as it exits, so the profile is
	// removed after the browser is stopped, not by t.TempDir.
	exe := chromium(t) // before the profile exists: it may skip the test
	profile, err := os.MkdirTemp("", "kycgate-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc(); os.RemoveAll(profile) })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page as name.png in $KYCGATE_SCREENSHOTS (make
// screenshots writes docs/images), else in the test's temporary directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("KYCGATE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// follow clicks sel, which leads to another page, and waits until that
// page shows wait: the old page is marked so that its own elements do not
// count.
func follow(sel, wait string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Evaluate(`document.body.dataset.left = "1"`, nil),
		chromedp.Click(sel, chromedp.ByQuery),
		chromedp.WaitVisible(`body:not([data-left]) `+wait, chromedp.ByQuery),
	}
}

// TestDashboard drives the dashboard in a real browser against a gateway fed
// by the simulator with every provider's journeys, and a destination that
// fails until the test lets it succeed.
func TestDashboard(t *testing.T) {
	ctx := browser(t, 1280, 900)

	// The destination fails its first few requests; with max_attempts 1
	// those deliveries are dead-lettered at once.
	const failures = 4
	var requests, received atomic.Int64
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= failures {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		received.Add(1)
	}))
	defer dest.Close()

	secrets := demo.NewSecrets()
	cfg, err := demo.Config("127.0.0.1:0", "sqlite://"+filepath.Join(t.TempDir(), "k.db"), secrets,
		fmt.Sprintf("destinations:\n  - {name: my-app, url: %q, secret: \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", max_attempts: 1, filter: {types: [verification.decided]}}", dest.URL))
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	base := "http://" + app.Addr()
	const perProvider = 12
	if _, err := demo.Feed(context.Background(), base, secrets, perProvider, nil); err != nil {
		t.Fatal(err)
	}
	api := client.New(base, secrets.API)
	all, err := api.ListVerifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dead := waitDead(t, api, "my-app")

	// Log in: a wrong token is refused, the right one opens the overview.
	var text string
	do(t, ctx, "wrong token",
		chromedp.Navigate(base+"/verifications"),
		chromedp.WaitVisible(`#token`, chromedp.ByID),
		chromedp.SendKeys(`#token`, "not-the-token", chromedp.ByID),
		follow(`#login`, `#login-error`),
		chromedp.Text(`#login-error`, &text, chromedp.ByID))
	if !strings.Contains(text, "not one of this server's API tokens") {
		t.Errorf("login error %q", text)
	}
	var location string
	do(t, ctx, "log in",
		chromedp.SetValue(`#token`, secrets.API, chromedp.ByID),
		follow(`#login`, `#verifications`),
		chromedp.Location(&location))
	if !strings.HasSuffix(location, "/verifications") {
		t.Errorf("after login at %s, want back at /verifications", location)
	}

	// The overview: a funnel for every provider, equal to counts made here
	// from every verification the API lists.
	do(t, ctx, "overview", chromedp.Navigate(base+"/?range=all"), chromedp.WaitVisible(`#funnels`, chromedp.ByID))
	for _, p := range simulator.Providers() {
		want := funnelOf(all, p)
		for _, stage := range kycgate.Stages {
			var got string
			do(t, ctx, "read funnel", chromedp.Text(fmt.Sprintf(`section.panel[data-provider=%q] td[data-stage=%q]`, p, stage), &got, chromedp.ByQuery))
			if got != strconv.Itoa(want[string(stage)]) {
				t.Errorf("%s %s: dashboard shows %s, the verifications say %d", p, stage, got, want[string(stage)])
			}
		}
		for _, k := range []string{"abandoned", "expired"} {
			var got string
			do(t, ctx, "read outcome", chromedp.Text(fmt.Sprintf(`section.panel[data-provider=%q] b[data-count=%q]`, p, k), &got, chromedp.ByQuery))
			if got != strconv.Itoa(want[k]) {
				t.Errorf("%s %s: dashboard shows %s, the verifications say %d", p, k, got, want[k])
			}
		}
	}
	// Time to decision: a provider with no time to measure it on is left
	// out, with its count; one on send times says so.
	leftOut, clocks := map[string]int{}, map[string]kycgate.Clock{}
	for _, v := range all {
		switch {
		case v.FirstDecidedAt == nil:
		case v.DecisionClock == kycgate.ClockNone:
			leftOut[v.Provider]++
		case clocks[v.Provider] != kycgate.ClockSent:
			clocks[v.Provider] = v.DecisionClock
		}
	}
	var ttdLabels []string
	do(t, ctx, "time to decision", chromedp.Evaluate(`Array.from(document.querySelectorAll('svg[aria-label^="time from creation"] text.label')).map(t => t.textContent)`, &ttdLabels))
	for _, p := range simulator.Providers() {
		want := p + " p50"
		if clocks[p] == kycgate.ClockSent {
			want = p + " (send times) p50"
		}
		if shown := slices.Contains(ttdLabels, want); shown != (clocks[p] != "") {
			t.Errorf("time to decision of %s: bars %v, its verifications' clock %q", p, ttdLabels, clocks[p])
		}
		got := "0"
		if leftOut[p] > 0 {
			do(t, ctx, "left out", chromedp.AttributeValue(fmt.Sprintf(`#ttd-left-out span[data-provider=%q]`, p), "data-left-out", &got, nil, chromedp.ByQuery))
		}
		if got != strconv.Itoa(leftOut[p]) {
			t.Errorf("time to decision of %s leaves out %s, its verifications say %d", p, got, leftOut[p])
		}
	}
	if leftOut["idwise"] == 0 || clocks["idwise"] != "" || clocks["metamap"] != kycgate.ClockSent || clocks["sumsub"] != kycgate.ClockEvent {
		t.Errorf("demo journeys: left out %v, clocks %v", leftOut, clocks)
	}

	var charts int
	do(t, ctx, "count charts", chromedp.Evaluate(`document.querySelectorAll("svg.chart rect, svg.chart path").length`, &charts))
	if charts < 20 {
		t.Errorf("the overview draws %d chart marks", charts)
	}
	checkCharts(t, ctx, "overview")
	screenshot(t, ctx, "dashboard-overview")

	// Live: with the box ticked, the overview shows verifications that
	// arrive after it was opened, without a reload.
	var liveBefore, liveAfter string
	do(t, ctx, "tick live", chromedp.Text(`#kpi-total`, &liveBefore, chromedp.ByID), chromedp.Click(`#live`, chromedp.ByID))
	if _, err := demo.Feed(context.Background(), base, secrets, 1, nil); err != nil {
		t.Fatal(err)
	}
	more, err := api.ListVerifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "live update",
		chromedp.Poll(fmt.Sprintf(`document.getElementById("kpi-total").textContent === %q`, strconv.Itoa(len(more))), nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text(`#kpi-total`, &liveAfter, chromedp.ByID))
	if liveBefore != strconv.Itoa(len(all)) || liveAfter != strconv.Itoa(len(more)) || len(more) <= len(all) {
		t.Errorf("live overview went from %s to %s verifications; the API has %d, then %d", liveBefore, liveAfter, len(all), len(more))
	}
	do(t, ctx, "untick live", chromedp.Click(`#live`, chromedp.ByID))
	all = more

	// Rows are in the order of the column shown first: newest created first.
	var created []string
	do(t, ctx, "created column", chromedp.Navigate(base+"/verifications"), chromedp.WaitVisible(`#verifications`, chromedp.ByID), chromedp.Evaluate(`Array.from(document.querySelectorAll("#verifications tbody td:first-child")).map(td => td.textContent)`, &created))
	if !slices.IsSortedFunc(created, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("rows are not newest created first: %v", created)
	}
	var fits bool
	do(t, ctx, "table width", chromedp.Evaluate(`document.querySelector("#verifications").offsetWidth <= document.querySelector("#verifications").closest(".scroll").clientWidth`, &fits))
	if !fits {
		t.Errorf("the verifications table is wider than its card")
	}
	if len(created) != kycgate.DefaultPageSize {
		t.Errorf("the first page lists %d verifications", len(created))
	}

	// Filter the verifications: MetaMap's declined ones only.
	do(t, ctx, "filter",
		chromedp.Navigate(base+"/verifications"),
		chromedp.WaitVisible(`#filters`, chromedp.ByID),
		chromedp.SetValue(`select[name=provider]`, "metamap", chromedp.ByQuery),
		chromedp.SetValue(`select[name=status]`, "declined", chromedp.ByQuery),
		follow(`#apply`, `#verifications`))
	var rows []*cdp.Node
	do(t, ctx, "rows", chromedp.Nodes(`#verifications tbody tr`, &rows, chromedp.ByQueryAll))
	wantRows := 0
	for _, v := range all {
		if v.Provider == "metamap" && v.Status == kycgate.StatusDeclined {
			wantRows++
		}
	}
	if len(rows) != wantRows || wantRows == 0 {
		t.Errorf("filtered list has %d rows, want %d", len(rows), wantRows)
	}
	var listText string
	do(t, ctx, "list text", chromedp.Text(`#verifications tbody`, &listText, chromedp.ByQuery))
	if strings.Contains(listText, "sumsub") || strings.Count(listText, "declined") < wantRows {
		t.Errorf("filtered list shows other verifications:\n%s", listText)
	}
	screenshot(t, ctx, "dashboard-verifications")

	// One verification, and the raw payload of one of its events on demand.
	do(t, ctx, "open verification",
		follow(`#verifications tbody tr:first-child td:nth-child(4) a`, `#timeline`),
		chromedp.Location(&location),
		chromedp.Text(`#status`, &text, chromedp.ByID))
	parts := strings.Split(location, "/")
	vid, _ := url.PathUnescape(parts[len(parts)-1])
	if text != "declined" {
		t.Errorf("verification %s shows status %q", vid, text)
	}
	screenshot(t, ctx, "dashboard-verification")

	// Live: a delivery made after the page was opened shows up on it.
	var shown int
	do(t, ctx, "tick live on the verification",
		chromedp.Evaluate(`document.querySelectorAll("#timeline li.delivery").length`, &shown),
		chromedp.Click(`#live`, chromedp.ByID))
	var evs struct{ Data []struct{ ID string } }
	if _, err := api.GetJSON(context.Background(), "/api/v1/events", url.Values{"verification_id": {vid}}, &evs); err != nil || len(evs.Data) == 0 {
		t.Fatalf("events of %s: %v %v", vid, evs, err)
	}
	if _, err := api.Do(context.Background(), http.MethodPost, "/api/v1/events/"+evs.Data[0].ID+"/replay", url.Values{"destination": {"my-app"}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "live verification",
		chromedp.Poll(fmt.Sprintf(`document.querySelectorAll("#timeline li.delivery").length === %d`, shown+1), nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(`#live`, chromedp.ByID))
	var before string
	do(t, ctx, "open event",
		follow(`#timeline li:last-child a.payload-link`, `#show-raw`),
		chromedp.Text(`#raw`, &before, chromedp.ByID))
	if strings.Contains(before, vid) {
		t.Errorf("the raw payload is shown before it is asked for")
	}
	do(t, ctx, "show raw",
		follow(`#show-raw`, `#raw-body`),
		chromedp.Text(`#raw-body`, &text, chromedp.ByID))
	if !strings.Contains(text, vid) {
		t.Errorf("raw payload does not name verification %s:\n%s", vid, text)
	}

	// Deliveries: the dead ones are listed; retry one, then the rest.
	do(t, ctx, "deliveries",
		chromedp.Navigate(base+"/deliveries"),
		chromedp.WaitVisible(`#deliveries`, chromedp.ByID))
	do(t, ctx, "rows", chromedp.Nodes(`#deliveries tbody tr`, &rows, chromedp.ByQueryAll))
	if len(rows) != min(dead, kycgate.DefaultPageSize) {
		t.Errorf("%d dead deliveries listed, want %d", len(rows), dead)
	}
	screenshot(t, ctx, "dashboard-deliveries")
	first := rows[0].AttributeValue("data-delivery")
	do(t, ctx, "retry one",
		follow(`#deliveries tbody tr:first-child button.retry`, `#notice`),
		chromedp.Text(`#notice`, &text, chromedp.ByID))
	if !strings.HasPrefix(text, "1 delivery will be sent again") {
		t.Errorf("notice after retry: %q", text)
	}
	waitState(t, api, first, kycgate.DeliveryDelivered)
	do(t, ctx, "retry all",
		follow(`#destinations button.retry-all`, `#notice`))
	deadline := time.Now().Add(20 * time.Second)
	for deadCount(t, api, "my-app") > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := deadCount(t, api, "my-app"); n != 0 {
		t.Errorf("%d deliveries still dead after retrying all", n)
	}
	if got, want := received.Load(), requests.Load()-failures; got != want || dead != failures {
		t.Errorf("the destination received %d of %d requests after its %d failures, and %d deliveries died", got, want, failures, dead)
	}

	// One end user across providers.
	users := map[string]map[string]bool{}
	for _, v := range all {
		if v.ExternalUserID == "" {
			continue // some providers' webhooks do not name the user
		}
		if users[v.ExternalUserID] == nil {
			users[v.ExternalUserID] = map[string]bool{}
		}
		users[v.ExternalUserID][v.Provider] = true
	}
	var uid string
	for u, ps := range users {
		if len(ps) > 1 && (uid == "" || u < uid) {
			uid = u
		}
	}
	if uid == "" {
		t.Fatalf("no end user has verifications with more than one provider: %v", users)
	}
	// The search box finds the user by the start of their id, across
	// providers.
	prefix := uid[:len(uid)-1]
	do(t, ctx, "search",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#top-search`, chromedp.ByID),
		chromedp.SendKeys(`#top-search`, prefix+"\r", chromedp.ByID),
		chromedp.WaitVisible(`#verifications`, chromedp.ByID),
		chromedp.Nodes(`#verifications tbody tr`, &rows, chromedp.ByQueryAll),
		chromedp.Text(`#verifications tbody`, &listText, chromedp.ByQuery))
	found := 0
	for _, v := range all {
		if strings.HasPrefix(v.ExternalUserID, prefix) || strings.HasPrefix(v.ID, prefix) {
			found++
		}
	}
	if len(rows) != min(found, kycgate.DefaultPageSize) || found == 0 || !strings.Contains(listText, uid) {
		t.Errorf("searching %q lists %d verifications, want %d, with %s", prefix, len(rows), found, uid)
	}

	do(t, ctx, "user page",
		chromedp.Navigate(base+"/users/"+url.PathEscape(uid)),
		chromedp.WaitVisible(`#verifications`, chromedp.ByID),
		chromedp.Nodes(`#verifications tbody tr`, &rows, chromedp.ByQueryAll))
	n := 0
	for _, v := range all {
		if v.ExternalUserID == uid {
			n++
		}
	}
	if len(rows) != n {
		t.Errorf("user %s: %d rows, want %d", uid, len(rows), n)
	}
	// The summary: each provider's latest decision, and the latest decline.
	latest := map[string]kycgate.Verification{}
	var declined *kycgate.Verification
	for _, v := range all {
		if v.ExternalUserID != uid || v.DecidedAt == nil {
			continue
		}
		if l, ok := latest[v.Provider]; !ok || v.DecidedAt.After(*l.DecidedAt) {
			latest[v.Provider] = v
		}
		if v.Decision == kycgate.DecisionDeclined && (declined == nil || v.DecidedAt.After(*declined.DecidedAt)) {
			declined = &v
		}
	}
	for p := range users[uid] {
		want := "none yet"
		if l, ok := latest[p]; ok {
			want = string(l.Decision)
		}
		var got string
		do(t, ctx, "summary row", chromedp.Text(fmt.Sprintf(`#user-providers tr[data-provider=%q] td[data-decision]`, p), &got, chromedp.ByQuery))
		if got != want {
			t.Errorf("user %s at %s: latest decision %q, want %q", uid, p, got, want)
		}
	}
	do(t, ctx, "declined", chromedp.Text(`#user-declined`, &text, chromedp.ByID))
	if declined == nil && text != "No provider declined this user." ||
		declined != nil && !strings.Contains(text, "Declined by "+declined.Provider) {
		t.Errorf("user %s: %q, the verifications say declined %+v", uid, text, declined)
	}
	screenshot(t, ctx, "dashboard-user")

	// No page scrolls sideways on a laptop either.
	for _, path := range []string{"/?range=all", "/verifications", "/verifications/" + parts[len(parts)-2] + "/" + parts[len(parts)-1], "/users/" + url.PathEscape(uid), "/deliveries?state=delivered"} {
		var overflow bool
		do(t, ctx, "look at "+path,
			chromedp.Navigate(base+path),
			chromedp.WaitVisible(`#main`, chromedp.ByID),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
		if overflow {
			t.Errorf("%s is wider than the window", path)
		}
	}

	// Log out: the dashboard asks to log in again.
	do(t, ctx, "log out",
		chromedp.Navigate(base+"/"),
		follow(`form.logout button`, `#token`),
		chromedp.Navigate(base+"/deliveries"),
		chromedp.WaitVisible(`#token`, chromedp.ByID))
}

// TestDashboard_Phone: no page scrolls sideways on a phone, and every
// chart's labels stay inside their chart.
func TestDashboard_Phone(t *testing.T) {
	ctx := browser(t, 390, 844)
	secrets := demo.NewSecrets()
	cfg, err := demo.Config("127.0.0.1:0", "sqlite://"+filepath.Join(t.TempDir(), "k.db"), secrets)
	if err != nil {
		t.Fatal(err)
	}
	app, _ := runApp(t, cfg)
	base := "http://" + app.Addr()
	if _, err := demo.Feed(context.Background(), base, secrets, 6, nil); err != nil {
		t.Fatal(err)
	}
	all, err := client.New(base, secrets.API).ListVerifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "log in",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/?range=all"),
		chromedp.WaitVisible(`#token`, chromedp.ByID),
		chromedp.SendKeys(`#token`, secrets.API, chromedp.ByID),
		follow(`#login`, `#funnels`))
	checkCharts(t, ctx, "overview")
	screenshot(t, ctx, "dashboard-phone")
	// The verification with the most steps, the widest table there is.
	// And a user's page: the demo's users are shared, though some
	// providers' webhooks do not name them.
	widest, user := all[0], ""
	for _, v := range all {
		if len(v.Steps) > len(widest.Steps) {
			widest = v
		}
		if user == "" {
			user = v.ExternalUserID
		}
	}
	if user == "" {
		t.Fatal("no verification names its end user")
	}
	for _, path := range []string{
		"/?range=all",
		"/verifications",
		"/verifications/" + url.PathEscape(widest.Source) + "/" + url.PathEscape(widest.ID),
		"/users/" + url.PathEscape(user),
		"/deliveries?state=pending",
		"/no/such/page",
	} {
		var overflow bool
		do(t, ctx, "look at "+path,
			chromedp.Navigate(base+path),
			chromedp.WaitVisible(`#main`, chromedp.ByID),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
		if overflow {
			t.Errorf("%s is wider than a phone's screen", path)
		}
		if strings.HasPrefix(path, "/verifications/") {
			screenshot(t, ctx, "dashboard-phone-verification")
		}
	}
	// On a phone, a row of the list names every column.
	var labels []string
	do(t, ctx, "row labels",
		chromedp.Navigate(base+"/verifications"),
		chromedp.WaitVisible(`#verifications`, chromedp.ByID),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#verifications tbody tr:first-child td")).filter(td => td.offsetWidth > 0).map(td => getComputedStyle(td, "::before").content)`, &labels))
	if got := strings.Join(labels, ","); !strings.Contains(got, `"Status"`) || !strings.Contains(got, `"Decision"`) || len(labels) != 9 {
		t.Errorf("a row on a phone shows %v", labels)
	}
}

// checkCharts fails the test for every chart label that leaves its chart,
// and for chart text drawn smaller than 9 px.
func checkCharts(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var problems []string
	do(t, ctx, "check charts", chromedp.Evaluate(`(() => {
		const out = [];
		for (const svg of document.querySelectorAll("svg.chart")) {
			const box = svg.getBoundingClientRect();
			for (const text of svg.querySelectorAll("text")) {
				const r = text.getBoundingClientRect();
				if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
					out.push(svg.getAttribute("aria-label") + ": " + JSON.stringify(text.textContent) + " leaves its chart");
				}
				if (r.height > 0 && r.height < 9) {
					out.push(svg.getAttribute("aria-label") + ": " + JSON.stringify(text.textContent) + " is " + r.height.toFixed(1) + " px high");
				}
			}
		}
		return out;
	})()`, &problems))
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}

// funnelOf counts, from the verifications themselves, what the funnel of
// provider p must show.
func funnelOf(all []kycgate.Verification, p string) map[string]int {
	out := map[string]int{}
	for _, v := range all {
		if v.Provider != p {
			continue
		}
		for _, s := range kycgate.Stages {
			if v.Stage.Rank() >= s.Rank() {
				out[string(s)]++
			}
		}
		switch v.Status {
		case kycgate.StatusAbandoned, kycgate.StatusExpired:
			out[string(v.Status)]++
		}
	}
	return out
}

func deadCount(t *testing.T, api *client.Client, dest string) int {
	t.Helper()
	var page struct{ Data []kycgate.Delivery }
	if _, err := api.GetJSON(context.Background(), "/api/v1/deliveries", url.Values{"destination": {dest}, "state": {"dead"}, "limit": {"500"}}, &page); err != nil {
		t.Fatal(err)
	}
	return len(page.Data)
}

// waitDead waits until no delivery to dest is pending, and returns how
// many are dead.
func waitDead(t *testing.T, api *client.Client, dest string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct{ Data []kycgate.Delivery }
		if _, err := api.GetJSON(context.Background(), "/api/v1/deliveries", url.Values{"destination": {dest}, "state": {"pending"}}, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 0 {
			return deadCount(t, api, dest)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries to %s still pending", len(page.Data), dest)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitState(t *testing.T, api *client.Client, id string, want kycgate.DeliveryState) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var d kycgate.Delivery
		if _, err := api.GetJSON(context.Background(), "/api/v1/deliveries/"+id, nil, &d); err != nil {
			t.Fatal(err)
		}
		if d.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s, want %s", id, d.State, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
