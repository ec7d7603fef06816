package economy

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/money"
)

func TestParseInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount, unit string
		want         Input
	}{
		{"1000", "diamonds", Input{Kind: KindDiamonds, Amount: 1_000_000}},
		{"505.5", "Diamonds", Input{Kind: KindDiamonds, Amount: 505_500}},
		{"0.001", "diamond", Input{Kind: KindDiamonds, Amount: 1}},
		{"34999", "coins", Input{Kind: KindCoins, Amount: 34999}},
		{"1", "COIN", Input{Kind: KindCoins, Amount: 1}},
		{"1.0", "coins", Input{Kind: KindCoins, Amount: 1}},
		{"3", "galaxy", Input{Kind: KindGift, Amount: 3, Gift: "galaxy"}},
		{"1", "Ice Cream Cone", Input{Kind: KindGift, Amount: 1, Gift: "ice cream cone"}},
		{"1", "ice-cream-cone", Input{Kind: KindGift, Amount: 1, Gift: "ice-cream-cone"}},
		{"100", "usd", Input{Kind: KindMoney, Amount: 10000, Currency: "USD"}},
		{"2.53", "EUR", Input{Kind: KindMoney, Amount: 253, Currency: "EUR"}},
		{"1000", "jpy", Input{Kind: KindMoney, Amount: 1000, Currency: "JPY"}},
		{" 7 ", " coins ", Input{Kind: KindCoins, Amount: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.unit, func(t *testing.T) {
			t.Parallel()
			got, err := ParseInput(tt.amount, tt.unit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseInput(%q, %q) mismatch (-want +got):\n%s", tt.amount, tt.unit, diff)
			}
		})
	}
}

func TestParseInputErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount, unit string
		want         string
		is           error
	}{
		{"-5", "coins", `amount "-5": must be greater than zero`, money.ErrNegative},
		{"0", "coins", `amount "0": must be greater than zero`, money.ErrNotPositive},
		{"0.000", "diamonds", `amount "0.000": must be greater than zero`, money.ErrNotPositive},
		{"1.5", "coins", `amount "1.5": coins are whole numbers`, money.ErrPrecision},
		{"1.5", "rose", `amount "1.5": gifts are counted in whole numbers`, money.ErrPrecision},
		{"0.0001", "diamonds", `amount "0.0001": diamonds have at most 3 decimal places`, money.ErrPrecision},
		{"0.001", "usd", `amount "0.001": USD has 2 decimal places`, money.ErrPrecision},
		{"1.5", "jpy", `amount "1.5": JPY has 0 decimal places`, money.ErrPrecision},
		{"99999999999999999999", "coins", `amount "99999999999999999999": too large`, money.ErrOverflow},
		{"9223372036854775.808", "diamonds", `too large`, money.ErrOverflow},
		{"1e3", "coins", `amount "1e3": not a number`, money.ErrSyntax},
		{"1,000", "coins", `not a number`, money.ErrSyntax},
		{"", "coins", `amount "": not a number`, money.ErrSyntax},
		{"ten", "coins", `not a number`, money.ErrSyntax},
		{"١٢", "coins", `not a number`, money.ErrSyntax},
		{"5", "", `unit "": missing`, nil},
		{"5", "  ", `unit "  ": missing`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.unit, func(t *testing.T) {
			t.Parallel()
			_, err := ParseInput(tt.amount, tt.unit)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseInput(%q, %q) error = %v (%T), want an *InputError", tt.amount, tt.unit, err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseInput(%q, %q) error = %q, want it to contain %q", tt.amount, tt.unit, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("ParseInput(%q, %q) error = %v, want it to wrap %v", tt.amount, tt.unit, err, tt.is)
			}
		})
	}
}

// summary is the part of a quote the table tests compare.
type summary struct {
	Coins      int64
	CoinsExact bool
	Diamonds   string
	Gross      string
	Commission string
	Net        string
	Local      string // "gross/commission/net CUR @rate", empty when none
	Cashout    string // status, missing diamonds
}

func summarize(q *Quote) summary {
	s := summary{
		Coins:      q.Coins,
		CoinsExact: q.CoinsExact,
		Diamonds:   q.Diamonds,
		Gross:      q.Gross.String(),
		Commission: q.Commission.String(),
		Net:        q.Net.String(),
		Cashout:    q.Cashout.Status + " " + q.Cashout.MissingDiamonds,
	}
	if q.Local != nil {
		s.Local = q.Local.Gross.Value + "/" + q.Local.Commission.Value + "/" + q.Local.Net.Value + " " + string(q.Local.Currency) + " @" + q.Local.FX.Rate
	}
	return s
}

// TestCalculateSeed reproduces the numbers of the product brief with the
// seed preset and the embedded FX table.
func TestCalculateSeed(t *testing.T) {
	t.Parallel()
	e := Seed()
	fx := money.DefaultRates()
	tests := []struct {
		amount, unit string
		currency     money.Asset
		want         summary
	}{
		// 1,000 diamonds = $5.00 gross and $2.50 net.
		{"1000", "diamonds", "", summary{2000, true, "1000", "5.00 USD", "2.50 USD", "2.50 USD", "", "below 19000"}},
		// 20,000 diamonds = $100 gross, exactly the minimum.
		{"20000", "diamonds", "", summary{40000, true, "20000", "100.00 USD", "50.00 USD", "50.00 USD", "", "exactly 0"}},
		{"20000.001", "diamonds", "", summary{40001, false, "20000.001", "100.00 USD", "50.00 USD", "50.00 USD", "", "above 0"}},
		{"19999.999", "diamonds", "", summary{40000, false, "19999.999", "100.00 USD", "50.00 USD", "50.00 USD", "", "below 0.001"}},
		// 505.5 diamonds → 2.5275 → 2.53 gross, 1.265 → 1.26 net, 1.17 EUR net.
		{"505.5", "diamonds", "", summary{1011, true, "505.5", "2.53 USD", "1.27 USD", "1.26 USD", "", "below 19494.5"}},
		{"505.5", "diamonds", "EUR", summary{1011, true, "505.5", "2.53 USD", "1.27 USD", "1.26 USD", "2.35/1.18/1.17 EUR @0.9286", "below 19494.5"}},
		// 1 diamond = $0.005, which rounds half to even to 0.00.
		{"1", "diamond", "", summary{2, true, "1", "0.00 USD", "0.00 USD", "0.00 USD", "", "below 19999"}},
		{"0.001", "diamonds", "", summary{1, false, "0.001", "0.00 USD", "0.00 USD", "0.00 USD", "", "below 19999.999"}},
		// A 100-coin gift (Rainbow Puke) = 50 diamonds; a Rose = 0.5 diamond.
		{"1", "rainbow-puke", "", summary{100, true, "50", "0.25 USD", "0.13 USD", "0.12 USD", "", "below 19950"}},
		{"1", "Rainbow Puke", "", summary{100, true, "50", "0.25 USD", "0.13 USD", "0.12 USD", "", "below 19950"}},
		{"100", "coins", "", summary{100, true, "50", "0.25 USD", "0.13 USD", "0.12 USD", "", "below 19950"}},
		{"1", "rose", "", summary{1, true, "0.5", "0.00 USD", "0.00 USD", "0.00 USD", "", "below 19999.5"}},
		{"1", "coin", "", summary{1, true, "0.5", "0.00 USD", "0.00 USD", "0.00 USD", "", "below 19999.5"}},
		{"10", "roses", "", summary{10, true, "5", "0.02 USD", "0.01 USD", "0.01 USD", "", "below 19995"}}, // 0.025 → 0.02, half to even
		{"3", "Ice Cream Cone", "", summary{3, true, "1.5", "0.01 USD", "0.01 USD", "0.00 USD", "", "below 19998.5"}},
		{"1", "ice-cream-cone", "", summary{1, true, "0.5", "0.00 USD", "0.00 USD", "0.00 USD", "", "below 19999.5"}},
		// Gifts × quantity.
		{"1", "galaxy", "", summary{1000, true, "500", "2.50 USD", "1.25 USD", "1.25 USD", "", "below 19500"}},
		{"3", "GALAXY", "", summary{3000, true, "1500", "7.50 USD", "3.75 USD", "3.75 USD", "", "below 18500"}},
		{"2", "galaxies", "", summary{2000, true, "1000", "5.00 USD", "2.50 USD", "2.50 USD", "", "below 19000"}},
		{"1", "universe", "", summary{34999, true, "17499.5", "87.50 USD", "43.75 USD", "43.75 USD", "", "below 2500.5"}},
		{"40", "rocket", "", summary{800000, true, "400000", "2000.00 USD", "1000.00 USD", "1000.00 USD", "", "above 0"}},
		// Coins in EUR.
		{"34999", "coins", "EUR", summary{34999, true, "17499.5", "87.50 USD", "43.75 USD", "43.75 USD", "81.25/40.62/40.63 EUR @0.9286", "below 2500.5"}},
		{"34999", "coins", "jpy", summary{34999, true, "17499.5", "87.50 USD", "43.75 USD", "43.75 USD", "13245/6623/6622 JPY @151.37", "below 2500.5"}},
		// Money input is a gross value.
		{"100", "usd", "", summary{40000, true, "20000", "100.00 USD", "50.00 USD", "50.00 USD", "", "exactly 0"}},
		{"5", "USD", "", summary{2000, true, "1000", "5.00 USD", "2.50 USD", "2.50 USD", "", "below 19000"}},
		{"0.01", "usd", "", summary{4, true, "2", "0.01 USD", "0.01 USD", "0.00 USD", "", "below 19998"}},
		{"100", "eur", "", summary{43076, true, "21538", "107.69 USD", "53.85 USD", "53.84 USD", "100.00/50.00/50.00 EUR @0.9286", "above 0"}},
		{"100", "eur", "USD", summary{43076, true, "21538", "107.69 USD", "53.85 USD", "53.84 USD", "", "above 0"}},
		{"100", "jpy", "", summary{264, true, "132", "0.66 USD", "0.33 USD", "0.33 USD", "100/50/50 JPY @151.37", "below 19868"}},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.unit+" "+string(tt.currency), func(t *testing.T) {
			t.Parallel()
			in, err := ParseInput(tt.amount, tt.unit)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Calculate(e, fx, in, tt.currency)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(q)); diff != "" {
				t.Errorf("Calculate(%s %s) mismatch (-want +got):\n%s\n%s", tt.amount, tt.unit, diff, q)
			}
			// The invariants of every quote.
			gross, _ := money.Parse(q.Gross.Value, 2)
			net, _ := money.Parse(q.Net.Value, 2)
			comm, _ := money.Parse(q.Commission.Value, 2)
			if net+comm != gross {
				t.Errorf("net %d + commission %d != gross %d", net, comm, gross)
			}
			if q.Diamonds != money.FormatTrim(q.MilliDiamonds, 3) {
				t.Errorf("Diamonds %q != MilliDiamonds %d", q.Diamonds, q.MilliDiamonds)
			}
			if q.DiamondValue != (Amount{"0.005", "USD"}) {
				t.Errorf("DiamondValue = %v, want 0.005 USD", q.DiamondValue)
			}
			if len(q.Steps) < 4 {
				t.Errorf("only %d steps", len(q.Steps))
			}
		})
	}
}

func TestCalculateSteps(t *testing.T) {
	t.Parallel()
	e := Seed()
	q := calculate(t, e, "505.5", "diamonds", "EUR")
	want := []Step{
		{"diamonds → coins", "505.5 diamonds ÷ 0.5 diamonds per coin (default rate) = 1011 coins"},
		{"diamonds → value", "505.5 diamonds × 0.005 USD = 2.5275 → 2.53 USD gross"},
		{"commission", "2.53 USD × (1 − 0.5) = 1.265 → 1.26 USD net; the platform keeps 2.53 − 1.26 = 1.27 USD"},
		{"USD → EUR", "at 0.9286 (FX table of 2026-11-30): gross 2.53 × 0.9286 = 2.349358 → 2.35 EUR, net 1.26 × 0.9286 = 1.170036 → 1.17 EUR, commission 2.35 − 1.17 = 1.18 EUR"},
		{"cash-out", "minimum 20000 diamonds (100.00 USD gross): below, 19494.5 diamonds missing"},
	}
	if diff := cmp.Diff(want, q.Steps); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}

	q = calculate(t, e, "3", "galaxy", "")
	want = []Step{
		{"gift → coins", "3 × Galaxy (1000 coins) = 3000 coins"},
		{"coins → diamonds", "3000 coins × 0.5 diamonds per coin (default rate) = 1500 diamonds"},
		{"diamonds → value", "1500 diamonds × 0.005 USD = 7.50 USD gross"},
		{"commission", "7.50 USD × (1 − 0.5) = 3.75 USD net; the platform keeps 7.50 − 3.75 = 3.75 USD"},
		{"cash-out", "minimum 20000 diamonds (100.00 USD gross): below, 18500 diamonds missing"},
	}
	if diff := cmp.Diff(want, q.Steps); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}

	q = calculate(t, e, "100", "eur", "")
	if got := q.Steps[0]; got != (Step{"EUR → USD", "100.00 EUR ÷ 0.9286 (1 USD = 0.9286 EUR, FX table of 2026-11-30) = 107.688994184794314 → 107.69 USD"}) {
		t.Errorf("first step of 100 eur = %+v", got)
	}
	if q.Input.Value == nil || *q.Input.Value != (Amount{"107.69", "USD"}) || q.Input.FX == nil || q.Input.FX.Date != "2026-11-30" {
		t.Errorf("input of 100 eur = %+v", q.Input)
	}

	q = calculate(t, e, "40", "rocket", "")
	if !q.Cashout.OverMaxPerPeriod || !strings.Contains(q.Steps[len(q.Steps)-1].Detail, "more than the 1000.00 USD that may be withdrawn per day") {
		t.Errorf("40 rockets: cash-out %+v, last step %q", q.Cashout, q.Steps[len(q.Steps)-1].Detail)
	}
}

// TestCalculateOtherEconomy uses a file with another currency, a gift with
// its own rate and a 30% commission.
func TestCalculateOtherEconomy(t *testing.T) {
	t.Parallel()
	e, err := Load(filepath.Join("testdata", "minimal.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		amount, unit string
		currency     money.Asset
		want         summary
	}{
		// 10 coins × 0.75 = 7.5 diamonds × 0.01 EUR = 0.075 → 0.08 EUR; net 0.056 → 0.06.
		{"1", "star", "", summary{10, true, "7.5", "0.08 EUR", "0.02 EUR", "0.06 EUR", "", "below 992.5"}},
		{"10", "coins", "", summary{10, true, "10", "0.10 EUR", "0.03 EUR", "0.07 EUR", "", "below 990"}},
		{"1000", "diamonds", "USD", summary{1000, true, "1000", "10.00 EUR", "3.00 EUR", "7.00 EUR", "10.77/3.23/7.54 USD @1.07688994184794314", "exactly 0"}},
		{"1", "eur", "", summary{100, true, "100", "1.00 EUR", "0.30 EUR", "0.70 EUR", "", "below 900"}},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.unit, func(t *testing.T) {
			t.Parallel()
			in, err := ParseInput(tt.amount, tt.unit)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Calculate(e, nil, in, tt.currency)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(q)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s\n%s", diff, q)
			}
		})
	}
	q := calculate(t, e, "1", "star", "")
	if q.DiamondsPerCoin != "0.75" || !strings.Contains(q.Steps[1].Detail, "Star's own rate") {
		t.Errorf("star: rate %s, step %q", q.DiamondsPerCoin, q.Steps[1].Detail)
	}
	q = calculate(t, e, "1000", "diamonds", "")
	if q.Cashout.Period != "7 days" {
		t.Errorf("period = %q, want 7 days", q.Cashout.Period)
	}
}

func TestCalculateErrors(t *testing.T) {
	t.Parallel()
	e := Seed()
	small, err := money.ParseRates([]byte("date = \"2026-01-01\"\nbase = \"USD\"\n[rates]\nEUR = \"0.9\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       Input
		fx       *money.Rates
		currency money.Asset
		field    string
		want     string
	}{
		{"unknown gift", Input{Kind: KindGift, Amount: 1, Gift: "unicorn"}, nil, "", "unit", `unit "unicorn": unknown unit`},
		{"unknown currency", Input{Kind: KindCoins, Amount: 1}, nil, "XYZ", "currency", `currency "XYZ": unknown currency`},
		{"currency not in the FX table", Input{Kind: KindCoins, Amount: 1}, small, "GBP", "currency", `currency "GBP": the FX table of 2026-01-01 has no rate for it`},
		{"input currency not in the FX table", Input{Kind: KindMoney, Amount: 100, Currency: "GBP"}, small, "USD", "unit", `unit "GBP": the FX table of 2026-01-01 has no rate for it`},
		{"input currency not in the FX table, no currency asked", Input{Kind: KindMoney, Amount: 100, Currency: "GBP"}, small, "", "unit", `unit "GBP": the FX table of 2026-01-01 has no rate for it`},
		{"zero", Input{Kind: KindCoins}, nil, "", "amount", "must be greater than zero"},
		{"negative", Input{Kind: KindDiamonds, Amount: -5}, nil, "", "amount", "must be greater than zero"},
		{"gift overflow", Input{Kind: KindGift, Amount: 9223372036854775807, Gift: "rose"}, nil, "", "amount", "too large to convert"},
		{"gift quantity overflow", Input{Kind: KindGift, Amount: 999999999999999999, Gift: "universe"}, nil, "", "amount", "too large to convert"},
		{"coins overflow", Input{Kind: KindCoins, Amount: 9223372036854775807}, nil, "", "amount", "too large to convert"},
		{"money overflow", Input{Kind: KindMoney, Amount: 9223372036854775807, Currency: "USD"}, nil, "", "amount", "too large to convert"},
		{"FX overflow", Input{Kind: KindMoney, Amount: 9223372036854775807, Currency: "IDR"}, nil, "", "amount", "too large to convert"},
		{"local overflow", Input{Kind: KindDiamonds, Amount: 9223372036854775807}, nil, "IDR", "amount", "too large to convert"},
		{"bad kind", Input{Kind: "bananas", Amount: 1}, nil, "", "unit", "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := Calculate(e, tt.fx, tt.in, tt.currency)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Calculate error = %v (%T), want an *InputError; quote:\n%v", err, err, q)
			}
			if ie.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Calculate error = %q (field %s), want field %s and %q", err, ie.Field, tt.field, tt.want)
			}
		})
	}
}

func TestQuoteJSON(t *testing.T) {
	t.Parallel()
	q := calculate(t, Seed(), "505.5", "diamonds", "EUR")
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"economy":           "seed",
		"input":             map[string]any{"kind": "diamonds", "amount": "505.5", "unit": "diamonds"},
		"coins":             1011.0,
		"coins_exact":       true,
		"diamonds_per_coin": "0.5",
		"diamonds":          "505.5",
		"diamond_value":     map[string]any{"value": "0.005", "currency": "USD"},
		"gross":             map[string]any{"value": "2.53", "currency": "USD"},
		"commission_rate":   "0.5",
		"commission":        map[string]any{"value": "1.27", "currency": "USD"},
		"net":               map[string]any{"value": "1.26", "currency": "USD"},
		"local": map[string]any{
			"currency":   "EUR",
			"fx":         map[string]any{"from": "USD", "to": "EUR", "rate": "0.9286", "date": "2026-11-30"},
			"gross":      map[string]any{"value": "2.35", "currency": "EUR"},
			"commission": map[string]any{"value": "1.18", "currency": "EUR"},
			"net":        map[string]any{"value": "1.17", "currency": "EUR"},
		},
		"cashout": map[string]any{
			"minimum_diamonds":    "20000",
			"minimum_gross":       map[string]any{"value": "100.00", "currency": "USD"},
			"status":              "below",
			"missing_diamonds":    "19494.5",
			"max_per_period":      map[string]any{"value": "1000.00", "currency": "USD"},
			"period":              "day",
			"over_max_per_period": false,
		},
	}
	steps, ok := got["steps"].([]any)
	if !ok || len(steps) != len(q.Steps) {
		t.Fatalf("steps = %v", got["steps"])
	}
	if s, _ := steps[0].(map[string]any); s["label"] != "diamonds → coins" || s["detail"] == "" {
		t.Errorf("first step = %v", steps[0])
	}
	delete(got, "steps")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(string(b), "milli") {
		t.Errorf("JSON leaks MilliDiamonds: %s", b)
	}
}

func TestQuoteString(t *testing.T) {
	t.Parallel()
	got := calculate(t, Seed(), "1000", "diamonds", "").String()
	want := `1000 diamonds (economy "seed")

  1. diamonds → coins  1000 diamonds ÷ 0.5 diamonds per coin (default rate) = 2000 coins
  2. diamonds → value  1000 diamonds × 0.005 USD = 5.00 USD gross
  3. commission        5.00 USD × (1 − 0.5) = 2.50 USD net; the platform keeps 5.00 − 2.50 = 2.50 USD
  4. cash-out          minimum 20000 diamonds (100.00 USD gross): below, 19000 diamonds missing

  coins       2000
  diamonds    1000
  gross       5.00 USD
  commission  2.50 USD
  net         2.50 USD
  cash-out    below the minimum of 20000 diamonds: 19000 missing
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String() mismatch (-want +got):\n%s", diff)
	}
	local := calculate(t, Seed(), "34999", "coins", "EUR").String()
	for _, s := range []string{"34999 coins (economy", "gross       87.50 USD = 81.25 EUR", "net         43.75 USD = 40.63 EUR"} {
		if !strings.Contains(local, s) {
			t.Errorf("String() of 34999 coins in EUR lacks %q:\n%s", s, local)
		}
	}
}

func calculate(t *testing.T, e *Economy, amount, unit string, currency money.Asset) *Quote {
	t.Helper()
	in, err := ParseInput(amount, unit)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Calculate(e, nil, in, currency)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// FuzzCalculate checks that no input makes the calculator panic, that every
// refusal is an *InputError, and that every quote adds up.
func FuzzCalculate(f *testing.F) {
	for _, c := range [][3]string{
		{"1000", "diamonds", ""}, {"505.5", "diamonds", "EUR"}, {"3", "galaxy", ""}, {"1", "rose", "jpy"},
		{"34999", "coins", "EUR"}, {"100", "usd", ""}, {"100", "eur", ""}, {"-5", "coins", ""},
		{"0.0001", "diamonds", ""}, {"99999999999999999999", "coins", ""}, {"9223372036854775807", "diamonds", "IDR"},
		{"1", "", ""}, {"1", "xyz", "xyz"}, {"9223372036854775807", "kwd", "vnd"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	e := Seed()
	f.Fuzz(func(t *testing.T, amount, unit, currency string) {
		in, err := ParseInput(amount, unit)
		var ie *InputError
		if err != nil {
			if !errors.As(err, &ie) {
				t.Fatalf("ParseInput(%q, %q) error %v is not an *InputError", amount, unit, err)
			}
			return
		}
		q, err := Calculate(e, nil, in, money.Asset(currency))
		if err != nil {
			if !errors.As(err, &ie) {
				t.Fatalf("Calculate(%q, %q, %q) error %v is not an *InputError", amount, unit, currency, err)
			}
			return
		}
		gross, err1 := money.Parse(q.Gross.Value, 2)
		net, err2 := money.Parse(q.Net.Value, 2)
		comm, err3 := money.Parse(q.Commission.Value, 2)
		if err1 != nil || err2 != nil || err3 != nil || net+comm != gross {
			t.Fatalf("%s %s: gross %s, net %s, commission %s", amount, unit, q.Gross, q.Net, q.Commission)
		}
		_ = q.String()
	})
}
