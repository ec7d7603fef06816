package cashout

import (
	"context"

	"github.com/glint-economy/glint/internal/money"
)

// Payout method kinds.
const (
	MethodPayPal = "paypal"
	MethodBank   = "bank"
)

// Method is where a creator's money goes. Only the fields of its Kind are
// set. The full details are stored and given to the payout provider; they
// are shown only masked (Masked) and never logged.
type Method struct {
	Kind          string `json:"kind"`
	PayPalEmail   string `json:"paypal_email,omitempty"`
	HolderName    string `json:"holder_name,omitempty"`
	IBAN          string `json:"iban,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	RoutingNumber string `json:"routing_number,omitempty"`
}

// Payout is what a provider is asked to pay: one withdrawal's net amount, in
// the payout currency, to the creator's method.
type Payout struct {
	WithdrawalID string
	UserID       string
	Method       Method
	Amount       int64 // minor units of Currency
	Currency     money.Asset
	Note         string
}

// Payout statuses, as providers report them.
const (
	PayoutPaid       = "paid"       // the money reached the creator: the hold is posted
	PayoutProcessing = "processing" // accepted by the provider; news comes later
	PayoutUnclaimed  = "unclaimed"  // waiting for the receiver to claim it; the hold stays
	PayoutFailed     = "failed"     // refused: the hold is voided, diamonds go back
	PayoutReturned   = "returned"   // paid back to the platform: the hold is voided
)

// PayoutResult is a provider's answer to Pay.
type PayoutResult struct {
	Status      string // one of the Payout statuses
	ProviderRef string // the provider's id for the payout (batch or item id)
	Reason      string // why, when failed or returned
}

// Provider pays withdrawals. Pay must be idempotent on Payout.WithdrawalID:
// calling it again for the same withdrawal never pays twice and reports the
// first call's outcome. An error means "not known to be done, try again
// later" (the payout job retries with backoff); a definitive refusal is a
// PayoutResult with Status PayoutFailed.
type Provider interface {
	Name() string
	Pay(ctx context.Context, p Payout) (PayoutResult, error)
}

// Update is a provider's news about one payout, from its webhook.
type Update struct {
	WithdrawalID string
	Status       string // one of the Payout statuses
	ProviderRef  string
	Reason       string
	EventID      string // the provider's event id, for deduplication
}

// WebhookProvider is a Provider that reports outcomes through webhooks.
// Webhook verifies a delivery (header reads one request header) and returns
// the updates it carries; an error means the delivery is not genuine or not
// understood and changes nothing.
type WebhookProvider interface {
	Provider
	Webhook(ctx context.Context, header func(string) string, body []byte) ([]Update, error)
}
