package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/statement"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// logCapture keeps what a server logs at ERROR.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }

func (l *logCapture) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.msgs
	l.msgs = nil
	return out
}

// reportHarness is a harness whose server also has the cash-out service and
// the report reader, over the harness's database, writer and clock.
type reportHarness struct {
	*harness
	cash *cashout.Service
	logs *logCapture
}

func newReportHarness(t *testing.T) *reportHarness {
	t.Helper()
	base := newHarness(t)
	fx := money.NewLive(money.DefaultRates())
	svc := gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: fx, Read: base.db, Now: base.clock.Now,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return base.batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
	})
	cash, err := cashout.NewService(cashout.Config{
		Economy: svc.Economy(), FX: fx, Read: base.db, Now: base.clock.Now,
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return base.batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
		Providers: []cashout.Provider{cashout.Manual{}},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderManual, cashout.MethodBank: cashout.ProviderManual},
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logCapture{}
	api := httpapi.New(httpapi.Config{
		Service: svc, Auth: base.auth, FX: fx, Cashout: cash, Reports: base.db,
		Registry: prometheus.NewRegistry(), Version: "test", Logger: slog.New(logs),
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	w := &world{URL: srv.URL, db: base.db, api: api, auth: base.auth, batcher: base.batcher, clock: base.clock, client: base.client,
		admin: base.admin, service: base.service, serviceKeyID: base.serviceKeyID,
		tokens: map[string]string{}, minted: map[string]time.Time{}, watched: map[string]bool{}}
	return &reportHarness{harness: &harness{t: t, world: w}, cash: cash, logs: logs}
}

// TestReports drives the report routes on a server wired with the cash-out
// service and the report reader:
//
//	2026-03-01 12:00  v1 → c1 2 Rockets (20,000 diamonds)
//	2026-03-02 12:00  v1 → c1 3 Roses (1.5 diamonds)
//	2026-03-03 12:00  c1 requests 20,000 diamonds; 2026-03-04 12:00 paid ($50 net)
func TestReports(t *testing.T) {
	t.Parallel()
	h := newReportHarness(t)
	ctx := context.Background()
	h.putUser("c1", "Ava Sings", "US", true)
	h.putUser("v1", "Viewer One", "US", true)
	for range 3 {
		h.buy("v1", "web-usd-17500")
	}
	h.goLive("c1", "s1")
	h.must(http.StatusCreated, "POST", "/v1/streams/s1/gifts", "service", `{"sender_id":"v1","gift_id":"rocket","quantity":2}`, "Idempotency-Key", "g1")
	h.clock.Advance(24 * time.Hour)
	h.must(http.StatusCreated, "POST", "/v1/streams/s1/gifts", "service", `{"sender_id":"v1","gift_id":"rose","quantity":3}`, "Idempotency-Key", "g2")
	h.clock.Advance(24 * time.Hour)
	if _, _, err := h.cash.PutMethod(ctx, gifting.Idem{}, "c1", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: "ava@example.com"}); err != nil {
		t.Fatal(err)
	}
	w, _, err := h.cash.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: "c1", Diamonds: "20000"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(24 * time.Hour)
	if _, _, err := h.cash.Resolve(ctx, gifting.Idem{}, w.ID, cashout.StatusPaid, "", ""); err != nil {
		t.Fatal(err)
	}

	earnings := "/v1/users/c1/earnings?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z"
	if r := h.do("GET", earnings, "service", ""); r.Status == http.StatusNotFound && r.errorCode() == "not_found" {
		t.Fatal("the report routes are not mounted: routes() in routes.go must call s.reportRoutes()")
	}
	for _, c := range []struct {
		name, path, as string
		status         int
		code, want     string
	}{
		{"by day", earnings + "&interval=day", "user:c1", 200, "", `{"user_id":"c1","interval":"day","currency":"USD","buckets":[
			{"start":"2026-03-01T00:00:00Z","gifts":1,"diamonds":"20000","gross":{"value":"100.00","currency":"USD"},"commission":{"value":"50.00","currency":"USD"},"net":{"value":"50.00","currency":"USD"},"paid":{"value":"0.00","currency":"USD"}},
			{"start":"2026-03-02T00:00:00Z","gifts":1,"diamonds":"1.5","gross":{"value":"0.01","currency":"USD"},"commission":{"value":"0.01","currency":"USD"},"net":{"value":"0.00","currency":"USD"}},
			{"start":"2026-03-03T00:00:00Z","gifts":0,"diamonds":"0"},
			{"start":"2026-03-04T00:00:00Z","gifts":0,"paid":{"value":"50.00","currency":"USD"}},
			{"start":"2026-03-05T00:00:00Z"},{"start":"2026-03-06T00:00:00Z"},{"start":"2026-03-07T00:00:00Z"}],
			"total":{"gifts":2,"diamonds":"20001.5","gross":{"value":"100.01"},"commission":{"value":"50.01"},"net":{"value":"50.00"},"paid":{"value":"50.00"}}}`},
		{"by week", earnings + "&interval=week", "service", 200, "", `{"interval":"week","buckets":[
			{"start":"2026-02-23T00:00:00Z","gifts":1,"diamonds":"20000","gross":{"value":"100.00"}},
			{"start":"2026-03-02T00:00:00Z","gifts":1,"diamonds":"1.5","paid":{"value":"50.00"}}]}`},
		{"default interval", earnings, "admin", 200, "", `{"interval":"day"}`},
		{"another user", earnings, "user:v1", 403, "forbidden", ""},
		{"no credentials", earnings, "", 401, "unauthorized", ""},
		{"unknown user", "/v1/users/ghost/earnings?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z", "service", 404, "user_not_found", ""},
		{"unknown interval", earnings + "&interval=year", "service", 400, "invalid_request", ""},
		{"no from", "/v1/users/c1/earnings?to=2026-03-08T00:00:00Z", "service", 400, "invalid_request", ""},
		{"backwards", "/v1/users/c1/earnings?from=2026-03-08T00:00:00Z&to=2026-03-01T00:00:00Z", "service", 400, "invalid_request", `{"error":{"details":{"field":"to"}}}`},
		{"a year by day", "/v1/users/c1/earnings?from=2025-01-01T00:00:00Z&to=2026-03-08T00:00:00Z", "service", 400, "invalid_request", `{"error":{"details":{"field":"to"}}}`},

		{"bad year", "/v1/users/c1/statements/26.csv", "user:c1", 400, "invalid_request", `{"error":{"details":{"field":"year"}}}`},
		{"not a year", "/v1/users/c1/statements/abcd.pdf", "user:c1", 400, "invalid_request", ""},
		{"year out of range", "/v1/users/c1/statements/1969.csv", "user:c1", 400, "invalid_request", ""},
		{"unknown format", "/v1/users/c1/statements/2026.txt", "user:c1", 404, "not_found", ""},
		{"no format", "/v1/users/c1/statements/2026", "user:c1", 404, "not_found", ""},
		{"statement of another user", "/v1/users/c1/statements/2026.csv", "user:v1", 403, "forbidden", ""},
		{"statement of an unknown user", "/v1/users/ghost/statements/2026.csv", "service", 404, "user_not_found", ""},

		{"books", "/v1/admin/reports/liabilities", "admin", 200, "", `{"current":true,"economy":"seed","currency":"USD","reconciled":true,
			"coins":{"outstanding":12497,"issued":52500,"spent":40003},
			"diamonds":{"pending":"0","available":"1.5","withdrawing":"0","outstanding":"1.5","gross":{"value":"0.01","currency":"USD"},"net":{"value":"0.00","currency":"USD"},
				"issued":"20001.5","redeemed":"20000","forfeited":"0"},
			"commission":[{"value":"50.00","currency":"USD"}],"paid_out":[{"value":"50.00","currency":"USD"}],
			"withdrawals":[{"status":"paid","count":1,"diamonds":"20000","gross":{"value":"100.00"},"commission":{"value":"50.00"},"net":{"value":"50.00"}}],
			"checks":[{"name":"journal_zero_sum","ok":true},{"name":"diamonds_outstanding","ok":true},{"name":"coins_outstanding","ok":true},
				{"name":"withdrawing_held","ok":true},{"name":"commission_earned","ok":true},{"name":"journal_matches_accounts","ok":true}]}`},
		{"books while the withdrawal was held", "/v1/admin/reports/liabilities?at=2026-03-03T18:00:00Z", "admin", 200, "", `{"at":"2026-03-03T18:00:00Z","current":false,"reconciled":true,
			"diamonds":{"available":"1.5","withdrawing":"20000","outstanding":"20001.5"},"commission":[],
			"checks":[{"ok":true},{"ok":true},{"ok":true},{"name":"withdrawing_held","ok":true},{"name":"commission_earned","ok":true}]}`},
		{"books for a service key", "/v1/admin/reports/liabilities", "service", 403, "forbidden", ""},
		{"books at a bad time", "/v1/admin/reports/liabilities?at=yesterday", "admin", 400, "invalid_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := h.with(t)
			r := h.do("GET", c.path, c.as, "")
			if r.Status != c.status {
				t.Fatalf("GET %s: want %d, got %s", c.path, c.status, r)
			}
			if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if c.code != "" {
				if got := r.errorCode(); got != c.code {
					t.Errorf("error code %q, want %q: %s", got, c.code, r.Body)
				}
			}
			if c.want != "" {
				wantSubset(t, r, c.want)
			}
		})
	}

	t.Run("statement", func(t *testing.T) {
		h := h.with(t)
		user, err := h.db.User(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		st, err := cashout.BuildStatement(ctx, economy.Seed(), h.db, h.db, user, 2026, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			ext, contentType string
			write            func(*bytes.Buffer, *statement.Statement) error
		}{
			{"csv", "text/csv; charset=utf-8", func(b *bytes.Buffer, s *statement.Statement) error { return statement.WriteCSV(b, s) }},
			{"pdf", "application/pdf", func(b *bytes.Buffer, s *statement.Statement) error { return statement.WritePDF(b, s) }},
		} {
			for _, as := range []string{"user:c1", "service"} {
				r := h.do("GET", "/v1/users/c1/statements/2026."+f.ext, as, "")
				if r.Status != http.StatusOK {
					t.Fatalf("%s as %s: %s", f.ext, as, r)
				}
				if ct := r.Header.Get("Content-Type"); ct != f.contentType {
					t.Errorf("%s: Content-Type %q, want %q", f.ext, ct, f.contentType)
				}
				if cd, want := r.Header.Get("Content-Disposition"), `attachment; filename="glint-statement-c1-2026.`+f.ext+`"`; cd != want {
					t.Errorf("%s: Content-Disposition %q, want %q", f.ext, cd, want)
				}
				var want bytes.Buffer
				if err := f.write(&want, st); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(r.Body, want.Bytes()) {
					t.Errorf("%s: the answer is not the statement of 2026 (%d bytes, want %d)", f.ext, len(r.Body), want.Len())
				}
			}
		}
		r := h.must(http.StatusOK, "GET", "/v1/users/c1/statements/2026.csv", "user:c1", "")
		for _, line := range []string{
			"2026-03,2,20001.5,100.01,50.01,50.00,50.00\n",
			"total,2,20001.5,100.01,50.01,50.00,50.00\n",
			"threshold_reached,no\n",
			w.ID + ",2026-03-04T12:00:00Z,20000,50.00,50.00,USD,PayPal a***@example.com\n",
		} {
			if !strings.Contains(string(r.Body), line) {
				t.Errorf("the CSV lacks %q:\n%s", line, r.Body)
			}
		}
		if r := h.must(http.StatusOK, "GET", "/v1/users/c1/statements/2026.pdf", "user:c1", ""); !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
			t.Errorf("the PDF starts with %q", r.Body[:min(len(r.Body), 8)])
		}
		// A client that asks for a PDF still gets its errors as JSON.
		r = h.must(http.StatusNotFound, "GET", "/v1/users/c1/statements/2026.txt", "user:c1", "", "Accept", "application/pdf")
		if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "json") || r.errorCode() != "not_found" {
			t.Errorf("error as %q: %s", ct, r.Body)
		}
	})

	t.Run("books that do not reconcile", func(t *testing.T) {
		logs := h.logs
		h := h.with(t)
		if msgs := logs.take(); len(msgs) != 0 {
			t.Fatalf("the server logged errors before: %v", msgs)
		}
		if _, err := h.db.WriteDB().ExecContext(ctx, "UPDATE withdrawals SET commission = commission + 1 WHERE id = ?", w.ID); err != nil {
			t.Fatal(err)
		}
		r := h.must(http.StatusOK, "GET", "/v1/admin/reports/liabilities", "admin", "")
		wantSubset(t, r, `{"reconciled":false,"checks":[{"ok":true},{"ok":true},{"ok":true},{"ok":true},{"name":"commission_earned","ok":false},{"ok":true}]}`)
		if msgs := logs.take(); len(msgs) != 1 || msgs[0] != "the books do not reconcile" {
			t.Errorf("logged %q, want one error", msgs)
		}
	})
}
