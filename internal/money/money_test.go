package money

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		scale int
		want  int64
		err   error
	}{
		{"0", 0, 0, nil},
		{"12", 0, 12, nil},
		{"1.0", 0, 1, nil},
		{"0.5", 3, 500, nil},
		{"505.5", 3, 505500, nil},
		{"1000.250", 3, 1000250, nil},
		{"2.50", 2, 250, nil},
		{"007", 2, 700, nil},
		{"9223372036854775807", 0, math.MaxInt64, nil},
		{"9223372036854775.807", 3, math.MaxInt64, nil},
		{"9223372036854775808", 0, 0, ErrOverflow},
		{"9223372036854775.808", 3, 0, ErrOverflow},
		{"99999999999999999999", 0, 0, ErrOverflow},
		{"99999999999999999", 3, 0, ErrOverflow},
		{"1.5", 0, 0, ErrPrecision},
		{"0.0001", 3, 0, ErrPrecision},
		{"2.505", 2, 0, ErrPrecision},
		{"-1", 0, 0, ErrNegative},
		{"-0.5", 3, 0, ErrNegative},
		{"", 0, 0, ErrSyntax},
		{"+1", 0, 0, ErrSyntax},
		{" 1", 0, 0, ErrSyntax},
		{"1 ", 0, 0, ErrSyntax},
		{"1.", 2, 0, ErrSyntax},
		{".5", 2, 0, ErrSyntax},
		{"1e3", 0, 0, ErrSyntax},
		{"1,000", 0, 0, ErrSyntax},
		{"1_000", 0, 0, ErrSyntax},
		{"1.2.3", 3, 0, ErrSyntax},
		{"١٢", 0, 0, ErrSyntax},
		{"0x10", 0, 0, ErrSyntax},
		{"NaN", 0, 0, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in, tt.scale)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q, %d) error = %v, want %v", tt.in, tt.scale, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %d) = %d, want %d", tt.in, tt.scale, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		units     int64
		scale     int
		want      string
		wantTrim  string
		roundTrip bool
	}{
		{0, 0, "0", "0", true},
		{0, 2, "0.00", "0", true},
		{250, 2, "2.50", "2.5", true},
		{5, 2, "0.05", "0.05", true},
		{500, 3, "0.500", "0.5", true},
		{5000, 3, "5.000", "5", true},
		{505500, 3, "505.500", "505.5", true},
		{1, 3, "0.001", "0.001", true},
		{34999, 0, "34999", "34999", true},
		{math.MaxInt64, 3, "9223372036854775.807", "9223372036854775.807", true},
		{-250, 2, "-2.50", "-2.5", false},
		{math.MinInt64, 2, "-92233720368547758.08", "-92233720368547758.08", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := Format(tt.units, tt.scale); got != tt.want {
				t.Errorf("Format(%d, %d) = %q, want %q", tt.units, tt.scale, got, tt.want)
			}
			if got := FormatTrim(tt.units, tt.scale); got != tt.wantTrim {
				t.Errorf("FormatTrim(%d, %d) = %q, want %q", tt.units, tt.scale, got, tt.wantTrim)
			}
			if !tt.roundTrip {
				return
			}
			for _, s := range []string{tt.want, tt.wantTrim} {
				back, err := Parse(s, tt.scale)
				if err != nil || back != tt.units {
					t.Errorf("Parse(%q, %d) = %d, %v; want %d", s, tt.scale, back, err, tt.units)
				}
			}
		})
	}
}

func TestFormatAsset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		units int64
		asset Asset
		want  string
	}{
		{340, Coin, "340"},
		{505500, Diamond, "505.5"},
		{500, Diamond, "0.5"},
		{20000000, Diamond, "20000"},
		{250, "USD", "2.50"},
		{757, "JPY", "757"},
		{1500, "KWD", "1.500"},
		{42, "XXX", "42"},
	}
	for _, tt := range tests {
		if got := FormatAsset(tt.units, tt.asset); got != tt.want {
			t.Errorf("FormatAsset(%d, %s) = %q, want %q", tt.units, tt.asset, got, tt.want)
		}
	}
}

func TestScaleAndCurrency(t *testing.T) {
	t.Parallel()
	for a, want := range map[Asset]int{Coin: 0, Diamond: 3, "USD": 2, "JPY": 0, "KRW": 0, "BHD": 3} {
		got, err := Scale(a)
		if err != nil || got != want {
			t.Errorf("Scale(%s) = %d, %v; want %d", a, got, err, want)
		}
	}
	if _, err := Scale("usd"); !errors.Is(err, ErrUnknownAsset) {
		t.Errorf("Scale(usd) error = %v, want ErrUnknownAsset", err)
	}
	if c, err := ParseCurrency(" eur "); err != nil || c != "EUR" {
		t.Errorf("ParseCurrency(eur) = %q, %v", c, err)
	}
	if _, err := ParseCurrency("XYZ"); !errors.Is(err, ErrUnknownAsset) {
		t.Errorf("ParseCurrency(XYZ) error = %v, want ErrUnknownAsset", err)
	}
	if c, ok := CountryCurrency("de"); !ok || c != "EUR" {
		t.Errorf("CountryCurrency(de) = %q, %v", c, ok)
	}
	if _, ok := CountryCurrency("ZZ"); ok {
		t.Error("CountryCurrency(ZZ) is known")
	}
}

func TestCountryCurrenciesAreKnown(t *testing.T) {
	t.Parallel()
	for country, cur := range countryCurrency {
		if !IsCurrency(cur) {
			t.Errorf("country %s is paid in %s, which has no scale", country, cur)
		}
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	const max, min = math.MaxInt64, math.MinInt64
	tests := []struct {
		name string
		f    func(a, b int64) (int64, error)
		a, b int64
		want int64
		err  error
	}{
		{"add", Add, 2, 3, 5, nil},
		{"add negative", Add, -2, 3, 1, nil},
		{"add to max", Add, max - 1, 1, max, nil},
		{"add overflow", Add, max, 1, 0, ErrOverflow},
		{"add underflow", Add, min, -1, 0, ErrOverflow},
		{"add zero", Add, max, 0, max, nil},
		{"sub", Sub, 5, 3, 2, nil},
		{"sub to min", Sub, min + 1, 1, min, nil},
		{"sub underflow", Sub, min, 1, 0, ErrOverflow},
		{"sub overflow", Sub, max, -1, 0, ErrOverflow},
		{"sub zero", Sub, min, 0, min, nil},
		{"mul", Mul, 1000, 34999, 34999000, nil},
		{"mul zero", Mul, 0, max, 0, nil},
		{"mul negative", Mul, -3, 4, -12, nil},
		{"mul max", Mul, max, 1, max, nil},
		{"mul overflow", Mul, max, 2, 0, ErrOverflow},
		{"mul overflow big", Mul, 9999, 9223372036854775, 0, ErrOverflow},
		{"mul min by -1", Mul, min, -1, 0, ErrOverflow},
		{"mul -1 by min", Mul, -1, min, 0, ErrOverflow},
		{"mul min by 1", Mul, min, 1, min, nil},
		{"mul negative overflow", Mul, min / 2, 3, 0, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.f(tt.a, tt.b)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("%s(%d, %d) = %d, %v; want %d, %v", tt.name, tt.a, tt.b, got, err, tt.want, tt.err)
			}
		})
	}
	if got, err := Sum(1, 2, 3); got != 6 || err != nil {
		t.Errorf("Sum(1, 2, 3) = %d, %v", got, err)
	}
	if _, err := Sum(max, 1, -5); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum(max, 1, -5) error = %v, want ErrOverflow (partial sums are checked)", err)
	}
}

func TestRound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		scale int
		want  int64
	}{
		{"0.125", 2, 12}, // half to even: down to 2
		{"0.135", 2, 14}, // half to even: up to 4
		{"0.145", 2, 14},
		{"0.1251", 2, 13}, // not a half
		{"0.124999", 2, 12},
		{"2.5275", 2, 253},
		{"1.265", 2, 126},
		{"0.0025", 2, 0},
		{"0.005", 2, 0},
		{"0.015", 2, 2},
		{"2.5", 0, 2},
		{"3.5", 0, 4},
		{"-0.125", 2, -12},
		{"-0.135", 2, -14},
		{"0.0005", 3, 0},
		{"0.0015", 3, 2},
		{"100", 2, 10000},
		{"81.2525", 2, 8125},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Round(decimal.MustParse(tt.in), tt.scale)
			if err != nil || got != tt.want {
				t.Errorf("Round(%s, %d) = %d, %v; want %d", tt.in, tt.scale, got, err, tt.want)
			}
		})
	}
	if _, err := Round(decimal.MustParse("99999999999999999.99"), 2); !errors.Is(err, ErrOverflow) {
		t.Errorf("Round of a too large value: error = %v, want ErrOverflow", err)
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		units     int64
		scale     int
		share     string
		part      int64
		rest      int64
		wantError bool
	}{
		{500, 2, "0.5", 250, 250, false}, // 5.00 USD → 2.50 net, 2.50 commission
		{253, 2, "0.5", 126, 127, false}, // 2.53 → 1.265 → 1.26 net, 1.27 to the platform
		{25, 2, "0.5", 12, 13, false},    // 0.25 → 0.125 → 0.12, 0.13 to the platform
		{27, 2, "0.5", 14, 13, false},    // 0.27 → 0.135 → 0.14
		{10000, 2, "0.5", 5000, 5000, false},
		{1, 2, "0.5", 0, 1, false},
		{999, 2, "0.3", 300, 699, false}, // 299.7 → 300
		{100, 2, "1", 100, 0, false},
		{100, 2, "0", 0, 100, false},
		{0, 2, "0.5", 0, 0, false},
		{math.MaxInt64, 0, "0.5", 4611686018427387904, 4611686018427387903, false},
		{100, 2, "1.01", 0, 0, true},
		{100, 2, "-0.1", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(Format(tt.units, tt.scale)+"×"+tt.share, func(t *testing.T) {
			t.Parallel()
			part, rest, err := Split(tt.units, tt.scale, decimal.MustParse(tt.share))
			if tt.wantError {
				if err == nil {
					t.Fatalf("Split(%d, %s) = %d, %d; want an error", tt.units, tt.share, part, rest)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([2]int64{tt.part, tt.rest}, [2]int64{part, rest}); diff != "" {
				t.Errorf("Split(%d, %s) mismatch (-want +got):\n%s", tt.units, tt.share, diff)
			}
			if sum, err := Add(part, rest); err != nil || sum != tt.units {
				t.Errorf("part + rest = %d, %v; want %d", sum, err, tt.units)
			}
		})
	}
}

func TestSplitAlwaysSums(t *testing.T) {
	t.Parallel()
	shares := []string{"0", "0.5", "0.333", "0.7", "0.123456789", "1"}
	for units := int64(0); units < 2000; units += 7 {
		for _, s := range shares {
			part, rest, err := Split(units, 2, decimal.MustParse(s))
			if err != nil {
				t.Fatal(err)
			}
			if part+rest != units || part < 0 || rest < 0 {
				t.Fatalf("Split(%d, %s) = %d + %d", units, s, part, rest)
			}
		}
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		units     int64
		fromScale int
		rate      string
		toScale   int
		want      int64
		err       error
	}{
		{1000000, 3, "0.005", 2, 500, nil}, // 1000 diamonds → 5.00 USD
		{505500, 3, "0.005", 2, 253, nil},  // 505.5 diamonds → 2.5275 → 2.53 USD
		{20000000, 3, "0.005", 2, 10000, nil},
		{100, 0, "0.5", 3, 50000, nil},  // 100 coins → 50 diamonds
		{1, 0, "0.5", 3, 500, nil},      // a Rose → 0.5 diamond
		{126, 2, "0.9286", 2, 117, nil}, // 1.26 USD → 1.17 EUR
		{500, 2, "151.37", 0, 757, nil}, // 5.00 USD → 756.85 → 757 JPY
		{math.MaxInt64, 0, "2", 0, 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := Convert(tt.units, tt.fromScale, decimal.MustParse(tt.rate), tt.toScale)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Convert(%d, %d, %s, %d) = %d, %v; want %d, %v", tt.units, tt.fromScale, tt.rate, tt.toScale, got, err, tt.want, tt.err)
		}
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	if got := Decimal(505500, 3).String(); got != "505.500" {
		t.Errorf("Decimal(505500, 3) = %s", got)
	}
	if got := Decimal(math.MinInt64, 0).String(); got != "-9223372036854775808" {
		t.Errorf("Decimal(MinInt64, 0) = %s", got)
	}
}
