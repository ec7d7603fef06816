package economy

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/govalues/decimal"
	"github.com/pelletier/go-toml/v2"

	"github.com/glint-economy/glint/internal/money"
)

// hostileTOML are bad values for any key of an economy file: negative,
// zero, 2^63 and past it, exponents and fractions, Arabic-Indic digits,
// bidi and zero-width characters, empty, the wrong types.
var hostileTOML = []string{
	`-1`, `0`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `1e3`, `1.5`, `nan`, `inf`,
	`"-1"`, `"0"`, `"1e3"`, `"١٢٣"`, `"99999999999999999999999"`, `"0.0000000000000000000001"`, `"1 000"`,
	`"a\u202eb"`, `"a\u200bb"`, `""`, `"\u0000"`, `[]`, `{}`, `true`, `"-1h"`, `"1000 XXX"`, `"1000"`, `"-5 USD"`,
}

var valueLine = regexp.MustCompile(`^(\s*[a-z_]+\s*=\s*)(.+)$`)

// FuzzParseEconomy checks the economy file parser: it never panics; every
// refusal is a *FieldError (the contract of Parse); and what it accepts,
// written back as TOML, parses again to the same economy.
func FuzzParseEconomy(f *testing.F) {
	f.Add(SeedFile())
	files, err := filepath.Glob("testdata/*.toml")
	if err != nil || len(files) == 0 {
		f.Fatalf("testdata: %v %v", files, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Every value of the minimal file, replaced by hostile ones in turn.
	minimal, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.Split(string(minimal), "\n")
	turn := 0
	for i, l := range lines {
		m := valueLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		for range 3 {
			mutated := append([]string(nil), lines...)
			mutated[i] = m[1] + hostileTOML[turn%len(hostileTOML)]
			turn++
			f.Add([]byte(strings.Join(mutated, "\n")))
		}
		dup := append(append(append([]string(nil), lines[:i+1]...), l), lines[i+1:]...) // the key twice
		f.Add([]byte(strings.Join(dup, "\n")))
	}
	f.Add([]byte(strings.Repeat("[[gifts]]\n", 10000)))
	f.Add([]byte("a = " + strings.Repeat("[", 10000)))
	f.Add([]byte("\xef\xbb\xbfname = \"bom\""))

	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse: %v (%T) is not a *FieldError", err, err)
			}
			return
		}
		if !e.Diamond.Value.IsPos() || e.Gifting.MaxQuantity <= 0 || len(e.Gifts) == 0 {
			t.Fatalf("accepted an economy without a diamond value, a quantity limit or gifts: %+v", e)
		}
		for _, g := range e.Gifts {
			if g.Coins <= 0 || CheckGift(g) != nil {
				t.Fatalf("accepted gift %+v: %v", g, CheckGift(g))
			}
		}
		out, err := toml.Marshal(e)
		if err != nil {
			t.Fatalf("marshal the parsed economy: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("the economy written back does not parse: %v\n%s", err, out)
		}
		if d := cmp.Diff(e, back, cmpopts.IgnoreUnexported(Economy{}), cmpopts.IgnoreFields(Economy{}, "Raw"), cmpopts.EquateEmpty(),
			cmp.Comparer(func(a, b decimal.Decimal) bool { return a == b })); d != "" {
			t.Fatalf("written back and parsed again, the economy differs (-first +again):\n%s", d)
		}
	})
}

// FuzzMoneyText checks the "<amount> <CUR>" values of the economy file
// (max_per_period, statement_threshold): what is accepted is a known
// currency and a non-negative amount, and it is written back by
// MarshalText to the same value; and the Go durations of the file
// (period, streak_idle_timeout) likewise.
func FuzzMoneyText(f *testing.F) {
	for _, s := range []string{
		"1000 USD", "1000.00 USD", "0.5 EUR", " 1 JPY ", "1000", "1000 usd", "1000 XXX", "-5 USD", "1e3 USD", "١٢٣ USD",
		"9223372036854775807 JPY", "92233720368547758.08 USD", "1.234 USD", "1 USD EUR", "1  USD", "\u202e1 USD", "", " ",
		"24h", "5s", "-1h", "1.5h", "9223372036854775807ns", "1e3s", "٣s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m Money
		if err := m.UnmarshalText([]byte(s)); err == nil {
			if m.Units < 0 || !money.IsCurrency(string(m.Currency)) {
				t.Fatalf("%q: %+v", s, m)
			}
			out, err := m.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back Money
			if err := back.UnmarshalText(out); err != nil || back != m {
				t.Fatalf("%q = %+v, written %q, read back %+v, %v", s, m, out, back, err)
			}
		}
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err == nil {
			out, err := d.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back Duration
			if err := back.UnmarshalText(out); err != nil || back.Duration != d.Duration {
				t.Fatalf("%q = %v, written %q, read back %v, %v", s, d.Duration, out, back.Duration, err)
			}
			if want, err := time.ParseDuration(s); err != nil || want != d.Duration {
				t.Fatalf("%q: %v, time.ParseDuration says %v, %v", s, d.Duration, want, err)
			}
		}
	})
}

// TestParseNamesTextFields: a value read by UnmarshalText (a duration, an
// amount, a decimal) written as a TOML number or boolean rather than a
// string is refused naming its field and line, as any other bad value is.
// FuzzParseEconomy found them refused as a bare "economy: …" error.
func TestParseNamesTextFields(t *testing.T) {
	t.Parallel()
	minimal, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to string
		field    string
	}{
		{`period = "168h"`, `period = -1`, "cashout.period"},
		{`streak_idle_timeout = "3s"`, `streak_idle_timeout = 3`, "gifting.streak_idle_timeout"},
		{`max_per_period = "500 EUR"`, `max_per_period = 500`, "cashout.max_per_period"},
		{`statement_threshold = "2000 EUR"`, `statement_threshold = true`, "tax.statement_threshold"},
		{`value = "0.01"`, `value = nan`, "diamond.value"},
		{`diamond_rate = "0.75"`, `diamond_rate = inf`, "gifts[1].diamond_rate"},
	}
	for _, tc := range tests {
		b := strings.Replace(string(minimal), tc.from, tc.to, 1)
		if b == string(minimal) {
			t.Fatalf("%q is not in minimal.toml", tc.from)
		}
		line := 1 + strings.Count(b[:strings.Index(b, tc.to)], "\n")
		_, err := Parse([]byte(b))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Line != line {
			t.Errorf("%s: %v (%#v), want a *FieldError for %s on line %d", tc.to, err, err, tc.field, line)
		}
	}
}
