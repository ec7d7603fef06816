package money

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is one of the
// documented ones, and that a parsed amount survives Format and Parse again.
// The seed corpus runs with every `go test`; `go test -fuzz=FuzzParse
// ./internal/money/` explores further.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0", "0.5", "505.5", "1000.250", "2.50", "-1", "-0", "+1", "1e3", "١٢",
		"99999999999999999999", "9223372036854775807", "9223372036854775.808",
		" 1", "1 ", "1.", ".5", "", ".", "1..2", "0x1F", "1_000", "1,5", "٫5",
		"00000000000000000000000000001", "0.000", "\x00", "1\n",
	} {
		for _, scale := range []int{0, 2, 3} {
			f.Add(s, scale)
		}
	}
	f.Fuzz(func(t *testing.T, s string, scale int) {
		if scale < 0 || scale > 18 {
			scale = (scale%19 + 19) % 19
		}
		v, err := Parse(s, scale)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNegative) &&
				!errors.Is(err, ErrPrecision) && !errors.Is(err, ErrOverflow) {
				t.Fatalf("Parse(%q, %d): undocumented error %v", s, scale, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("Parse(%q, %d) = %d, negative", s, scale, v)
		}
		for _, out := range []string{Format(v, scale), FormatTrim(v, scale)} {
			back, err := Parse(out, scale)
			if err != nil || back != v {
				t.Fatalf("Parse(%q, %d) = %d; Parse(%q) = %d, %v", s, scale, v, out, back, err)
			}
		}
		if d := Decimal(v, scale); d.Sign() < 0 {
			t.Fatalf("Decimal(%d, %d) = %s", v, scale, d)
		}
	})
}
