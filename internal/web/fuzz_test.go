package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/ledger"
)

// dbState is every row of every table of the site's database but the
// audit log (a refused form is audited) and the creators' leaderboards
// (folded from the journal by any read).
func (s *site) dbState(t testing.TB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	db := s.db.WriteDB()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT IN ('audit_log', 'goose_db_version', 'board_fold', 'creator_gifters', 'creator_week')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		lines := []string{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[i] = fmt.Sprintf("%s=%#v", cols[i], v)
			}
			lines = append(lines, strings.Join(row, " "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(lines)
		out[table] = lines
	}
	if len(out["postings"]) == 0 {
		t.Fatalf("the state sees tables %v: not glint's database?", tables)
	}
	return out
}

// formRoute is a form of the pages, posted by one of the fuzz world's
// clients, with a valid form to start from.
type formRoute struct {
	who, path, form string
}

// FuzzForms posts any form body to every form of the pages (the viewer's
// buy and gift, the creator's go live, end, withdraw, cancel and payout
// method, the console's price, retire, ban, payout mark and FX rate), with
// the client's CSRF token, and any query to the pages that read one: the
// answer is never a 5xx; a refusal (4xx) or a page changes no row of the
// database; after a success the ledger still checks. And any form to
// /login, without a credential or with a valid one, never signs a fuzzer
// in without one nor sends anyone off the site (next=). /logout is left
// out: it would end the clients' sessions.
func FuzzForms(f *testing.F) {
	s := world(f)
	ctx := context.Background()
	clients := map[string]*http.Client{"viewer": s.signIn(s.token("v1")), "creator": s.signIn(s.token("c2")), "admin": s.signIn(s.admin)}
	csrf := map[string]string{}
	for who, page := range map[string]string{"viewer": "/live/s1", "creator": "/creator?stream=s2", "admin": "/admin"} {
		csrf[who] = s.csrf(s.get(clients[who], page))
	}
	post := func(who, path, form string) page {
		f.Helper()
		return s.post(clients[who], path, mustForm(f, form+"&csrf="+url.QueryEscape(csrf[who])))
	}
	if r := post("creator", "/creator/method", "kind=paypal&paypal_email=c2%40example.com"); r.Status != http.StatusSeeOther {
		f.Fatalf("method: %d %.500s", r.Status, r.Body)
	}
	r := post("creator", "/creator/withdraw", "diamonds=20000&idem=fz-w")
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/creator?withdrawal=") {
		f.Fatalf("withdraw: %d %q %.500s", r.Status, loc, r.Body)
	}
	wd, _, _ := strings.Cut(strings.TrimPrefix(loc, "/creator?withdrawal="), "#")
	routes := []formRoute{
		{"viewer", "/live/s1/buy", "package_id=web-usd-70&idem=fz-b"},
		{"viewer", "/live/s1/gift", "gift_id=rose&quantity=1&combo_id=fz-c&idem=fz-g"},
		{"creator", "/creator/live", "title=Fuzz+night"},
		{"creator", "/creator/end", "stream_id=s2"},
		{"creator", "/creator/withdraw", "diamonds=20000&method=paypal&idem=fz-w2"},
		{"creator", "/creator/withdrawals/" + wd + "/cancel", ""},
		{"creator", "/creator/method", "kind=bank&holder_name=Luca+Rossi&iban=DE89+3704+0044+0532+0130+00"},
		{"admin", "/admin/gifts/rose", "coins=2&name=Rose"},
		{"admin", "/admin/gifts/rose/active", "active=1"},
		{"admin", "/admin/users/v2/status", "action=ban&reason=spam"},
		{"admin", "/admin/withdrawals/" + wd + "/mark", "status=paid&provider_ref=fz"},
		{"admin", "/admin/fx", "currency=EUR&rate=0.93&source=fuzz"},
		{"anonymous", "/login", "credential=nope&next=%2Fadmin"},
		{"token", "/login", "next=%2Fcreator"},
		// Pages read their query too.
		{"viewer", "GET /live/s1", "bought=350&sent=1"},
		{"creator", "GET /creator", "stream=s2&withdrawal=" + wd + "&method=1"},
		{"creator", "GET /creator/statements/2026.csv", ""},
		{"anonymous", "GET /overlay/s2", "alerts=1&goal=1&top=0&theme=light&duration=5&target=1000&key=x"},
		{"anonymous", "GET /login", "next=%2Fadmin%2Fusers"},
		{"admin", "GET /admin/users", "id=v1&done=1"},
		{"admin", "GET /admin/payouts", "status=requested&marked=1"},
		{"admin", "GET /admin/fx", "set=EUR"},
		{"admin", "GET /admin/ledger", "run=1"},
		{"admin", "GET /admin", "saved=rose"},
	}
	hostile := []string{
		"-1", "0", "9223372036854775808", "1e3", "%D9%A1%D9%A2%D9%A3", "1.5", "20%2C000", "+1", "%20", "", "a%E2%80%AEb", "a%E2%80%8Bb", "%00", "%FF",
		strings.Repeat("x", 70000),
	}
	for i, rt := range routes {
		f.Add(uint8(i), rt.form)
		q, _ := url.ParseQuery(rt.form)
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for j, k := range keys {
			for n := range 4 {
				v := hostile[(i*5+j*4+n)%len(hostile)]
				f.Add(uint8(i), strings.Replace(rt.form, k+"="+url.QueryEscape(q.Get(k)), k+"="+v, 1))
			}
		}
		f.Add(uint8(i), rt.form+"&"+rt.form)
		f.Add(uint8(i), "%zz")
	}
	for _, next := range []string{"//evil.example", "/\\evil.example", "/%09/evil.example", "/%0a/evil.example", "https://evil.example", "/admin/../..//evil.example", "%2F%2Fevil.example", "/%E2%80%AE"} {
		for i, rt := range routes {
			if rt.path == "/login" || rt.path == "GET /login" {
				f.Add(uint8(i), "next="+next)
			}
		}
	}
	ledgerOK := func(t *testing.T) {
		problems, err := checkLedger(ctx, s)
		if err != nil || len(problems) > 0 {
			t.Fatalf("ledger check: %v %v", problems, err)
		}
	}
	userToken := s.token("v1") // valid for an hour
	// The site's helpers fail the F: inside the fuzz function, t's own.
	loginCSRF := func(t *testing.T, c *http.Client) string {
		res, err := c.Get(s.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		m := csrfField.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("no CSRF field in /login: %d", res.StatusCode)
		}
		return html.UnescapeString(m[1])
	}
	f.Fuzz(func(t *testing.T, route uint8, form string) {
		rt := routes[int(route)%len(routes)]
		c, token := clients[rt.who], csrf[rt.who]
		switch rt.who {
		case "anonymous", "token":
			c = s.client() // a new visitor: a sign-in must not depend on the last one
			token = loginCSRF(t, c)
		}
		method, path, read := http.MethodPost, rt.path, strings.HasPrefix(rt.path, "GET ")
		body := form + "&csrf=" + url.QueryEscape(token)
		if rt.who == "token" {
			body += "&credential=" + url.QueryEscape(userToken)
		}
		if read {
			method, path, body = http.MethodGet, strings.TrimPrefix(rt.path, "GET ")+"?"+escapeQuery(form), ""
		}
		before := s.dbState(t)
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range c.Jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
		// The transport, not the client: the answer as sent, Location
		// and all, even one the client would refuse to follow.
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		what := fmt.Sprintf("%s %s %q", method, rt.path, form)
		if len(what) > 300 {
			what = what[:300] + "…"
		}
		switch {
		case res.StatusCode >= 500:
			t.Fatalf("%s: %d", what, res.StatusCode)
		case res.StatusCode >= 400 || read:
			if d := cmp.Diff(before, s.dbState(t)); d != "" {
				t.Fatalf("%s answered %d and changed the database (-before +after):\n%s", what, res.StatusCode, d)
			}
		default:
			ledgerOK(t)
		}
		if rt.path != "/login" || res.StatusCode != http.StatusSeeOther {
			return
		}
		if rt.who == "anonymous" && !strings.Contains(form, "credential=") {
			t.Fatalf("%s: signed in without a credential", what)
		}
		// Where a browser goes: tabs and newlines are dropped from a URL
		// (WHATWG URL), then it is resolved against the page.
		loc := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(res.Header.Get("Location"))
		base, _ := url.Parse("https://glint.example/login")
		u, err := url.Parse(loc)
		if err != nil || base.ResolveReference(u).Host != base.Host {
			t.Fatalf("%s: signed in and sent to %q, off the site", what, res.Header.Get("Location"))
		}
	})
}

// escapeQuery percent-encodes what a request line cannot carry and leaves
// the rest of a raw query as the fuzzer wrote it.
func escapeQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c == '#' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mustForm parses a form for the setup's posts.
func mustForm(t testing.TB, form string) url.Values {
	q, err := url.ParseQuery(form)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// checkLedger runs the ledger invariants on the site's database.
func checkLedger(ctx context.Context, s *site) ([]ledger.Problem, error) {
	snap, err := s.db.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return ledger.Check(snap), nil
}
