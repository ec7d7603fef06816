package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// auditWorld is a harness whose server keeps an audit log: a Recorder that
// trusts 127.0.0.1 as a proxy (the test client's address), and the route
// GET /v1/admin/audit.
type auditWorld struct {
	*harness
	rec          *audit.Recorder
	adminKeyID   string
	untrustedRem string // the peer address of serve's requests
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: epoch}
	h := &harness{t: t, world: &world{clock: clk, client: &http.Client{Timeout: 30 * time.Second}, tokens: map[string]string{}, minted: map[string]time.Time{}, watched: map[string]bool{}}}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	batcher := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 128, Queue: 1024}, db.ApplyBatch)
	batcher.Start()
	t.Cleanup(batcher.Stop)
	svc := gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Read: db, Now: clk.Now,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(*sqlite.Tx) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(tx *sqlite.Tx) error { return op(tx) }
			}
			return batcher.DoMany(ctx, wrapped)
		},
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	authn := auth.New(auth.Config{Keys: db, TokenSecret: []byte(tokenSecret), Now: clk.Now})
	h.db, h.auth, h.batcher = db, authn, batcher
	var adminID string
	h.admin, adminID = h.newKey(auth.ScopeAdmin)
	h.service, h.serviceKeyID = h.newKey(auth.ScopeService)

	rec := audit.NewRecorder(audit.Config{
		Store: db, Now: clk.Now, Logger: slog.New(errorLog{h.world}), Registry: prometheus.NewRegistry(),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	rec.Start()
	t.Cleanup(rec.Stop)
	h.api = httpapi.New(httpapi.Config{
		Service: svc, Auth: authn, FX: money.NewLive(money.DefaultRates()), Registry: prometheus.NewRegistry(), Version: "test",
		Logger: slog.New(errorLog{h.world}), Audit: rec, AuditStore: db,
		Check: func(ctx context.Context) ([]ledger.Problem, error) {
			s, err := db.Snapshot(ctx)
			if err != nil {
				return nil, err
			}
			return ledger.Check(s), nil
		},
	})
	srv := httptest.NewServer(h.api)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, l := range h.errLogs {
			t.Errorf("the server logged an error: %s", l)
		}
	})
	return &auditWorld{harness: h, rec: rec, adminKeyID: adminID, untrustedRem: "203.0.113.5:4000"}
}

// with gives a subtest its own view of the world.
func (w *auditWorld) with(t *testing.T) *auditWorld {
	v := *w
	v.harness = w.harness.with(t)
	return &v
}

// serve sends one request in process, from an untrusted peer: when it
// returns, the request's audit entry is recorded (written, once the
// recorder is stopped).
func (w *auditWorld) serve(method, path, as string, headers ...string) *response {
	w.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = w.untrustedRem
	if a := w.authorization(as); a != "" {
		req.Header.Set("Authorization", a)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rr := httptest.NewRecorder()
	w.api.ServeHTTP(rr, req)
	return &response{Status: rr.Code, Header: rr.Header(), Body: rr.Body.Bytes()}
}

// page is GET /v1/admin/audit's answer.
type page struct {
	Entries    []audit.Entry `json:"entries"`
	NextCursor string        `json:"next_cursor"`
}

func (w *auditWorld) audit(query string) page {
	w.t.Helper()
	r := w.serve("GET", "/v1/admin/audit?"+query, "admin")
	if r.Status != http.StatusOK {
		w.t.Fatalf("GET /v1/admin/audit?%s: %s", query, r)
	}
	var p page
	if err := json.Unmarshal(r.Body, &p); err != nil {
		w.t.Fatalf("GET /v1/admin/audit?%s: %v\n%s", query, err, r.Body)
	}
	return p
}

// stored returns every stored entry, newest first, from the database.
func (w *auditWorld) stored() []audit.Entry {
	w.t.Helper()
	es, err := w.db.Audit(context.Background(), audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}

func byKey(es []audit.Entry, key string) (audit.Entry, bool) {
	for _, e := range es {
		if e.IdempotencyKey == key {
			return e, true
		}
	}
	return audit.Entry{}, false
}

// TestAuditLog drives a small economy through the API, with the audit
// recorder writing in the background, stops the recorder (which writes
// what it holds), then reads the log from the database and through
// GET /v1/admin/audit.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	if _, ok := match(operations(w.api), "GET", "/v1/admin/audit"); !ok {
		t.Fatal("GET /v1/admin/audit is not routed: routes() must call s.auditRoutes()")
	}
	setupAt := w.clock.Now()
	w.putUser("v1", "Viewer One", "US", true)
	w.putUser("v2", "Broke Viewer", "DE", true)
	w.putUser("c1", "Ava Sings", "US", true)
	w.buy("v1", "web-usd-70")
	w.goLive("c1", "s1")
	w.token("v1")
	w.token("v2")

	w.clock.Advance(time.Minute)
	actAt := w.clock.Now()
	gift := `{"sender_id":%q,"gift_id":"rose","quantity":1}`
	w.must(http.StatusCreated, "POST", "/v1/streams/s1/gifts", "user:v1", fmt.Sprintf(gift, "v1"), "Idempotency-Key", "gift-ok", "X-Forwarded-For", "6.6.6.6, 198.51.100.23")
	if r := w.do("POST", "/v1/streams/s1/gifts", "user:v2", fmt.Sprintf(gift, "v2"), "Idempotency-Key", "gift-broke"); r.Status != http.StatusUnprocessableEntity || r.errorCode() != "insufficient_funds" {
		t.Fatalf("v2's gift: want 422 insufficient_funds, got %s", r)
	}
	w.must(http.StatusOK, "PUT", "/v1/admin/gifts/rose", "admin", `{"name":"Rose","coins":1,"streakable":true}`, "Idempotency-Key", "admin-rose")
	w.must(http.StatusOK, "GET", "/v1/users/v1/wallet", "service", "")
	w.must(http.StatusOK, "GET", "/v1/admin/ledger/check", "admin", "")
	if r := w.do("POST", "/v1/streams", "", `{"id":"s9","creator_id":"c1"}`, "Idempotency-Key", "anon-key"); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous start-stream: %s", r)
	}
	if r := w.do("DELETE", "/v1/nowhere", "service", ""); r.Status != http.StatusNotFound {
		t.Fatalf("DELETE /v1/nowhere: %s", r)
	}

	w.rec.Stop() // writes every buffered entry; from now on each request writes its own
	all := w.stored()

	ignore := cmpopts.IgnoreFields(audit.Entry{}, "ID", "LatencyMicros")
	t.Run("gift", func(t *testing.T) {
		e, ok := byKey(all, "gift-ok")
		if !ok {
			t.Fatal("the gift is not in the log")
		}
		want := audit.Entry{At: actAt, Actor: "user:v1", Scope: audit.ScopeUser, Action: "send-gift", Method: "POST", Path: "/v1/streams/s1/gifts",
			Target: "s1", IP: "198.51.100.23", IdempotencyKey: "gift-ok", Status: 201, Outcome: audit.OutcomeOK}
		if d := cmp.Diff(want, e, ignore); d != "" {
			t.Errorf("entry (-want +got):\n%s", d)
		}
		if e.LatencyMicros < 0 || e.ID <= 0 {
			t.Errorf("latency %d µs, id %d", e.LatencyMicros, e.ID)
		}
	})
	t.Run("refused gift", func(t *testing.T) {
		e, _ := byKey(all, "gift-broke")
		want := audit.Entry{At: actAt, Actor: "user:v2", Scope: audit.ScopeUser, Action: "send-gift", Method: "POST", Path: "/v1/streams/s1/gifts",
			Target: "s1", IP: "127.0.0.1", IdempotencyKey: "gift-broke", Status: 422, Outcome: "insufficient_funds"}
		if d := cmp.Diff(want, e, ignore); d != "" {
			t.Errorf("entry (-want +got):\n%s", d)
		}
	})
	t.Run("admin action", func(t *testing.T) {
		w := w.with(t)
		e, _ := byKey(all, "admin-rose")
		want := audit.Entry{At: actAt, Actor: "key:" + w.adminKeyID, Scope: audit.ScopeAdmin, Action: "admin-put-gift", Method: "PUT", Path: "/v1/admin/gifts/rose",
			Target: "rose", IP: "127.0.0.1", IdempotencyKey: "admin-rose", Status: 200, Outcome: audit.OutcomeOK}
		if d := cmp.Diff(want, e, ignore); d != "" {
			t.Errorf("entry (-want +got):\n%s", d)
		}
	})
	t.Run("anonymous and unmatched", func(t *testing.T) {
		e, _ := byKey(all, "anon-key")
		want := audit.Entry{At: actAt, Actor: audit.Anonymous, Scope: audit.ScopeNone, Action: "start-stream", Method: "POST", Path: "/v1/streams",
			IP: "127.0.0.1", IdempotencyKey: "anon-key", Status: 401, Outcome: "unauthorized"}
		if d := cmp.Diff(want, e, ignore); d != "" {
			t.Errorf("entry (-want +got):\n%s", d)
		}
		var found bool
		for _, e := range all {
			if e.Method == "DELETE" {
				found = true
				if e.Action != "unmatched" || e.Status != 404 || e.Outcome != "not_found" || e.Path != "/v1/nowhere" {
					t.Errorf("DELETE /v1/nowhere: %+v", e)
				}
			}
		}
		if !found {
			t.Error("DELETE /v1/nowhere is not in the log")
		}
	})
	t.Run("what is and is not recorded", func(t *testing.T) {
		w := w.with(t)
		count := map[string]int{}
		for _, e := range all {
			count[e.Method+" "+e.Action]++
			if e.Method == "GET" && !strings.HasPrefix(e.Path, "/v1/admin/") {
				t.Errorf("a GET outside /v1/admin/ is in the log: %+v", e)
			}
		}
		want := map[string]int{
			"PUT put-user": 3, "POST create-purchase": 1, "POST start-stream": 2, "POST mint-user-token": 2,
			"POST send-gift": 2, "PUT admin-put-gift": 1, "GET admin-ledger-check": 1, "DELETE unmatched": 1,
		}
		if d := cmp.Diff(want, count); d != "" {
			t.Errorf("entries per method and action (-want +got):\n%s", d)
		}
		for _, e := range all {
			if e.Action == "mint-user-token" && (e.Target != "v1" && e.Target != "v2" || e.Actor != "key:"+w.serviceKeyID || e.Scope != audit.ScopeService) {
				t.Errorf("mint-user-token: %+v", e)
			}
		}
	})

	t.Run("the audit route is recorded", func(t *testing.T) {
		w := w.with(t)
		first := w.audit("limit=1")
		if len(first.Entries) != 1 || first.Entries[0].ID != all[0].ID {
			t.Fatalf("newest entry: %+v, want id %d", first.Entries, all[0].ID)
		}
		r := w.serve("GET", "/v1/admin/audit?action=admin-list-audit", "admin", "X-Forwarded-For", "198.51.100.99")
		var p page
		if err := json.Unmarshal(r.Body, &p); err != nil || r.Status != 200 {
			t.Fatalf("%s %v", r, err)
		}
		want := []audit.Entry{{At: actAt, Actor: "key:" + w.adminKeyID, Scope: audit.ScopeAdmin, Action: "admin-list-audit", Method: "GET",
			Path: "/v1/admin/audit", IP: "203.0.113.5", Status: 200, Outcome: audit.OutcomeOK}}
		if d := cmp.Diff(want, p.Entries, ignore); d != "" {
			t.Errorf("the first GET /v1/admin/audit, seen by the second (-want +got):\n%s", d)
		}
	})

	t.Run("filters", func(t *testing.T) {
		w := w.with(t)
		keys := func(p page) []string {
			var out []string
			for _, e := range p.Entries {
				out = append(out, e.Method+" "+e.Action+" "+e.IdempotencyKey)
			}
			return out
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"actor=user:v1", []string{"POST send-gift gift-ok"}},
			{"action=send-gift", []string{"POST send-gift gift-broke", "POST send-gift gift-ok"}},
			{"target=s1&outcome=insufficient_funds", []string{"POST send-gift gift-broke"}},
			{"outcome=unauthorized", []string{"POST start-stream anon-key"}},
			// No route: the credentials were not checked.
			{"actor=anonymous", []string{"DELETE unmatched ", "POST start-stream anon-key"}},
			{"target=rose", []string{"PUT admin-put-gift admin-rose"}},
			{"target=c1", []string{"PUT put-user "}},
			{"target=nobody", nil},
			{"action=admin-list-audit&from=" + url.QueryEscape(actAt.Add(time.Second).Format(time.RFC3339)), nil},
			{"action=start-stream&to=" + url.QueryEscape(actAt.Format(time.RFC3339)), []string{"POST start-stream "}},
			{"action=start-stream&from=" + url.QueryEscape(setupAt.Format(time.RFC3339)) + "&to=" + url.QueryEscape(actAt.Add(time.Second).Format(time.RFC3339)),
				[]string{"POST start-stream anon-key", "POST start-stream "}},
		} {
			t.Run(tc.query, func(t *testing.T) {
				if d := cmp.Diff(tc.want, keys(w.audit(tc.query)), cmpopts.EquateEmpty()); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
			})
		}
	})

	t.Run("paging", func(t *testing.T) {
		w := w.with(t)
		q := "actor=" + url.QueryEscape("key:"+w.serviceKeyID)
		whole := w.audit(q + "&limit=1000")
		if whole.NextCursor != "" || len(whole.Entries) < 7 {
			t.Fatalf("the service key's entries: %d, next_cursor %q", len(whole.Entries), whole.NextCursor)
		}
		var got []audit.Entry
		cursor := ""
		for i := 0; ; i++ {
			p := w.audit(q + "&limit=3" + cursor)
			got = append(got, p.Entries...)
			if p.NextCursor == "" {
				break
			}
			if i > 10 {
				t.Fatal("the pages do not end")
			}
			cursor = "&cursor=" + p.NextCursor
		}
		if d := cmp.Diff(whole.Entries, got); d != "" {
			t.Errorf("the pages put together (-whole +pages):\n%s", d)
		}
		if r := w.serve("GET", "/v1/admin/audit?cursor=abc", "admin"); r.Status != 400 || r.errorCode() != "invalid_request" {
			t.Errorf("a bad cursor: %s", r)
		}
		if r := w.serve("GET", "/v1/admin/audit?limit=1001", "admin"); r.Status != 400 {
			t.Errorf("limit=1001: %s", r)
		}
	})

	t.Run("admins only", func(t *testing.T) {
		w := w.with(t)
		for _, as := range []string{"service", "user:v1"} {
			if r := w.serve("GET", "/v1/admin/audit", as); r.Status != http.StatusForbidden || r.errorCode() != "forbidden" {
				t.Errorf("as %s: want 403 forbidden, got %s", as, r)
			}
		}
		if r := w.serve("GET", "/v1/admin/audit", ""); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: want 401, got %s", r)
		}
		// The refusals are in the log: /v1/admin/ is audited whatever the method.
		p := w.audit("action=admin-list-audit&outcome=forbidden")
		if len(p.Entries) != 2 || p.Entries[0].Actor != "user:v1" || p.Entries[1].Actor != "key:"+w.serviceKeyID {
			t.Errorf("refused reads of the log: %+v", p.Entries)
		}
	})

	t.Run("no secret stored", func(t *testing.T) {
		w := w.with(t)
		b, err := json.Marshal(w.stored())
		if err != nil {
			t.Fatal(err)
		}
		rows := string(b)
		w.mu.Lock()
		secrets := []string{w.admin, w.service, "Bearer", "glk_"}
		for _, tok := range w.tokens {
			secrets = append(secrets, tok)
		}
		w.mu.Unlock()
		for _, key := range []string{w.admin, w.service} {
			secrets = append(secrets, strings.SplitN(key, "_", 3)[2]) // glk_<id>_<random>: the random part
		}
		for _, s := range secrets {
			if strings.Contains(rows, s) {
				t.Errorf("a secret (%.8s…) is in the stored rows", s)
			}
		}
		if strings.Contains(rows, "Broke Viewer") || strings.Contains(rows, "sender_id") {
			t.Error("a request body is in the stored rows")
		}
	})
}
