package httpapi_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// The machinery of TestAccessMatrix: the world every cell runs in, the
// routes the server registers, the cells, and docs/ACCESS.md. The table
// itself is in access_test.go.

var updateAccess = flag.Bool("update-access", false, "rewrite docs/ACCESS.md from the access matrix (TestAccessMatrix)")

// accessDoc is the Markdown rendering of the matrix, relative to this package.
var accessDoc = filepath.Join("..", "..", "docs", "ACCESS.md")

// specRoute is the OpenAPI document itself, which huma serves at
// Config.OpenAPIPath: neither an operation of the document nor a route of
// the package's source.
const specRoute = "GET /openapi.json"

// ---- principals and outcomes ----

// principal is who makes a call of the matrix.
type principal int

const (
	asAdmin   principal = iota // an API key with the admin scope
	asService                  // an API key with the service scope
	asUser                     // a token of the user the call names
	asOther                    // a token of another user: mallory (v2)
	asNone                     // no Authorization header
)

var principals = []principal{asAdmin, asService, asUser, asOther, asNone}

func (p principal) String() string {
	return [...]string{"admin", "service", "user", "other user", "none"}[p]
}

// mallory is the other user of every row: a viewer with coins of her own,
// named by no row.
const mallory = "v2"

// credential is p's credential for the harness, on a row naming user.
func (p principal) credential(user string) string {
	switch p {
	case asAdmin:
		return "admin"
	case asService:
		return "service"
	case asUser:
		return "user:" + user
	case asOther:
		return "user:" + mallory
	}
	return ""
}

// outcome is what a principal's call comes to.
type outcome struct {
	class  string // allowed, forbidden, hidden or unauthenticated
	status int    // of a refusal; an allowed call answers its row's status
}

var (
	allowed         = outcome{class: "allowed"}
	forbidden       = outcome{class: "forbidden", status: http.StatusForbidden}
	hidden          = outcome{class: "hidden", status: http.StatusNotFound}
	unauthenticated = outcome{class: "unauthenticated", status: http.StatusUnauthorized}
)

func (o outcome) refused() bool { return o.class != "allowed" }

// want is the exact status of the outcome on row r.
func (o outcome) want(r accessRow) int {
	switch {
	case o.refused():
		return o.status
	case r.status != 0:
		return r.status
	}
	return http.StatusOK
}

// grid is the outcome of each principal, in the order of principals.
type grid [5]outcome

// ---- rows ----

// accessRow is a route of the matrix: one call, made by each principal,
// and what each must come to.
type accessRow struct {
	route string // "METHOD /pattern", as the server registers it
	path  string // the call; {name} are ids of the world (h.expand)
	body  string // {name} expanded too
	// user is the user the call names, whose token "user" is; empty when
	// it names none (then "user" is the viewer v1).
	user string
	who  string // what user is to the call, for the doc ("the stream's creator")
	grid grid
	// status is the success status of the route (200 when 0): what an
	// allowed call answers.
	status int
	// want is a JSON subset of every allowed 2xx answer.
	want string
	// quiet says why an allowed call other than a GET changes nothing;
	// any other allowed call must change the state, on a world of its own.
	quiet string
	// sign returns the headers that authenticate a webhook's body.
	sign func(h *harness, body string) []string
	// stream: the answer is an event stream, read up to its headers.
	stream bool
	why    string // the rule, for the doc
	// needs are the fixtures the row's calls need beyond seedAccessWorld.
	needs []fixture
	// probes are more calls another user (mallory) makes, which must be
	// refused and change nothing; without credentials they are 401 when
	// the route needs credentials.
	probes []probe
}

// probe is a call by mallory that must be refused with status and the
// error code.
type probe struct {
	path, body string
	status     int
	code       string
}

func (r accessRow) method() string { m, _, _ := strings.Cut(r.route, " "); return m }

func (r accessRow) owner() string {
	if r.user == "" {
		return "v1"
	}
	return r.user
}

// ---- the world ----

// accessDB hands the harness's database to the FX and audit routes, which
// newHarness's options configure before the database exists.
type accessDB struct{ *sqlite.DB }

// newAccessWorld is glint wired as `glint serve` wires it — every route:
// FX admin, the audit log, stream events — on a fresh database, seeded
// with seedAccessWorld and the fixtures given.
func newAccessWorld(t testing.TB, fixtures ...fixture) *harness {
	t.Helper()
	d := &accessDB{}
	hub := realtime.NewHub(realtime.Config{})
	var rec *audit.Recorder
	h := newHarness(t, func(c *httpapi.Config) {
		rec = audit.NewRecorder(audit.Config{Store: d, Logger: c.Logger, Registry: prometheus.NewRegistry()})
		c.FXStore, c.Audit, c.AuditStore, c.Events = d, rec, d, hub
	})
	d.DB = h.db
	rec.Start()
	t.Cleanup(rec.Stop)
	t.Cleanup(hub.Close) // before the server closes: it ends open event streams
	seedAccessWorld(h)
	for _, f := range fixtures {
		f(h)
	}
	return h
}

// seedAccessWorld is seedWorld (viewers v1, v2, kid; creators c1 live in
// s1, c2) plus v1's streak vc in s1 and a plain gift, sent with the keys
// victim-key and victim-plain: another user must not replay them.
func seedAccessWorld(h *harness) {
	h.t.Helper()
	seedWorld(h)
	for _, r := range []*response{h.gift("s1", "v1", "rose", 2, "vc", "victim-key"), h.gift("s1", "v1", "rose", 5, "", "victim-plain")} {
		if r.Status != http.StatusCreated {
			h.t.Fatalf("v1's gift: %s", r)
		}
	}
	// What the rows may change, beyond the profiles, wallets, histories,
	// streams and streak the helpers watch; and ids that must never come
	// to exist.
	h.watch("/v1/users/c1/payout-method", "/v1/users/c2/payout-method", "/v1/users/c3/payout-method",
		"/v1/admin/withdrawals?limit=200", "/v1/streams/s1/goal", "/v1/users/v1/level", "/v1/admin/fx",
		"/v1/streams/hijack", "/v1/streams/s-new", "/v1/users/v1/transactions?kind=gift_sent")
}

// fixture adds to a world what some rows need. The shared world has
// every fixture; the fresh world of a cell, those its row needs.
type fixture func(h *harness)

var (
	// withGoal: s1 has a goal.
	withGoal fixture = func(h *harness) {
		h.must(http.StatusOK, "PUT", "/v1/streams/s1/goal", "service", `{"kind":"coins","target":100000}`)
	}
	// withDiamonds: c1 has 20,000 diamonds and a PayPal method, and no
	// withdrawal yet.
	withDiamonds fixture = func(h *harness) {
		h.must(http.StatusOK, "PUT", "/v1/users/c1/payout-method", "service", `{"kind":"paypal","paypal_email":"c1@example.com"}`)
		fund(h, "c1", "s1")
	}
	// withWithdrawal: c2's withdrawal {wd} of 20,000 diamonds to a bank
	// account waits for finance (manual payouts).
	withWithdrawal fixture = func(h *harness) {
		h.goLive("c2", "s2")
		fund(h, "c2", "s2")
		h.must(http.StatusOK, "POST", "/v1/streams/s2/end", "service", "")
		h.must(http.StatusOK, "PUT", "/v1/users/c2/payout-method", "service", `{"kind":"bank","holder_name":"Luca Rossi","iban":"IT60 X054 2811 1010 0000 0123 456"}`)
		saveID("wd")(h, h.must(http.StatusCreated, "POST", "/v1/users/c2/withdrawals", "service", `{"diamonds":"20000"}`, "Idempotency-Key", "seed-wd"))
	}
	// withBanned: b1 is banned.
	withBanned fixture = func(h *harness) {
		h.putUser("b1", "Banned Viewer", "US", true)
		h.must(http.StatusOK, "POST", "/v1/admin/users/b1/ban", "admin", `{"reason":"spam"}`)
	}
	// withHeld: c3's payouts are held for review.
	withHeld fixture = func(h *harness) {
		h.putUser("c3", "Held Creator", "US", true)
		h.must(http.StatusOK, "POST", "/v1/admin/users/c3/hold-payouts", "admin", `{"reason":"review"}`)
	}
	// withRetired: the gift "retired" is retired.
	withRetired fixture = func(h *harness) {
		h.must(http.StatusOK, "PUT", "/v1/admin/gifts/retired", "admin", `{"name":"Retired","coins":3,"streakable":false}`)
		h.must(http.StatusOK, "POST", "/v1/admin/gifts/retired/retire", "admin", "")
	}
	// withCardPurchase: v1's card purchase {stripe_purchase} waits for
	// Stripe's webhook; {now} is the time of the world.
	withCardPurchase fixture = func(h *harness) {
		saveID("stripe_purchase")(h, h.must(http.StatusCreated, "POST", "/v1/purchases", "service",
			`{"user_id":"v1","package_id":"web-usd-350","provider":"stripe"}`, "Idempotency-Key", "seed-stripe"))
		h.set("now", strconv.FormatInt(h.clock.Now().Unix(), 10))
	}
)

// allFixtures are the fixtures of the shared world.
var allFixtures = []fixture{withGoal, withDiamonds, withWithdrawal, withBanned, withHeld, withRetired, withCardPurchase}

// ---- routes ----

// plainRoutes are the routes the package registers on its mux directly,
// outside the OpenAPI document, read from its source (s.mux.Handle and
// s.mux.HandleFunc with a literal pattern), so that a new one without a row
// fails the test too. The catch-all "/" (noRoute) is left out.
func plainRoutes(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (fn.Sel.Name != "Handle" && fn.Sel.Name != "HandleFunc") {
				return true
			}
			if mux, ok := fn.X.(*ast.SelectorExpr); !ok || mux.Sel.Name != "mux" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: a mux route whose pattern is not a literal: the access matrix cannot see it", fset.Position(call.Pos()))
				return true
			}
			if p, _ := strconv.Unquote(lit.Value); p != "/" {
				out = append(out, p)
			}
			return true
		})
	}
	if len(out) < 5 {
		t.Fatalf("found only the mux routes %v in the package's source", out)
	}
	return out
}

// checkRoutes fails the test unless the matrix has exactly one row per route
// of h's server (every operation of the OpenAPI document, every plain mux
// route, the document itself), each row's call and probes go to its route,
// and an operation's row says 401 without credentials exactly when the
// document says it needs them.
func checkRoutes(t *testing.T, h *harness, rows []accessRow) {
	t.Helper()
	served := map[string]bool{specRoute: true}
	secured := map[string]bool{} // of the operations
	for _, o := range operations(h.api) {
		served[o.key()], secured[o.key()] = true, o.Secured
	}
	for _, p := range plainRoutes(t) {
		served[p] = true
	}
	mux := http.NewServeMux()
	byRoute := map[string]accessRow{}
	for _, r := range rows {
		if _, dup := byRoute[r.route]; dup {
			t.Errorf("the matrix has two rows for %s", r.route)
		}
		byRoute[r.route] = r
		if !served[r.route] {
			t.Errorf("the matrix has a row for %s, which the server does not serve", r.route)
			continue
		}
		mux.HandleFunc(r.route, func(http.ResponseWriter, *http.Request) {})
	}
	for route := range served {
		r, ok := byRoute[route]
		if !ok {
			t.Errorf("%s has no row in the access matrix (access_test.go): say who may call it", route)
			continue
		}
		if sec, isOp := secured[route]; isOp && sec != (r.grid[asNone] == unauthenticated) {
			t.Errorf("%s: the OpenAPI document says secured=%v, the matrix says %s without credentials", route, sec, r.grid[asNone].class)
		}
	}
	for _, r := range rows {
		path := h.expand(r.path)
		req, err := http.NewRequest(r.method(), path, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.route, err)
		}
		if _, pattern := mux.Handler(req); pattern != r.route {
			t.Errorf("the row of %s calls %s %s, which goes to %q", r.route, r.method(), path, pattern)
		}
		for _, p := range r.probes {
			req, _ := http.NewRequest(r.method(), h.expand(p.path), nil)
			if _, pattern := mux.Handler(req); pattern != r.route {
				t.Errorf("a probe of %s calls %s, which goes to %q", r.route, p.path, pattern)
			}
		}
	}
}

// ---- cells ----

// effect reports whether the cell of p on r moves something, and so runs
// on a world of its own: an allowed 2xx call that is not a read.
func (r accessRow) effect(p principal) bool {
	return !r.grid[p].refused() && r.method() != http.MethodGet && r.quiet == ""
}

// call makes the row's call as p, with the Idempotency-Key key (none for a
// GET) and the webhook's signature.
func (r accessRow) call(h *harness, p principal, key string) *response {
	h.t.Helper()
	path, body := h.expand(r.path), h.expand(r.body)
	var headers []string
	if r.method() != http.MethodGet {
		headers = append(headers, "Idempotency-Key", key)
	}
	if r.sign != nil {
		headers = append(headers, r.sign(h, body)...)
	}
	if r.stream {
		return h.open(path, p.credential(r.owner()))
	}
	return h.do(r.method(), path, p.credential(r.owner()), body, headers...)
}

// open sends a GET whose answer is an event stream: it returns the status
// and headers of a 200 (its body never ends), or the whole error answer.
func (h *harness) open(path, as string) *response {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if a := h.authorization(as); a != "" {
		req.Header.Set("Authorization", a)
	}
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	out := &response{Status: res.StatusCode, Header: res.Header}
	if res.StatusCode != http.StatusOK {
		if out.Body, err = io.ReadAll(res.Body); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}

// checkAnswer fails the test unless r is the outcome o of row on the
// principal's call: its exact status, a refusal's error code, an allowed
// answer's content.
func checkAnswer(h *harness, row accessRow, p principal, o outcome, r *response) {
	t := h.t
	t.Helper()
	what := fmt.Sprintf("%s as %s (%s)", row.route, p, row.path)
	if want := o.want(row); r.Status != want {
		t.Errorf("%s: want %s %d, got %s", what, o.class, want, r)
		return
	}
	switch {
	case o == forbidden && r.errorCode() != "forbidden", o == unauthenticated && r.errorCode() != "unauthorized":
		t.Errorf("%s: error code %q: %s", what, r.errorCode(), r)
	case o.refused():
		if r.errorCode() == "" {
			t.Errorf("%s: a refusal without an error code: %s", what, r)
		}
	case row.stream:
		if ct := r.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("%s: Content-Type %q, want an event stream", what, ct)
		}
	case row.want != "":
		wantSubset(t, r, h.expand(row.want))
	}
}

// runShared makes every cell of row that moves nothing on the shared
// world h: the refusals, the reads, the quiet calls and the domain
// refusals; then the probes. None may change the state: cur, the state of
// h, is compared after the cells and after the probes, and kept current.
func runShared(t *testing.T, h *harness, row accessRow, cur *state) {
	t.Helper()
	h = h.with(t)
	check := func(what string) {
		t.Helper()
		after := h.state()
		if d := cmp.Diff(*cur, after); d != "" {
			t.Errorf("%s changed the state (-before +after):\n%s", what, d)
		}
		*cur = after
	}
	var made []string
	for _, p := range principals {
		o := row.grid[p]
		if row.effect(p) {
			continue
		}
		made = append(made, p.String())
		// Mallory replays the victim's own idempotency keys; the others
		// send keys of their own.
		keys := []string{fmt.Sprintf("matrix-%s-%d", row.route, p)}
		if p == asOther {
			keys = []string{"victim-key", "victim-plain"}
		}
		for _, key := range keys {
			checkAnswer(h, row, p, o, row.call(h, p, key))
		}
	}
	check(fmt.Sprintf("%s %s as %s", row.method(), row.path, strings.Join(made, ", ")))
	if len(row.probes) == 0 {
		return
	}
	for _, pr := range row.probes {
		path, body := h.expand(pr.path), h.expand(pr.body)
		for _, key := range []string{"victim-key", "victim-plain"} {
			if r := h.do(row.method(), path, "user:"+mallory, body, "Idempotency-Key", key); r.Status != pr.status || r.errorCode() != pr.code {
				t.Errorf("%s %s %s as another user: want %d %s, got %s", row.method(), path, body, pr.status, pr.code, r)
			}
		}
		if row.grid[asNone] == unauthenticated {
			if r := h.do(row.method(), path, "", body, "Idempotency-Key", "anon"); r.Status != http.StatusUnauthorized || r.errorCode() != "unauthorized" {
				t.Errorf("%s %s without credentials: %s", row.method(), path, r)
			}
		}
	}
	check(fmt.Sprintf("the probes of %s (another user, no credentials)", row.route))
}

// runEffect makes the cell of p on a fresh world: it must answer its
// status, change the state, and leave the ledger sound.
func runEffect(t *testing.T, row accessRow, p principal) {
	t.Helper()
	h := newAccessWorld(t, row.needs...)
	before := h.state()
	r := row.call(h, p, fmt.Sprintf("matrix-%d", p))
	checkAnswer(h, row, p, row.grid[p], r)
	if d := cmp.Diff(before, h.state()); d == "" {
		t.Errorf("%s as %s answered %d and changed nothing: did it run? (or say why it is quiet)", row.route, p, r.Status)
	}
	h.ledgerOK()
}

// ---- docs/ACCESS.md ----

const accessIntro = `# Access matrix

<!-- Generated from internal/httpapi/access_test.go by
     go test ./internal/httpapi -run TestAccessMatrix -update-access
     Do not edit by hand: the test fails when this file and the table differ. -->

Who may call each route of the glint API. Every cell is a real call that
` + "`TestAccessMatrix`" + ` makes against a seeded server wired as ` + "`glint serve`" + `
wires it, and a route the API registers without a row here fails that test.
The web pages in front of the API (` + "`/login`" + `, ` + "`/live/…`" + `, ` + "`/creator`" + `,
` + "`/overlay/…`" + `, ` + "`/admin…`" + `; package ` + "`internal/web`" + `) are not in this table.

**Principals.** *admin*: an API key with the admin scope. *service*: the
platform's API key (service scope), which acts for any user. *user*: a token
of the user the call names — in its path or body, or the owner of the stream
or streak it names (the last column says who); for a route that names no
user, a viewer's. *other user*: a token of another user, not the one named.
*none*: no ` + "`Authorization`" + ` header.

**Outcomes.** *allowed*: the handler ran and answered the route's success
status (2xx); a call that moves something is made with a valid body and an
` + "`Idempotency-Key`" + ` and checked to have moved it.
*forbidden*: 403 ` + "`forbidden`" + `, the caller may not act for that user or on that
object. *hidden*: 404, the object is looked up among the caller's own, and
another user's is not found. *unauthenticated*: 401
` + "`unauthorized`" + `. Every refusal is checked to change nothing (balances,
postings, profiles, wallets, histories, streams, streaks, goals, withdrawals,
payout methods, the catalog and the FX table), including another user
replaying the victim's own idempotency keys. Webhooks take no credentials:
their signature is checked instead.
`

// renderAccess is docs/ACCESS.md for the groups of rows.
func renderAccess(groups []accessGroup) []byte {
	var b bytes.Buffer
	b.WriteString(accessIntro)
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n\n", g.title)
		b.WriteString("| Route | admin | service | user | other user | none | Rule |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, r := range g.rows {
			fmt.Fprintf(&b, "| `%s` |", r.route)
			for _, p := range principals {
				fmt.Fprintf(&b, " %s |", r.grid[p].class)
			}
			why := r.why
			if r.user != "" {
				why += " User: " + r.who + "."
			}
			fmt.Fprintf(&b, " %s |\n", strings.ReplaceAll(why, "|", `\|`))
		}
	}
	return b.Bytes()
}

// checkAccessDoc compares docs/ACCESS.md with the table; -update-access
// rewrites it.
func checkAccessDoc(t *testing.T, groups []accessGroup) {
	t.Helper()
	got := renderAccess(groups)
	if *updateAccess {
		if err := os.WriteFile(accessDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(accessDoc)
	if err != nil {
		t.Fatalf("%v: run go test ./internal/httpapi -run TestAccessMatrix -update-access to write it", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s is not what the access matrix says (-file +table); run go test ./internal/httpapi -run TestAccessMatrix -update-access to regenerate it:\n%s", accessDoc, d)
	}
}
