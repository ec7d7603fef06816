package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

// OpenFX returns an engine's FX store on a fresh, migrated database; it
// registers its own cleanup.
type OpenFX func(t *testing.T) fx.Store

// RunFX runs the FX part of the conformance suite: the FX table's history,
// newest row per currency, exact rates, replacement of a day's rate,
// all-or-nothing writes and concurrent writers.
func RunFX(t *testing.T, open OpenFX) {
	t.Run("Empty", func(t *testing.T) { t.Parallel(); testFXEmpty(t, open(t)) })
	t.Run("NewestPerCurrency", func(t *testing.T) { t.Parallel(); testFXNewest(t, open(t)) })
	t.Run("ExactRates", func(t *testing.T) { t.Parallel(); testFXExact(t, open(t)) })
	t.Run("ReplaceSameDay", func(t *testing.T) { t.Parallel(); testFXReplace(t, open(t)) })
	t.Run("History", func(t *testing.T) { t.Parallel(); testFXHistory(t, open(t)) })
	t.Run("AllOrNothing", func(t *testing.T) { t.Parallel(); testFXAllOrNothing(t, open(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { t.Parallel(); testFXConcurrent(t, open(t)) })
}

// rateRow is a stored row as text, so that a rate must come back exactly as
// written ("0.800000" is not "0.8").
type rateRow struct{ Currency, Date, Rate, Source string }

func asText(rows []money.RateInfo) []rateRow {
	out := make([]rateRow, len(rows))
	for i, r := range rows {
		out[i] = rateRow{string(r.Currency), r.Date, r.Rate.String(), r.Source}
	}
	return out
}

func fxRow(t *testing.T, cur, date, rate, source string) money.RateInfo {
	t.Helper()
	d, err := decimal.Parse(rate)
	if err != nil {
		t.Fatal(err)
	}
	return money.RateInfo{Currency: money.Asset(cur), Rate: d, Date: date, Source: source}
}

func mustPutFX(t *testing.T, st fx.Store, rows ...money.RateInfo) {
	t.Helper()
	if err := st.PutFXRates(context.Background(), rows); err != nil {
		t.Fatalf("PutFXRates: %v", err)
	}
}

func wantFXRates(t *testing.T, st fx.Store, want []rateRow) {
	t.Helper()
	got, err := st.FXRates(context.Background())
	if err != nil {
		t.Fatalf("FXRates: %v", err)
	}
	if d := cmp.Diff(want, asText(got)); d != "" {
		t.Errorf("FXRates (-want +got):\n%s", d)
	}
}

func testFXEmpty(t *testing.T, st fx.Store) {
	ctx := context.Background()
	rows, err := st.FXRates(ctx)
	if err != nil || len(rows) != 0 {
		t.Errorf("FXRates on an empty table: %v, %v", rows, err)
	}
	hist, err := st.FXHistory(ctx, "EUR", 10)
	if err != nil || len(hist) != 0 {
		t.Errorf("FXHistory on an empty table: %v, %v", hist, err)
	}
	if err := st.PutFXRates(ctx, nil); err != nil {
		t.Errorf("PutFXRates of no row: %v", err)
	}
}

func testFXNewest(t *testing.T, st fx.Store) {
	mustPutFX(t, st,
		fxRow(t, "EUR", "2026-11-30", "0.9286", "seed"),
		fxRow(t, "JPY", "2026-11-30", "151.37", "seed"),
		fxRow(t, "GBP", "2026-11-30", "0.7912", "seed"),
	)
	// A later day for EUR and JPY in one write, and an older day for GBP
	// (history: the 2026-11-30 rate stays in force).
	mustPutFX(t, st,
		fxRow(t, "JPY", "2026-12-01", "150.02", "ecb"),
		fxRow(t, "EUR", "2026-12-01", "0.918949", "ecb"),
		fxRow(t, "GBP", "2026-01-15", "0.75", "backfill"),
	)
	mustPutFX(t, st, fxRow(t, "EUR", "2026-12-02", "0.9201", "manual"))
	wantFXRates(t, st, []rateRow{
		{"EUR", "2026-12-02", "0.9201", "manual"},
		{"GBP", "2026-11-30", "0.7912", "seed"},
		{"JPY", "2026-12-01", "150.02", "ecb"},
	})
}

func testFXExact(t *testing.T, st fx.Store) {
	// Rates come back digit for digit: trailing zeros, 19 significant
	// digits, large and small.
	rows := []money.RateInfo{
		fxRow(t, "BGN", "2025-03-14", "1.797280", "ecb"),
		fxRow(t, "EUR", "2025-03-14", "0.8000000", "ecb"),
		fxRow(t, "IDR", "2025-03-14", "16414.124242", "ecb"),
		fxRow(t, "KWD", "2025-03-14", "0.3071234567890123456", "precise"),
		fxRow(t, "VND", "2025-03-14", "25450", "integer"),
		fxRow(t, "ZAR", "2025-03-14", "0.000001", "tiny"),
	}
	mustPutFX(t, st, rows...)
	wantFXRates(t, st, asText(rows))
	// A source is free text.
	mustPutFX(t, st, fxRow(t, "CHF", "2025-03-14", "0.883385", "Banque «nationale» — 汇率 'quoted' \"twice\""))
	hist, err := st.FXHistory(context.Background(), "CHF", 1)
	if err != nil || len(hist) != 1 || hist[0].Source != "Banque «nationale» — 汇率 'quoted' \"twice\"" {
		t.Errorf("CHF history %v, %v", asText(hist), err)
	}
}

func testFXReplace(t *testing.T, st fx.Store) {
	mustPutFX(t, st, fxRow(t, "EUR", "2026-12-01", "0.9012", "manual"))
	mustPutFX(t, st, fxRow(t, "EUR", "2026-12-01", "0.9013", "corrected"))
	wantFXRates(t, st, []rateRow{{"EUR", "2026-12-01", "0.9013", "corrected"}})
	hist, err := st.FXHistory(context.Background(), "EUR", 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]rateRow{{"EUR", "2026-12-01", "0.9013", "corrected"}}, asText(hist)); d != "" {
		t.Errorf("a replaced day left another row (-want +got):\n%s", d)
	}
}

func testFXHistory(t *testing.T, st fx.Store) {
	ctx := context.Background()
	// Ten days of EUR, written out of order, and a GBP row.
	var rows []money.RateInfo
	for _, day := range rand.Perm(10) {
		rows = append(rows, fxRow(t, "EUR", fmt.Sprintf("2026-03-%02d", day+1), fmt.Sprintf("0.9%d", day), "ecb"))
	}
	rows = append(rows, fxRow(t, "GBP", "2026-03-05", "0.79", "ecb"))
	mustPutFX(t, st, rows...)

	for _, tt := range []struct {
		limit int
		want  []string
	}{
		{3, []string{"2026-03-10 0.99", "2026-03-09 0.98", "2026-03-08 0.97"}},
		{1, []string{"2026-03-10 0.99"}},
		{0, []string{"2026-03-10 0.99", "2026-03-09 0.98", "2026-03-08 0.97", "2026-03-07 0.96", "2026-03-06 0.95",
			"2026-03-05 0.94", "2026-03-04 0.93", "2026-03-03 0.92", "2026-03-02 0.91", "2026-03-01 0.90"}},
		{-1, nil}, // the same as 0: all of them (checked below)
		{100, nil},
	} {
		hist, err := st.FXHistory(ctx, "EUR", tt.limit)
		if err != nil {
			t.Fatalf("FXHistory(EUR, %d): %v", tt.limit, err)
		}
		var got []string
		for _, h := range hist {
			if h.Currency != "EUR" || h.Source != "ecb" {
				t.Errorf("FXHistory(EUR, %d): row %+v", tt.limit, h)
			}
			got = append(got, h.Date+" "+h.Rate.String())
		}
		if tt.want == nil {
			if len(got) != 10 {
				t.Errorf("FXHistory(EUR, %d): %d rows, want all 10", tt.limit, len(got))
			}
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("FXHistory(EUR, %d) (-want +got):\n%s", tt.limit, d)
		}
	}
	if hist, err := st.FXHistory(ctx, "JPY", 0); err != nil || len(hist) != 0 {
		t.Errorf("FXHistory of a currency never stored: %v, %v", asText(hist), err)
	}
}

func testFXAllOrNothing(t *testing.T, st fx.Store) {
	ctx := context.Background()
	mustPutFX(t, st, fxRow(t, "EUR", "2026-12-01", "0.9012", "manual"))
	before := []rateRow{{"EUR", "2026-12-01", "0.9012", "manual"}}
	for _, tt := range []struct {
		name string
		rows []money.RateInfo
	}{
		// The engine refuses what the table cannot hold, whatever the
		// caller checked: a rate not above zero, a malformed date or
		// currency. The good rows of the same write are not stored.
		{"negative rate", []money.RateInfo{fxRow(t, "GBP", "2026-12-02", "0.79", "m"), fxRow(t, "EUR", "2026-12-02", "-0.9", "m")}},
		{"zero rate", []money.RateInfo{fxRow(t, "GBP", "2026-12-02", "0.79", "m"), {Currency: "JPY", Date: "2026-12-02", Source: "m"}}},
		{"bad date", []money.RateInfo{fxRow(t, "GBP", "2026-12-02", "0.79", "m"), fxRow(t, "JPY", "2/12/2026", "150", "m")}},
		{"bad currency", []money.RateInfo{fxRow(t, "GBP", "2026-12-02", "0.79", "m"), fxRow(t, "jpy", "2026-12-02", "150", "m")}},
		{"day twice", []money.RateInfo{fxRow(t, "GBP", "2026-12-02", "0.79", "m"), fxRow(t, "GBP", "2026-12-02", "0.8", "m")}},
	} {
		err := st.PutFXRates(ctx, tt.rows)
		if err == nil {
			t.Errorf("%s: PutFXRates accepted %v", tt.name, asText(tt.rows))
		}
		if tt.name == "day twice" {
			var ie *fx.InvalidError
			if !errors.As(err, &ie) {
				t.Errorf("%s: error %v, want an *fx.InvalidError", tt.name, err)
			}
		}
		wantFXRates(t, st, before)
	}
}

func testFXConcurrent(t *testing.T, st fx.Store) {
	ctx := context.Background()
	currencies := []string{"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "NOK", "SEK"}
	const writers = 8
	// Writer w sets every currency to rate w for the same two days, in an
	// order of its own: on PostgreSQL, rows locked in different orders
	// would deadlock.
	batches := make([][]money.RateInfo, writers)
	for w := range batches {
		for _, i := range rand.Perm(len(currencies)) {
			for _, day := range []string{"2026-12-01", "2026-12-02"} {
				batches[w] = append(batches[w], fxRow(t, currencies[i], day, fmt.Sprint(w+1), fmt.Sprintf("writer %d", w+1)))
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if errs[w] = st.PutFXRates(ctx, batches[w]); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w+1, err)
		}
	}
	got, err := st.FXRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(currencies) {
		t.Fatalf("%d currencies, want %d", len(got), len(currencies))
	}
	for _, r := range got {
		// Each row is one writer's, whole: its rate and its source agree.
		if r.Date != "2026-12-02" || r.Source != "writer "+r.Rate.String() {
			t.Errorf("row %+v", asText([]money.RateInfo{r}))
		}
	}
}
