package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// This file fuzzes the API from the outside, on the real router and a temp
// database, as glint serve wires it (FX admin and the audit log included):
//
//   - FuzzBodies throws bytes at the body of every route that takes one;
//   - FuzzQueries throws query strings at every GET route;
//   - FuzzPathParams throws values into each path parameter of every route.
//
// The property is the same for all three: the answer is never a 5xx; a
// refusal is a 4xx with an error code and changes nothing (not a row of any
// table but the audit log and the folded leaderboards, nor the FX table and
// catalog the server holds in memory); a GET changes nothing whatever it
// answers; a JSON answer is JSON; and the ledger check passes after every
// success (a refusal, changing no row, leaves the books as sound as they
// were).
//
// Each path parameter points at an object the fuzz world holds (see
// seedFuzzWorld), so a mutated body or query reaches the handler's logic
// rather than a 404. The seeds, run by every `go test`, are the hostile
// inputs of DESIGN §6; `make fuzz` explores from them.
//
// The world is shared by the inputs of a run (building one per input would
// cost seconds): a failure that needs an earlier input's effect may not
// replay alone from testdata/fuzz. Rerun the whole target then.

// fuzzOp is one operation of the API as the fuzzers call it.
type fuzzOp struct {
	method, path string // the OpenAPI path, {params} and all
	as           string // the credential (see harness.authorization)
	// params gives each path parameter a value naming a seeded object;
	// "{name}" values are the harness's variables (set by seedFuzzWorld).
	params map[string]string
	// body is a valid body: the seed the body fuzzer mutates, and what the
	// path fuzzer sends. "" for a route without one.
	body string
	// queries are query strings to seed the query fuzzer with (GET only).
	queries []string
	// headers returns headers the request needs beyond the credential
	// (a webhook's signature, over this very body).
	headers func(h *harness, body string) []string
}

func (o fuzzOp) key() string { return o.method + " " + o.path }

// target builds the request path: params in, the one named fuzzName (when
// not "") replaced by fuzzValue, escaped.
func (o fuzzOp) target(h *harness, fuzzName, fuzzValue string) string {
	p := o.path
	for name, v := range o.params {
		if name == fuzzName {
			v = url.PathEscape(fuzzValue)
		} else {
			v = url.PathEscape(h.expand(v))
		}
		p = strings.ReplaceAll(p, "{"+name+"}", v)
	}
	return p
}

// paramNames lists the path parameters of o, sorted.
func (o fuzzOp) paramNames() []string {
	names := make([]string, 0, len(o.params))
	for n := range o.params {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func stripeHeaders(h *harness, body string) []string { return h.stripeDelivery(body) }
func paypalHeaderList(*harness, string) []string     { return paypalHeaders }

// stripeEvent is a Stripe checkout.session.completed event for purchase
// pid, as the stripe rows of api_test.go send it.
func stripeEvent(h *harness, evID, pid string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"checkout.session.completed","created":%d,"livemode":false,"api_version":"2025-08-27.basil",`+
		`"data":{"object":{"id":"cs_test_fz","object":"checkout.session","client_reference_id":%q,"amount_total":499,"currency":"usd",`+
		`"payment_status":"paid","payment_intent":"pi_test_fz","metadata":{"purchase_id":%q}}}}`, evID, h.clock.Now().Unix(), pid, pid)
}

// ecbFile is the ECB's reference-rates file of money's tests.
func ecbFile(t testing.TB) string {
	b, err := os.ReadFile("../money/testdata/ecb-2025-03-14.xml")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "2025-03-14", "2026-02-27")
}

// fuzzOps lists every operation of the API, with what each fuzzer needs.
// TestFuzzOpsCoverTheAPI keeps it complete.
func fuzzOps(h *harness) []fuzzOp {
	user := func(id string) map[string]string { return map[string]string{"user_id": id} }
	stream := map[string]string{"stream_id": "s1"}
	importBody, _ := json.Marshal(map[string]string{"xml": ecbFile(h.t), "source": "ECB fuzz"})
	return []fuzzOp{
		{method: "GET", path: "/v1/quote", queries: []string{
			"amount=1000&unit=diamonds&currency=EUR", "amount=3&unit=galaxy", "amount=100.00&unit=usd&currency=jpy", "amount=-1&unit=coins",
			"amount=0&unit=coins", "amount=1e3&unit=coins", "amount=%D9%A1%D9%A2%D9%A3&unit=coins", "amount=9223372036854775808&unit=coins",
			"amount=9223372036854775807&unit=diamonds&currency=IDR", "amount=1&unit=rose%E2%80%AE", "amount=1&unit=coins&currency=xyz", "unit=coins",
		}},
		{method: "GET", path: "/v1/catalog/gifts"},
		{method: "GET", path: "/v1/catalog/packages", queries: []string{"channel=app&currency=GBP", "channel=tv", "currency=eur", "currency=%00", "currency=EURO"}},

		{method: "PUT", path: "/v1/users/{user_id}", as: "service", params: user("fz-new"), body: `{"display_name":"Fuzz","country":"DE","age_verified":true}`},
		{method: "GET", path: "/v1/users/{user_id}", as: "service", params: user("v1")},
		{method: "GET", path: "/v1/users/{user_id}/wallet", as: "service", params: user("c1")},
		{method: "POST", path: "/v1/users/{user_id}/tokens", as: "service", params: user("v2"), body: `{"ttl_seconds":600}`},
		{method: "GET", path: "/v1/users/{user_id}/transactions", as: "service", params: user("v1"), queries: []string{
			"kind=gift_sent&limit=1", "kind=purchase&kind=gift_received", "kind=bogus", "cursor=1", "cursor=0", "cursor=-1", "cursor=abc",
			"cursor=9223372036854775807", "cursor=9223372036854775808", "cursor=1e3", "from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
			"from=2026-13-01T00:00:00Z", "from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "to=1970-01-01T00:00:00Z", "limit=0", "limit=201", "limit=-1",
		}},

		{method: "POST", path: "/v1/purchases", as: "user:v1", body: `{"user_id":"v1","package_id":"web-usd-70"}`},

		{method: "POST", path: "/v1/streams", as: "service", body: `{"id":"fz-live","creator_id":"fz-creator","title":"Fuzz"}`},
		{method: "GET", path: "/v1/streams/{stream_id}", as: "service", params: stream},
		{method: "POST", path: "/v1/streams/{stream_id}/end", as: "service", params: map[string]string{"stream_id": "s-fz-end"}},
		{method: "GET", path: "/v1/streams/{stream_id}/leaderboard", as: "service", params: stream, queries: []string{"limit=1", "limit=0", "limit=101", "limit=-1", "limit=1e3"}},
		{method: "POST", path: "/v1/streams/{stream_id}/gifts", as: "user:v1", params: stream, body: `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"fz-combo"}`},
		{method: "GET", path: "/v1/streams/{stream_id}/combos/{combo_id}", as: "service", params: map[string]string{"stream_id": "s1", "combo_id": "vc"}},
		{method: "POST", path: "/v1/streams/{stream_id}/combos/{combo_id}/end", as: "service", params: map[string]string{"stream_id": "s1", "combo_id": "vc"}},
		{method: "POST", path: "/v1/gifts/batch", as: "user:v1", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"fz-b1","sender_id":"v1","gift_id":"rose","quantity":1},` +
			`{"stream_id":"s1","idempotency_key":"fz-b2","sender_id":"v1","gift_id":"lollipop","quantity":2,"combo_id":"fz-bc"}]}`},

		{method: "PUT", path: "/v1/admin/gifts/{gift_id}", as: "admin", params: map[string]string{"gift_id": "fz-gift"}, body: `{"name":"Fuzz","coins":7,"streakable":true,"diamond_rate":"0.5"}`},
		{method: "POST", path: "/v1/admin/gifts/{gift_id}/retire", as: "admin", params: map[string]string{"gift_id": "fz-retire"}},
		{method: "POST", path: "/v1/admin/gifts/{gift_id}/restore", as: "admin", params: map[string]string{"gift_id": "fz-restore"}},
		{method: "GET", path: "/v1/admin/ledger/check", as: "admin"},

		{method: "GET", path: "/v1/users/{user_id}/payout-method", as: "service", params: user("c2")},
		{method: "PUT", path: "/v1/users/{user_id}/payout-method", as: "service", params: user("c2"),
			body: `{"kind":"bank","holder_name":"Luca Rossi","iban":"IT60 X054 2811 1010 0000 0123 456"}`},
		{method: "PUT", path: "/v1/users/{user_id}/kyc", as: "service", params: user("c2"), body: `{"status":"verified"}`},
		{method: "POST", path: "/v1/users/{user_id}/withdrawals", as: "user:c1", params: user("c1"), body: `{"diamonds":"20000","method":"paypal"}`},
		{method: "GET", path: "/v1/users/{user_id}/withdrawals", as: "service", params: user("c2"), queries: []string{
			"status=requested", "status=lost", "cursor={wd_mark}", "cursor=wd_zzzz", "cursor=%27%20OR%201%3D1--", "limit=0", "limit=201",
		}},
		{method: "GET", path: "/v1/users/{user_id}/withdrawals/{withdrawal_id}", as: "service", params: map[string]string{"user_id": "c2", "withdrawal_id": "{wd_mark}"}},
		{method: "POST", path: "/v1/users/{user_id}/withdrawals/{withdrawal_id}/cancel", as: "service", params: map[string]string{"user_id": "fz-c3", "withdrawal_id": "{wd_cancel}"}},
		{method: "GET", path: "/v1/admin/withdrawals", as: "admin", queries: []string{
			"status=processing&provider=manual", "user_id=c2", "provider=%E2%80%AE", "cursor={wd_mark}", "cursor=", "limit=200", "limit=1000",
		}},
		{method: "POST", path: "/v1/admin/withdrawals/{withdrawal_id}/mark", as: "admin", params: map[string]string{"withdrawal_id": "{wd_mark}"},
			body: `{"status":"paid","provider_ref":"SEPA-FZ","reason":"fuzz"}`},
		{method: "POST", path: "/v1/admin/payouts/export", as: "admin"},
		{method: "POST", path: "/v1/webhooks/paypal", body: paypalEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", h.expand("{wd_cancel}")), headers: paypalHeaderList},

		{method: "GET", path: "/v1/admin/fx", as: "admin"},
		{method: "PUT", path: "/v1/admin/fx/{currency}", as: "admin", params: map[string]string{"currency": "EUR"}, body: `{"rate":"0.9286","date":"2026-02-28","source":"fuzz"}`},
		{method: "POST", path: "/v1/admin/fx/import", as: "admin", body: string(importBody)},

		{method: "GET", path: "/v1/users/{user_id}/earnings", as: "service", params: user("c1"), queries: []string{
			"from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=month", "from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=hour",
			"from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&interval=day", "from=2026-04-01T00:00:00Z&to=2026-01-01T00:00:00Z",
			"from=2026-01-01T00:00:00%2B14:00&to=2026-01-02T00:00:00-12:00", "from=x&to=y",
		}},
		{method: "GET", path: "/v1/users/{user_id}/statements/{file}", as: "service", params: map[string]string{"user_id": "c1", "file": "2026.csv"}},
		{method: "GET", path: "/v1/admin/reports/liabilities", as: "admin", queries: []string{
			"at=2026-03-01T00:00:00Z", "at=0001-01-01T00:00:00Z", "at=9999-12-31T23:59:59Z", "at=2026-02-30T00:00:00Z", "at=x",
		}},
		{method: "GET", path: "/v1/admin/audit", as: "admin", queries: []string{
			"actor=key:x&limit=1", "action=send-gift&outcome=ok", "cursor=5", "cursor=-1", "cursor=0", "cursor=99999999999999999999", "cursor=abc",
			"from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "limit=0", "limit=1001", "target=%00",
		}},

		{method: "POST", path: "/v1/admin/users/{user_id}/ban", as: "admin", params: user("fz-ban"), body: `{"reason":"spam"}`},
		{method: "POST", path: "/v1/admin/users/{user_id}/unban", as: "admin", params: user("fz-unban"), body: `{"reason":"appeal upheld"}`},
		{method: "POST", path: "/v1/admin/users/{user_id}/terminate", as: "admin", params: user("fz-term"), body: `{"reason":"fraud"}`},
		{method: "POST", path: "/v1/admin/users/{user_id}/hold-payouts", as: "admin", params: user("fz-hold"), body: `{"reason":"odd pattern"}`},
		{method: "POST", path: "/v1/admin/users/{user_id}/release-payouts", as: "admin", params: user("fz-release"), body: `{"reason":"reviewed"}`},
		{method: "PUT", path: "/v1/users/{user_id}/limits", as: "service", params: user("v2"), body: `{"daily_spend_cap":1000}`},
		{method: "POST", path: "/v1/webhooks/stripe", body: stripeEvent(h, "evt_fz_1", h.expand("{stripe_purchase}")), headers: stripeHeaders},

		{method: "GET", path: "/v1/creators/{user_id}/leaderboard", as: "service", params: user("c1"), queries: []string{"period=day", "period=week", "period=year", "period=", "limit=0"}},
		{method: "GET", path: "/v1/leaderboards/creators", as: "service", queries: []string{
			"week=2026-W09", "week=current", "week=2026-W53", "week=2020-W53", "week=2026-W00", "week=0000-W01", "week=0001-W01", "week=9999-W52",
			"week=2026-W%2B9", "week=%D9%A2%D9%A0%D9%A2%D9%A6-W01", "week=2026W09", "week=2026-w09", "limit=101",
		}},
		{method: "GET", path: "/v1/users/{user_id}/level", as: "service", params: user("v1")},
		{method: "PUT", path: "/v1/streams/{stream_id}/goal", as: "service", params: stream, body: `{"kind":"gift","target":10,"gift_id":"rose"}`},
		{method: "GET", path: "/v1/streams/{stream_id}/goal", as: "service", params: stream},
	}
}

// fuzzDB hands the harness's database to the FX and audit routes, which
// newHarness's options configure before the database exists.
type fuzzDB struct{ db *sqlite.DB }

func (d *fuzzDB) FXRates(ctx context.Context) ([]money.RateInfo, error) { return d.db.FXRates(ctx) }
func (d *fuzzDB) PutFXRates(ctx context.Context, rows []money.RateInfo) error {
	return d.db.PutFXRates(ctx, rows)
}
func (d *fuzzDB) FXHistory(ctx context.Context, currency string, limit int) ([]money.RateInfo, error) {
	return d.db.FXHistory(ctx, currency, limit)
}
func (d *fuzzDB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	return d.db.AppendAudit(ctx, entries)
}
func (d *fuzzDB) Audit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	return d.db.Audit(ctx, f)
}

// fuzzer is the world the fuzz inputs of one process share, and the state
// it was last seen in.
type fuzzer struct {
	h    *harness
	ops  []fuzzOp
	last *fuzzState // nil when the last request may have changed something
	n    atomic.Int64
}

// fuzzState is everything a refused request must leave as it was: every
// row of every table of the database, and what the server holds in memory:
// the FX table in force and the catalog. Left out: the audit log (a
// refusal is audited) and the creators' leaderboards, which any read folds
// from the committed journal (gifting/fold.go).
type fuzzState struct {
	Tables map[string][]string
	Reads  map[string]string
}

func (z *fuzzer) state(h *harness) *fuzzState {
	h.t.Helper()
	ctx := context.Background()
	db := h.db.WriteDB()
	s := &fuzzState{Tables: map[string][]string{}, Reads: map[string]string{}}
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('audit_log', 'goose_db_version', 'board_fold', 'creator_gifters', 'creator_week')`)
	if err != nil {
		h.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			h.t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			h.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		out := []string{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[i] = fmt.Sprintf("%s=%#v", cols[i], v)
			}
			out = append(out, strings.Join(row, " "))
		}
		if err := rows.Err(); err != nil {
			h.t.Fatal(err)
		}
		rows.Close()
		sort.Strings(out)
		s.Tables[table] = out
	}
	if len(s.Tables) < 10 || len(s.Tables["postings"]) == 0 {
		h.t.Fatalf("the state sees tables %v: not glint's database?", tables)
	}
	for _, p := range []string{"/v1/admin/fx", "/v1/catalog/gifts"} {
		s.Reads[p] = h.do("GET", p, "admin", "").String()
	}
	return s
}

// newFuzzer builds the API with every route (FX admin and the audit log
// too) and seeds the world.
func newFuzzer(f *testing.F) *fuzzer {
	d := &fuzzDB{}
	var rec *audit.Recorder
	h := newHarness(f, func(c *httpapi.Config) {
		c.FXStore = d
		rec = audit.NewRecorder(audit.Config{Store: d, Logger: c.Logger, Registry: prometheus.NewRegistry()})
		c.Audit, c.AuditStore = rec, d
	})
	d.db = h.db
	rec.Start()
	f.Cleanup(rec.Stop)
	if _, err := fx.Load(context.Background(), h.db, money.DefaultRates()); err != nil {
		f.Fatal(err)
	}
	seedFuzzWorld(h)
	h.ledgerOK() // refusals leave the books as they are: they start sound
	return &fuzzer{h: h, ops: fuzzOps(h)}
}

// seedFuzzWorld is seedWorld plus an object for every path parameter of
// fuzzOps: c1 with 20,000 diamonds and a PayPal method (its withdrawal is
// the fuzzers'); c2 live in s2 with a bank withdrawal waiting ({wd_mark});
// fz-c3 with a PayPal withdrawal requested ({wd_cancel}); v1's streak vc in
// s1 and a goal; gifts to retire and restore; a stream to end; users to ban, unban,
// terminate, hold and release; a Stripe purchase waiting for its webhook.
func seedFuzzWorld(h *harness) {
	h.t.Helper()
	seedWorld(h)
	if r := h.gift("s1", "v1", "rose", 1, "vc", "fz-vc"); r.Status != http.StatusCreated {
		h.t.Fatalf("v1's streak: %s", r)
	}
	h.must(http.StatusOK, "PUT", "/v1/users/c1/payout-method", "service", `{"kind":"paypal","paypal_email":"c1@example.com"}`)
	fund(h, "c1", "s1")

	h.goLive("c2", "s2")
	fund(h, "c2", "s2")
	h.must(http.StatusOK, "PUT", "/v1/users/c2/payout-method", "service", `{"kind":"bank","holder_name":"Luca Rossi","iban":"IT60 X054 2811 1010 0000 0123 456"}`)
	saveID("wd_mark")(h, h.must(http.StatusCreated, "POST", "/v1/users/c2/withdrawals", "service", `{"diamonds":"20000"}`, "Idempotency-Key", "fz-wd-mark"))

	h.putUser("fz-c3", "Third Creator", "US", true)
	h.goLive("fz-c3", "s3")
	fund(h, "fz-c3", "s3")
	h.must(http.StatusOK, "PUT", "/v1/users/fz-c3/payout-method", "service", `{"kind":"paypal","paypal_email":"c3@example.com"}`)
	saveID("wd_cancel")(h, h.must(http.StatusCreated, "POST", "/v1/users/fz-c3/withdrawals", "service", `{"diamonds":"20000"}`, "Idempotency-Key", "fz-wd-cancel"))

	h.must(http.StatusOK, "PUT", "/v1/admin/gifts/fz-retire", "admin", `{"name":"Retire Me","coins":3,"streakable":false}`)
	h.must(http.StatusOK, "PUT", "/v1/admin/gifts/fz-restore", "admin", `{"name":"Restore Me","coins":4,"streakable":false}`)
	h.must(http.StatusOK, "POST", "/v1/admin/gifts/fz-restore/retire", "admin", "")

	h.must(http.StatusOK, "PUT", "/v1/streams/s1/goal", "service", `{"kind":"coins","target":100000}`)

	h.putUser("fz-creator", "Creator To Be", "US", true)
	h.putUser("fz-ender", "Ender", "US", true)
	h.goLive("fz-ender", "s-fz-end")
	for _, u := range []string{"fz-ban", "fz-unban", "fz-term", "fz-hold", "fz-release"} {
		h.putUser(u, "Trust "+u, "US", true)
	}
	h.must(http.StatusOK, "POST", "/v1/admin/users/fz-unban/ban", "admin", `{"reason":"to be unbanned"}`)
	h.must(http.StatusOK, "POST", "/v1/admin/users/fz-release/hold-payouts", "admin", `{"reason":"to be released"}`)

	r := h.must(http.StatusCreated, "POST", "/v1/purchases", "service", `{"user_id":"v2","package_id":"web-usd-350","provider":"stripe"}`, "Idempotency-Key", "fz-stripe")
	saveID("stripe_purchase")(h, r)

}

// send makes one request of a fuzz input and checks the property; what
// names the input in failures.
func (z *fuzzer) send(t *testing.T, method, target, as, body string, headers []string) {
	h := z.h.with(t)
	if z.last == nil {
		z.last = z.state(h)
	}
	what := fmt.Sprintf("%s %s %q", method, target, body)
	if len(what) > 400 {
		what = what[:400] + "…"
	}
	r := h.do(method, target, as, body, append(headers, "Idempotency-Key", fmt.Sprint("fuzz-", z.n.Add(1)))...)
	var fault string
	switch {
	case r.Status >= 500:
		fault = "a 5xx"
	case r.Status >= 400 && r.errorCode() == "":
		fault = "a refusal without an error code"
	case r.Status < 300 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && !json.Valid(r.Body):
		fault = "a JSON answer that is not JSON"
	}
	if fault != "" {
		z.last = nil // whatever it did, the next input looks afresh
		t.Fatalf("%s: %s: %s", what, fault, r)
	}
	if r.Status < 400 && method != http.MethodGet {
		// A success may change anything: the books must still balance,
		// and the next input starts from a fresh look.
		z.last = nil
		h.ledgerOK()
		return
	}
	// A refusal, or a read: nothing may have moved (and so the ledger,
	// whose every table is in the state, is as sound as it was).
	after := z.state(h)
	if d := cmp.Diff(z.last, after); d != "" {
		t.Errorf("%s answered %d and changed the state (-before +after):\n%s", what, r.Status, d)
		h.ledgerOK()
	}
	z.last = after
}

// hostileValues are the bad JSON values of DESIGN §6, for any field:
// negative, zero, 2^63 and past int64, exponents, fractions, numbers as
// strings, Arabic-Indic and mathematical digits, null and the other JSON
// types, empty, NUL, bidi and zero-width characters, a lone surrogate, and
// a string past any body limit.
var hostileValues = []string{
	`-1`, `0`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `1e3`, `1.5`, `1e309`,
	`"1e3"`, `"-1"`, `"١٢٣"`, `"𝟐𝟎𝟎𝟎𝟎"`, `"9223372036854775808"`, `"20000.0001"`, `" 1"`,
	`null`, `true`, `[]`, `{}`, `""`, `"\u0000"`, `"a\u202eb"`, `"a\u200bb"`, `"\ud800"`, `"` + strings.Repeat("x", 70000) + `"`,
}

// hostileBodies are bad bodies for any route: not an object, truncated,
// empty, deep, a byte-order mark, a key that is not UTF-8.
var hostileBodies = []string{
	`[]`, `null`, `{`, ``, `{}`, strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000), "\xef\xbb\xbf{}", "{\"\xff\":1}",
}

// bodySeeds derives hostile bodies from a valid one: each field set to
// some hostile values (turn picks which: across the routes every value
// goes into every kind of field, and the fuzzer crosses them over), left
// out and given twice; an unknown field; some hostile bodies.
func bodySeeds(body string, turn int) []string {
	out := []string{body}
	for i := range 3 {
		out = append(out, hostileBodies[(turn*3+i)%len(hostileBodies)])
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &fields) != nil {
		return out
	}
	with := func(k string, v json.RawMessage) string {
		m := map[string]json.RawMessage{}
		for kk, vv := range fields {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for j, k := range keys {
		for i := range 5 {
			out = append(out, with(k, json.RawMessage(hostileValues[(turn*7+j*5+i)%len(hostileValues)])))
		}
		out = append(out, with(k, nil))
		out = append(out, strings.TrimSuffix(body, "}")+fmt.Sprintf(",%q:%s}", k, `"dup"`))
	}
	out = append(out, strings.TrimSuffix(body, "}")+`,"extra":1}`)
	return out
}

// FuzzBodies: whatever the body of any route, the answer is never a 5xx; a
// refusal is a 4xx with an error code that changed nothing; and the ledger
// stays sound.
func FuzzBodies(f *testing.F) {
	z := newFuzzer(f)
	var ops []fuzzOp
	for _, o := range z.ops {
		if o.body != "" {
			ops = append(ops, o)
		}
	}
	for i, o := range ops {
		for _, b := range bodySeeds(o.body, i) {
			f.Add(uint8(i), b)
		}
	}
	// The gift bodies of the first FuzzBodies, on the gift route.
	gift := slices.IndexFunc(ops, func(o fuzzOp) bool { return o.path == "/v1/streams/{stream_id}/gifts" })
	for _, b := range []string{
		`{"sender_id":"v1","gift_id":"rose","quantity":٣}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":1,"quantity":-2}`,
		`{"sender_id":"c1","gift_id":"rose","quantity":1}`,
		`{"sender_id":"v1","gift_id":"rose\u202e","quantity":1,"combo_id":"` + "\xff" + `"}`,
		`{"sender_id":"v1","gift_id":"fz-retire","quantity":1}`,
		`{"sender_id":"v1","gift_id":"galaxy","quantity":1000000}`,
	} {
		f.Add(uint8(gift), b)
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		o := ops[int(route)%len(ops)]
		var headers []string
		if o.headers != nil {
			headers = o.headers(z.h.with(t), body)
		}
		z.send(t, o.method, o.target(z.h, "", ""), o.as, body, headers)
	})
}

// escapeQuery percent-encodes what a request line cannot carry (controls,
// spaces, '#', non-ASCII), and leaves the rest of a raw query as it is,
// '&', '=', '%' and '+' included: the server parses what the fuzzer wrote.
func escapeQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c <= ' ' || c == '#' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzQueries: whatever the query string of any GET route (time filters,
// kinds, cursors, limits, weeks, periods, amounts, currencies), the answer
// is never a 5xx, a refusal carries an error code, and nothing changes.
func FuzzQueries(f *testing.F) {
	z := newFuzzer(f)
	var ops []fuzzOp
	for _, o := range z.ops {
		if o.method == http.MethodGet {
			ops = append(ops, o)
		}
	}
	for i, o := range ops {
		for _, q := range append([]string{"", "limit=1&limit=2", "a=%zz", "%", "&&&=", "x=" + strings.Repeat("y", 10000)}, o.queries...) {
			f.Add(uint8(i), z.h.expand(q))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		o := ops[int(route)%len(ops)]
		target := o.target(z.h, "", "")
		if query != "" {
			target += "?" + escapeQuery(query)
		}
		z.send(t, o.method, target, o.as, "", nil)
	})
}

// FuzzPathParams: whatever the value of any path parameter of any route
// (ids, gift ids, currencies, statement files), sent with the route's
// valid body, the answer is never a 5xx, and a refusal carries an error
// code and changes nothing.
func FuzzPathParams(f *testing.F) {
	z := newFuzzer(f)
	var ops []fuzzOp
	for _, o := range z.ops {
		if len(o.params) > 0 {
			ops = append(ops, o)
		}
	}
	// Bad values for any parameter, and for the parameters of a kind.
	values := []string{"", "..", "%2F", "ghost", "a\u202eb", "a\u200bb", "\x00", "\xff", strings.Repeat("x", 129), strings.Repeat("x", 5000)}
	kinds := map[string][]string{
		"user_id":       {"v1", "c1", "-1", "١٢٣", "' OR 1=1--"},
		"stream_id":     {"s-old", "s2", "9223372036854775808"},
		"withdrawal_id": {"wd_", "wd_" + strings.Repeat("0", 24), "{wd_cancel}"},
		"gift_id":       {"rose", "galaxy", "ROSE"},
		"combo_id":      {"fz-combo", "vc "},
		"currency":      {"eur", "USD", "XXX", "EURO", "JPY", "BHD"},
		"file":          {"2026.pdf", "99.csv", "0000.csv", "10000.csv", "2026.CSV", "2026.csv.pdf", "٢٠٢٦.csv", "+2026.csv", "2026.", ".csv", "-1.csv", "9223372036854775808.csv"},
	}
	turn := 0
	for i, o := range ops {
		for p, name := range o.paramNames() {
			vs := append([]string{o.params[name]}, kinds[name]...)
			for range 4 { // the bad values take turns: the fuzzer crosses them over
				vs = append(vs, values[turn%len(values)])
				turn++
			}
			for _, v := range vs {
				f.Add(uint8(i), uint8(p), z.h.expand(v))
			}
		}
	}
	f.Fuzz(func(t *testing.T, route, param uint8, value string) {
		o := ops[int(route)%len(ops)]
		names := o.paramNames()
		name := names[int(param)%len(names)]
		var headers []string
		if o.headers != nil {
			headers = o.headers(z.h.with(t), o.body)
		}
		z.send(t, o.method, o.target(z.h, name, value), o.as, o.body, headers)
	})
}

// TestFuzzOpsCoverTheAPI keeps fuzzOps complete: every operation of the
// OpenAPI document has an entry, every one with a request body a body,
// every one with path parameters a value for each, every GET with query
// parameters seeds for them; and every entry is an operation.
func TestFuzzOpsCoverTheAPI(t *testing.T) {
	t.Parallel()
	d := &fuzzDB{}
	h := newHarness(t, func(c *httpapi.Config) {
		c.FXStore = d
		c.AuditStore = d
	})
	h.set("wd_mark", "wd_x")
	h.set("wd_cancel", "wd_y")
	h.set("stripe_purchase", "p_x")
	byKey := map[string]fuzzOp{}
	for _, o := range fuzzOps(h) {
		if _, dup := byKey[o.key()]; dup {
			t.Errorf("fuzzOps lists %s twice", o.key())
		}
		byKey[o.key()] = o
	}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	seen := map[string]bool{}
	for path, item := range h.api.OpenAPI().Paths {
		for method, op := range map[string]*struct {
			body, query bool
		}{
			"GET": opShape(item.Get), "PUT": opShape(item.Put), "POST": opShape(item.Post), "DELETE": opShape(item.Delete), "PATCH": opShape(item.Patch),
		} {
			if op == nil {
				continue
			}
			key := method + " " + path
			seen[key] = true
			o, ok := byKey[key]
			if !ok {
				t.Errorf("%s has no entry in fuzzOps", key)
				continue
			}
			if op.body && o.body == "" {
				t.Errorf("%s takes a body: give its fuzzOps entry a valid one", key)
			}
			if op.query && len(o.queries) == 0 {
				t.Errorf("%s takes query parameters: give its fuzzOps entry seeds", key)
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if o.params[m[1]] == "" {
					t.Errorf("%s: fuzzOps gives no value for {%s}", key, m[1])
				}
			}
		}
	}
	for key := range byKey {
		if !seen[key] {
			t.Errorf("fuzzOps lists %s, which the server does not serve", key)
		}
	}
}

// opShape says whether an operation takes a body and query parameters; nil
// for no operation.
func opShape(op *huma.Operation) *struct{ body, query bool } {
	if op == nil {
		return nil
	}
	s := &struct{ body, query bool }{body: op.RequestBody != nil}
	for _, p := range op.Parameters {
		if p.In == "query" {
			s.query = true
		}
	}
	return s
}
