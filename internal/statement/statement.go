package statement

import (
	"errors"
	"fmt"
	"time"

	"github.com/glint-economy/glint/internal/money"
	"github.com/govalues/decimal"
)

// ErrInvalid is wrapped by the error of Validate, and so of WriteCSV and
// WritePDF, when a Statement cannot be rendered as it is: an unknown
// currency, a missing generation time, a Total that is not the sum of the
// Months, a ThresholdReached that disagrees with the figures, or a rate that
// is not a decimal. Test with errors.Is.
var ErrInvalid = errors.New("invalid statement")

// Statement is one creator's year.
type Statement struct {
	Year        int
	Platform    string // the economy's name, e.g. "seed"
	GeneratedAt time.Time

	CreatorID   string
	DisplayName string
	Country     string // ISO 3166-1 alpha-2, may be empty

	Currency money.Asset // the diamond's currency (USD): every fiat figure below
	Months   [12]Month   // January … December
	Total    Month       // the sum of Months

	Payouts []Payout // withdrawals paid in the year, oldest first

	// The economy's rates in force, as written in the economy file.
	DiamondValue    string // "0.005" (Currency per diamond)
	Commission      string // "0.5"
	DiamondsPerCoin string // "0.5"

	// Threshold is the yearly gross that flags a creator for tax reporting
	// (minor units of Currency); ThresholdReached is Total.Gross >= Threshold.
	Threshold        int64
	ThresholdReached bool
}

// Month is one line of the statement (or the total).
type Month struct {
	Month      time.Month // 0 for the total
	Gifts      int64      // gifts received
	Diamonds   int64      // milli-diamonds received
	Gross      int64      // value of those diamonds, minor units of Statement.Currency
	Commission int64      // the platform's share of Gross
	Net        int64      // Gross - Commission
	Paid       int64      // net paid out in the month (withdrawals paid), minor units
}

// Payout is one withdrawal paid in the year.
type Payout struct {
	WithdrawalID string
	PaidAt       time.Time
	Diamonds     int64 // milli-diamonds
	Net          int64 // minor units of Statement.Currency
	Amount       int64 // minor units of Currency (what the creator received)
	Currency     money.Asset
	Method       string // masked, e.g. "PayPal j***@example.com"
}

// Validate reports whether s can be rendered: it returns nil, or an error
// wrapping ErrInvalid that names the first problem found. It recomputes
// nothing; it only checks that the figures agree with each other
// (Total = sum of Months, field by field, overflow checked;
// ThresholdReached = Total.Gross >= Threshold), that every currency is known
// to money.Scale, that GeneratedAt is set (the PDF's dates come from it) and
// that the three rates are decimals.
func (s *Statement) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil", ErrInvalid)
	}
	if s.Year < 1 || s.Year > 9999 {
		return fmt.Errorf("%w: year %d", ErrInvalid, s.Year)
	}
	if s.GeneratedAt.IsZero() {
		return fmt.Errorf("%w: generated_at is not set", ErrInvalid)
	}
	if _, err := money.Scale(s.Currency); err != nil {
		return fmt.Errorf("%w: currency: %v", ErrInvalid, err)
	}
	for _, r := range []struct{ name, value string }{
		{"diamond_value", s.DiamondValue},
		{"commission", s.Commission},
		{"diamonds_per_coin", s.DiamondsPerCoin},
	} {
		if _, err := decimal.Parse(r.value); err != nil {
			return fmt.Errorf("%w: %s %q is not a decimal", ErrInvalid, r.name, r.value)
		}
	}
	for i, m := range s.Months {
		if m.Month != 0 && m.Month != time.Month(i+1) {
			return fmt.Errorf("%w: months[%d] is %s", ErrInvalid, i, m.Month)
		}
	}
	for _, f := range []struct {
		name  string
		field func(Month) int64
	}{
		{"gifts", func(m Month) int64 { return m.Gifts }},
		{"diamonds", func(m Month) int64 { return m.Diamonds }},
		{"gross", func(m Month) int64 { return m.Gross }},
		{"commission", func(m Month) int64 { return m.Commission }},
		{"net", func(m Month) int64 { return m.Net }},
		{"paid", func(m Month) int64 { return m.Paid }},
	} {
		var values [12]int64
		for i, m := range s.Months {
			values[i] = f.field(m)
		}
		sum, err := money.Sum(values[:]...)
		if err != nil {
			return fmt.Errorf("%w: sum of monthly %s: %v", ErrInvalid, f.name, err)
		}
		if got := f.field(s.Total); got != sum {
			return fmt.Errorf("%w: total %s is %d, the months add up to %d", ErrInvalid, f.name, got, sum)
		}
	}
	if s.ThresholdReached != (s.Total.Gross >= s.Threshold) {
		return fmt.Errorf("%w: threshold_reached is %t with gross %d and threshold %d",
			ErrInvalid, s.ThresholdReached, s.Total.Gross, s.Threshold)
	}
	for i, p := range s.Payouts {
		if _, err := money.Scale(p.Currency); err != nil {
			return fmt.Errorf("%w: payouts[%d] (%s): %v", ErrInvalid, i, p.WithdrawalID, err)
		}
	}
	return nil
}
