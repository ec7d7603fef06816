// Package money holds glint's assets and exact amounts.
//
// An amount is an int64 count of its asset's smallest unit: whole coins for
// COIN, thousandths for DIAMOND (milli-diamonds), and the ISO 4217 minor unit
// for a fiat currency (cents for USD, yen for JPY). Arithmetic on amounts is
// checked: an overflow is an error, never a wrap. Conversions that need
// fractions (FX, percentages, the diamond value) are done in
// github.com/govalues/decimal and come back to integers through one rounding
// rule, Round: banker's rounding (half to even) to the minor unit. Whoever
// splits an amount keeps the rounding remainder on the platform's side by
// computing the platform's share as the difference (see Split).
//
// float64 is never used for money.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/govalues/decimal"
)

// Asset names a unit of value: "COIN", "DIAMOND" or an ISO 4217 currency code.
type Asset string

// The two in-app assets.
const (
	Coin    Asset = "COIN"
	Diamond Asset = "DIAMOND"
)

// Errors returned by the parsing and arithmetic functions. They are wrapped
// with context; test with errors.Is.
var (
	ErrOverflow     = errors.New("amount out of range")
	ErrSyntax       = errors.New("not a decimal amount")
	ErrPrecision    = errors.New("more decimal places than the asset has")
	ErrNegative     = errors.New("amount is negative")
	ErrUnknownAsset = errors.New("unknown asset")
	ErrNotPositive  = errors.New("amount must be greater than zero")
)

// Scale returns the number of decimal places of the asset's smallest unit:
// 0 for COIN, 3 for DIAMOND and the ISO 4217 minor unit for a currency.
// It returns ErrUnknownAsset for anything else.
func Scale(a Asset) (int, error) {
	switch a {
	case Coin:
		return 0, nil
	case Diamond:
		return 3, nil
	}
	if s, ok := currencyScale[string(a)]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownAsset, string(a))
}

// IsCurrency reports whether code is a known ISO 4217 currency code
// (upper case, as written in the standard).
func IsCurrency(code string) bool {
	_, ok := currencyScale[code]
	return ok
}

// ParseCurrency normalises a currency code ("eur" → EUR) and checks that it is
// known. It returns an error wrapping ErrUnknownAsset otherwise.
func ParseCurrency(code string) (Asset, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if !IsCurrency(c) {
		return "", fmt.Errorf("%w: currency %q", ErrUnknownAsset, code)
	}
	return Asset(c), nil
}

// Add returns a+b or ErrOverflow.
func Add(a, b int64) (int64, error) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, ErrOverflow
	}
	return c, nil
}

// Sub returns a-b or ErrOverflow.
func Sub(a, b int64) (int64, error) {
	c := a - b
	if (c < a) != (b > 0) {
		return 0, ErrOverflow
	}
	return c, nil
}

// Mul returns a*b or ErrOverflow.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	c := a * b
	if (c < 0) != ((a < 0) != (b < 0)) || c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, ErrOverflow
	}
	return c, nil
}

// Sum adds all values, returning ErrOverflow if any partial sum overflows.
func Sum(values ...int64) (int64, error) {
	var total int64
	for _, v := range values {
		var err error
		if total, err = Add(total, v); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// Parse reads a non-negative decimal string ("12", "0.5", "1000.250") as a
// count of units at the given scale: Parse("0.5", 3) is 500. Only ASCII digits
// and one optional '.' are accepted: no sign, exponent, grouping or spaces.
// More fractional digits than scale is ErrPrecision (never a silent rounding);
// a value that does not fit int64 is ErrOverflow; anything else malformed is
// ErrSyntax.
func Parse(s string, scale int) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrSyntax)
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("%w: %q", ErrNegative, s)
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	for _, p := range []string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > scale {
		return 0, fmt.Errorf("%w: %q has %d decimal places, at most %d allowed", ErrPrecision, s, len(frac), scale)
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		var err error
		if v, err = Mul(v, 10); err != nil {
			return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
		}
		if v, err = Add(v, int64(intPart[i]-'0')); err != nil {
			return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
		}
	}
	for i := 0; i < scale; i++ {
		d := int64(0)
		if i < len(frac) {
			d = int64(frac[i] - '0')
		}
		var err error
		if v, err = Mul(v, 10); err != nil {
			return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
		}
		if v, err = Add(v, d); err != nil {
			return 0, fmt.Errorf("%w: %q", ErrOverflow, s)
		}
	}
	return v, nil
}

// ParseAsset is Parse at the asset's scale.
func ParseAsset(s string, a Asset) (int64, error) {
	scale, err := Scale(a)
	if err != nil {
		return 0, err
	}
	return Parse(s, scale)
}

// Format writes units at the given scale with exactly scale decimal places:
// Format(250, 2) is "2.50".
func Format(units int64, scale int) string {
	neg := units < 0
	var u uint64
	if neg {
		u = uint64(-(units + 1)) + 1
	} else {
		u = uint64(units)
	}
	digits := fmt.Sprintf("%0*d", scale+1, u)
	out := digits
	if scale > 0 {
		out = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// FormatTrim is Format without trailing fractional zeros: FormatTrim(500, 3)
// is "0.5" and FormatTrim(5000, 3) is "5". Diamonds are written this way.
func FormatTrim(units int64, scale int) string {
	s := Format(units, scale)
	if scale == 0 {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// FormatAsset writes an amount of the asset the way the API shows it:
// diamonds trimmed ("0.5"), coins as an integer, money with all its minor
// digits ("2.50").
func FormatAsset(units int64, a Asset) string {
	scale, err := Scale(a)
	if err != nil {
		return fmt.Sprintf("%d", units)
	}
	if a == Diamond {
		return FormatTrim(units, scale)
	}
	return Format(units, scale)
}

// Decimal returns units at scale as an exact decimal.
func Decimal(units int64, scale int) decimal.Decimal {
	d, err := decimal.New(units, scale)
	if err != nil {
		// decimal.New only fails for a scale outside [0, 19]; every asset's
		// scale is within it.
		panic(fmt.Sprintf("money: scale %d out of range", scale))
	}
	return d
}

// Round converts a decimal to units at scale with banker's rounding (half to
// even). It is the single rounding rule of glint. It returns ErrOverflow when
// the result does not fit int64.
func Round(d decimal.Decimal, scale int) (int64, error) {
	r := d.Round(scale)
	whole, frac, ok := r.Pad(scale).Int64(scale)
	if !ok {
		return 0, ErrOverflow
	}
	pow, err := pow10(scale)
	if err != nil {
		return 0, err
	}
	w, err := Mul(whole, pow)
	if err != nil {
		return 0, err
	}
	return Add(w, frac)
}

// Split divides units into a part = units × share (rounded with Round) and
// the rest = units − part, so the two always add up to units exactly. The
// caller gives the rest to the platform: this is how "remainder to the
// platform" is implemented. share must be within [0, 1].
func Split(units int64, scale int, share decimal.Decimal) (part, rest int64, err error) {
	if share.IsNeg() || share.Cmp(decimal.One) > 0 {
		return 0, 0, fmt.Errorf("money: share %s outside [0, 1]", share)
	}
	p, err := Decimal(units, scale).Mul(share)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrOverflow, err)
	}
	part, err = Round(p, scale)
	if err != nil {
		return 0, 0, err
	}
	rest, err = Sub(units, part)
	return part, rest, err
}

// Convert multiplies units of one scale by rate and rounds the result to
// another scale: the FX and price conversions of glint.
func Convert(units int64, fromScale int, rate decimal.Decimal, toScale int) (int64, error) {
	p, err := Decimal(units, fromScale).Mul(rate)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrOverflow, err)
	}
	return Round(p, toScale)
}

func pow10(n int) (int64, error) {
	v := int64(1)
	for i := 0; i < n; i++ {
		var err error
		if v, err = Mul(v, 10); err != nil {
			return 0, err
		}
	}
	return v, nil
}
