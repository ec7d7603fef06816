package cashout

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/statement"
)

// Limits of an earnings range: a daily breakdown covers at most
// MaxDailyRange, a weekly or monthly one at most MaxRangeYears years.
const (
	MaxDailyRange = 366 * 24 * time.Hour
	MaxRangeYears = 10
)

// Breakdown is a creator's earnings over a range, per bucket and in total.
type Breakdown struct {
	UserID   string      `json:"user_id"`
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Interval string      `json:"interval" enum:"day,week,month"`
	Currency money.Asset `json:"currency" doc:"The diamond's currency, of every amount below"`
	// Buckets cover the range without gaps, from the bucket that holds From
	// to the one that holds the last instant before To; the first and last
	// count only what falls inside the range.
	Buckets []EarningsLine `json:"buckets"`
	Total   EarningsLine   `json:"total" doc:"The sum of the buckets, field by field"`
}

// EarningsLine is what a creator received in one bucket (or in total): the
// diamonds, valued under the economy's rules, and what was paid out.
type EarningsLine struct {
	Start      *time.Time     `json:"start,omitempty" doc:"The first instant of the bucket (UTC); absent on the total"`
	Gifts      int64          `json:"gifts" doc:"Gifts received (gift sends: ten Roses sent at once are one)"`
	Diamonds   string         `json:"diamonds"`
	Gross      economy.Amount `json:"gross" doc:"The diamonds' value, rounded half to even to the cent"`
	Commission economy.Amount `json:"commission" doc:"What the platform keeps on cash-out: gross − net"`
	Net        economy.Amount `json:"net" doc:"Gross × (1 − commission), rounded half to even"`
	Paid       economy.Amount `json:"paid" doc:"Net of the withdrawals paid in the bucket"`

	// The figures as integers: milli-diamonds and minor units.
	Milli           int64 `json:"-"`
	GrossUnits      int64 `json:"-"`
	CommissionUnits int64 `json:"-"`
	NetUnits        int64 `json:"-"`
	PaidUnits       int64 `json:"-"`
}

// Earnings returns what creatorID received from from (inclusive) to to
// (exclusive), per day, ISO week or month in UTC. Each bucket's diamonds are
// valued on their own (gross rounded to the minor unit, net, commission =
// gross − net), and the total is the sum of the buckets, as a statement's
// is. The creator is not looked up: an unknown one has no earnings.
// Errors: KindInvalid (field interval, from or to) for an unknown interval,
// a range that is empty or too long (more than MaxDailyRange by day, more
// than MaxRangeYears otherwise); storage errors as they come.
func Earnings(ctx context.Context, econ *economy.Economy, r ReportReader, creatorID string, from, to time.Time, interval string) (*Breakdown, error) {
	switch interval {
	case IntervalDay, IntervalWeek, IntervalMonth:
	default:
		return nil, gifting.InvalidField("interval", "interval must be day, week or month, got %q", interval)
	}
	if from.IsZero() {
		return nil, gifting.InvalidField("from", "from is required (RFC 3339)")
	}
	if to.IsZero() {
		return nil, gifting.InvalidField("to", "to is required (RFC 3339)")
	}
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return nil, gifting.InvalidField("to", "to (%s) must be after from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if interval == IntervalDay && to.Sub(from) > MaxDailyRange {
		return nil, gifting.InvalidField("to", "a daily breakdown covers at most 366 days; use interval=week or month")
	}
	if to.After(from.AddDate(MaxRangeYears, 0, 0)) {
		return nil, gifting.InvalidField("to", "the range covers at most %d years", MaxRangeYears)
	}
	buckets, err := r.EarningsBuckets(ctx, creatorID, from, to, interval)
	if err != nil {
		return nil, err
	}
	got := make(map[time.Time]EarningsBucket, len(buckets))
	for _, b := range buckets {
		got[b.Start.UTC()] = b
	}
	cur := econ.Diamond.Currency
	out := &Breakdown{UserID: creatorID, From: from, To: to, Interval: interval, Currency: cur, Buckets: []EarningsLine{}}
	var total EarningsLine
	for start := BucketStart(from, interval); start.Before(to); start = nextBucket(start, interval) {
		b := got[start]
		delete(got, start)
		line := EarningsLine{Gifts: b.Gifts, Milli: b.Milli, PaidUnits: b.PaidNet}
		if line.GrossUnits, line.CommissionUnits, line.NetUnits, err = value(econ, b.Milli); err != nil {
			return nil, err
		}
		s := start
		line.Start = &s
		out.Buckets = append(out.Buckets, line.format(cur))
		if total, err = total.add(line); err != nil {
			return nil, err
		}
	}
	if len(got) > 0 {
		return nil, fmt.Errorf("cashout: earnings of %s: storage returned %d bucket(s) outside the range or not on a %s boundary", creatorID, len(got), interval)
	}
	out.Total = total.format(cur)
	return out, nil
}

// add returns l + m, field by field, overflow checked.
func (l EarningsLine) add(m EarningsLine) (EarningsLine, error) {
	var err error
	for _, f := range []struct{ sum, v *int64 }{
		{&l.Gifts, &m.Gifts}, {&l.Milli, &m.Milli}, {&l.GrossUnits, &m.GrossUnits},
		{&l.CommissionUnits, &m.CommissionUnits}, {&l.NetUnits, &m.NetUnits}, {&l.PaidUnits, &m.PaidUnits},
	} {
		if *f.sum, err = money.Add(*f.sum, *f.v); err != nil {
			return l, fmt.Errorf("cashout: earnings total: %w", err)
		}
	}
	return l, nil
}

// format fills the display fields from the integers.
func (l EarningsLine) format(cur money.Asset) EarningsLine {
	l.Diamonds = money.FormatAsset(l.Milli, money.Diamond)
	l.Gross = economy.NewAmount(l.GrossUnits, cur)
	l.Commission = economy.NewAmount(l.CommissionUnits, cur)
	l.Net = economy.NewAmount(l.NetUnits, cur)
	l.Paid = economy.NewAmount(l.PaidUnits, cur)
	return l
}

// BuildStatement builds user's earnings statement for a calendar year (UTC),
// generated at now: per month the gifts and diamonds received (from
// EarningsBuckets by month), their gross value, commission and net under
// the economy's rules (each month valued on its own, as Earnings does), and
// the net paid out; every withdrawal of the user paid in the year (status
// paid, listed through withdrawals); the economy's rates; and the yearly
// reporting threshold. Total is the sum of the months, so the statement
// passes statement.Validate, which is checked before it is returned.
// Errors: KindInvalid (field year) outside 1970–9998; an error when the
// economy's tax threshold is not in the diamond's currency (the statement
// has one currency); storage errors as they come.
func BuildStatement(ctx context.Context, econ *economy.Economy, r ReportReader, withdrawals Reader, user *gifting.User, year int, now time.Time) (*statement.Statement, error) {
	if year < 1970 || year > 9998 {
		return nil, gifting.InvalidField("year", "year must be between 1970 and 9998, got %d", year)
	}
	cur := econ.Diamond.Currency
	threshold := econ.Tax.StatementThreshold
	if threshold.Currency != cur {
		return nil, fmt.Errorf("cashout: statement: the tax threshold is in %s, statements are in %s (the diamond's currency)", threshold.Currency, cur)
	}
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	s := &statement.Statement{
		Year: year, Platform: econ.Name, GeneratedAt: now.UTC(),
		CreatorID: user.ID, DisplayName: user.DisplayName, Country: user.Country,
		Currency:        cur,
		DiamondValue:    econ.Diamond.Value.String(),
		Commission:      econ.Cashout.Commission.String(),
		DiamondsPerCoin: econ.Gifting.DiamondsPerCoin.String(),
		Threshold:       threshold.Units,
		Payouts:         []statement.Payout{},
	}
	for i := range s.Months {
		s.Months[i].Month = time.Month(i + 1)
	}
	buckets, err := r.EarningsBuckets(ctx, user.ID, from, to, IntervalMonth)
	if err != nil {
		return nil, err
	}
	for _, b := range buckets {
		start := b.Start.UTC()
		if start.Year() != year || start.Day() != 1 {
			return nil, fmt.Errorf("cashout: statement of %s: storage returned the bucket %s outside %d", user.ID, start.Format(time.RFC3339), year)
		}
		m := &s.Months[start.Month()-1]
		m.Gifts, m.Diamonds = b.Gifts, b.Milli
		if m.Gross, m.Commission, m.Net, err = value(econ, b.Milli); err != nil {
			return nil, err
		}
	}
	paid, err := paidIn(ctx, withdrawals, user.ID, from, to)
	if err != nil {
		return nil, err
	}
	for _, w := range paid {
		m := &s.Months[w.PaidAt.UTC().Month()-1]
		if m.Paid, err = money.Add(m.Paid, w.NetUnits); err != nil {
			return nil, fmt.Errorf("cashout: statement of %s: %w", user.ID, err)
		}
		s.Payouts = append(s.Payouts, statement.Payout{
			WithdrawalID: w.ID, PaidAt: w.PaidAt.UTC(), Diamonds: w.Milli, Net: w.NetUnits,
			Amount: w.PayoutUnits, Currency: w.PayoutCurrency, Method: w.Method,
		})
	}
	for _, m := range s.Months {
		for _, f := range []struct{ sum, v *int64 }{
			{&s.Total.Gifts, &m.Gifts}, {&s.Total.Diamonds, &m.Diamonds}, {&s.Total.Gross, &m.Gross},
			{&s.Total.Commission, &m.Commission}, {&s.Total.Net, &m.Net}, {&s.Total.Paid, &m.Paid},
		} {
			if *f.sum, err = money.Add(*f.sum, *f.v); err != nil {
				return nil, fmt.Errorf("cashout: statement of %s: %w", user.ID, err)
			}
		}
	}
	s.ThresholdReached = s.Total.Gross >= s.Threshold
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("cashout: statement of %s: %w", user.ID, err)
	}
	return s, nil
}

// paidIn lists userID's withdrawals with status paid whose PaidAt falls in
// [from, to), oldest payment first. The store lists withdrawals by id
// (creation), not by payment, so every paid withdrawal of the user is read.
func paidIn(ctx context.Context, r Reader, userID string, from, to time.Time) ([]*Withdrawal, error) {
	const page = 200
	var out []*Withdrawal
	before := ""
	for {
		ws, err := r.Withdrawals(ctx, WithdrawalFilter{UserID: userID, Status: StatusPaid, Before: before, Limit: page})
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if w.PaidAt != nil && !w.PaidAt.Before(from) && w.PaidAt.Before(to) {
				out = append(out, w)
			}
		}
		if len(ws) < page {
			break
		}
		before = ws[len(ws)-1].ID
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].PaidAt.Equal(*out[j].PaidAt) {
			return out[i].PaidAt.Before(*out[j].PaidAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Statement builds userID's statement of year (see BuildStatement) with the
// service's economy, its reader for the withdrawals, and its clock for the
// generation time. Errors: KindNotFound (user), then those of BuildStatement.
func (s *Service) Statement(ctx context.Context, r ReportReader, userID string, year int) (*statement.Statement, error) {
	u, err := s.read.User(ctx, userID)
	if err != nil {
		return nil, gifting.AsNotFound(err, "user", userID)
	}
	return BuildStatement(ctx, s.econ, r, s.read, u, year, s.now())
}
