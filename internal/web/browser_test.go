package web_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive the pages in headless Chromium (chromedp): every
// page loads without a console error, a gift sent in the viewer room shows
// on the overlay through Server-Sent Events, a withdrawal shows its
// breakdown, a post without the CSRF token is refused, and each page is
// saved as a screenshot for docs/WEB.md.
//
// Chromium is GLINT_CHROMIUM, else chromium or chromium-browser on PATH
// (scripts/chromium.sh installs it). Without it the tests skip, unless
// GLINT_REQUIRE_CHROMIUM=1 (CI), which makes that a failure. Screenshots go
// to $GLINT_ARTIFACTS/screenshots when GLINT_ARTIFACTS is set, else to
// $TMPDIR/glint-artifacts/screenshots; `go test ./internal/web/
// -update-screenshots` refreshes the ones docs/WEB.md shows, in
// testdata/screenshots.

var updateScreenshots = flag.Bool("update-screenshots", false, "write the screenshots docs/WEB.md shows (testdata/screenshots)")

// browserWait bounds every step of a browser test.
const browserWait = 20 * time.Second

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GLINT_CHROMIUM"); p != "" {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
		t.Fatalf("GLINT_CHROMIUM=%s: not an executable", p)
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GLINT_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("Chromium is required (GLINT_REQUIRE_CHROMIUM=1) but neither GLINT_CHROMIUM, chromium nor chromium-browser is found: run scripts/chromium.sh")
	}
	t.Skip("Chromium not found (set GLINT_CHROMIUM or run scripts/chromium.sh): browser tests skipped")
	return ""
}

// screenshotDir is where the screenshots go.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "glint-artifacts", "screenshots")
	switch a := os.Getenv("GLINT_ARTIFACTS"); {
	case *updateScreenshots:
		dir = filepath.Join("testdata", "screenshots")
	case a != "":
		dir = filepath.Join(a, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium for a test (as root: --no-sandbox).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab is one browser tab in a browser context of its own (its own cookies:
// one person), collecting the console errors, exceptions and error log
// entries (a failed load, a CSP violation) of its pages.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

func newTab(t *testing.T, b context.Context, name string) *tab {
	t.Helper()
	tb := &tab{t: t, name: name}
	listen := func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level != cdplog.EntryLevelError {
				return
			}
			msg = "log: " + e.Entry.Text + " " + e.Entry.URL
		default:
			return
		}
		tb.mu.Lock()
		tb.errs = append(tb.errs, msg)
		tb.mu.Unlock()
	}
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext(), chromedp.WithListener(listen))
	t.Cleanup(cancel)
	tb.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tb
}

// fatal fails the test with where the tab is and what it shows.
func (tb *tab) fatal(what string, err error) {
	tb.t.Helper()
	loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
	body, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ""`))
	tb.t.Fatalf("%s: %s: %v\nat %s\n%s", tb.name, what, err, loc, body)
}

// do runs actions in the tab, failing the test on an error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fatal(what, err)
	}
}

// get runs one action that returns a value.
func get[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.fatal(what, err)
	}
	return v
}

// clean fails the test if the tab's pages logged an error since the last
// call.
func (tb *tab) clean(where string) {
	tb.t.Helper()
	// Let late script errors (after load) arrive.
	time.Sleep(200 * time.Millisecond)
	tb.mu.Lock()
	errs := tb.errs
	tb.errs = nil
	tb.mu.Unlock()
	for _, e := range errs {
		tb.t.Errorf("%s: %s: %s", tb.name, where, e)
	}
}

// screenshot saves the viewport (1280×800) as name.png.
func (tb *tab) screenshot(dir, name string) {
	tb.t.Helper()
	png := get(tb, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// open loads a page.
func (tb *tab) open(u string) {
	tb.t.Helper()
	tb.do("open "+u, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body")))
}

// signIn signs the tab in through the form, then lands on next.
func (tb *tab) signIn(base, cred, next string) {
	tb.t.Helper()
	tb.open(base + "/login?next=" + url.QueryEscape(next))
	tb.do("sign in",
		chromedp.SendKeys(chromedp.ID("credential"), cred),
		chromedp.Submit(chromedp.ID("login-form")),
	)
	tb.waitJS("the page after sign-in", fmt.Sprintf(`location.href.startsWith(%q) && document.readyState === "complete"`, base+next))
}

// text returns the text of the first visible element matching a CSS
// selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return get(tb, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitJS waits until a JavaScript expression is true, across a navigation
// that the wait may start before.
func (tb *tab) waitJS(what, expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		ctx, cancel := context.WithDeadline(tb.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !navigating(err) {
			tb.fatal("wait for "+what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigating reports whether an error means the page changed under a
// script (a navigation the wait started before).
func navigating(err error) bool {
	msg := err.Error()
	for _, s := range []string{"navigated", "context with specified id", "Execution context was destroyed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func TestBrowser(t *testing.T) {
	b := browser(t)
	dir := screenshotDir(t)
	s := world(t)
	// Four weeks of history for the charts, and more for the leaderboard.
	s.buy("v2", 2)
	for day := 27; day >= 1; day-- {
		s.at(time.Now().AddDate(0, 0, -day), func() { s.gift("s1", "v2", "sun-cream", int64(day*37%11+1)) })
	}
	s.gift("s1", "v1", "rainbow-puke", 3)
	s.gift("s1", "v2", "concert", 1)

	// The sign-in page, then c1's dashboard through a sign-in link: the
	// token rides in the fragment and login.js submits it.
	creator := newTab(t, b, "creator c1")
	creator.open(s.URL + "/login")
	creator.clean("/login")
	creator.screenshot(dir, "login")
	creator.open(s.URL + "/login#token=" + s.token("c1"))
	creator.do("sign-in link", chromedp.WaitVisible(chromedp.ID("me-h")))
	creator.open(s.URL + "/creator?stream=s1")
	creator.do("charts", chromedp.WaitVisible(chromedp.CSS("#chart-day .uplot")), chromedp.WaitVisible(chromedp.CSS("#chart-week .uplot")))
	creator.clean("/creator")
	creator.screenshot(dir, "creator")
	creator.do("scroll to the charts", chromedp.Evaluate[chromedp.Void](`document.getElementById("earn-h").scrollIntoView({block: "start"}); window.scrollBy(0, -16)`))
	creator.screenshot(dir, "creator-earnings")
	// Viewer One's coins on c1's leaderboard of the day, before the room.
	boardJS := `[...document.querySelectorAll("#board-day li")].find(li => li.textContent.includes("Viewer One")).querySelector(".num").textContent`
	dayBefore := strings.TrimSuffix(get(creator, "c1's board of the day", chromedp.Evaluate[string](boardJS)), " coins")
	overlayURL := get(creator, "overlay URL", chromedp.Value(chromedp.ID("overlay-url")))
	if !strings.Contains(overlayURL, "/overlay/s1?") || !strings.Contains(overlayURL, "key=") {
		t.Fatalf("overlay URL %q", overlayURL)
	}

	// The overlay, in a browser context with no session: the key is enough.
	// Alerts stay 30 s so the screenshot catches them; a grey backdrop
	// stands for the video behind the transparent page.
	overlay := newTab(t, b, "overlay")
	if _, err := chromedp.Call(overlay.ctx, emulation.SetDefaultBackgroundColorOverride,
		emulation.SetDefaultBackgroundColorOverrideParams{Color: &cdp.RGBA{R: 38, G: 42, B: 56, A: 1}}); err != nil {
		t.Fatal(err)
	}
	overlay.open(strings.Replace(overlayURL, "duration=5", "duration=30", 1) + "&target=5000")
	overlay.waitJS("the overlay's event stream", `document.body.dataset.live === "1"`)
	overlay.clean("/overlay/s1")

	// The viewer room: a Rose three times (a combo), then a Lollipop.
	viewer := newTab(t, b, "viewer v1")
	viewer.signIn(s.URL, s.token("v1"), "/live/s1")
	viewer.waitJS("the room's event stream", `document.body.dataset.live === "1"`)
	viewer.clean("/live/s1")
	before := viewer.text("#coins")
	spentBefore, _, _ := strings.Cut(viewer.text("#level-next"), " ")
	for range 3 {
		viewer.do("send a rose", chromedp.Click(chromedp.CSS(`form[data-gift="rose"] button`)))
		viewer.waitJS("the rose's answer", `!document.querySelector('form[data-gift="rose"] button').classList.contains("sending")`)
	}
	viewer.do("send a lollipop", chromedp.Click(chromedp.CSS(`form[data-gift="lollipop"] button`)))
	viewer.waitJS("the coins", `document.getElementById("gift-status").textContent.includes("Lollipop")`)
	viewer.waitJS("the feed", `[...document.querySelectorAll("#feed li")].some(li => li.textContent.includes("Rose") && li.textContent.includes("×3"))`)
	if got, want := viewer.text("#coins"), groupCoins(t, before, -13); got != want {
		t.Errorf("coins after 3 roses and a lollipop: %s, want %s", got, want)
	}
	// The level meter moved by the coins sent; the feed shows levels.
	if got, want := viewer.text("#level-next"), groupCoins(t, spentBefore, 13)+" of "; !strings.HasPrefix(got, want) {
		t.Errorf("the level meter after 13 coins: %q, want it to start %q", got, want)
	}
	viewer.waitJS("levels in the feed", `[...document.querySelectorAll("#feed li")].some(li => li.textContent.includes("Lv ") && li.textContent.includes("Viewer One"))`)
	viewer.clean("sending gifts")
	viewer.screenshot(dir, "live")

	// On a phone the room is one column, with nothing wider than the screen.
	viewer.do("phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("body")))
	viewer.waitJS("one column", `document.documentElement.scrollWidth <= window.innerWidth && document.querySelector(".giftbar").getBoundingClientRect().top < document.querySelector(".side").getBoundingClientRect().top`)
	viewer.clean("/live/s1 on a phone")
	viewer.screenshot(dir, "live-phone")
	viewer.do("desktop", chromedp.EmulateViewport(1280, 800))

	// The gifts reach the overlay through SSE, the streak counted.
	overlay.waitJS("the rose streak alert", `[...document.querySelectorAll("#ov-alerts li")].some(li => li.textContent.includes("Viewer One") && li.textContent.includes("Rose") && li.textContent.includes("×3"))`)
	overlay.waitJS("the lollipop alert", `[...document.querySelectorAll("#ov-alerts li")].some(li => li.textContent.includes("Lollipop"))`)
	overlay.waitJS("the goal bar", `!document.getElementById("ov-goal").hidden && document.getElementById("ov-goal-num").textContent.includes("/ 5,000")`)
	overlay.waitJS("the top gifter", `document.getElementById("ov-top-name").textContent.length > 0`)
	overlay.waitJS("the sender's level", `[...document.querySelectorAll("#ov-alerts li .lv")].some(e => e.textContent.startsWith("Lv "))`)
	overlay.clean("alerts")
	overlay.screenshot(dir, "overlay")

	// The creator's leaderboard of the day counts the room's gifts.
	creator.open(s.URL + "/creator?stream=s1")
	if got, want := strings.TrimSuffix(get(creator, "c1's board of the day", chromedp.Evaluate[string](boardJS)), " coins"), groupCoins(t, dayBefore, 13); got != want {
		t.Errorf("Viewer One on c1's board of the day: %s coins, want %s", got, want)
	}
	creator.clean("/creator after the gifts")

	// CSRF: a post without the token is refused, in the browser too, and
	// buys nothing.
	status := get(viewer, "post without CSRF", chromedp.Evaluate[int](
		`fetch("/live/s1/buy", {method: "POST", body: new URLSearchParams({package_id: "web-usd-350"})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Errorf("a post without the CSRF token: %d, want 403", status)
	}
	viewer.open(s.URL + "/live/s1")
	if got, want := viewer.text("#coins"), groupCoins(t, before, -13); got != want {
		t.Errorf("coins after the refused post: %s, want %s", got, want)
	}
	viewer.do("a form without its CSRF token",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/buy"] input[name=csrf]').remove(); document.querySelector('details.buy').open = true`),
		chromedp.Click(chromedp.CSS(`form[action$="/buy"] button[type=submit]`)))
	viewer.waitJS("the refusal", `document.body.innerText.includes("CSRF check failed")`)
	viewer.mu.Lock()
	viewer.errs = nil // the refused post is logged as a failed load
	viewer.mu.Unlock()

	// A withdrawal on c2's dashboard: 20,000 diamonds, a PayPal method, and
	// the locked breakdown.
	cash := newTab(t, b, "creator c2")
	cash.signIn(s.URL, s.token("c2"), "/creator?stream=s2")
	cash.do("payout method",
		chromedp.Click(chromedp.CSS(`input[name=kind][value=paypal]`)),
		chromedp.SendKeys(chromedp.ID("paypal_email"), "luca@example.com"),
		chromedp.Submit(chromedp.CSS(".method-form")),
	)
	cash.waitJS("the method on file", `document.readyState === "complete" && !!document.getElementById("diamonds")`)
	if diamonds := get(cash, "available", chromedp.Value(chromedp.ID("diamonds"))); diamonds != "20000" {
		t.Fatalf("available diamonds %q, want 20000", diamonds)
	}
	cash.do("withdraw", chromedp.Submit(chromedp.CSS(`form[action="/creator/withdraw"]`)), chromedp.WaitVisible(chromedp.ID("withdrawal")))
	quote := cash.text("#withdrawal")
	for _, want := range []string{"20,000", "0.005 USD", "100.00 USD", "Commission (0.5)", "50.00 USD", "1 USD =", "EUR", "Payout"} {
		if !strings.Contains(quote, want) {
			t.Errorf("the withdrawal breakdown lacks %q:\n%s", want, quote)
		}
	}
	cash.clean("/creator withdrawal")
	cash.do("scroll to the breakdown", chromedp.Evaluate[chromedp.Void](`document.getElementById("withdrawal").scrollIntoView({block: "start"}); window.scrollBy(0, -16)`))
	cash.screenshot(dir, "withdrawal")

	// The console, page by page.
	admin := newTab(t, b, "admin")
	admin.signIn(s.URL, s.admin, "/admin")
	admin.clean("/admin")
	admin.screenshot(dir, "admin-catalog")
	for _, p := range []struct{ path, name, wait string }{
		{"/admin/users?id=v1", "admin-users", "#user-h"},
		{"/admin/payouts?status=requested", "admin-payouts", "#q-h"},
		{"/admin/fx", "admin-fx", "#fx-h"},
		{"/admin/ledger?run=1", "admin-ledger", ".ok"},
		{"/admin/books", "admin-books", "#coins-h"},
	} {
		admin.open(s.URL + p.path)
		admin.do("wait for "+p.wait, chromedp.WaitVisible(chromedp.CSS(p.wait)))
		admin.clean(p.path)
		admin.screenshot(dir, p.name)
	}
	if q := admin.text("main"); !strings.Contains(q, "Reconciled") {
		t.Errorf("the books do not reconcile:\n%s", q)
	}

	// A price change from the console shows in the viewer room.
	admin.open(s.URL + "/admin")
	admin.do("new price", chromedp.SetValue(chromedp.ID("coins-rose"), "2"), chromedp.Click(chromedp.CSS(`#gift-rose .price-form button`)))
	admin.waitJS("the notice", `!!document.querySelector(".notice")`)
	admin.clean("price change")
	viewer.open(s.URL + "/live/s1")
	if p := viewer.text(`form[data-gift="rose"] .price`); p != "2" {
		t.Errorf("the rose's price in the room: %q, want 2", p)
	}
	viewer.clean("/live/s1 after the price change")
}

// groupCoins returns a grouped coin count ("52,487") plus delta.
func groupCoins(t *testing.T, grouped string, delta int64) string {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(strings.ReplaceAll(grouped, ",", ""), &n); err != nil {
		t.Fatalf("coins %q: %v", grouped, err)
	}
	n += delta
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
