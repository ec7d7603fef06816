package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v82"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
)

// DefaultTolerance is how far a webhook's signature timestamp may be from
// the clock, either way, when Config.Tolerance is zero.
const DefaultTolerance = 300 * time.Second

// Metadata keys set on the Checkout Session and its PaymentIntent.
const (
	MetaPurchaseID = "purchase_id"
	MetaUserID     = "user_id"
	MetaPackageID  = "package_id"
	MetaCoins      = "coins"
)

// Config configures a Provider.
type Config struct {
	SecretKey      string   // API secret key, sk_live_… or sk_test_… (required)
	WebhookSecrets []string // endpoint signing secrets, whsec_…; several while one is rotated (at least one required)
	SuccessURL     string   // where Stripe sends the viewer after paying (required); may hold {CHECKOUT_SESSION_ID}
	CancelURL      string   // where Stripe sends the viewer who goes back; optional
	BackendURL     string   // Stripe's API (https://api.stripe.com) when empty; tests point it at an httptest server
	// HTTPClient makes the API calls; stripe-go's default client (80 s
	// timeout) when nil.
	HTTPClient *http.Client
	Now        func() time.Time // time.Now when nil; the clock of the webhook tolerance
	Tolerance  time.Duration    // DefaultTolerance when zero
}

// Provider is the Stripe payment provider. It is safe for concurrent use.
type Provider struct {
	client     *stripego.Client
	secrets    []string
	successURL string
	cancelURL  string
	now        func() time.Time
	tolerance  time.Duration
}

var _ gifting.PaymentProvider = (*Provider)(nil)

// New returns a Provider with its own stripe-go client (the package-global
// stripe.Key is never used). It returns an error when the secret key, every
// webhook secret or the success URL is missing, or the tolerance is negative.
func New(cfg Config) (*Provider, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: config: no secret key")
	}
	var secrets []string
	for _, s := range cfg.WebhookSecrets {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		return nil, errors.New("stripe: config: no webhook secret")
	}
	if cfg.SuccessURL == "" {
		return nil, errors.New("stripe: config: no success URL")
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("stripe: config: negative tolerance %s", cfg.Tolerance)
	}
	bc := &stripego.BackendConfig{
		HTTPClient:    cfg.HTTPClient,
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	if cfg.BackendURL != "" {
		bc.URL = stripego.String(cfg.BackendURL)
	}
	p := &Provider{
		client:     stripego.NewClient(cfg.SecretKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc))),
		secrets:    secrets,
		successURL: cfg.SuccessURL,
		cancelURL:  cfg.CancelURL,
		now:        cfg.Now,
		tolerance:  cfg.Tolerance,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.tolerance == 0 {
		p.tolerance = DefaultTolerance
	}
	return p, nil
}

// Name returns "stripe".
func (p *Provider) Name() string { return "stripe" }

// Checkout creates the Checkout Session of pu (see CheckoutSession) and
// answers Completed false with the session's URL: the coins are issued when
// the webhook reports KindPaid. Errors are CheckoutSession's.
func (p *Provider) Checkout(ctx context.Context, pu *gifting.Purchase) (gifting.CheckoutResult, error) {
	_, url, err := p.CheckoutSession(ctx, pu)
	if err != nil {
		return gifting.CheckoutResult{}, err
	}
	return gifting.CheckoutResult{CheckoutURL: url}, nil
}

// CheckoutSession creates a Checkout Session in payment mode for pu, with
// pu.ID as Stripe's idempotency key, and returns the session's id and URL.
// It returns an error, without calling Stripe, when pu lacks an id or user,
// its coins or price are not positive, or its currency is not one Stripe
// takes in glint's minor units; and an error wrapping *stripe.Error (from
// stripe-go) when Stripe refuses the request, or the transport's error.
func (p *Provider) CheckoutSession(ctx context.Context, pu *gifting.Purchase) (id, url string, err error) {
	params, err := p.sessionParams(pu)
	if err != nil {
		return "", "", err
	}
	s, err := p.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", "", fmt.Errorf("stripe: create checkout session for purchase %s: %w", pu.ID, err)
	}
	if s.ID == "" || s.URL == "" {
		return "", "", fmt.Errorf("stripe: checkout session for purchase %s: answer has no id or url", pu.ID)
	}
	return s.ID, s.URL, nil
}

// sessionParams are the parameters of the Checkout Session of pu.
func (p *Provider) sessionParams(pu *gifting.Purchase) (*stripego.CheckoutSessionCreateParams, error) {
	if pu == nil || pu.ID == "" {
		return nil, errors.New("stripe: checkout: purchase has no id")
	}
	if pu.UserID == "" {
		return nil, fmt.Errorf("stripe: checkout: purchase %s has no user", pu.ID)
	}
	if pu.Coins <= 0 {
		return nil, fmt.Errorf("stripe: checkout: purchase %s: coins %d: %w", pu.ID, pu.Coins, money.ErrNotPositive)
	}
	if pu.PriceUnits <= 0 {
		return nil, fmt.Errorf("stripe: checkout: purchase %s: price %d: %w", pu.ID, pu.PriceUnits, money.ErrNotPositive)
	}
	if err := checkAmount(pu.Price.Currency, pu.PriceUnits); err != nil {
		return nil, fmt.Errorf("stripe: checkout: purchase %s: %w", pu.ID, err)
	}
	meta := map[string]string{
		MetaPurchaseID: pu.ID,
		MetaUserID:     pu.UserID,
		MetaPackageID:  pu.PackageID,
		MetaCoins:      strconv.FormatInt(pu.Coins, 10),
	}
	name := strconv.FormatInt(pu.Coins, 10) + " coins"
	if pu.Coins == 1 {
		name = "1 coin"
	}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModePayment)),
		ClientReferenceID: stripego.String(pu.ID),
		SuccessURL:        stripego.String(p.successURL),
		LineItems: []*stripego.CheckoutSessionCreateLineItemParams{{
			PriceData: &stripego.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripego.String(strings.ToLower(string(pu.Price.Currency))),
				UnitAmount:  stripego.Int64(pu.PriceUnits),
				ProductData: &stripego.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripego.String(name)},
			},
			Quantity: stripego.Int64(1),
		}},
		Metadata:          meta,
		PaymentIntentData: &stripego.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta},
		// The price book fixes the currency and amount; Adaptive Pricing
		// would let Stripe charge another currency.
		AdaptivePricing: &stripego.CheckoutSessionCreateAdaptivePricingParams{Enabled: stripego.Bool(false)},
	}
	if p.cancelURL != "" {
		params.CancelURL = stripego.String(p.cancelURL)
	}
	params.SetIdempotencyKey(pu.ID)
	return params, nil
}

// checkAmount checks that units of cur, an amount in ISO 4217 minor units,
// means the same amount to Stripe (https://docs.stripe.com/currencies).
func checkAmount(cur money.Asset, units int64) error {
	scale, err := money.Scale(cur)
	if err != nil || cur == money.Coin || cur == money.Diamond {
		return fmt.Errorf("currency %q: %w", cur, money.ErrUnknownAsset)
	}
	switch {
	case cur == "ISK" || cur == "UGX":
		// Stripe writes these zero-decimal currencies with two decimals.
		return fmt.Errorf("currency %s is not supported: Stripe's minor unit differs from ISO 4217", cur)
	case (cur == "HUF" || cur == "TWD") && units%100 != 0:
		return fmt.Errorf("amount %s %s: Stripe charges %s in whole units only", money.FormatAsset(units, cur), cur, cur)
	case scale == 3 && units%10 != 0:
		return fmt.Errorf("amount %s %s: Stripe requires the last digit of a three-decimal amount to be 0", money.FormatAsset(units, cur), cur)
	}
	return nil
}
