package fx_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

// memStore is an fx.Store in memory, with the engines' contract: newest row
// per currency, all-or-nothing puts, a repeated currency and date refused.
// The engines themselves pass storetest.RunFX.
type memStore struct {
	mu   sync.Mutex
	rows map[[2]string]money.RateInfo // currency, date
	puts int
	fail error // returned by the next PutFXRates
}

func newMemStore() *memStore { return &memStore{rows: map[[2]string]money.RateInfo{}} }

func (m *memStore) FXRates(context.Context) ([]money.RateInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	newest := map[money.Asset]money.RateInfo{}
	for _, r := range m.rows {
		if n, ok := newest[r.Currency]; !ok || r.Date > n.Date {
			newest[r.Currency] = r
		}
	}
	out := make([]money.RateInfo, 0, len(newest))
	for _, r := range newest {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b money.RateInfo) int { return cmp.Compare(a.Currency, b.Currency) })
	return out, nil
}

func (m *memStore) PutFXRates(_ context.Context, rows []money.RateInfo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail; err != nil {
		m.fail = nil
		return err
	}
	if err := fx.Unique(rows); err != nil {
		return err
	}
	m.puts++
	for _, r := range rows {
		m.rows[[2]string{string(r.Currency), r.Date}] = r
	}
	return nil
}

func (m *memStore) FXHistory(_ context.Context, currency string, limit int) ([]money.RateInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []money.RateInfo
	for _, r := range m.rows {
		if string(r.Currency) == currency {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b money.RateInfo) int { return cmp.Compare(b.Date, a.Date) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows)
}

var decimalEqual = gocmp.Comparer(func(a, b decimal.Decimal) bool { return a.String() == b.String() })

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := money.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// seeded returns a store holding the embedded table and that table in force.
func seeded(t *testing.T) (*memStore, *money.Live) {
	t.Helper()
	st := newMemStore()
	r, err := fx.Load(context.Background(), st, money.DefaultRates())
	if err != nil {
		t.Fatal(err)
	}
	return st, money.NewLive(r)
}

// rateOf is the rate in force of c against USD, as written.
func rateOf(t *testing.T, live *money.Live, c money.Asset) string {
	t.Helper()
	info, err := live.Load().Info(c)
	if err != nil {
		t.Fatal(err)
	}
	return info.Rate.String()
}

func TestLoadSeedsAnEmptyStoreOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newMemStore()
	seed := money.DefaultRates()
	got, err := fx.Load(ctx, st, seed)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := st.FXRates(ctx)
	if d := gocmp.Diff(seed.Rows(), stored, decimalEqual); d != "" {
		t.Errorf("stored rows differ from the seed's (-seed +stored):\n%s", d)
	}
	if d := gocmp.Diff(seed.Rows(), got.Rows(), decimalEqual); d != "" {
		t.Errorf("loaded table differs from the seed (-seed +loaded):\n%s", d)
	}
	if got.Base != "USD" || got.Date != seed.Date || got.Source != seed.Source {
		t.Errorf("loaded table: base %s date %s source %q", got.Base, got.Date, got.Source)
	}

	// Once seeded, another seed is not read: the database is the table.
	other, err := money.ParseRates([]byte("date = \"2030-01-01\"\nbase = \"USD\"\n[rates]\nEUR = \"2\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := fx.Load(ctx, st, other)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := again.Rate("USD", "EUR"); r.String() != "0.9286" || st.puts != 1 {
		t.Errorf("second Load: EUR %s, %d puts; want the stored 0.9286 and no new put", r, st.puts)
	}
}

func TestLoadSeedWithoutSource(t *testing.T) {
	t.Parallel()
	seed, err := money.ParseRates([]byte("date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"0.9\"\nGBP = \"0.8\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	got, err := fx.Load(context.Background(), st, seed)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := got.Info("GBP")
	if info.Source != fx.SeedSource || info.Date != "2026-01-02" || info.Rate.String() != "0.8" {
		t.Errorf("GBP row %+v", info)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	eurBased, err := money.ParseRates([]byte("date = \"2026-01-02\"\nbase = \"EUR\"\n[rates]\nUSD = \"1.08\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		seed *money.Rates
		fail error
		want string
	}{
		{"no seed", nil, nil, "no table to seed it from"},
		{"seed not per USD", eurBased, nil, "the seed table is quoted per 1 EUR"},
		{"store fails", money.DefaultRates(), errors.New("disk full"), "seed the database: disk full"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newMemStore()
			st.fail = tt.fail
			if _, err := fx.Load(context.Background(), st, tt.seed); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if st.len() != 0 {
				t.Errorf("%d rows stored", st.len())
			}
		})
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, live := seeded(t)
	seedDate := live.Load().Date

	// A new rate for a newer day replaces the one in force.
	if err := fx.Set(ctx, st, live, []money.RateInfo{{Currency: "EUR", Rate: dec(t, "0.9012"), Date: "2026-12-01", Source: "manual"}}); err != nil {
		t.Fatal(err)
	}
	info, err := live.Load().Info("EUR")
	if err != nil {
		t.Fatal(err)
	}
	if info.Rate.String() != "0.9012" || info.Date != "2026-12-01" || info.Source != "manual" {
		t.Errorf("EUR in force: %+v", info)
	}
	// Every other currency is still in force, as seeded.
	if got := rateOf(t, live, "JPY"); got != "151.37" {
		t.Errorf("JPY = %s, want the seed's 151.37", got)
	}
	if n := len(live.Load().Currencies()); n != len(money.DefaultRates().Currencies()) {
		t.Errorf("%d currencies in force, want %d", n, len(money.DefaultRates().Currencies()))
	}
	// The table converts with the new rate: 100.00 USD = 90.12 EUR.
	if units, _, err := live.Load().Convert(10000, "USD", "EUR"); err != nil || units != 9012 {
		t.Errorf("Convert 100 USD → EUR = %d, %v; want 9012", units, err)
	}

	// An older day is history: stored, not in force.
	if err := fx.Set(ctx, st, live, []money.RateInfo{{Currency: "EUR", Rate: dec(t, "0.95"), Date: "2026-01-15", Source: "backfill"}}); err != nil {
		t.Fatal(err)
	}
	if got := rateOf(t, live, "EUR"); got != "0.9012" {
		t.Errorf("EUR in force after a backfill = %s, want 0.9012", got)
	}
	hist, _ := st.FXHistory(ctx, "EUR", 0)
	var dates []string
	for _, h := range hist {
		dates = append(dates, h.Date)
	}
	if d := gocmp.Diff([]string{"2026-12-01", seedDate, "2026-01-15"}, dates); d != "" {
		t.Errorf("EUR history (-want +got):\n%s", d)
	}

	// The same day again replaces the rate of that day.
	if err := fx.Set(ctx, st, live, []money.RateInfo{{Currency: "EUR", Rate: dec(t, "0.9013"), Date: "2026-12-01", Source: "corrected"}}); err != nil {
		t.Fatal(err)
	}
	if info, _ := live.Load().Info("EUR"); info.Rate.String() != "0.9013" || info.Source != "corrected" {
		t.Errorf("EUR after a correction: %+v", info)
	}
}

func TestSetRefuses(t *testing.T) {
	t.Parallel()
	row := func(c money.Asset, rate, date, source string) money.RateInfo {
		d, _ := decimal.Parse(rate)
		return money.RateInfo{Currency: c, Rate: d, Date: date, Source: source}
	}
	ok := row("EUR", "0.9", "2026-12-01", "manual")
	for _, tt := range []struct {
		name  string
		rows  []money.RateInfo
		field string
		want  string
	}{
		{"nothing", nil, "rows", "no rate to set"},
		{"USD", []money.RateInfo{row("USD", "1", "2026-12-01", "m")}, "currency", "USD is the base"},
		{"unknown currency", []money.RateInfo{ok, row("XYZ", "1", "2026-12-01", "m")}, "currency", `unknown ISO 4217 currency "XYZ"`},
		{"lower case", []money.RateInfo{row("eur", "1", "2026-12-01", "m")}, "currency", `unknown ISO 4217 currency "eur"`},
		{"zero", []money.RateInfo{row("EUR", "0", "2026-12-01", "m")}, "rate", "must be greater than zero"},
		{"negative", []money.RateInfo{ok, row("GBP", "-0.8", "2026-12-01", "m")}, "rate", "must be greater than zero, got -0.8"},
		{"no date", []money.RateInfo{row("EUR", "0.9", "", "m")}, "date", `want a YYYY-MM-DD date, got ""`},
		{"bad date", []money.RateInfo{row("EUR", "0.9", "2026-02-30", "m")}, "date", `got "2026-02-30"`},
		{"date with time", []money.RateInfo{row("EUR", "0.9", "2026-12-01T00:00:00Z", "m")}, "date", "want a YYYY-MM-DD date"},
		{"no source", []money.RateInfo{row("EUR", "0.9", "2026-12-01", "  ")}, "source", "say where the rate comes from"},
		{"long source", []money.RateInfo{row("EUR", "0.9", "2026-12-01", strings.Repeat("x", fx.MaxSourceLen+1))}, "source", "at most 256 bytes"},
		{"two-line source", []money.RateInfo{row("EUR", "0.9", "2026-12-01", "a\nb")}, "source", "printable UTF-8 text on one line"},
		{"twice", []money.RateInfo{ok, row("GBP", "0.8", "2026-12-01", "m"), ok}, "date", "a rate for 2026-12-01 is listed twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, live := seeded(t)
			before := live.Load()
			err := fx.Set(context.Background(), st, live, tt.rows)
			var ie *fx.InvalidError
			if !errors.As(err, &ie) || ie.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an *fx.InvalidError on %s saying %q", err, tt.field, tt.want)
			}
			if st.puts != 1 || live.Load() != before {
				t.Errorf("refused rows were stored (%d puts) or the table in force changed", st.puts)
			}
		})
	}
}

// ecbServer serves the ECB testdata file at /eurofxref-daily.xml.
func ecbServer(t *testing.T) *httptest.Server {
	t.Helper()
	b, err := os.ReadFile("../money/testdata/ecb-2025-03-14.xml")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /eurofxref-daily.xml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /huge.xml", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(b)
		_, _ = w.Write([]byte("<!--" + strings.Repeat("x", fx.MaxFetchBytes) + "-->"))
	})
	mux.HandleFunc("GET /not-xml", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html><body>maintenance</body></html>"))
	})
	mux.HandleFunc("GET /slow.xml", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answers only when the client gives up
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ecbServer(t)
	st, live := seeded(t)
	url := srv.URL + "/eurofxref-daily.xml"
	if err := fx.Refresh(ctx, st, live, srv.Client(), url); err != nil {
		t.Fatal(err)
	}
	table := live.Load()
	// The ECB's day is 2025-03-14, older than the seed's 2026-11-30: stored as
	// history, nothing in force changes.
	if got := rateOf(t, live, "EUR"); got != "0.9286" {
		t.Errorf("EUR in force = %s, want the newer seed's 0.9286", got)
	}
	hist, _ := st.FXHistory(ctx, "JPY", 0)
	if len(hist) != 2 || hist[1].Date != "2025-03-14" || hist[1].Rate.String() != "148.401029" || hist[1].Source != url {
		t.Errorf("JPY history %+v", hist)
	}
	if table.Date != "2026-11-30" {
		t.Errorf("table date %s", table.Date)
	}
}

func TestRefreshPutsTheNewestDayInForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ecbServer(t)
	// A store seeded with an older table: the ECB's day is the newest.
	seed, err := money.ParseRates([]byte("date = \"2025-01-02\"\nbase = \"USD\"\nsource = \"old\"\n[rates]\nEUR = \"0.97\"\nJPY = \"157.2\"\nAED = \"3.6725\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	r, err := fx.Load(ctx, st, seed)
	if err != nil {
		t.Fatal(err)
	}
	live := money.NewLive(r)
	url := srv.URL + "/eurofxref-daily.xml"
	if err := fx.Refresh(ctx, st, live, nil, url); err != nil {
		t.Fatal(err)
	}
	table := live.Load()
	// 30 ECB currencies per USD (EUR included, USD the base), plus AED that
	// the ECB does not quote, plus USD.
	if n := len(table.Currencies()); n != 32 {
		t.Errorf("%d currencies in force, want 32: %v", n, table.Currencies())
	}
	for c, want := range map[money.Asset]string{
		"EUR": "0.918949",   // 1 ÷ 1.0882
		"JPY": "148.401029", // 161.49 ÷ 1.0882
		"GBP": "0.772312",   // 0.84043 ÷ 1.0882
		"AED": "3.6725",     // not quoted by the ECB: the seed's, still in force
	} {
		if got := rateOf(t, live, c); got != want {
			t.Errorf("%s = %s, want %s", c, got, want)
		}
	}
	info, _ := table.Info("JPY")
	if info.Date != "2025-03-14" || info.Source != url {
		t.Errorf("JPY row %+v", info)
	}
	if info, _ := table.Info("AED"); info.Date != "2025-01-02" || info.Source != "old" {
		t.Errorf("AED row %+v", info)
	}
	// 100.00 USD = 100 × 0.918949 = 91.8949 → 91.89 EUR.
	if units, _, err := table.Convert(10000, "USD", "EUR"); err != nil || units != 9189 {
		t.Errorf("Convert 100 USD → EUR = %d, %v; want 9189", units, err)
	}
	// A cross rate goes through USD: JPY per GBP = 148.401029 ÷ 0.772312.
	if r, err := table.Rate("GBP", "JPY"); err != nil || !strings.HasPrefix(r.String(), "192.15") {
		t.Errorf("GBP→JPY = %s, %v", r, err)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	srv := ecbServer(t)
	for _, tt := range []struct {
		name, url, want string
		ctxTimeout      time.Duration
	}{
		{"not found", srv.URL + "/nope.xml", "404 Not Found", 0},
		{"too large", srv.URL + "/huge.xml", fmt.Sprintf("larger than %d bytes", fx.MaxFetchBytes), 0},
		{"not the ECB's XML", srv.URL + "/not-xml", "ecb: malformed reference-rates XML", 0},
		{"file URL", "file:///etc/passwd", `want an http or https URL, got "file:///etc/passwd"`, 0},
		{"no host", "https:///x.xml", "want an http or https URL", 0},
		{"gives up", srv.URL + "/slow.xml", "context deadline exceeded", 50 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			st, live := seeded(t)
			before := live.Load()
			err := fx.Refresh(ctx, st, live, srv.Client(), tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if st.puts != 1 || live.Load() != before {
				t.Error("a failed fetch stored rows or changed the table in force")
			}
		})
	}
}

func TestFetchHidesThePassword(t *testing.T) {
	t.Parallel()
	srv := ecbServer(t)
	url := strings.Replace(srv.URL, "http://", "http://user:secret@", 1) + "/eurofxref-daily.xml"
	rows, err := fx.Fetch(context.Background(), srv.Client(), url)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rows[0].Source, "secret") || !strings.Contains(rows[0].Source, "user:xxxxx@") {
		t.Errorf("source %q", rows[0].Source)
	}
	_, err = fx.Fetch(context.Background(), srv.Client(), strings.Replace(url, "daily", "weekly", 1))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v shows the password", err)
	}
}
