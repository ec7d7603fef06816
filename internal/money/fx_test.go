package money

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultRates(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	if r.Base != "USD" || r.Date != "2026-11-30" {
		t.Errorf("DefaultRates() base %s date %s", r.Base, r.Date)
	}
	// Every currency a creator can be paid in has a rate.
	for country, cur := range countryCurrency {
		if !r.Has(Asset(cur)) {
			t.Errorf("no FX rate for %s, the currency of %s", cur, country)
		}
	}
	if n := len(r.Currencies()); n < 20 {
		t.Errorf("DefaultRates has %d currencies, want at least 20", n)
	}
	if cs := r.Currencies(); cs[0] > cs[len(cs)-1] {
		t.Errorf("Currencies() not sorted: %v", cs)
	}
	if !DefaultRates().Has("USD") || string(DefaultRatesFile()) != string(ratesFile) {
		t.Error("DefaultRatesFile differs from the embedded table")
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	tests := []struct {
		from, to Asset
		want     string
	}{
		{"USD", "EUR", "0.9286"},
		{"USD", "USD", "1"},
		{"EUR", "EUR", "1"},
		{"USD", "JPY", "151.37"},
		{"USD", "ARS", "1450"},
		{"EUR", "USD", "1.07688994184794314"}, // 1 ÷ 0.9286 to 19 digits, trailing 0 trimmed
		{"AED", "SAR", "1.021102791014295439"},
		{"SAR", "QAR", "0.9706666666666666667"},
	}
	for _, tt := range tests {
		got, err := r.Rate(tt.from, tt.to)
		if err != nil {
			t.Errorf("Rate(%s, %s): %v", tt.from, tt.to, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("Rate(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
	for _, pair := range [][2]Asset{{"USD", "XYZ"}, {"XYZ", "USD"}, {"USD", "COIN"}} {
		if _, err := r.Rate(pair[0], pair[1]); !errors.Is(err, ErrUnknownRate) {
			t.Errorf("Rate(%s, %s) error = %v, want ErrUnknownRate", pair[0], pair[1], err)
		}
	}
}

func TestRatesConvert(t *testing.T) {
	t.Parallel()
	r := DefaultRates()
	tests := []struct {
		units    int64
		from, to Asset
		want     int64
		err      error
	}{
		{126, "USD", "EUR", 117, nil},     // 1.26 × 0.9286 = 1.170036
		{253, "USD", "EUR", 235, nil},     // 2.53 × 0.9286 = 2.349358
		{10000, "EUR", "USD", 10769, nil}, // 100 ÷ 0.9286 = 107.6889…
		{500, "USD", "JPY", 757, nil},     // 756.85 → 757
		{100, "JPY", "USD", 66, nil},      // 100 ÷ 151.37 = 0.6606…
		{1000, "USD", "KWD", 3068, nil},   // 3 decimals
		{0, "USD", "EUR", 0, nil},
		{-126, "USD", "EUR", -117, nil},
		{100, "USD", "USD", 100, nil},
		{100, "USD", "XYZ", 0, ErrUnknownAsset},
		{100, "USD", "COIN", 0, ErrUnknownRate},
		{9_000_000_000_000_000_000, "USD", "IDR", 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, _, err := r.Convert(tt.units, tt.from, tt.to)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Convert(%d %s → %s) = %d, %v; want %d, %v", tt.units, tt.from, tt.to, got, err, tt.want, tt.err)
		}
	}
}

func TestParseRates(t *testing.T) {
	t.Parallel()
	const good = `date = "2026-01-02"
base = "EUR"
[rates]
USD = "1.08"
GBP = "0.85"
`
	r, err := ParseRates([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Asset{"EUR", "GBP", "USD"}, r.Currencies()); diff != "" {
		t.Errorf("Currencies() mismatch (-want +got):\n%s", diff)
	}
	if got, _ := r.Rate("USD", "GBP"); got.String() != "0.787037037037037037" {
		t.Errorf("Rate(USD, GBP) = %s", got)
	}

	tests := []struct {
		name, file, want string
	}{
		{"unknown currency", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nXYZ = \"1\"\n", `rates.XYZ: unknown ISO 4217 currency "XYZ"`},
		{"lower-case currency", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\neur = \"0.9\"\n", `rates.eur: unknown ISO 4217 currency`},
		{"zero rate", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"0\"\n", `rates.EUR: must be greater than zero`},
		{"zero rate with decimals", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"0.000\"\n", `rates.EUR: must be greater than zero`},
		{"negative rate", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"-0.9\"\n", `rates.EUR: want a decimal string`},
		{"exponent", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"9e-1\"\n", `rates.EUR: want a decimal string`},
		{"float", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = 0.9286\n", `line 4`},
		{"too many digits", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nEUR = \"0.92861234567890123456789\"\n", `rates.EUR: "0.92861234567890123456789" has more digits`},
		{"base rate not 1", "date = \"2026-01-02\"\nbase = \"USD\"\n[rates]\nUSD = \"2\"\n", `rates.USD: the base currency's rate must be 1`},
		{"bad date", "date = \"30/11/2026\"\nbase = \"USD\"\n[rates]\nEUR = \"0.9\"\n", `date: want YYYY-MM-DD, got "30/11/2026"`},
		{"impossible date", "date = \"2026-02-30\"\nbase = \"USD\"\n[rates]\nEUR = \"0.9\"\n", `date: want YYYY-MM-DD`},
		{"no date", "base = \"USD\"\n[rates]\nEUR = \"0.9\"\n", `date: must be set`},
		{"bad base", "date = \"2026-01-02\"\nbase = \"usd\"\n[rates]\nEUR = \"0.9\"\n", `base: unknown ISO 4217 currency "usd"`},
		{"no rates", "date = \"2026-01-02\"\nbase = \"USD\"\n", `rates: the table lists no rate`},
		{"unknown key", "date = \"2026-01-02\"\nbase = \"USD\"\nprovider = \"ecb\"\n[rates]\nEUR = \"0.9\"\n", `line 3: provider: unknown field`},
		{"syntax", "date = \"2026-01-02\nbase = \"USD\"\n", `line 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRates([]byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRates error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadRates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "fx.toml")
	if err := os.WriteFile(path, DefaultRatesFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRates(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultRates().Currencies(), r.Currencies()); diff != "" {
		t.Errorf("LoadRates of the default file mismatch (-want +got):\n%s", diff)
	}
	if _, err := LoadRates(filepath.Join(dir, "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadRates(missing) error = %v, want os.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("date = \"x\"\nbase = \"USD\"\n[rates]\nEUR = \"1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRates(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("LoadRates(bad) error = %v, want it prefixed with the path", err)
	}
}
