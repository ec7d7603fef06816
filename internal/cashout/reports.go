package cashout

import (
	"context"
	"fmt"
	"time"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

// This file holds what the reports read from storage: a creator's earnings
// per period and the platform's books at a point in time. The use cases are
// in earnings.go (Earnings, BuildStatement) and report.go (Report).

// Intervals of an earnings breakdown. Buckets are in UTC: a day starts at
// 00:00, a week on Monday (ISO 8601), a month on its 1st.
const (
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// BucketStart returns the start of the bucket of interval that holds t, in
// UTC. It panics on an unknown interval, which the callers have validated.
func BucketStart(t time.Time, interval string) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch interval {
	case IntervalDay:
		return day
	case IntervalWeek:
		// time.Weekday counts from Sunday; ISO weeks start on Monday.
		back := (int(day.Weekday()) + 6) % 7
		return day.AddDate(0, 0, -back)
	case IntervalMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	panic(fmt.Sprintf("cashout: unknown interval %q", interval))
}

// nextBucket returns the start of the bucket after the one starting at start.
func nextBucket(start time.Time, interval string) time.Time {
	switch interval {
	case IntervalDay:
		return start.AddDate(0, 0, 1)
	case IntervalWeek:
		return start.AddDate(0, 0, 7)
	}
	return start.AddDate(0, 1, 0)
}

// EarningsBucket is what a creator received, and was paid, in one bucket.
type EarningsBucket struct {
	Start time.Time // the first instant of the bucket, UTC
	// Gifts counts the gifts received (gift sends, as stream totals count
	// them: ten Roses sent at once are one gift).
	Gifts int64
	Milli int64 // milli-diamonds received
	// PaidNet is the net (Withdrawal.NetUnits, minor units of the diamond's
	// currency) of the creator's withdrawals whose status is paid, by the
	// bucket of their PaidAt.
	PaidNet int64
}

// UserAccounts names the sum of every user account of one purpose in a
// Balance: "user:*:coins", "user:*:diamonds:pending" …
func UserAccounts(purpose string) string { return "user:*:" + purpose }

// Balance is the balance of one account ("sys:coins:issued"), or the sum of
// the balances of every user account of one purpose (UserAccounts), in one
// asset's smallest unit. Issuance accounts, and the outside world's side of
// money received (ext:<provider>:<CUR>), are negative; money paid out is
// posted to ext:payouts:<provider>:<CUR>, which is positive.
type Balance struct {
	Account string
	Asset   money.Asset
	Amount  int64
}

// WithdrawalGroup sums withdrawals: how many, their milli-diamonds, and
// their locked gross, commission and net (minor units of the diamond's
// currency).
type WithdrawalGroup struct {
	Status     string
	Count      int64
	Milli      int64
	Gross      int64
	Commission int64
	Net        int64
}

// LedgerFigures are the platform's books at one point in time, as storage
// reads them in one consistent snapshot.
type LedgerFigures struct {
	// At is the time the figures are of: the time asked, or the database's
	// clock when the current figures were asked for (a zero time).
	At time.Time
	// Current is set when the figures are of now: Journal holds every
	// posting, and Accounts is read in the same snapshot.
	Current bool
	// Journal is every balance as of At, summed from the postings of the
	// transactions created at or before At: user accounts summed per
	// purpose (UserAccounts), every other account on its own. Sorted by
	// Account, then Asset.
	Journal []Balance
	// Accounts is the same grouping of the accounts table (the balances the
	// writers maintain), when Current; nil otherwise.
	Accounts []Balance
	// Withdrawals groups the withdrawals created at or before At by their
	// status now — not their status at At: a withdrawal requested before
	// At and paid after it counts as paid. Sorted by Status.
	Withdrawals []WithdrawalGroup
	// Held sums the withdrawals whose diamonds were held at At (open then),
	// and Paid those that were paid at At and not yet returned; both are
	// derived from the status, PaidAt and UpdatedAt, so they match the
	// journal as of At whatever happened since. Their Status is "held" and
	// "paid".
	Held WithdrawalGroup
	Paid WithdrawalGroup
}

// Get returns the Journal balance of an account or user-account group in
// asset (0 when absent).
func (f *LedgerFigures) Get(account string, asset money.Asset) int64 {
	return find(f.Journal, account, asset)
}

func find(bs []Balance, account string, asset money.Asset) int64 {
	for _, b := range bs {
		if b.Account == account && b.Asset == asset {
			return b.Amount
		}
	}
	return 0
}

// ReportReader reads what the reports need from storage. Both engines
// implement it on their *DB.
type ReportReader interface {
	// EarningsBuckets returns, for the buckets of interval (IntervalDay,
	// IntervalWeek or IntervalMonth, UTC) that hold any, the gifts the
	// creator received from from (inclusive) to to (exclusive) and the net
	// of the creator's withdrawals paid in that range, ordered by Start.
	// Buckets with neither are left out. An unknown interval is an error.
	EarningsBuckets(ctx context.Context, creatorID string, from, to time.Time, interval string) ([]EarningsBucket, error)
	// Liabilities returns the books as of at; a zero at means now (see
	// LedgerFigures.Current).
	Liabilities(ctx context.Context, at time.Time) (LedgerFigures, error)
}

// value is what milli diamonds are worth under the economy's rules, in
// minor units of the diamond's currency: gross rounded half to even, net =
// gross × (1 − commission) rounded half to even, commission = gross − net.
// It is the arithmetic of economy.Calculate, without the explanation.
func value(econ *economy.Economy, milli int64) (gross, commission, net int64, err error) {
	scale, err := money.Scale(econ.Diamond.Currency)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("cashout: diamond currency: %w", err)
	}
	if gross, err = money.Convert(milli, 3, econ.Diamond.Value, scale); err != nil {
		return 0, 0, 0, fmt.Errorf("cashout: value of %s diamonds: %w", money.FormatAsset(milli, money.Diamond), err)
	}
	share, err := decimal.One.Sub(econ.Cashout.Commission)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("cashout: commission: %w", err)
	}
	if net, commission, err = money.Split(gross, scale, share); err != nil {
		return 0, 0, 0, fmt.Errorf("cashout: net of %s: %w", economy.NewAmount(gross, econ.Diamond.Currency), err)
	}
	return gross, commission, net, nil
}
