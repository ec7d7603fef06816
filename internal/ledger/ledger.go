// Package ledger is glint's double-entry core.
//
// Every movement of value is a Transaction: a set of Postings, each moving a
// positive amount of one asset from one account to another. Balances are
// derived from postings and are never typed in. The invariants, checked by
// the storage engines as they write and by Verify on a whole database, are:
//
//  1. per asset, the balances of all accounts sum to zero;
//  2. every account's balance equals the sum of its postings;
//  3. only issuance and external accounts (see AllowsNegative) go below zero;
//  4. the journal is append-only — a correction is a reversal transaction;
//  5. a mutating request carries an idempotency key and applies at most once.
//
// Writes happen in batches (group commit): a Book collects the transactions of
// many requests in memory over one database transaction, sums the balance
// changes per account, and lets a failed request be undone without touching
// the others (Mark / Rollback). The storage engine then writes the whole Book
// at once and commits. The package imports only the standard library and
// glint's money package.
package ledger

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/money"
)

// AccountID names an account. User accounts are "user:<id>:<purpose>",
// system accounts "sys:<purpose>", the outside world "ext:<purpose>".
type AccountID string

// User account purposes.
const (
	PurposeCoins               = "coins"
	PurposeDiamondsPending     = "diamonds:pending"
	PurposeDiamondsAvailable   = "diamonds:available"
	PurposeDiamondsWithdrawing = "diamonds:withdrawing"
	// Receivables: what a user owes after a refund or chargeback took back
	// more than they still held. They go negative (AllowsNegative) and are
	// repaid by later purchases (coins) or earnings (diamonds).
	PurposeCoinsReceivable    = "coins:receivable"
	PurposeDiamondsReceivable = "diamonds:receivable"
)

// System accounts of the chart. Accounts whose name ends in ":issued" or
// starts with "ext:" may go negative; every other account may not.
const (
	CoinsIssued    AccountID = "sys:coins:issued"    // COIN: every coin sold comes from here
	CoinsSpent     AccountID = "sys:coins:spent"     // COIN: coins spent on gifts
	DiamondsIssued AccountID = "sys:diamonds:issued" // DIAMOND: every diamond earned comes from here
)

// UserAccount returns the account of a user for a purpose.
func UserAccount(userID, purpose string) AccountID {
	return AccountID("user:" + userID + ":" + purpose)
}

// CoinsOf is the coin wallet of a user.
func CoinsOf(userID string) AccountID { return UserAccount(userID, PurposeCoins) }

// ProviderCash is the money held for glint at a payment provider, in one currency.
func ProviderCash(provider string, cur money.Asset) AccountID {
	return AccountID("sys:cash:" + provider + ":" + string(cur))
}

// ProviderExternal is the outside world's side of money received through a
// payment provider; it goes negative as money comes in.
func ProviderExternal(provider string, cur money.Asset) AccountID {
	return AccountID("ext:" + provider + ":" + string(cur))
}

// AllowsNegative reports whether an account may have a negative balance:
// issuance accounts ("…:issued"), the outside world ("ext:…"), a user's
// receivables ("…:receivable", a debt after a chargeback), and money held
// at a payment provider ("sys:cash:…"), which nets chargeback fees against
// the platform's balance and may take it below zero. No other account may.
func AllowsNegative(id AccountID) bool {
	s := string(id)
	return strings.HasSuffix(s, ":issued") || strings.HasPrefix(s, "ext:") || strings.HasSuffix(s, ":receivable") || strings.HasPrefix(s, "sys:cash:")
}

// DisputeLosses are the fees a payment provider charged for chargebacks.
func DisputeLosses(cur money.Asset) AccountID { return AccountID("sys:losses:disputes:" + string(cur)) }

// Posting moves Amount units of Asset from one account to another.
type Posting struct {
	From   AccountID   `json:"from"`
	To     AccountID   `json:"to"`
	Asset  money.Asset `json:"asset"`
	Amount int64       `json:"amount"`
}

// Transaction is one atomic journal entry.
type Transaction struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // "purchase", "gift", …
	Ref  string `json:"ref"`  // the domain object it belongs to, e.g. a gift id
	// Actor and Counterparty are the users the transaction concerns (the
	// sender and the creator of a gift, the buyer of coins); they index a
	// user's history.
	Actor        string    `json:"actor,omitempty"`
	Counterparty string    `json:"counterparty,omitempty"`
	Postings     []Posting `json:"postings"`
	CreatedAt    time.Time `json:"created_at"`
}

// Errors of the ledger. Conditions are sentinels; errors with fields are types.
var (
	ErrInvalidTransaction  = errors.New("invalid transaction")
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
	ErrNotFound            = errors.New("not found")
)

// InsufficientFundsError is returned when a posting would take an account
// below zero.
type InsufficientFundsError struct {
	Account AccountID
	Asset   money.Asset
	Have    int64
	Need    int64
}

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("insufficient funds: %s has %s %s, needs %s %s",
		e.Account, money.FormatAsset(e.Have, e.Asset), e.Asset, money.FormatAsset(e.Need, e.Asset), e.Asset)
}

// Validate checks a transaction on its own: at least one posting, every
// amount positive, known assets, no posting from an account to itself, and
// an account used with one asset only. It returns an error wrapping
// ErrInvalidTransaction.
func Validate(t *Transaction) error {
	if t.Kind == "" {
		return fmt.Errorf("%w: no kind", ErrInvalidTransaction)
	}
	if len(t.Postings) == 0 {
		return fmt.Errorf("%w: no postings", ErrInvalidTransaction)
	}
	assets := map[AccountID]money.Asset{}
	for i, p := range t.Postings {
		if p.Amount <= 0 {
			return fmt.Errorf("%w: posting %d: amount %d is not positive", ErrInvalidTransaction, i, p.Amount)
		}
		if _, err := money.Scale(p.Asset); err != nil {
			return fmt.Errorf("%w: posting %d: %v", ErrInvalidTransaction, i, err)
		}
		if p.From == "" || p.To == "" || p.From == p.To {
			return fmt.Errorf("%w: posting %d: from %q to %q", ErrInvalidTransaction, i, p.From, p.To)
		}
		for _, a := range []AccountID{p.From, p.To} {
			if prev, ok := assets[a]; ok && prev != p.Asset {
				return fmt.Errorf("%w: account %s used with %s and %s", ErrInvalidTransaction, a, prev, p.Asset)
			}
			assets[a] = p.Asset
		}
	}
	return nil
}

// IdempotencyRecord is the stored outcome of a request made with an
// idempotency key: the same key and request hash returns Response; the same
// key with another hash is ErrIdempotencyConflict.
type IdempotencyRecord struct {
	Key       string // scoped by the caller, e.g. "<principal>:<key>"
	Hash      string // hash of the request
	Status    int    // the status code of the first answer
	Response  []byte // the body of the first answer
	CreatedAt time.Time
}

// Accounts of the cash-out. A paid withdrawal redeems its diamonds and books
// their value: the commission to revenue, the net through payouts payable to
// the outside world (the creator), through FX when paid in another currency.
const (
	DiamondsRedeemed  AccountID = "sys:diamonds:redeemed"  // DIAMOND: diamonds paid out
	DiamondsForfeited AccountID = "sys:diamonds:forfeited" // DIAMOND: diamonds of terminated accounts
)

// RedemptionIssued is where the money value of redeemed diamonds comes from
// (the platform's cost of creator payouts); it goes negative.
func RedemptionIssued(cur money.Asset) AccountID {
	return AccountID("sys:redemption:" + string(cur) + ":issued")
}

// CommissionRevenue is the platform's commission on cash-outs.
func CommissionRevenue(cur money.Asset) AccountID { return AccountID("sys:commission:" + string(cur)) }

// PayoutsPayable is the net money owed to creators in one currency.
func PayoutsPayable(cur money.Asset) AccountID {
	return AccountID("sys:payouts:payable:" + string(cur))
}

// PayoutsExternal is the outside world's side of money paid out through a
// payout provider: it grows as money leaves the platform for creators.
func PayoutsExternal(provider string, cur money.Asset) AccountID {
	return AccountID("ext:payouts:" + provider + ":" + string(cur))
}

// FXExternal is the foreign-exchange market's side of a conversion.
func FXExternal(cur money.Asset) AccountID { return AccountID("ext:fx:" + string(cur)) }
