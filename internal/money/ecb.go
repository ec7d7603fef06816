package money

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"
)

// ECBScale is the number of decimal places of the USD-based rates ParseECB
// derives from the ECB's EUR-based ones.
const ECBScale = 6

// ecbDoc is the shape of the ECB reference-rates files
// (eurofxref-daily.xml, and the history files eurofxref-hist-90d.xml):
//
//	<gesmes:Envelope …>
//	  <Cube>
//	    <Cube time="2025-03-14">
//	      <Cube currency="USD" rate="1.0882"/> …
//
// Rates are units of the currency per 1 EUR.
type ecbDoc struct {
	XMLName xml.Name `xml:"http://www.gesmes.org/xml/2002-08-01 Envelope"`
	Cube    struct {
		Days []struct {
			Time  *string `xml:"time,attr"`
			Rates []struct {
				Currency string `xml:"currency,attr"`
				Rate     string `xml:"rate,attr"`
			} `xml:"Cube"`
		} `xml:"Cube"`
	} `xml:"Cube"`
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// ParseECB reads the European Central Bank's euro foreign exchange reference
// rates (the XML of eurofxref-daily.xml) and returns them as rows of a USD
// table — units of each currency per 1 USD — with Source set to source and
// Date to the day of the rates (the Cube's time). A file of several days (the
// ECB's 90-day history) gives one row per currency per day.
//
// The ECB quotes every currency per 1 EUR; ParseECB derives the USD-based
// rates exactly in decimal and rounds them, half to even, to ECBScale (6)
// decimal places:
//
//	rate(C per USD) = rate(C per EUR) ÷ rate(USD per EUR)
//	rate(EUR per USD) = 1 ÷ rate(USD per EUR)
//
// USD itself is left out (it is the base), and so are currencies glint does
// not know (IsCurrency); rows are sorted by date, then currency.
//
// Errors, each prefixed "ecb: ": malformed XML or a document that is not an
// ECB envelope; a document with no day; a day with no time, a time that is
// not a YYYY-MM-DD date, or a day listed twice; a day without USD; a
// currency code that is not three capital letters, a currency listed twice
// in a day, or EUR quoted; a rate that is not a plain positive decimal
// string, or whose USD-based rate rounds to zero or is too large.
func ParseECB(r io.Reader, source string) ([]RateInfo, error) {
	var doc ecbDoc
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("ecb: malformed reference-rates XML: %w", err)
	}
	if len(doc.Cube.Days) == 0 {
		return nil, errors.New("ecb: the document lists no day of rates (no <Cube time=…>)")
	}
	var out []RateInfo
	seenDay := map[string]bool{}
	for _, day := range doc.Cube.Days {
		if day.Time == nil {
			return nil, errors.New("ecb: a <Cube> of rates has no time attribute")
		}
		date := *day.Time
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, fmt.Errorf("ecb: time: want a YYYY-MM-DD date, got %q", date)
		}
		if seenDay[date] {
			return nil, fmt.Errorf("ecb: %s: the day is listed twice", date)
		}
		seenDay[date] = true

		perEUR := map[string]decimal.Decimal{}
		for _, c := range day.Rates {
			if !currencyCode.MatchString(c.Currency) {
				return nil, fmt.Errorf("ecb: %s: currency: want a three-letter code in capitals, got %q", date, c.Currency)
			}
			if _, dup := perEUR[c.Currency]; dup {
				return nil, fmt.Errorf("ecb: %s: %s is listed twice", date, c.Currency)
			}
			d, err := parseRate(c.Rate)
			if err != nil {
				return nil, fmt.Errorf("ecb: %s: %s: rate: %w", date, c.Currency, err)
			}
			perEUR[c.Currency] = d
		}
		usd, ok := perEUR["USD"]
		if !ok {
			return nil, fmt.Errorf("ecb: %s: no USD rate, so no rate can be derived per 1 USD", date)
		}
		if _, ok := perEUR["EUR"]; ok {
			return nil, fmt.Errorf("ecb: %s: EUR is the base of the ECB's rates, not a quoted currency", date)
		}
		perEUR["EUR"] = decimal.One // EUR per USD is then 1 ÷ rate(USD per EUR)
		for _, code := range slices.Sorted(maps.Keys(perEUR)) {
			if code == "USD" || !IsCurrency(code) {
				continue
			}
			rate, err := quoRound(perEUR[code], usd, ECBScale)
			if err != nil {
				return nil, fmt.Errorf("ecb: %s: %s: %w", date, code, err)
			}
			if !rate.IsPos() {
				return nil, fmt.Errorf("ecb: %s: %s: %s per EUR ÷ %s USD per EUR rounds to zero at %d decimal places", date, code, perEUR[code], usd, ECBScale)
			}
			out = append(out, RateInfo{Currency: Asset(code), Rate: rate, Date: date, Source: source})
		}
	}
	slices.SortFunc(out, func(a, b RateInfo) int {
		if c := strings.Compare(a.Date, b.Date); c != 0 {
			return c
		}
		return strings.Compare(string(a.Currency), string(b.Currency))
	})
	return out, nil
}

// quoRound returns a ÷ b, both positive, rounded half to even to scale
// decimal places, computed exactly (in integers, so that the quotient is
// rounded once).
func quoRound(a, b decimal.Decimal, scale int) (decimal.Decimal, error) {
	// a = ca / 10^sa and b = cb / 10^sb, so
	// a ÷ b × 10^scale = ca × 10^(sb+scale) ÷ (cb × 10^sa).
	num := new(big.Int).SetUint64(a.Coef())
	num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(b.Scale()+scale)), nil))
	den := new(big.Int).SetUint64(b.Coef())
	den.Mul(den, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(a.Scale())), nil))
	if den.Sign() == 0 {
		return decimal.Decimal{}, errors.New("division by zero")
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	// Round half to even: compare twice the remainder with the divisor.
	switch c := new(big.Int).Lsh(r, 1).Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return decimal.Decimal{}, fmt.Errorf("%s ÷ %s does not fit a decimal of %d places", a, b, scale)
	}
	d, err := decimal.New(q.Int64(), scale)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%s ÷ %s: %w", a, b, err)
	}
	return d, nil
}

// ParseRate reads an FX rate written as a plain positive decimal string
// ("0.9286"), exactly as ParseRates reads the rates of a table file. Errors:
// anything else (a sign, an exponent, spaces, a comma), zero, or more digits
// than a decimal keeps exactly (19).
func ParseRate(s string) (decimal.Decimal, error) { return parseRate(s) }
