// Package cashout turns creators' diamonds into money: payout methods and
// identity status, withdrawal requests checked against every rule of the
// economy, the quote locked at request time (diamonds → gross → commission →
// net → FX → payout currency), the two-phase hold that resolves exactly once,
// and the payout providers behind one seam (Provider).
//
// Like gifting, it imports no net/http and no SQL driver: it writes through
// the single ledger writer (a Tx batch) and reads committed data through a
// Reader. Background work — paying a withdrawal, notifying the platform — is
// enqueued as a ledger.Job in the same batch as the write that asks for it.
package cashout

import (
	"context"
	"encoding/json"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Withdrawal statuses. A withdrawal is open (its diamonds are held) while
// requested, processing or unclaimed; paid posts the hold, failed, returned
// and cancelled void it. A paid withdrawal may still be returned by the
// provider: that reverses the payout and gives the diamonds back.
const (
	StatusRequested  = "requested"  // the hold is placed; waiting for the payout
	StatusProcessing = "processing" // submitted to the provider (or exported for manual payment)
	StatusUnclaimed  = "unclaimed"  // the provider waits for the receiver to claim it
	StatusPaid       = "paid"       // the money reached the creator
	StatusFailed     = "failed"     // the provider refused it; diamonds returned
	StatusReturned   = "returned"   // the money came back; diamonds returned
	StatusCancelled  = "cancelled"  // cancelled before payment; diamonds returned
)

// IsOpen reports whether a withdrawal in status still holds its diamonds.
func IsOpen(status string) bool {
	return status == StatusRequested || status == StatusProcessing || status == StatusUnclaimed
}

// counts reports whether a withdrawal in status counts against the
// frequency and the per-period maximum: every withdrawal but those that
// paid nothing (failed, returned, cancelled).
func counts(status string) bool {
	return IsOpen(status) || status == StatusPaid
}

// KYC statuses of a creator.
const (
	KYCNone     = "none"
	KYCPending  = "pending"
	KYCVerified = "verified"
	KYCRejected = "rejected"
)

// Withdrawal is a creator's request to cash out diamonds, with the quote
// locked when it was made.
type Withdrawal struct {
	ID          string          `json:"id"`
	UserID      string          `json:"user_id"`
	Status      string          `json:"status" enum:"requested,processing,unclaimed,paid,failed,returned,cancelled"`
	Diamonds    string          `json:"diamonds"`
	Method      string          `json:"method" doc:"The payout method, masked"`
	MethodKind  string          `json:"method_kind" enum:"paypal,bank"`
	Provider    string          `json:"provider" doc:"The payout provider that pays it: sandbox, manual or paypal"`
	Quote       WithdrawalQuote `json:"quote"`
	ProviderRef string          `json:"provider_ref,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	PaidAt      *time.Time      `json:"paid_at,omitempty"`

	// The quote's figures as integers, for the ledger and the reports.
	Milli          int64       `json:"-"` // milli-diamonds held
	GrossUnits     int64       `json:"-"` // minor units of the diamond currency
	CommissionUnit int64       `json:"-"`
	NetUnits       int64       `json:"-"`
	PayoutUnits    int64       `json:"-"` // minor units of PayoutCurrency
	PayoutCurrency money.Asset `json:"-"`
	// Details is the method as it was when the withdrawal was requested
	// (unmasked, for the provider); never served.
	Details Method `json:"-"`
}

// WithdrawalQuote is the breakdown of a withdrawal, locked at request time.
type WithdrawalQuote struct {
	Diamonds       string         `json:"diamonds"`
	DiamondValue   economy.Amount `json:"diamond_value" doc:"Gross value of one diamond"`
	Gross          economy.Amount `json:"gross"`
	CommissionRate string         `json:"commission_rate"`
	Commission     economy.Amount `json:"commission"`
	Net            economy.Amount `json:"net"`
	FX             *FXLock        `json:"fx,omitempty" doc:"The rate locked at request time, when paid in another currency"`
	Payout         economy.Amount `json:"payout" doc:"What the creator receives, in the payout currency"`
	Rounding       string         `json:"rounding"`
}

// FXLock is the exchange rate a withdrawal was quoted at.
type FXLock struct {
	From     money.Asset `json:"from"`
	To       money.Asset `json:"to"`
	Rate     string      `json:"rate" doc:"1 From = Rate To"`
	Date     string      `json:"date" doc:"The day of the rate"`
	Source   string      `json:"source"`
	LockedAt time.Time   `json:"locked_at"`
}

// roundingRule is the one rounding rule of glint, shown with every quote.
const roundingRule = "each step is exact, then rounded half to even to the minor unit of its currency; the commission is gross − net, so the rounding remainder goes to the platform"

// Profile is a creator's payout standing: methods on file and identity status.
type Profile struct {
	UserID    string    `json:"user_id"`
	Methods   []Method  `json:"-"` // at most one per kind
	Default   string    `json:"default_method,omitempty"`
	KYC       string    `json:"kyc_status" enum:"none,pending,verified,rejected"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Method returns the method of kind on file ("" for the default).
func (p *Profile) Method(kind string) (Method, bool) {
	if kind == "" {
		kind = p.Default
	}
	for _, m := range p.Methods {
		if m.Kind == kind {
			return m, true
		}
	}
	return Method{}, false
}

// Jobs enqueued by the cash-out.

// PayoutJob pays one withdrawal through its provider.
type PayoutJob struct {
	WithdrawalID string `json:"withdrawal_id"`
}

// Kind implements ledger.Job.
func (PayoutJob) Kind() string { return "payout" }

// NotifyJob delivers one event to the platform's webhook endpoint.
type NotifyJob struct {
	EventID   string          `json:"event_id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Kind implements ledger.Job.
func (NotifyJob) Kind() string { return "webhook" }

// Tx is a write batch as the cash-out sees it (see gifting.Tx).
type Tx interface {
	gifting.Tx
	Enqueue(job ledger.Job)
	Withdrawal(ctx context.Context, id string) (*Withdrawal, error) // ledger.ErrNotFound
	PutWithdrawal(ctx context.Context, w *Withdrawal) error
	// WithdrawalsSince lists a user's withdrawals created at or after
	// since, this batch's own included.
	WithdrawalsSince(ctx context.Context, userID string, since time.Time) ([]*Withdrawal, error)
	Profile(ctx context.Context, userID string) (*Profile, error) // ledger.ErrNotFound
	PutProfile(ctx context.Context, p *Profile) error
}

// WithdrawalFilter selects withdrawals, newest first.
type WithdrawalFilter struct {
	UserID   string
	Status   string
	Provider string
	Before   string // cursor: only withdrawals with a smaller id
	Limit    int
}

// Reader reads committed cash-out data.
type Reader interface {
	User(ctx context.Context, id string) (*gifting.User, error)
	Balances(ctx context.Context, ids []ledger.AccountID) (map[ledger.AccountID]int64, error)
	Withdrawal(ctx context.Context, id string) (*Withdrawal, error) // ledger.ErrNotFound
	Withdrawals(ctx context.Context, f WithdrawalFilter) ([]*Withdrawal, error)
	Profile(ctx context.Context, userID string) (*Profile, error) // ledger.ErrNotFound
	// NewAccountCoins is the coins a creator received in gifts at or after
	// since from accounts created at or after accountsSince.
	NewAccountCoins(ctx context.Context, creatorID string, since, accountsSince time.Time) (int64, error)
}

// WriteFunc submits an operation to the single ledger writer.
type WriteFunc func(ctx context.Context, op func(Tx) error) error

// MergeWithdrawals is the engines' WithdrawalsSince: the committed
// withdrawals (ids) and those the batch wrote (fresh), each once, loaded
// with get (which sees the batch's writes), created at or after since.
func MergeWithdrawals(ctx context.Context, ids, fresh []string, since time.Time, get func(context.Context, string) (*Withdrawal, error)) ([]*Withdrawal, error) {
	seen := map[string]bool{}
	var out []*Withdrawal
	for _, id := range append(ids[:len(ids):len(ids)], fresh...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		w, err := get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !w.CreatedAt.Before(since) {
			out = append(out, w)
		}
	}
	return out, nil
}
