package money_test

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

// The FX parsers: a rate typed by an admin (PUT /v1/admin/fx/{currency}),
// an FX table file (--fx), a currency code (every API that takes one).
// FuzzParse and FuzzParseECB cover amounts and the ECB's XML.

var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// significant counts the digits of a plain decimal but its leading zeros.
func significant(s string) int {
	return len(strings.TrimLeft(strings.Replace(s, ".", "", 1), "0"))
}

// FuzzParseRate checks ParseRate both ways: what it accepts is a plain
// positive decimal, kept exactly (same value, same scale) and written back
// by String to the same rate; and every plain positive decimal of at most
// 19 digits (what a decimal keeps) is accepted.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"0.9286", "1", "1.0", "155.20", "0.0000000000000000001", "9999999999999999999", "99999999999999999999", "0.00000000000000000001",
		"1.0000000000000000000", "0000000000000000000001", "0", "0.000", "-1", "+1", "1e3", "1E-3", ".5", "5.", "1..2", "1,5", " 1", "1 ",
		"١٢٣", "𝟏", "0x10", "NaN", "Inf", "1_000", "", "\x00", "1\u200b", "18446744073709551616", "9223372036854775808",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := money.ParseRate(s)
		_, frac, _ := strings.Cut(s, ".")
		plain := plainDecimal.MatchString(s)
		positive := plain && strings.Trim(strings.Replace(s, ".", "", 1), "0") != ""
		if err != nil {
			if positive && significant(s) <= 19 && len(frac) <= 19 {
				t.Fatalf("ParseRate(%q) refused a plain positive decimal of %d digits: %v", s, significant(s), err)
			}
			return
		}
		if !positive {
			t.Fatalf("ParseRate(%q) = %s: accepted what is not a plain positive decimal", s, d)
		}
		if !d.IsPos() || d.Scale() != len(frac) {
			t.Fatalf("ParseRate(%q) = %s (scale %d)", s, d, d.Scale())
		}
		want, _ := new(big.Rat).SetString(s)
		got, _ := new(big.Rat).SetString(d.String())
		if want == nil || got == nil || want.Cmp(got) != 0 {
			t.Fatalf("ParseRate(%q) = %s: not the same number", s, d)
		}
		back, err := money.ParseRate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseRate(%q) = %s; ParseRate(%q) = %s, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParseRates checks the FX table file parser: whatever it accepts is a
// table of known currencies with positive rates and the base at 1, that
// NewRates builds again from its rows (as fx.Load does from the database),
// that survives being written back as TOML and read again, and whose rows
// fx.Validate accepts (but for the source, of which it asks more), so that
// a table `glint serve --fx` reads is one it can also store.
func FuzzParseRates(f *testing.F) {
	f.Add(money.DefaultRatesFile())
	for _, s := range []string{
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = \"0.9286\"\n",
		"date = \"2026-11-30\"\nbase = \"EUR\"\n[rates]\nEUR = \"1\"\nUSD = \"1.0769\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\nsource = '''two\nlines'''\n[rates]\nJPY = \"155\"\n",
		"date = \"2026-02-30\"\nbase = \"USD\"\n[rates]\nEUR = \"1\"\n",
		"date = 2026-11-30\nbase = \"USD\"\n[rates]\nEUR = \"1\"\n",
		"date = \"2026-11-30\"\nbase = \"usd\"\n[rates]\nEUR = \"1\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = 0.9286\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = \"-1\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = \"1e3\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = \"١\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nUSD = \"2\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\nEUR = \"1\"\nEUR = \"2\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\nextra = 1\n[rates]\nEUR = \"1\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\n\"EUR\\u202e\" = \"1\"\n",
		"date = \"2026-11-30\"\nbase = \"USD\"\n[rates]\n",
		"", "[", "date = \"", "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := money.ParseRates(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fx: ") {
				t.Fatalf("error %q does not start with \"fx: \"", err)
			}
			return
		}
		if !money.IsCurrency(string(r.Base)) || !r.Has(r.Base) {
			t.Fatalf("base %q", r.Base)
		}
		if one, err := r.Rate(r.Base, r.Base); err != nil || !one.IsOne() {
			t.Fatalf("the base's rate is %s, %v", one, err)
		}
		rows := r.Rows()
		if len(rows) == 0 {
			t.Fatal("a table without a rate")
		}
		doc := map[string]any{"date": r.Date, "base": string(r.Base), "source": r.Source}
		rates := map[string]string{}
		for _, row := range rows {
			if !money.IsCurrency(string(row.Currency)) || !row.Rate.IsPos() || row.Currency == r.Base {
				t.Fatalf("row %+v", row)
			}
			rates[string(row.Currency)] = row.Rate.String()
		}
		doc["rates"] = rates
		again, err := money.NewRates(r.Base, rows)
		if err != nil {
			t.Fatalf("NewRates of the parsed rows: %v", err)
		}
		out, err := toml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := money.ParseRates(out)
		if err != nil {
			t.Fatalf("the table written back does not parse: %v\n%s", err, out)
		}
		for _, other := range []*money.Rates{again, back} {
			if other.Base != r.Base || len(other.Rows()) != len(rows) {
				t.Fatalf("rebuilt table: base %s, %d rows; want %s, %d", other.Base, len(other.Rows()), r.Base, len(rows))
			}
			for _, row := range rows {
				info, err := other.Info(row.Currency)
				if err != nil || info.Rate != row.Rate {
					t.Fatalf("%s: %s, %v; want %s", row.Currency, info.Rate, err, row.Rate)
				}
				if d, err := other.Rate(r.Base, row.Currency); err != nil || d.Cmp(row.Rate) != 0 {
					t.Fatalf("Rate(%s, %s) = %s, %v; want %s", r.Base, row.Currency, d, err, row.Rate)
				}
			}
		}
		if back.Date != r.Date || back.Source != r.Source {
			t.Fatalf("written back: date %q source %q, want %q %q", back.Date, back.Source, r.Date, r.Source)
		}
		if r.Base != fx.Base {
			return
		}
		for i := range rows {
			if strings.TrimSpace(rows[i].Source) == "" {
				rows[i].Source = fx.SeedSource // as fx.Load seeds the database
			}
		}
		// ParseRates takes any source; fx.Validate wants one printable line
		// of at most fx.MaxSourceLen bytes: that is the one difference.
		var ie *fx.InvalidError
		if err := fx.Validate(rows); err != nil && (!errors.As(err, &ie) || ie.Field != "source") {
			t.Fatalf("ParseRates accepts a table fx.Validate refuses: %v", err)
		}
	})
}

// FuzzParseCurrency checks that a currency code is accepted exactly when
// its trimmed upper case is a known ISO 4217 code, that the refusal wraps
// ErrUnknownAsset, and that amounts of the currency survive FormatAsset and
// ParseAsset.
func FuzzParseCurrency(f *testing.F) {
	for _, c := range []string{"EUR", "eur", " usd ", "JPY", "BHD", "XXX", "EURO", "", "€", "ＵＳＤ", "US\u200bD", "ı", "usd\x00", "COIN", "DIAMOND"} {
		f.Add(c, int64(12345))
	}
	f.Add("KWD", int64(9223372036854775807))
	f.Add("JPY", int64(-1))
	f.Fuzz(func(t *testing.T, code string, units int64) {
		a, err := money.ParseCurrency(code)
		canonical := strings.ToUpper(strings.TrimSpace(code))
		if err != nil {
			if !errors.Is(err, money.ErrUnknownAsset) {
				t.Fatalf("ParseCurrency(%q): %v does not wrap ErrUnknownAsset", code, err)
			}
			if money.IsCurrency(canonical) {
				t.Fatalf("ParseCurrency(%q) refused the known code %q", code, canonical)
			}
			return
		}
		if string(a) != canonical || !money.IsCurrency(string(a)) {
			t.Fatalf("ParseCurrency(%q) = %q", code, a)
		}
		if again, err := money.ParseCurrency(string(a)); err != nil || again != a {
			t.Fatalf("ParseCurrency(%q) = %q, %v", a, again, err)
		}
		if units < 0 {
			units = -(units + 1)
		}
		s := money.FormatAsset(units, a)
		back, err := money.ParseAsset(s, a)
		if err != nil || back != units {
			t.Fatalf("FormatAsset(%d, %s) = %q; ParseAsset = %d, %v", units, a, s, back, err)
		}
	})
}
