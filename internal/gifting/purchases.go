package gifting

import (
	"context"
	"strings"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// PaymentProvider takes the viewer's money for a coin purchase. The sandbox
// provider completes at once; a card provider (Stripe) returns a checkout URL
// and completes later through its webhook.
type PaymentProvider interface {
	Name() string
	// Checkout starts the payment of p. p.ID is stable for one idempotency
	// key, so a provider can use it as its own idempotency key.
	Checkout(ctx context.Context, p *Purchase) (CheckoutResult, error)
}

// CheckoutResult is a provider's answer to Checkout.
type CheckoutResult struct {
	Completed   bool   // the money is captured: issue the coins now
	CheckoutURL string // where the viewer pays, when not completed
}

// Packages lists the coin packages of a channel and currency.
// Errors: KindInvalid (unknown channel), KindNotFound (no price book).
func (s *Service) Packages(channel, currency string) ([]economy.Package, error) {
	if channel != "web" && channel != "app" {
		return nil, InvalidField("channel", "channel must be \"web\" or \"app\"")
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, InvalidField("currency", "unknown currency %q", currency)
	}
	pb, ok := s.econ.PriceBook(channel, cur)
	if !ok {
		return nil, NotFound("price_book", channel+"/"+string(cur))
	}
	return pb.Packages(), nil
}

// PurchaseInput buys a coin package.
type PurchaseInput struct {
	UserID    string
	PackageID string
	Provider  string
}

// Purchase buys a coin package: with a provider that completes at once
// (sandbox), the fiat sale and the coin issuance are one ledger transaction.
// Errors: KindInvalid, KindNotFound (user, package), KindRule (user_not_active).
func (s *Service) Purchase(ctx context.Context, idem Idem, in PurchaseInput) (*Purchase, bool, error) {
	if err := CheckID("user_id", in.UserID); err != nil {
		return nil, false, err
	}
	pkg, ok := s.econ.FindPackage(strings.ToLower(in.PackageID))
	if !ok {
		return nil, false, NotFound("package", in.PackageID)
	}
	if in.Provider == "" {
		in.Provider = "sandbox"
	}
	prov, ok := s.provider[in.Provider]
	if !ok {
		return nil, false, InvalidField("provider", "unknown payment provider %q", in.Provider)
	}
	// The purchase id is derived from the idempotency key, so a retried
	// request names the same purchase at the provider.
	id := NewID("p_")
	if idem.Key != "" {
		id = "p_" + ledger.HashRequest([]byte(idem.Key))[:24]
	}
	p := &Purchase{
		ID: id, UserID: in.UserID, Provider: prov.Name(), PackageID: pkg.ID, Channel: pkg.Channel, Coins: pkg.Coins,
		Price: economy.NewAmount(pkg.Price, pkg.Currency), PriceUnits: pkg.Price, Status: PurchasePending,
	}
	if _, err := s.read.User(ctx, in.UserID); err != nil {
		return nil, false, AsNotFound(err, "user", in.UserID)
	}
	res, err := prov.Checkout(ctx, p)
	if err != nil {
		return nil, false, err
	}
	var out *Purchase
	var replay bool
	err = s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*Purchase, error) {
			u, err := tx.User(ctx, in.UserID)
			if err != nil {
				return nil, AsNotFound(err, "user", in.UserID)
			}
			if u.Status != UserActive {
				return nil, Rule("user_not_active", map[string]any{"user_id": u.ID, "status": u.Status}, "user %s is %s", u.ID, u.Status)
			}
			if !u.AgeVerified {
				return nil, Rule("not_age_verified", map[string]any{"user_id": u.ID}, "user %s is not age-verified: coins are sold to adults only", u.ID)
			}
			cp := *p
			cp.CreatedAt = tx.Now()
			cp.CheckoutURL = res.CheckoutURL
			if res.Completed {
				cp.Status = PurchaseCompleted
				if err := s.completeSale(ctx, tx, &cp, u); err != nil {
					return nil, err
				}
			}
			return &cp, tx.PutPurchase(ctx, &cp)
		})
		out, replay = r, rep
		return err
	})
	return out, replay, err
}

// saleTransaction is the ledger transaction of a completed purchase: the
// money received at the provider, and the coins issued to the buyer.
func saleTransaction(p *Purchase) ledger.Transaction {
	cur := p.Price.Currency
	return ledger.Transaction{Kind: "purchase", Ref: p.ID, Actor: p.UserID, Postings: []ledger.Posting{
		{From: ledger.ProviderExternal(p.Provider, cur), To: ledger.ProviderCash(p.Provider, cur), Asset: cur, Amount: p.PriceUnits},
		{From: ledger.CoinsIssued, To: ledger.CoinsOf(p.UserID), Asset: money.Coin, Amount: p.Coins},
	}}
}
