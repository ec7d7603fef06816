package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/gifting"
)

// world is the data every page test starts from: creator c1 live on s1,
// viewer v1 with coins who gifted there, creator c2 with 20,000 diamonds.
func world(t testing.TB) *site {
	t.Helper()
	s := newSite(t)
	s.user("c1", "Ava Sings", "US")
	s.user("c2", "Luca Cooks", "DE")
	s.user("v1", "Viewer One", "US")
	s.user("v2", "Viewer Two", "GB")
	s.buy("v1", 3)
	s.buy("v2", 1)
	s.live("c1", "s1", "Ava's evening set")
	s.live("c2", "s2", "Pasta night")
	s.gift("s1", "v1", "rose", 10)
	s.gift("s1", "v2", "galaxy", 1)
	// 2 Rockets = 40,000 coins = 20,000 diamonds for c2.
	s.gift("s2", "v1", "rocket", 2)
	return s
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	s := world(t)

	c := s.client()
	p := s.get(c, "/login")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /login: %d", p.Status)
	}
	ck := p.Header.Get("Set-Cookie")
	for _, want := range []string{"glint_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("the session cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, "Secure") {
		t.Errorf("the session cookie over plain HTTP is Secure: %q", ck)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if p.Header.Get(h) == "" {
			t.Errorf("the page has no %s header", h)
		}
	}
	other := s.csrf(s.get(s.client(), "/login"))

	tests := []struct {
		name, cred, csrf string
		status           int
		location         string
	}{
		{"user token", s.token("c1"), "", http.StatusSeeOther, "/creator"},
		{"admin key", s.admin, "", http.StatusSeeOther, "/admin"},
		{"service key", s.service, "", http.StatusForbidden, ""},
		{"bad token", "not-a-token", "", http.StatusUnauthorized, ""},
		{"token of an unknown user", s.token("nobody"), "", http.StatusUnauthorized, ""},
		{"no CSRF token", s.token("c1"), "none", http.StatusForbidden, ""},
		{"another session's CSRF token", s.token("c1"), other, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.client()
			token := s.csrf(s.get(c, "/login"))
			switch tt.csrf {
			case "none":
				token = ""
			case "":
			default:
				token = tt.csrf
			}
			res := s.post(c, "/login", url.Values{"csrf": {token}, "credential": {tt.cred}})
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d\n%.1500s", res.Status, tt.status, res.Body)
			}
			if tt.location != "" && res.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", res.Header.Get("Location"), tt.location)
			}
		})
	}

	t.Run("next", func(t *testing.T) {
		c := s.client()
		p := s.get(c, "/live/s1")
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2Flive%2Fs1" {
			t.Fatalf("signed out: %d %q", p.Status, p.Header.Get("Location"))
		}
		p = s.get(c, "/login?next=%2Flive%2Fs1")
		res := s.post(c, "/login", url.Values{"csrf": {s.csrf(p)}, "credential": {s.token("v1")}, "next": {"/live/s1"}})
		if res.Header.Get("Location") != "/live/s1" {
			t.Fatalf("after sign-in: %d %q", res.Status, res.Header.Get("Location"))
		}
		// An open redirect is refused.
		c = s.client()
		p = s.get(c, "/login")
		res = s.post(c, "/login", url.Values{"csrf": {s.csrf(p)}, "credential": {s.token("v1")}, "next": {"//evil.example/"}})
		if res.Header.Get("Location") != "/creator" {
			t.Fatalf("next=//evil.example: %q", res.Header.Get("Location"))
		}
	})

	t.Run("tampered cookie", func(t *testing.T) {
		c := s.signIn(s.token("v1"))
		u, _ := url.Parse(s.URL)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "glint_session" {
				ck.Value = strings.Replace(ck.Value, ".", "x.", 1)
				c.Jar.SetCookies(u, []*http.Cookie{ck})
			}
		}
		if p := s.get(c, "/creator"); p.Status != http.StatusSeeOther {
			t.Fatalf("a tampered session still works: %d", p.Status)
		}
	})

	t.Run("logout", func(t *testing.T) {
		c := s.signIn(s.token("v1"))
		p := s.get(c, "/creator")
		if res := s.post(c, "/logout", url.Values{"csrf": {s.csrf(p)}}); res.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", res.Status)
		}
		if p := s.get(c, "/creator"); p.Status != http.StatusSeeOther {
			t.Fatalf("still signed in after logout: %d", p.Status)
		}
	})

	t.Run("revoked admin key", func(t *testing.T) {
		secret := s.newKey("admin")
		c := s.signIn(secret)
		if p := s.get(c, "/admin"); p.Status != http.StatusOK {
			t.Fatalf("admin page: %d", p.Status)
		}
		keys, err := s.db.ListAPIKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(secret, "_"+k.ID+"_") {
				if err := s.db.RevokeAPIKey(context.Background(), k.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if p := s.get(c, "/admin"); p.Status != http.StatusSeeOther {
			t.Fatalf("a revoked key's session still works: %d", p.Status)
		}
	})
}

// TestCSRF posts every form without its token, and with another session's:
// each is 403 and changes nothing.
func TestCSRF(t *testing.T) {
	t.Parallel()
	s := world(t)
	viewer := s.signIn(s.token("v1"))
	creator := s.signIn(s.token("c2"))
	admin := s.signIn(s.admin)
	other := s.csrf(s.get(s.signIn(s.token("v2")), "/creator"))

	posts := []struct {
		c    *http.Client
		path string
		form url.Values
	}{
		{viewer, "/live/s1/buy", url.Values{"package_id": {"web-usd-350"}}},
		{viewer, "/live/s1/gift", url.Values{"gift_id": {"rose"}}},
		{viewer, "/logout", nil},
		{creator, "/creator/live", nil},
		{creator, "/creator/end", url.Values{"stream_id": {"s2"}}},
		{creator, "/creator/method", url.Values{"kind": {"paypal"}, "paypal_email": {"c2@example.com"}}},
		{creator, "/creator/withdraw", url.Values{"diamonds": {"20000"}}},
		{admin, "/admin/gifts/rose", url.Values{"coins": {"2"}}},
		{admin, "/admin/gifts/rose/active", url.Values{"active": {"0"}}},
		{admin, "/admin/users/v1/status", url.Values{"action": {"ban"}, "reason": {"test"}}},
		{admin, "/admin/fx", url.Values{"currency": {"EUR"}, "rate": {"2"}}},
		{admin, "/admin/withdrawals/w_x/mark", url.Values{"status": {"paid"}}},
	}
	before, err := s.svc.Wallet(context.Background(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		for _, token := range []string{"", other} {
			form := url.Values{}
			for k, v := range p.form {
				form[k] = v
			}
			if token != "" {
				form.Set("csrf", token)
			}
			if res := s.post(p.c, p.path, form); res.Status != http.StatusForbidden {
				t.Errorf("POST %s with csrf=%q: %d, want 403", p.path, token, res.Status)
			}
		}
	}
	after, err := s.svc.Wallet(context.Background(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if before.Coins != after.Coins {
		t.Errorf("v1's coins moved: %d → %d", before.Coins, after.Coins)
	}
	if u, _ := s.svc.GetUser(context.Background(), "v1"); u.Status != gifting.UserActive {
		t.Errorf("v1 is %s", u.Status)
	}
	if st, _ := s.svc.GetStream(context.Background(), "s2"); st.Status != gifting.StreamLive {
		t.Errorf("s2 is %s", st.Status)
	}
	cat, _ := s.svc.Catalog(context.Background())
	for _, g := range cat {
		if g.ID == "rose" && (g.Coins != 1 || !g.Active) {
			t.Errorf("rose changed: %+v", g)
		}
	}
}

// TestPages renders every page for the right session and checks what it
// must show; anyone else is sent to sign in.
func TestPages(t *testing.T) {
	t.Parallel()
	s := world(t)
	viewer := s.signIn(s.token("v1"))
	creator := s.signIn(s.token("c1"))
	admin := s.signIn(s.admin)
	anon := s.client()

	tests := []struct {
		c    *http.Client
		path string
		want []string
	}{
		{viewer, "/live/s1", []string{"Ava&#39;s evening set", "Rose", "Galaxy", "Top gifters", "Viewer Two", "Buy coins", "web-usd-350",
			"Gifter level", `id="level-bar"`, "Ava Sings's top gifters this week"}},
		{creator, "/creator?stream=s1", []string{"Ava Sings", "End stream", "/overlay/s1?", "Balances", "Earnings", "Withdraw", "Payout method", "Statements", "/creator/statements/",
			"Your top gifters", "Today", "This week", "All time", "Top creators this week", "Ava Sings (you)", "Luca Cooks"}},
		{creator, "/creator", []string{"Go live"}},
		{admin, "/admin", []string{"Gift catalog", "Universe", "34999", "Coin packages", "web-usd-17500"}},
		{admin, "/admin/users?id=v1", []string{"Viewer One", "Ban v1"}},
		{admin, "/admin/payouts", []string{"Payouts queue"}},
		{admin, "/admin/fx", []string{"EUR", "Set a rate"}},
		{admin, "/admin/ledger?run=1", []string{"Ledger OK"}},
		{admin, "/admin/books", []string{"Reconciled", "journal_zero_sum"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := s.get(tt.c, tt.path)
			if p.Status != http.StatusOK {
				t.Fatalf("%d\n%.2000s", p.Status, p.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.Body, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			if a := s.get(anon, tt.path); a.Status != http.StatusSeeOther || !strings.HasPrefix(a.Header.Get("Location"), "/login?next=") {
				t.Errorf("signed out: %d %q", a.Status, a.Header.Get("Location"))
			}
		})
	}
	t.Run("admin pages need an admin", func(t *testing.T) {
		if p := s.get(viewer, "/admin"); p.Status != http.StatusSeeOther {
			t.Errorf("a user on /admin: %d", p.Status)
		}
	})
	t.Run("the API still answers", func(t *testing.T) {
		p := s.get(anon, "/v1/catalog/gifts")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `"rose"`) {
			t.Errorf("GET /v1/catalog/gifts: %d %.200s", p.Status, p.Body)
		}
		if p := s.get(anon, "/nope"); p.Status != http.StatusNotFound || !strings.Contains(p.Body, "not_found") {
			t.Errorf("GET /nope: %d %.200s", p.Status, p.Body)
		}
	})
	t.Run("static files are versioned", func(t *testing.T) {
		p := s.get(anon, "/live/s1")
		_ = p
		res := s.get(anon, "/static/app.css")
		if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "text/css") {
			t.Errorf("GET /static/app.css: %d %s", res.Status, res.Header.Get("Content-Type"))
		}
		if res := s.get(anon, "/static/nope.js"); res.Status != http.StatusNotFound {
			t.Errorf("GET /static/nope.js: %d", res.Status)
		}
	})
}

// TestForms drives the forms without a browser: buy, gift, go live and
// end, method, withdrawal (with its breakdown), statements, and the
// console's price change, ban, FX rate and payout mark.
func TestForms(t *testing.T) {
	t.Parallel()
	s := world(t)
	ctx := context.Background()
	viewer := s.signIn(s.token("v1"))
	creator := s.signIn(s.token("c2"))
	admin := s.signIn(s.admin)

	p := s.get(viewer, "/live/s1")
	w0, _ := s.svc.Wallet(ctx, "v1")
	res := s.post(viewer, "/live/s1/buy", url.Values{"csrf": {s.csrf(p)}, "package_id": {"web-usd-350"}, "idem": {"buy-1"}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/live/s1?bought=350" {
		t.Fatalf("buy: %d %q", res.Status, res.Header.Get("Location"))
	}
	// The same form sent twice buys once.
	s.post(viewer, "/live/s1/buy", url.Values{"csrf": {s.csrf(p)}, "package_id": {"web-usd-350"}, "idem": {"buy-1"}})
	w1, _ := s.svc.Wallet(ctx, "v1")
	if w1.Coins != w0.Coins+350 {
		t.Fatalf("coins %d → %d, want +350", w0.Coins, w1.Coins)
	}
	res = s.post(viewer, "/live/s1/gift", url.Values{"csrf": {s.csrf(p)}, "gift_id": {"rose"}, "quantity": {"3"}, "idem": {"g-1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("gift: %d %.500s", res.Status, res.Body)
	}
	res = s.post(viewer, "/live/s1/gift", url.Values{"csrf": {s.csrf(p)}, "gift_id": {"universe"}, "quantity": {"99"}, "idem": {"g-2"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "coins") {
		t.Fatalf("an unaffordable gift: %d %.500s", res.Status, res.Body)
	}

	p = s.get(creator, "/creator?stream=s2")
	res = s.post(creator, "/creator/withdraw", url.Values{"csrf": {s.csrf(p)}, "diamonds": {"20000"}, "idem": {"w-0"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "payout method") {
		t.Fatalf("a withdrawal without a method: %d %.800s", res.Status, res.Body)
	}
	res = s.post(creator, "/creator/method", url.Values{"csrf": {s.csrf(p)}, "kind": {"bank"}, "holder_name": {"Luca Rossi"}, "iban": {"DE89 3704 0044 0532 0130 00"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("method: %d %.800s", res.Status, res.Body)
	}
	res = s.post(creator, "/creator/withdraw", url.Values{"csrf": {s.csrf(p)}, "diamonds": {"20,000"}, "idem": {"w-1"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/creator?withdrawal=") {
		t.Fatalf("withdraw: %d %q %.800s", res.Status, res.Header.Get("Location"), res.Body)
	}
	q := s.get(creator, res.Header.Get("Location"))
	for _, want := range []string{"100.00 USD", "50.00 USD", "EUR", "Payout", "DE89"} {
		if !strings.Contains(q.Body, want) {
			t.Errorf("the breakdown lacks %q", want)
		}
	}
	if st := s.get(creator, "/creator/statements/2026.csv"); st.Status != http.StatusOK || !strings.HasPrefix(st.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("statement CSV: %d %s", st.Status, st.Header.Get("Content-Type"))
	}
	if st := s.get(creator, "/creator/statements/2026.pdf"); st.Status != http.StatusOK || !strings.HasPrefix(st.Body, "%PDF") {
		t.Errorf("statement PDF: %d", st.Status)
	}
	res = s.post(creator, "/creator/end", url.Values{"csrf": {s.csrf(p)}, "stream_id": {"s2"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("end: %d %.500s", res.Status, res.Body)
	}
	res = s.post(creator, "/creator/live", url.Values{"csrf": {s.csrf(p)}, "title": {"Again"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "stream=") {
		t.Fatalf("go live: %d %q", res.Status, res.Header.Get("Location"))
	}
	// Going live while live finds the live stream.
	again := s.post(creator, "/creator/live", url.Values{"csrf": {s.csrf(p)}, "title": {"Again"}})
	if again.Header.Get("Location") != res.Header.Get("Location") {
		t.Errorf("go live twice: %q then %q", res.Header.Get("Location"), again.Header.Get("Location"))
	}

	a := s.get(admin, "/admin")
	if res := s.post(admin, "/admin/gifts/rose", url.Values{"csrf": {s.csrf(a)}, "coins": {"2"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("price: %d %.500s", res.Status, res.Body)
	}
	if res := s.post(admin, "/admin/gifts/rose", url.Values{"csrf": {s.csrf(a)}, "coins": {"-2"}}); res.Status != http.StatusBadRequest {
		t.Errorf("a negative price: %d", res.Status)
	}
	cat, _ := s.svc.Catalog(ctx)
	for _, g := range cat {
		if g.ID == "rose" && g.Coins != 2 {
			t.Errorf("rose costs %d", g.Coins)
		}
	}
	if res := s.post(admin, "/admin/users/v2/status", url.Values{"csrf": {s.csrf(a)}, "action": {"ban"}, "reason": {"spam"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("ban: %d %.500s", res.Status, res.Body)
	}
	if u, _ := s.svc.GetUser(ctx, "v2"); u.Status != gifting.UserBanned || u.StatusReason != "spam" {
		t.Errorf("v2: %s %q", u.Status, u.StatusReason)
	}
	if p := s.get(admin, "/admin/users"); !strings.Contains(p.Body, "Viewer Two") {
		t.Errorf("the banned list lacks v2")
	}
	if res := s.post(admin, "/admin/users/v2/status", url.Values{"csrf": {s.csrf(a)}, "action": {"unban"}, "reason": {"appeal"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("unban: %d %.500s", res.Status, res.Body)
	}
	if res := s.post(admin, "/admin/fx", url.Values{"csrf": {s.csrf(a)}, "currency": {"eur"}, "rate": {"0.95"}, "source": {"test"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("fx: %d %.500s", res.Status, res.Body)
	}
	if p := s.get(admin, "/admin/fx"); !strings.Contains(p.Body, "0.95") {
		t.Errorf("the FX table lacks the new rate")
	}
	ws, err := s.cash.List(ctx, cashout.WithdrawalFilter{UserID: "c2"})
	if err != nil || len(ws) != 1 {
		t.Fatalf("withdrawals of c2: %v %v", ws, err)
	}
	if res := s.post(admin, "/admin/withdrawals/"+ws[0].ID+"/mark", url.Values{"csrf": {s.csrf(a)}, "status": {"paid"}, "ref": {"T-1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("mark: %d %.500s", res.Status, res.Body)
	}
	if w, _ := s.cash.Get(ctx, ws[0].ID); w.Status != cashout.StatusPaid || w.ProviderRef != "T-1" {
		t.Errorf("withdrawal: %s %q", w.Status, w.ProviderRef)
	}
	if p := s.get(admin, "/admin/books"); !strings.Contains(p.Body, "Reconciled") {
		t.Errorf("the books do not reconcile:\n%.3000s", p.Body)
	}
}

// TestOverlayKey: an overlay URL needs its creator's key (or the creator's
// or an admin's session).
func TestOverlayKey(t *testing.T) {
	t.Parallel()
	s := world(t)
	creator := s.signIn(s.token("c1"))
	p := s.get(creator, "/creator?stream=s1")
	i := strings.Index(p.Body, "/overlay/s1?")
	if i < 0 {
		t.Fatal("the dashboard shows no overlay URL")
	}
	u, err := url.Parse("http://x" + strings.ReplaceAll(p.Body[i:i+strings.Index(p.Body[i:], `"`)], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	key := u.Query().Get("key")
	anon := s.client()
	tests := []struct {
		path   string
		status int
	}{
		{"/overlay/s1", http.StatusForbidden},
		{"/overlay/s1?key=nope", http.StatusForbidden},
		{"/overlay/s2?key=" + url.QueryEscape(key), http.StatusForbidden}, // c2's stream
		{"/overlay/s1?key=" + url.QueryEscape(key) + "&theme=light&duration=9&top=0", http.StatusOK},
		{"/overlay/nope?key=" + url.QueryEscape(key), http.StatusNotFound},
	}
	for _, tt := range tests {
		if p := s.get(anon, tt.path); p.Status != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, p.Status, tt.status)
		}
	}
	if p := s.get(creator, "/overlay/s1"); p.Status != http.StatusOK || p.Header.Get("X-Frame-Options") != "" {
		t.Errorf("the creator's own overlay: %d, X-Frame-Options %q", p.Status, p.Header.Get("X-Frame-Options"))
	}
	res, err := http.Get(s.URL + "/overlay/s1/events?key=" + url.QueryEscape(key))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, err := http.Get(s.URL + "/overlay/s1/events"); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("events without a key: %v %v", res.StatusCode, err)
	}
}
