package money

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ecbXML wraps days of <Cube currency rate/> elements in the ECB envelope.
func ecbXML(days string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<Cube>` + days + `</Cube>
</gesmes:Envelope>`
}

// rateStrings maps currency → rate as written (scale included), for exact
// comparisons.
func rateStrings(rows []RateInfo) map[Asset]string {
	out := map[Asset]string{}
	for _, r := range rows {
		out[r.Currency] = r.Rate.String()
	}
	return out
}

func TestParseECBDaily(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/ecb-2025-03-14.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const src = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
	rows, err := ParseECB(f, src)
	if err != nil {
		t.Fatal(err)
	}
	// 30 currencies per EUR, USD among them: 29 per USD, plus EUR itself.
	if len(rows) != 30 {
		t.Fatalf("%d rows, want 30: %v", len(rows), rateStrings(rows))
	}
	for i, r := range rows {
		if r.Date != "2025-03-14" || r.Source != src {
			t.Errorf("row %s: date %q source %q", r.Currency, r.Date, r.Source)
		}
		if r.Currency == "USD" {
			t.Error("USD, the base, is listed")
		}
		if r.Rate.Scale() != ECBScale {
			t.Errorf("row %s: rate %s has scale %d, want %d", r.Currency, r.Rate, r.Rate.Scale(), ECBScale)
		}
		if i > 0 && rows[i-1].Currency >= r.Currency {
			t.Errorf("rows not sorted by currency: %s before %s", rows[i-1].Currency, r.Currency)
		}
	}
	got := rateStrings(rows)
	// Worked by hand from the file, USD = 1.0882 per EUR:
	want := map[Asset]string{
		"EUR": "0.918949",     // 1 ÷ 1.0882 = 0.9189487226… → 0.918949
		"JPY": "148.401029",   // 161.49 ÷ 1.0882 = 148.4010292225… → 148.401029
		"GBP": "0.772312",     // 0.84043 ÷ 1.0882 = 0.7723120749… → 0.772312
		"IDR": "16414.124242", // 17861.85 ÷ 1.0882 = 16414.1242418673… → 16414.124242
		"KRW": "1454.236354",  // 1582.50 ÷ 1.0882 = 1454.2363536114… → 1454.236354
		"BGN": "1.797280",     // 1.9558 ÷ 1.0882 = 1.7972799117… → 1.797280 (the 0 is kept)
		"ISK": "136.096306",   // 148.10 ÷ 1.0882 = 136.0963058261… → 136.096306
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("%s = %s, want %s", c, got[c], w)
		}
	}
	// The rows make a valid USD table, whose cross rates go through USD.
	table, err := NewRates("USD", rows)
	if err != nil {
		t.Fatal(err)
	}
	if table.Date != "2025-03-14" || table.Source != src {
		t.Errorf("table date %q source %q", table.Date, table.Source)
	}
}

func TestParseECBSkipsUnknownCurrencies(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/ecb-2022-02-25.xml")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseECB(bytes.NewReader(b), "ecb")
	if err != nil {
		t.Fatal(err)
	}
	got := rateStrings(rows)
	// 32 per EUR, less USD, HRK and RUB, plus EUR.
	if len(rows) != 30 {
		t.Errorf("%d rows, want 30", len(rows))
	}
	for _, c := range []Asset{"HRK", "RUB", "USD"} {
		if _, ok := got[c]; ok {
			t.Errorf("%s is listed", c)
		}
	}
	// USD = 1.1216 per EUR.
	for c, w := range map[Asset]string{
		"EUR": "0.891583",   // 1 ÷ 1.1216 = 0.8915834522… → 0.891583
		"JPY": "115.460057", // 129.50 ÷ 1.1216 = 115.4600570613… → 115.460057
		"GBP": "0.746077",   // 0.83680 ÷ 1.1216 = 0.7460770328… → 0.746077
	} {
		if got[c] != w {
			t.Errorf("%s = %s, want %s", c, got[c], w)
		}
	}
}

func TestParseECBRounding(t *testing.T) {
	t.Parallel()
	// USD = 2 per EUR: each quotient below ends in 5 at the 7th place, a
	// tie, rounded to the even neighbour.
	rows, err := ParseECB(strings.NewReader(ecbXML(`<Cube time="2025-01-02">
		<Cube currency="USD" rate="2"/>
		<Cube currency="JPY" rate="3.000001"/>
		<Cube currency="CHF" rate="3.000003"/>
		<Cube currency="SEK" rate="0.0000030"/>
	</Cube>`)), "test")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Asset]string{
		"EUR": "0.500000", // 1 ÷ 2
		"JPY": "1.500000", // 1.5000005: 0 is even, stays
		"CHF": "1.500002", // 1.5000015: 1 is odd, up to 2
		"SEK": "0.000002", // 0.0000015: up to 2
	}
	if d := cmp.Diff(want, rateStrings(rows)); d != "" {
		t.Errorf("rates (-want +got):\n%s", d)
	}
}

func TestParseECBSeveralDays(t *testing.T) {
	t.Parallel()
	rows, err := ParseECB(strings.NewReader(ecbXML(`
		<Cube time="2025-03-14"><Cube currency="USD" rate="1.0882"/><Cube currency="JPY" rate="161.49"/></Cube>
		<Cube time="2025-03-13"><Cube currency="USD" rate="1.25"/><Cube currency="JPY" rate="160"/></Cube>`)), "hist")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Date+" "+string(r.Currency)+" "+r.Rate.String())
	}
	want := []string{
		"2025-03-13 EUR 0.800000",   // 1 ÷ 1.25
		"2025-03-13 JPY 128.000000", // 160 ÷ 1.25
		"2025-03-14 EUR 0.918949",
		"2025-03-14 JPY 148.401029",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestParseECBErrors(t *testing.T) {
	t.Parallel()
	day := func(attrs, rates string) string { return ecbXML(`<Cube ` + attrs + `>` + rates + `</Cube>`) }
	usd := `<Cube currency="USD" rate="1.0882"/>`
	tests := []struct {
		name, xml, want string
	}{
		{"not XML", "rates: USD 1.08", "malformed reference-rates XML"},
		{"truncated", ecbXML(`<Cube time="2025-03-14">` + usd)[:200], "malformed reference-rates XML"},
		{"another document", `<html><body>Service unavailable</body></html>`, "malformed reference-rates XML"},
		{"no day", ecbXML(""), "lists no day of rates"},
		{"no time", day(``, usd), "has no time attribute"},
		{"bad date", day(`time="14/03/2025"`, usd), `time: want a YYYY-MM-DD date, got "14/03/2025"`},
		{"impossible date", day(`time="2025-02-30"`, usd), `got "2025-02-30"`},
		{"empty date", day(`time=""`, usd), `got ""`},
		{"day twice", ecbXML(`<Cube time="2025-03-14">` + usd + `</Cube><Cube time="2025-03-14">` + usd + `</Cube>`), "2025-03-14: the day is listed twice"},
		{"no USD", day(`time="2025-03-14"`, `<Cube currency="JPY" rate="161.49"/>`), "2025-03-14: no USD rate"},
		{"USD rate zero", day(`time="2025-03-14"`, `<Cube currency="USD" rate="0"/>`), "USD: rate: must be greater than zero"},
		{"negative rate", day(`time="2025-03-14"`, usd+`<Cube currency="JPY" rate="-161.49"/>`), `JPY: rate: want a decimal string such as "0.9286", got "-161.49"`},
		{"comma", day(`time="2025-03-14"`, usd+`<Cube currency="JPY" rate="161,49"/>`), `JPY: rate: want a decimal string`},
		{"exponent", day(`time="2025-03-14"`, usd+`<Cube currency="JPY" rate="1.6149E2"/>`), `JPY: rate: want a decimal string`},
		{"missing rate", day(`time="2025-03-14"`, usd+`<Cube currency="JPY"/>`), `JPY: rate: want a decimal string`},
		{"too many digits", day(`time="2025-03-14"`, usd+`<Cube currency="JPY" rate="161.490000000000000000001"/>`), `JPY: rate: "161.490000000000000000001" has more digits`},
		{"lower-case code", day(`time="2025-03-14"`, usd+`<Cube currency="jpy" rate="161.49"/>`), `currency: want a three-letter code in capitals, got "jpy"`},
		{"no code", day(`time="2025-03-14"`, usd+`<Cube rate="161.49"/>`), `currency: want a three-letter code in capitals, got ""`},
		{"code twice", day(`time="2025-03-14"`, usd+`<Cube currency="JPY" rate="161.49"/><Cube currency="JPY" rate="161.5"/>`), "JPY is listed twice"},
		{"EUR quoted", day(`time="2025-03-14"`, usd+`<Cube currency="EUR" rate="1"/>`), "EUR is the base of the ECB's rates"},
		{"rounds to zero", day(`time="2025-03-14"`, `<Cube currency="USD" rate="2"/><Cube currency="GBP" rate="0.000001"/>`), "GBP: 0.000001 per EUR ÷ 2 USD per EUR rounds to zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, err := ParseECB(strings.NewReader(tt.xml), "test")
			if err == nil {
				t.Fatalf("no error; rows %v", rateStrings(rows))
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "ecb: ") {
				t.Errorf("error %q, want it to start with \"ecb: \" and contain %q", err, tt.want)
			}
		})
	}
}

// FuzzParseECB checks that ParseECB never panics and that whatever it
// accepts is a valid USD table: known currencies but USD, positive rates of
// ECBScale places, real dates. The seed corpus runs with every `go test`.
func FuzzParseECB(f *testing.F) {
	for _, name := range []string{"testdata/ecb-2025-03-14.xml", "testdata/ecb-2022-02-25.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "<", ecbXML(""), ecbXML(`<Cube time="2025-01-02"><Cube currency="USD" rate="2"/><Cube currency="JPY" rate="3.000001"/></Cube>`),
		ecbXML(`<Cube time="2025-01-02"><Cube currency="USD" rate="0.0000000000000000001"/><Cube currency="IDR" rate="9999999999999999999"/></Cube>`),
		ecbXML(`<Cube time="2025-01-02"><Cube currency="USD" rate="9999999999999999999"/><Cube currency="EUR" rate="1"/></Cube>`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseECB(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Currency == "USD" || !IsCurrency(string(r.Currency)) {
				t.Fatalf("row of currency %q", r.Currency)
			}
			if !r.Rate.IsPos() || r.Rate.Scale() != ECBScale {
				t.Fatalf("%s: rate %s", r.Currency, r.Rate)
			}
			if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
				t.Fatalf("%s: date %q", r.Currency, r.Date)
			}
		}
	})
}
