package money

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/pelletier/go-toml/v2"
)

//go:embed fx_rates.toml
var ratesFile []byte

// ErrUnknownRate is returned by Rates.Rate and Rates.Convert for a currency
// the FX table has no rate for. Test with errors.Is.
var ErrUnknownRate = errors.New("no FX rate")

// Rates is a dated FX table: for each currency, how many units of it one unit
// of Base buys. Every rate is an exact decimal taken from the table as
// written; a rate between two other currencies (a cross rate) is computed
// through Base.
//
// A Rates is immutable once parsed and safe for concurrent use.
type Rates struct {
	// Date is the day the rates were taken, "2006-01-02".
	Date string
	// Base is the currency every rate is quoted against (1 Base = rate units).
	Base Asset
	// Source says where the rates come from, free text; may be empty.
	Source string

	rates map[Asset]decimal.Decimal // includes Base = 1
	info  map[Asset]RateInfo        // per-currency date and source, when known
}

// ratesDoc is the TOML shape of an FX table file.
type ratesDoc struct {
	Date   string            `toml:"date"`
	Base   string            `toml:"base"`
	Source string            `toml:"source"`
	Rates  map[string]string `toml:"rates"`
}

// DefaultRates returns the FX table embedded in the binary (fx_rates.toml).
// It panics if the embedded table is invalid, which the tests rule out.
func DefaultRates() *Rates {
	r, err := ParseRates(ratesFile)
	if err != nil {
		panic(fmt.Sprintf("money: embedded FX table is invalid: %v", err))
	}
	return r
}

// DefaultRatesFile returns the embedded FX table file exactly as shipped,
// comments included: a template for a table of one's own.
func DefaultRatesFile() []byte { return bytes.Clone(ratesFile) }

// LoadRates reads and validates an FX table file; see ParseRates. Errors are
// prefixed with the path.
func LoadRates(path string) (*Rates, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fx: %w", err)
	}
	r, err := ParseRates(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ParseRates decodes and validates an FX table:
//
//	date = "2026-11-30"   # required, YYYY-MM-DD
//	base = "USD"          # required, a known currency
//	source = "…"          # optional
//	[rates]
//	EUR = "0.9286"        # units of EUR per 1 USD, a decimal string
//
// It is strict: an unknown key, an unknown or lower-case currency code, a rate
// that is not a plain positive decimal string (no sign, exponent or float), a
// base rate other than 1, a malformed date, or no rate but the base's is an
// error naming the key.
func ParseRates(b []byte) (*Rates, error) {
	var doc ratesDoc
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		var sme *toml.StrictMissingError
		if errors.As(err, &sme) && len(sme.Errors) > 0 {
			row, _ := sme.Errors[0].Position()
			return nil, fmt.Errorf("fx: line %d: %s: unknown field", row, strings.Join(sme.Errors[0].Key(), "."))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, fmt.Errorf("fx: line %d: %s", row, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("fx: %w", err)
	}
	if doc.Date == "" {
		return nil, errors.New("fx: date: must be set (YYYY-MM-DD)")
	}
	if _, err := time.Parse(time.DateOnly, doc.Date); err != nil {
		return nil, fmt.Errorf("fx: date: want YYYY-MM-DD, got %q", doc.Date)
	}
	if !IsCurrency(doc.Base) {
		return nil, fmt.Errorf("fx: base: unknown ISO 4217 currency %q (write it in capitals)", doc.Base)
	}
	if len(doc.Rates) == 0 {
		return nil, errors.New("fx: rates: the table lists no rate")
	}
	r := &Rates{
		Date:   doc.Date,
		Base:   Asset(doc.Base),
		Source: doc.Source,
		rates:  make(map[Asset]decimal.Decimal, len(doc.Rates)+1),
	}
	r.rates[r.Base] = decimal.One
	for _, code := range slices.Sorted(maps.Keys(doc.Rates)) {
		s := doc.Rates[code]
		field := "rates." + code
		if !IsCurrency(code) {
			return nil, fmt.Errorf("fx: %s: unknown ISO 4217 currency %q (write it in capitals)", field, code)
		}
		d, err := parseRate(s)
		if err != nil {
			return nil, fmt.Errorf("fx: %s: %w", field, err)
		}
		if Asset(code) == r.Base && !d.IsOne() {
			return nil, fmt.Errorf("fx: %s: the base currency's rate must be 1, got %s", field, s)
		}
		r.rates[Asset(code)] = d
	}
	if len(r.rates) == 1 {
		return nil, fmt.Errorf("fx: rates: the table lists no rate but the base's (%s)", r.Base)
	}
	return r, nil
}

// parseRate reads a plain positive decimal ("0.9286") exactly.
func parseRate(s string) (decimal.Decimal, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	ok := intPart != "" && (!hasDot || frac != "")
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			ok = false
		}
	}
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("want a decimal string such as \"0.9286\", got %q", s)
	}
	d, err := decimal.Parse(s)
	if err != nil || d.Scale() != len(frac) {
		// decimal.Parse rounds beyond 19 digits; a rate must be exact.
		return decimal.Decimal{}, fmt.Errorf("%q has more digits than can be kept exactly (19 at most)", s)
	}
	if !d.IsPos() {
		return decimal.Decimal{}, fmt.Errorf("must be greater than zero, got %q", s)
	}
	return d, nil
}

// Currencies lists the currencies of the table, Base included, sorted.
func (r *Rates) Currencies() []Asset {
	out := make([]Asset, 0, len(r.rates))
	for c := range r.rates {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the table has a rate for the currency.
func (r *Rates) Has(c Asset) bool {
	_, ok := r.rates[c]
	return ok
}

// Rate returns how many units of to one unit of from buys. A rate against
// Base is the table's number exactly; a cross rate is rate(to) ÷ rate(from),
// exact when the quotient terminates and otherwise rounded half to even to
// 19 significant digits. It returns an error wrapping ErrUnknownRate when
// either currency is missing from the table.
func (r *Rates) Rate(from, to Asset) (decimal.Decimal, error) {
	f, ok := r.rates[from]
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("%w for %s in the FX table of %s", ErrUnknownRate, from, r.Date)
	}
	t, ok := r.rates[to]
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("%w for %s in the FX table of %s", ErrUnknownRate, to, r.Date)
	}
	if from == to {
		return decimal.One, nil
	}
	q, err := t.Quo(f)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("fx: %s→%s: %w", from, to, err)
	}
	return q.Trim(0), nil
}

// Convert converts units (minor units of from) to minor units of to:
// units × rate(to) ÷ rate(from), with the table's rates against Base, rounded
// with Round (half to even) to the minor unit of to. Multiplying before
// dividing keeps the result exact to 19 significant digits before the one
// rounding, whatever the size of the amount; converting to Base is simply
// units ÷ the table's rate. It also returns Rate(from, to), to show.
// Errors: ErrUnknownRate or ErrUnknownAsset for a currency it does not know,
// ErrOverflow when the result does not fit int64.
func (r *Rates) Convert(units int64, from, to Asset) (int64, decimal.Decimal, error) {
	fromScale, err := Scale(from)
	if err != nil {
		return 0, decimal.Decimal{}, err
	}
	toScale, err := Scale(to)
	if err != nil {
		return 0, decimal.Decimal{}, err
	}
	rate, err := r.Rate(from, to)
	if err != nil {
		return 0, decimal.Decimal{}, err
	}
	overflow := func(err error) error {
		return fmt.Errorf("fx: converting %s %s to %s: %w: %v", Format(units, fromScale), from, to, ErrOverflow, err)
	}
	p, err := Decimal(units, fromScale).Mul(r.rates[to])
	if err != nil {
		return 0, decimal.Decimal{}, overflow(err)
	}
	if p, err = p.Quo(r.rates[from]); err != nil {
		return 0, decimal.Decimal{}, overflow(err)
	}
	out, err := Round(p, toScale)
	if err != nil {
		return 0, decimal.Decimal{}, overflow(err)
	}
	return out, rate, nil
}
