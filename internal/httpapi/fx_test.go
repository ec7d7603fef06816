package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// fxWorld is the API with the FX routes on a temp SQLite file seeded with
// the embedded table, as `glint serve` wires it, and an admin and a
// service key. (An internal test: it registers the FX routes itself when
// routes.go does not list them yet.)
type fxWorld struct {
	url            string
	db             *sqlite.DB
	live           *money.Live
	admin, service string
	client         *http.Client

	mu      sync.Mutex
	errLogs []string
}

// fxErrorLog records what the server logs at ERROR: a 500. No test expects
// one.
type fxErrorLog struct{ w *fxWorld }

func (l fxErrorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l fxErrorLog) Handle(_ context.Context, r slog.Record) error {
	l.w.mu.Lock()
	l.w.errLogs = append(l.w.errLogs, r.Message)
	l.w.mu.Unlock()
	return nil
}
func (l fxErrorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l fxErrorLog) WithGroup(string) slog.Handler      { return l }

func newFXWorld(t *testing.T) *fxWorld {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rates, err := fx.Load(ctx, db, money.DefaultRates())
	if err != nil {
		t.Fatal(err)
	}
	w := &fxWorld{db: db, live: money.NewLive(rates), client: &http.Client{Timeout: 30 * time.Second}}
	newKey := func(scope string) string {
		secret, k, err := auth.NewAPIKey(scope, "test", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	w.admin, w.service = newKey(auth.ScopeAdmin), newKey(auth.ScopeService)
	s := New(Config{
		Auth: auth.New(auth.Config{Keys: db, TokenSecret: []byte("fx-test-secret")}),
		FX:   w.live, FXStore: db, Registry: prometheus.NewRegistry(), Version: "test",
		Logger: slog.New(fxErrorLog{w}),
	})
	if s.OpenAPI().Paths["/v1/admin/fx"] == nil {
		s.fxRoutes() // until routes.go lists s.fxRoutes()
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, l := range w.errLogs {
			t.Errorf("the server logged an error (a 500): %s", l)
		}
	})
	return w
}

func (w *fxWorld) do(t *testing.T, method, path, as, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch as {
	case "admin":
		req.Header.Set("Authorization", "Bearer "+w.admin)
	case "service":
		req.Header.Set("Authorization", "Bearer "+w.service)
	}
	req.Header.Set("Idempotency-Key", "fx-test")
	res, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// fxState is what a refused call must leave as it was: the table in force
// and every stored row.
func (w *fxWorld) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, r := range w.live.Load().Rows() {
		b.WriteString("in force " + string(r.Currency) + " " + r.Rate.String() + " " + r.Date + " " + r.Source + "\n")
	}
	for _, c := range w.live.Load().Currencies() {
		hist, err := w.db.FXHistory(context.Background(), string(c), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range hist {
			b.WriteString("stored " + string(r.Currency) + " " + r.Rate.String() + " " + r.Date + " " + r.Source + "\n")
		}
	}
	return b.String()
}

// fxAnswer is any answer of the FX routes.
type fxAnswer struct {
	// GET
	Base  string  `json:"base"`
	Date  string  `json:"date"`
	Rates []FXRow `json:"rates"`
	// PUT: stored, and in_force a row; import: imported, dates, and
	// in_force a table.
	Stored   FXRow           `json:"stored"`
	InForce  json.RawMessage `json:"in_force"`
	Imported int             `json:"imported"`
	Dates    []string        `json:"dates"`
	// refusals
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func decodeFX(t *testing.T, b []byte) fxAnswer {
	t.Helper()
	var a fxAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, b)
	}
	return a
}

func rowOf(rows []FXRow, c string) FXRow {
	for _, r := range rows {
		if r.Currency == c {
			return r
		}
	}
	return FXRow{}
}

func TestAdminFX(t *testing.T) {
	t.Parallel()
	w := newFXWorld(t)
	seed := money.DefaultRates()
	ecb, err := os.ReadFile("../money/testdata/ecb-2025-03-14.xml")
	if err != nil {
		t.Fatal(err)
	}
	// The ECB's day moved after the seed's, so that the import is in force.
	ecbLater := strings.ReplaceAll(string(ecb), "2025-03-14", "2026-12-05")
	importBody := func(xml, source string) string {
		b, _ := json.Marshal(map[string]string{"xml": xml, "source": source})
		return string(b)
	}
	today := func() string { return time.Now().UTC().Format(time.DateOnly) }

	rows := []struct {
		name             string
		method, path, as string
		body             string
		status           int
		code, field      string // error code and details.field of a refusal
		check            func(t *testing.T, a fxAnswer)
	}{
		{name: "the table in force", method: "GET", path: "/v1/admin/fx", as: "admin", status: 200, check: func(t *testing.T, a fxAnswer) {
			if a.Base != "USD" || a.Date != seed.Date || len(a.Rates) != len(seed.Rows()) {
				t.Errorf("base %s date %s, %d rates", a.Base, a.Date, len(a.Rates))
			}
			if d := cmp.Diff(FXRow{"EUR", "0.9286", "2026-11-30", seed.Source}, rowOf(a.Rates, "EUR")); d != "" {
				t.Errorf("EUR (-want +got):\n%s", d)
			}
		}},
		{name: "not for a service key", method: "GET", path: "/v1/admin/fx", as: "service", status: 403, code: "forbidden"},
		{name: "not without a key", method: "GET", path: "/v1/admin/fx", status: 401, code: "unauthorized"},

		{name: "set a newer day", method: "PUT", path: "/v1/admin/fx/eur", as: "admin", body: `{"rate":"0.9012","date":"2026-12-01"}`, status: 200, check: func(t *testing.T, a fxAnswer) {
			want := FXRow{"EUR", "0.9012", "2026-12-01", "manual"}
			var inForce FXRow
			_ = json.Unmarshal(a.InForce, &inForce)
			if a.Stored != want || inForce != want {
				t.Errorf("stored %+v, in force %+v; want both %+v", a.Stored, inForce, want)
			}
			if info, _ := w.live.Load().Info("EUR"); info.Rate.String() != "0.9012" {
				t.Errorf("EUR in force in the server: %s", info.Rate)
			}
		}},
		{name: "the change is in the table", method: "GET", path: "/v1/admin/fx", as: "admin", status: 200, check: func(t *testing.T, a fxAnswer) {
			if got := rowOf(a.Rates, "EUR"); got.Rate != "0.9012" || a.Date != "2026-12-01" {
				t.Errorf("EUR %+v, table date %s", got, a.Date)
			}
			if got := rowOf(a.Rates, "JPY"); got.Rate != "151.37" {
				t.Errorf("JPY %+v: the other rates stay", got)
			}
		}},
		{name: "an older day is history", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"0.95","date":"2026-01-15","source":"bank statement"}`, status: 200, check: func(t *testing.T, a fxAnswer) {
			var inForce FXRow
			_ = json.Unmarshal(a.InForce, &inForce)
			if a.Stored != (FXRow{"EUR", "0.95", "2026-01-15", "bank statement"}) || inForce.Rate != "0.9012" {
				t.Errorf("stored %+v, in force %+v", a.Stored, inForce)
			}
		}},
		{name: "the day defaults to today", method: "PUT", path: "/v1/admin/fx/GBP", as: "admin", body: `{"rate":"0.7999"}`, status: 200, check: func(t *testing.T, a fxAnswer) {
			// Today when the server answered: now, or a minute ago across midnight.
			if d := a.Stored.Date; d != today() && d != time.Now().UTC().Add(-time.Minute).Format(time.DateOnly) {
				t.Errorf("stored %+v, want the date of today (UTC)", a.Stored)
			}
		}},

		{name: "rate with a comma", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"0,9","date":"2026-12-02"}`, status: 400, code: "invalid_request", field: "rate"},
		{name: "negative rate", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"-0.9","date":"2026-12-02"}`, status: 400, code: "invalid_request", field: "rate"},
		{name: "zero rate", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"0.000","date":"2026-12-02"}`, status: 400, code: "invalid_request", field: "rate"},
		{name: "rate as a number", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":0.9,"date":"2026-12-02"}`, status: 400, code: "invalid_request"},
		{name: "no rate", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"date":"2026-12-02"}`, status: 400, code: "invalid_request"},
		{name: "unknown currency", method: "PUT", path: "/v1/admin/fx/XYZ", as: "admin", body: `{"rate":"1.5"}`, status: 400, code: "invalid_request", field: "currency"},
		{name: "the base", method: "PUT", path: "/v1/admin/fx/USD", as: "admin", body: `{"rate":"1"}`, status: 400, code: "invalid_request", field: "currency"},
		{name: "not a code", method: "PUT", path: "/v1/admin/fx/EURO", as: "admin", body: `{"rate":"0.9"}`, status: 400, code: "invalid_request"},
		{name: "impossible date", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"0.9","date":"2026-02-30"}`, status: 400, code: "invalid_request", field: "date"},
		{name: "two-line source", method: "PUT", path: "/v1/admin/fx/EUR", as: "admin", body: `{"rate":"0.9","date":"2026-12-02","source":"a\nb"}`, status: 400, code: "invalid_request", field: "source"},
		{name: "set not for a service key", method: "PUT", path: "/v1/admin/fx/EUR", as: "service", body: `{"rate":"0.9","date":"2026-12-02"}`, status: 403, code: "forbidden"},

		{name: "import the ECB's day", method: "POST", path: "/v1/admin/fx/import", as: "admin", body: importBody(ecbLater, "ECB 2026-12-05"), status: 200, check: func(t *testing.T, a fxAnswer) {
			var inForce FXTable
			if err := json.Unmarshal(a.InForce, &inForce); err != nil {
				t.Fatal(err)
			}
			if a.Imported != 30 || !cmp.Equal(a.Dates, []string{"2026-12-05"}) || inForce.Date != "2026-12-05" {
				t.Errorf("imported %d of %v, table of %s; want 30 of [2026-12-05]", a.Imported, a.Dates, inForce.Date)
			}
			for c, want := range map[string]FXRow{
				"EUR": {"EUR", "0.918949", "2026-12-05", "ECB 2026-12-05"},   // 1 ÷ 1.0882
				"JPY": {"JPY", "148.401029", "2026-12-05", "ECB 2026-12-05"}, // 161.49 ÷ 1.0882
				"AED": {"AED", "3.6725", "2026-11-30", seed.Source},          // not quoted by the ECB
			} {
				if got := rowOf(inForce.Rates, c); got != want {
					t.Errorf("%s in force %+v, want %+v", c, got, want)
				}
			}
			if units, _, err := w.live.Load().Convert(10000, "USD", "EUR"); err != nil || units != 9189 {
				t.Errorf("the server converts 100.00 USD to %d EUR cents, %v; want 9189", units, err)
			}
		}},
		{name: "import with the default source", method: "POST", path: "/v1/admin/fx/import", as: "admin", body: importBody(string(ecb), ""), status: 200, check: func(t *testing.T, a fxAnswer) {
			hist, _ := w.db.FXHistory(context.Background(), "JPY", 0)
			if len(hist) != 3 || hist[2].Date != "2025-03-14" || hist[2].Source != "ECB reference rates" {
				t.Errorf("JPY history %+v", hist)
			}
		}},
		{name: "import of something else", method: "POST", path: "/v1/admin/fx/import", as: "admin", body: importBody("<html>maintenance</html>", ""), status: 400, code: "invalid_request", field: "xml"},
		{name: "import without USD", method: "POST", path: "/v1/admin/fx/import", as: "admin", body: importBody(strings.ReplaceAll(ecbLater, "'USD'", "'XXX'"), ""), status: 400, code: "invalid_request", field: "xml"},
		{name: "import of nothing", method: "POST", path: "/v1/admin/fx/import", as: "admin", body: `{"xml":""}`, status: 400, code: "invalid_request"},
		{name: "import not for a service key", method: "POST", path: "/v1/admin/fx/import", as: "service", body: importBody(ecbLater, ""), status: 403, code: "forbidden"},
	}
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			before := w.state(t)
			status, body := w.do(t, rw.method, rw.path, rw.as, rw.body)
			if status != rw.status {
				t.Fatalf("%s %s: want %d, got %d %s", rw.method, rw.path, rw.status, status, body)
			}
			a := decodeFX(t, body)
			if rw.status >= 400 {
				if a.Error.Code != rw.code || a.Error.Message == "" {
					t.Errorf("error %+v, want code %s", a.Error, rw.code)
				}
				if f, _ := a.Error.Details["field"].(string); rw.field != "" && f != rw.field {
					t.Errorf("error on field %q, want %q: %s", f, rw.field, body)
				}
				if d := cmp.Diff(before, w.state(t)); d != "" {
					t.Errorf("a refused call changed the FX table (-before +after):\n%s", d)
				}
			}
			if rw.check != nil {
				rw.check(t, a)
			}
		})
	}
}
