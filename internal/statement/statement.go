// Package statement renders a creator's yearly earnings statement, for tax,
// as CSV and as PDF. It formats what it is given and computes nothing about
// money: every figure is already an exact integer in minor units (fiat) or
// milli-diamonds, built by the cash-out service from the ledger.
package statement

import (
	"time"

	"github.com/glint-economy/glint/internal/money"
)

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
