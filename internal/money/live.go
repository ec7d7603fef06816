package money

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/govalues/decimal"
)

// RateInfo is one row of an FX table: how many units of Currency one unit of
// the table's base buys, and when and where that rate was taken.
type RateInfo struct {
	Currency Asset
	Rate     decimal.Decimal
	Date     string // "2006-01-02"
	Source   string
}

// NewRates builds a table from rows against base (base itself may be listed
// with rate 1, or left out). Date and Source of the table are those of the
// newest row. Errors: an unknown currency, a rate that is not positive, a
// base rate other than 1, a currency listed twice.
func NewRates(base Asset, rows []RateInfo) (*Rates, error) {
	if !IsCurrency(string(base)) {
		return nil, fmt.Errorf("fx: base: unknown currency %q", base)
	}
	r := &Rates{Base: base, rates: map[Asset]decimal.Decimal{base: decimal.One}, info: map[Asset]RateInfo{}}
	for _, row := range rows {
		if !IsCurrency(string(row.Currency)) {
			return nil, fmt.Errorf("fx: unknown currency %q", row.Currency)
		}
		if !row.Rate.IsPos() {
			return nil, fmt.Errorf("fx: %s: rate must be greater than zero, got %s", row.Currency, row.Rate)
		}
		if row.Currency == base && !row.Rate.IsOne() {
			return nil, fmt.Errorf("fx: %s: the base currency's rate must be 1, got %s", row.Currency, row.Rate)
		}
		if _, dup := r.info[row.Currency]; dup {
			return nil, fmt.Errorf("fx: %s listed twice", row.Currency)
		}
		r.rates[row.Currency] = row.Rate
		r.info[row.Currency] = row
		if row.Date > r.Date {
			r.Date, r.Source = row.Date, row.Source
		}
	}
	return r, nil
}

// Info returns the row of a currency: its rate against Base and the date and
// source of that rate (the table's own when the row carries none). Errors:
// ErrUnknownRate.
func (r *Rates) Info(c Asset) (RateInfo, error) {
	d, ok := r.rates[c]
	if !ok {
		return RateInfo{}, fmt.Errorf("%w for %s in the FX table of %s", ErrUnknownRate, c, r.Date)
	}
	info, ok := r.info[c]
	if !ok {
		info = RateInfo{Currency: c, Rate: d}
	}
	if info.Date == "" {
		info.Date = r.Date
	}
	if info.Source == "" {
		info.Source = r.Source
	}
	return info, nil
}

// Rows lists every currency of the table but Base, sorted, with Info's data.
func (r *Rates) Rows() []RateInfo {
	out := make([]RateInfo, 0, len(r.rates))
	for _, c := range r.Currencies() {
		if c == r.Base {
			continue
		}
		info, _ := r.Info(c)
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b RateInfo) int {
		switch {
		case a.Currency < b.Currency:
			return -1
		case a.Currency > b.Currency:
			return 1
		}
		return 0
	})
	return out
}

// Live is the FX table in force, replaced as a whole when rates change (an
// import, an admin edit). Readers take a snapshot with Load and use it for
// one computation, so a quote never mixes two tables. Safe for concurrent use.
type Live struct{ p atomic.Pointer[Rates] }

// NewLive returns a Live holding r.
func NewLive(r *Rates) *Live {
	l := &Live{}
	l.p.Store(r)
	return l
}

// Load returns the table in force.
func (l *Live) Load() *Rates { return l.p.Load() }

// Store puts r in force. Errors: a nil table.
func (l *Live) Store(r *Rates) error {
	if r == nil {
		return errors.New("fx: nil table")
	}
	l.p.Store(r)
	return nil
}
