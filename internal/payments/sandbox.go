// Package payments holds the payment providers that sell coins: the sandbox
// now, Stripe, the App Store and Google Play later. Each implements
// gifting.PaymentProvider.
package payments

import (
	"context"

	"github.com/glint-economy/glint/internal/gifting"
)

// Sandbox is the payment provider for development and tests: every payment
// succeeds at once and no real money moves.
type Sandbox struct{}

var _ gifting.PaymentProvider = Sandbox{}

// Name returns "sandbox".
func (Sandbox) Name() string { return "sandbox" }

// Checkout completes at once.
func (Sandbox) Checkout(context.Context, *gifting.Purchase) (gifting.CheckoutResult, error) {
	return gifting.CheckoutResult{Completed: true}, nil
}
