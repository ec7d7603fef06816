package economy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/money"
)

// TestSeed checks that the seed preset holds exactly the numbers of the
// product brief (DESIGN.md §1).
func TestSeed(t *testing.T) {
	t.Parallel()
	e := Seed()

	dec := func(d decimal.Decimal) string { return d.String() }
	type rules struct {
		Name               string
		DiamondValue       string
		DiamondCurrency    money.Asset
		DiamondsPerCoin    string
		Commission         string
		MinimumMilli       int64
		MaxWithdrawals     int
		Period             string
		MaxPerPeriod       string
		Methods            []string
		HoldingPeriodDays  int
		KYCRequired        bool
		LockFXAtRequest    bool
		AppealWindowDays   int
		StatementThreshold string
		DailySpendCap      int64
	}
	got := rules{
		Name:               e.Name,
		DiamondValue:       dec(e.Diamond.Value),
		DiamondCurrency:    e.Diamond.Currency,
		DiamondsPerCoin:    dec(e.Gifting.DiamondsPerCoin),
		Commission:         dec(e.Cashout.Commission),
		MinimumMilli:       e.Cashout.MinimumMilli,
		MaxWithdrawals:     e.Cashout.MaxWithdrawals,
		Period:             e.Cashout.Period.String(),
		MaxPerPeriod:       e.Cashout.MaxPerPeriod.String(),
		Methods:            e.Cashout.Methods,
		HoldingPeriodDays:  e.Cashout.HoldingPeriodDays,
		KYCRequired:        e.Cashout.KYCRequired,
		LockFXAtRequest:    e.Cashout.LockFXAtRequest,
		AppealWindowDays:   e.Bans.AppealWindowDays,
		StatementThreshold: e.Tax.StatementThreshold.String(),
		DailySpendCap:      e.Viewers.DailySpendCap,
	}
	want := rules{
		Name:               "seed",
		DiamondValue:       "0.005",
		DiamondCurrency:    "USD",
		DiamondsPerCoin:    "0.5",
		Commission:         "0.5",
		MinimumMilli:       20_000_000, // 20,000 diamonds
		MaxWithdrawals:     1,
		Period:             "24h0m0s",
		MaxPerPeriod:       "1000.00 USD",
		Methods:            []string{"paypal", "bank"},
		HoldingPeriodDays:  0,
		KYCRequired:        false,
		LockFXAtRequest:    true,
		AppealWindowDays:   30,
		StatementThreshold: "600.00 USD",
		DailySpendCap:      0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed rules mismatch (-want +got):\n%s", diff)
	}

	type gift struct {
		Name  string
		Coins int64
	}
	var gifts []gift
	for _, g := range e.Gifts {
		gifts = append(gifts, gift{g.Name, g.Coins})
		if g.DiamondRate != nil {
			t.Errorf("seed gift %s overrides the diamond rate", g.ID)
		}
	}
	wantGifts := []gift{
		{"Rose", 1}, {"TikTok", 1}, {"GG", 1}, {"Ice Cream Cone", 1}, {"Finger Heart", 5},
		{"Panda", 5}, {"Hand Wave", 9}, {"Lollipop", 10}, {"Love Bang", 25}, {"Sun Cream", 50},
		{"Rainbow Puke", 100}, {"Concert", 500}, {"Galaxy", 1000}, {"Drama Queen", 5000},
		{"Interstellar", 10000}, {"Planet", 15000}, {"Rocket", 20000}, {"Lion", 29999}, {"Universe", 34999},
	}
	if diff := cmp.Diff(wantGifts, gifts); diff != "" {
		t.Errorf("seed gift catalog mismatch (-want +got):\n%s", diff)
	}

	type pkg struct {
		Coins int64
		Price string
	}
	book := func(channel string, cur money.Asset) []pkg {
		t.Helper()
		pb, ok := e.PriceBook(channel, cur)
		if !ok {
			t.Fatalf("seed has no %s price book in %s", channel, cur)
		}
		var out []pkg
		for _, p := range pb.Packages() {
			out = append(out, pkg{p.Coins, money.FormatAsset(p.Price, p.Currency)})
		}
		return out
	}
	wantWeb := []pkg{{70, "0.99"}, {350, "4.99"}, {700, "9.99"}, {1400, "19.99"}, {3500, "49.99"}, {7000, "99.99"}, {17500, "249.99"}}
	if diff := cmp.Diff(wantWeb, book("web", "USD")); diff != "" {
		t.Errorf("web USD price book mismatch (-want +got):\n%s", diff)
	}
	wantApp := []pkg{{65, "0.99"}, {330, "4.99"}, {660, "9.99"}, {1321, "19.99"}, {3303, "49.99"}, {6607, "99.99"}, {16500, "249.99"}}
	if diff := cmp.Diff(wantApp, book("app", "USD")); diff != "" {
		t.Errorf("app USD price book mismatch (-want +got):\n%s", diff)
	}
	if got := book("app", "GBP"); len(got) < 3 || got[0] != (pkg{40, "0.49"}) || got[1] != (pkg{65, "0.89"}) || got[2] != (pkg{330, "4.49"}) {
		t.Errorf("app GBP price book starts %v, want 40 = 0.49, 65 = 0.89, 330 = 4.49", got)
	}
}

// TestSeedBriefNumbers checks the conversions the brief quotes, with the
// helpers the rest of glint uses.
func TestSeedBriefNumbers(t *testing.T) {
	t.Parallel()
	e := Seed()
	usd := func(milli int64) string {
		t.Helper()
		units, err := money.Convert(milli, 3, e.Diamond.Value, 2)
		if err != nil {
			t.Fatal(err)
		}
		return money.Format(units, 2)
	}
	if got := usd(1000); got != "0.00" { // 1 diamond = 0.005 USD, half to even → 0.00
		t.Errorf("1 diamond = %s USD rounded", got)
	}
	if got := e.Diamond.Value.String(); got != "0.005" {
		t.Errorf("1 diamond = %s USD", got)
	}
	if got := usd(1_000_000); got != "5.00" {
		t.Errorf("1000 diamonds = %s USD, want 5.00", got)
	}
	if got := usd(e.Cashout.MinimumMilli); got != "100.00" {
		t.Errorf("minimum = %s USD, want 100.00", got)
	}
	puke, _ := e.Gift("rainbow-puke")
	if m, err := DiamondsForCoins(puke.Coins, e.GiftRate(puke)); err != nil || m != 50_000 {
		t.Errorf("Rainbow Puke = %d milli-diamonds, %v; want 50000", m, err)
	}
	rose, _ := e.Gift("ROSE")
	if m, err := DiamondsForCoins(rose.Coins, e.GiftRate(rose)); err != nil || m != 500 {
		t.Errorf("Rose = %d milli-diamonds, %v; want 500", m, err)
	}
}

func TestSeedFileIsRaw(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("seed.toml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), string(SeedFile())); diff != "" {
		t.Errorf("SeedFile differs from seed.toml:\n%s", diff)
	}
	if string(Seed().Raw) != string(b) {
		t.Error("Seed().Raw differs from seed.toml")
	}
}

func TestLoadMinimal(t *testing.T) {
	t.Parallel()
	e, err := Load(filepath.Join("testdata", "minimal.toml"))
	if err != nil {
		t.Fatal(err)
	}
	star, ok := e.Gift("star")
	if !ok {
		t.Fatal("no gift star")
	}
	if got := e.GiftRate(star).String(); got != "0.75" {
		t.Errorf("GiftRate(star) = %s, want its own 0.75", got)
	}
	heart, _ := e.Gift("heart")
	if got := e.GiftRate(heart).String(); got != "1" {
		t.Errorf("GiftRate(heart) = %s, want the default 1", got)
	}
	if got := e.GiftRate(nil).String(); got != "1" {
		t.Errorf("GiftRate(nil) = %s, want the default 1", got)
	}
	p, ok := e.FindPackage("web-eur-500")
	if !ok || p.Price != 449 || p.Currency != "EUR" || p.Coins != 500 {
		t.Errorf("FindPackage(web-eur-500) = %+v, %v", p, ok)
	}
	if _, ok := e.FindPackage("web-usd-500"); ok {
		t.Error("FindPackage(web-usd-500) found a package of a book that does not exist")
	}
}

// TestParseErrors checks that each malformed file is rejected with a
// *FieldError that names the field and its line.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		field string
		line  int
		msg   string
	}{
		{"unknown_field.toml", "bans.appeal_window_hours", 26, "unknown field"},
		{"unknown_gift_field.toml", "gifts[1].colour", 50, "unknown field"},
		{"negative_coins.toml", "gifts[2].coins", 57, "must be greater than zero"},
		{"bad_currency.toml", "diamond.currency", 6, `unknown ISO 4217 currency "EURO" (write it in capitals)`},
		{"commission_one.toml", "cashout.commission", 14, "must be at least 0 and below 1, got 1"},
		{"syntax_error.toml", "", 10, ""},
		{"duplicate_gift.toml", "gifts[2].id", 55, `gift "star" listed twice`},
		{"bad_price.toml", "packages[0].prices[1].price", 38, `must be a positive EUR amount, got "4.499"`},
		{"bad_rate.toml", "gifts[1].diamond_rate", 52, "at most 3 decimal places (diamonds are kept in thousandths), got 0.7505"},
		{"wrong_type.toml", "cashout.max_withdrawals", 16, ""},
		{"fx_not_locked.toml", "cashout.lock_fx_at_request", 47, ""},
		{"threshold_currency.toml", "tax.statement_threshold", 56, "must be in USD, the currency of diamond.value"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(b)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.field || fe.Line != tt.line || (tt.msg != "" && fe.Message != tt.msg) {
				t.Errorf("Parse error = %q\n got field %q line %d message %q\nwant field %q line %d message %q",
					err, fe.Field, fe.Line, fe.Message, tt.field, tt.line, tt.msg)
			}
			if fe.Message == "" {
				t.Errorf("Parse error %q has no message", err)
			}
		})
	}
}

func TestFieldErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  FieldError
		want string
	}{
		{FieldError{Field: "gifts[3].coins", Line: 12, Message: "must be greater than zero"}, "line 12: gifts[3].coins: must be greater than zero"},
		{FieldError{Field: "gifts", Message: "the catalog needs at least one gift"}, "gifts: the catalog needs at least one gift"},
		{FieldError{Line: 3, Message: "invalid TOML: x"}, "line 3: invalid TOML: x"},
		{FieldError{Message: "x"}, "x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestLoadPrefixesPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "negative_coins.toml")
	_, err := Load(path)
	if want := path + ": line 57: gifts[2].coins: must be greater than zero"; err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %q", err, want)
	}
	if _, err := Load(filepath.Join("testdata", "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want os.ErrNotExist", err)
	}
}

// TestFieldLines checks the line finder on keys, tables, array tables and
// inline arrays.
func TestFieldLines(t *testing.T) {
	t.Parallel()
	src := []byte(`name = "x"
[a]
b.c = 1

[[g]]
id = "r"
[[g]]
id = "s"
p = [
  { c = 1, d = "2" },
  { c = 3 },
]
`)
	want := map[string]int{
		"name": 1, "a": 2, "a.b.c": 3, "g[0]": 5, "g[0].id": 6, "g[1]": 7, "g[1].id": 8,
		"g[1].p": 9, "g[1].p[0]": 10, "g[1].p[0].c": 10, "g[1].p[0].d": 10, "g[1].p[1]": 11, "g[1].p[1].c": 11,
	}
	if diff := cmp.Diff(want, fieldLines(src)); diff != "" {
		t.Errorf("fieldLines mismatch (-want +got):\n%s", diff)
	}
	nested := []byte(`[[a]]
x = 1
[[a]]
[[a.b]]
y = 2
[[a.b]]
y = 3
[a.c]
z = 4
`)
	wantNested := map[string]int{
		"a[0]": 1, "a[0].x": 2, "a[1]": 3, "a[1].b[0]": 4, "a[1].b[0].y": 5, "a[1].b[1]": 6, "a[1].b[1].y": 7,
		"a[1].c": 8, "a[1].c.z": 9,
	}
	if diff := cmp.Diff(wantNested, fieldLines(nested)); diff != "" {
		t.Errorf("fieldLines of nested array tables mismatch (-want +got):\n%s", diff)
	}
	if got := fieldLine(src, "g[1].name"); got != 7 {
		t.Errorf("fieldLine of a missing key = %d, want its table's line 7", got)
	}
	if got := fieldLine(src, "zzz"); got != 0 {
		t.Errorf("fieldLine of an unknown field = %d, want 0", got)
	}
}
