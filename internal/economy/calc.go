package economy

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/money"
)

// This file is the calculator: from an amount of coins, diamonds, gifts or
// money to every other unit, with each step shown. It is served by
// GET /v1/quote and by `glint calc`.

// Kind is what the amount of a calculator input counts.
type Kind string

// The kinds of calculator input.
const (
	KindCoins    Kind = "coins"    // coins spent on gifts
	KindDiamonds Kind = "diamonds" // diamonds a creator holds
	KindGift     Kind = "gift"     // a quantity of one gift of the catalog
	KindMoney    Kind = "money"    // a gross value in a currency
)

// Cash-out positions of a quote: where its diamonds stand against the
// economy's withdrawal minimum.
const (
	CashoutBelow   = "below"
	CashoutExactly = "exactly"
	CashoutAbove   = "above"
)

// Input is a parsed calculator input, made by ParseInput.
type Input struct {
	Kind Kind
	// Amount is always greater than zero. It counts whole coins (KindCoins),
	// milli-diamonds (KindDiamonds), gifts (KindGift) or minor units of
	// Currency (KindMoney).
	Amount int64
	// Gift is the gift id or name as given, lower-cased (KindGift only).
	// Calculate resolves it against the catalog.
	Gift string
	// Currency is the currency of a KindMoney input.
	Currency money.Asset
}

// InputError is returned by ParseInput and Calculate for input that cannot
// be quoted. It names the argument that is wrong ("amount", "unit" or
// "currency"), its value as given, and why.
type InputError struct {
	Field  string
	Value  string
	Reason string
	Err    error // the underlying error of package money, if any
}

// Error writes `amount "1.5": coins are whole numbers`.
func (e *InputError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns the underlying error of package money, or nil.
func (e *InputError) Unwrap() error { return e.Err }

// ParseInput reads a calculator input: an amount and a unit, both as typed
// by a person. The unit, case-insensitive, is one of
//
//   - "coins" or "coin": a whole number of coins;
//   - "diamonds" or "diamond": diamonds, up to 3 decimals ("505.5");
//   - an ISO 4217 currency code ("usd", "EUR"): a gross value in that
//     currency, up to its minor unit ("100", "2.53");
//   - anything else is a gift id or name ("galaxy", "Ice Cream Cone",
//     "ice-cream-cone", "roses"): a whole number of that gift. Calculate
//     looks it up in the catalog.
//
// A currency code wins over a gift of the same id. The amount is a plain
// decimal (no sign, exponent or grouping) greater than zero. Every error is
// an *InputError.
func ParseInput(amount, unit string) (Input, error) {
	amount = strings.TrimSpace(amount)
	u := strings.ToLower(strings.TrimSpace(unit))
	var in Input
	switch {
	case u == "":
		return Input{}, &InputError{Field: "unit", Value: unit, Reason: "missing; use coins, diamonds, a gift (e.g. rose, galaxy) or a currency code (e.g. usd)"}
	case u == "coins" || u == "coin":
		in.Kind = KindCoins
	case u == "diamonds" || u == "diamond":
		in.Kind = KindDiamonds
	case money.IsCurrency(strings.ToUpper(u)):
		in.Kind, in.Currency = KindMoney, money.Asset(strings.ToUpper(u))
	default:
		in.Kind, in.Gift = KindGift, u
	}
	var (
		scale int
		what  string
	)
	switch in.Kind {
	case KindCoins:
		what = "coins are whole numbers"
	case KindDiamonds:
		scale, what = 3, "diamonds have at most 3 decimal places"
	case KindGift:
		what = "gifts are counted in whole numbers"
	case KindMoney:
		scale, _ = money.Scale(in.Currency)
		what = fmt.Sprintf("%s has %d decimal places", in.Currency, scale)
	}
	n, err := money.Parse(amount, scale)
	if err != nil {
		reason := "not a number; write digits with an optional decimal point, e.g. 1000 or 505.5"
		switch {
		case errors.Is(err, money.ErrNegative):
			reason = "must be greater than zero"
		case errors.Is(err, money.ErrPrecision):
			reason = what
		case errors.Is(err, money.ErrOverflow):
			reason = "too large"
		}
		return Input{}, &InputError{Field: "amount", Value: amount, Reason: reason, Err: err}
	}
	if n == 0 {
		return Input{}, &InputError{Field: "amount", Value: amount, Reason: "must be greater than zero", Err: money.ErrNotPositive}
	}
	in.Amount = n
	return in, nil
}

// Quote is the result of Calculate: one amount in every unit of the economy,
// with the steps that lead from one to the next. Coins are JSON integers,
// diamonds and money decimal strings. Fields may be added, never renamed.
type Quote struct {
	// Economy is the name of the economy file used.
	Economy string     `json:"economy"`
	Input   QuoteInput `json:"input"`
	// Gift is set when the input was a quantity of a gift.
	Gift *QuoteGift `json:"gift,omitempty"`
	// Coins is what a viewer spends. For a diamond or money input it is the
	// smallest whole number of coins that gives at least Diamonds at the
	// default rate; CoinsExact says whether it gives exactly Diamonds.
	Coins      int64 `json:"coins"`
	CoinsExact bool  `json:"coins_exact"`
	// DiamondsPerCoin is the rate used between coins and diamonds.
	DiamondsPerCoin string `json:"diamonds_per_coin"`
	// Diamonds is what the creator receives, exact (up to 3 decimals).
	Diamonds string `json:"diamonds"`
	// DiamondValue is the gross value of one diamond.
	DiamondValue Amount `json:"diamond_value"`
	// Gross is Diamonds × DiamondValue, rounded half to even to the minor unit.
	Gross Amount `json:"gross"`
	// CommissionRate is the share of Gross the platform keeps on cash-out.
	CommissionRate string `json:"commission_rate"`
	// Net is Gross × (1 − CommissionRate), rounded half to even; Commission
	// is Gross − Net, so the rounding remainder goes to the platform.
	Commission Amount `json:"commission"`
	Net        Amount `json:"net"`
	// Local is Gross, Commission and Net in the asked currency, when it is
	// not the diamond's currency.
	Local *LocalValue `json:"local,omitempty"`
	// Cashout says how Diamonds compare to the withdrawal rules.
	Cashout CashoutCheck `json:"cashout"`
	// Steps explains the calculation in order, one line each.
	Steps []Step `json:"steps"`

	// MilliDiamonds is Diamonds as an integer count of thousandths.
	MilliDiamonds int64 `json:"-"`
}

// QuoteInput echoes the input of a quote, normalised.
type QuoteInput struct {
	Kind Kind `json:"kind"`
	// Amount is the amount as a decimal string ("1000", "505.5", "100.00").
	Amount string `json:"amount"`
	// Unit is "coins", "diamonds", the gift id or the currency code.
	Unit string `json:"unit"`
	// Value is a money input converted to the diamond's currency, and FX the
	// rate used, when the input was money in another currency.
	Value *Amount `json:"value,omitempty"`
	FX    *FXRate `json:"fx,omitempty"`
}

// QuoteGift describes the gift of a gift input.
type QuoteGift struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Coins    int64  `json:"coins"` // price of one gift
	Quantity int64  `json:"quantity"`
}

// Amount is an amount of money as served by the API:
// {"value": "2.50", "currency": "USD"}.
type Amount struct {
	Value    string      `json:"value"`
	Currency money.Asset `json:"currency"`
}

// NewAmount writes units (minor units of currency) as an Amount. An unknown
// currency is written as a plain integer.
func NewAmount(units int64, currency money.Asset) Amount {
	return Amount{Value: money.FormatAsset(units, currency), Currency: currency}
}

// String writes "2.50 USD".
func (a Amount) String() string { return a.Value + " " + string(a.Currency) }

// FXRate is an exchange rate as used in a quote: 1 From = Rate To, from the
// FX table of Date.
type FXRate struct {
	From money.Asset `json:"from"`
	To   money.Asset `json:"to"`
	Rate string      `json:"rate"`
	Date string      `json:"date"`
}

// LocalValue is the value of a quote in another currency than the diamond's.
type LocalValue struct {
	Currency   money.Asset `json:"currency"`
	FX         FXRate      `json:"fx"`
	Gross      Amount      `json:"gross"`
	Commission Amount      `json:"commission"`
	Net        Amount      `json:"net"`
}

// CashoutCheck compares the diamonds of a quote with the withdrawal rules.
type CashoutCheck struct {
	MinimumDiamonds string `json:"minimum_diamonds"`
	MinimumGross    Amount `json:"minimum_gross"`
	// Status is CashoutBelow, CashoutExactly or CashoutAbove the minimum.
	Status string `json:"status"`
	// MissingDiamonds is how many diamonds are needed to reach the minimum,
	// "0" unless Status is below.
	MissingDiamonds string `json:"missing_diamonds"`
	// MaxPerPeriod is the most that may be withdrawn per Period, gross;
	// OverMaxPerPeriod says whether Gross is more than that.
	MaxPerPeriod     Amount `json:"max_per_period"`
	Period           string `json:"period"`
	OverMaxPerPeriod bool   `json:"over_max_per_period"`
}

// Step is one line of the explanation of a quote.
type Step struct {
	Label  string `json:"label"`
	Detail string `json:"detail"`
}

// Calculate converts an input into a Quote under the rules of e:
//
//	coins → diamonds   coins × diamonds per coin (the gift's rate or the
//	                   default), exact in milli-diamonds
//	diamonds → gross   diamonds × diamond value, rounded half to even to
//	                   the minor unit of the diamond's currency
//	gross → net        net = gross × (1 − commission), rounded half to even;
//	                   commission = gross − net
//	→ local currency   gross and net × the FX rate, rounded half to even;
//	                   local commission = local gross − local net
//
// A diamond input starts at the second line; its coins are those a viewer
// would spend at the default rate. A money input is a gross value: it is
// converted to the diamond's currency first (when it is another one), then
// diamonds = value ÷ diamond value (rounded half to even to the
// milli-diamond) and the rest follows from the diamonds.
//
// currency is the currency to show the value in; empty means the input's
// currency for a money input and the diamond's currency otherwise. fx is the
// FX table; nil means money.DefaultRates(). Errors about the input (unknown
// gift or currency, an amount too large to convert) are *InputError.
func Calculate(e *Economy, fx *money.Rates, in Input, currency money.Asset) (*Quote, error) {
	if fx == nil {
		fx = money.DefaultRates()
	}
	if in.Amount <= 0 {
		return nil, &InputError{Field: "amount", Value: fmt.Sprint(in.Amount), Reason: "must be greater than zero", Err: money.ErrNotPositive}
	}
	base := e.Diamond.Currency
	baseScale, err := money.Scale(base)
	if err != nil {
		return nil, fmt.Errorf("economy: diamond.currency: %w", err)
	}
	if in.Kind == KindMoney && in.Currency != base && !fx.Has(in.Currency) {
		return nil, &InputError{Field: "unit", Value: string(in.Currency), Reason: fmt.Sprintf("the FX table of %s has no rate for it", fx.Date), Err: money.ErrUnknownRate}
	}
	if currency == "" {
		currency = base
		if in.Kind == KindMoney {
			currency = in.Currency
		}
	}
	asked := currency
	if currency, err = money.ParseCurrency(string(asked)); err != nil {
		return nil, &InputError{Field: "currency", Value: string(asked), Reason: "unknown currency", Err: err}
	}
	if currency != base && (!fx.Has(currency) || !fx.Has(base)) {
		return nil, &InputError{Field: "currency", Value: string(currency), Reason: fmt.Sprintf("the FX table of %s has no rate for it", fx.Date), Err: money.ErrUnknownRate}
	}

	c := calc{e: e, q: &Quote{Economy: e.Name}, base: base, baseScale: baseScale}
	q := c.q
	tooLarge := func(err error) error {
		return &InputError{Field: "amount", Value: c.inputAmount(in), Reason: "too large to convert", Err: err}
	}

	// Input → coins and milli-diamonds.
	var milli int64
	switch in.Kind {
	case KindCoins:
		rate := e.Gifting.DiamondsPerCoin
		q.Input = QuoteInput{Kind: in.Kind, Amount: fmt.Sprint(in.Amount), Unit: "coins"}
		q.Coins, q.CoinsExact = in.Amount, true
		if milli, err = c.coinsToDiamonds(in.Amount, rate, "default rate"); err != nil {
			return nil, tooLarge(err)
		}
	case KindGift:
		g, ok := e.findGift(in.Gift)
		if !ok {
			return nil, &InputError{Field: "unit", Value: in.Gift, Reason: "unknown unit: not coins, diamonds, a currency code or a gift of the catalog (e.g. rose, galaxy)"}
		}
		q.Input = QuoteInput{Kind: in.Kind, Amount: fmt.Sprint(in.Amount), Unit: g.ID}
		q.Gift = &QuoteGift{ID: g.ID, Name: g.Name, Coins: g.Coins, Quantity: in.Amount}
		coins, err := money.Mul(in.Amount, g.Coins)
		if err != nil {
			return nil, tooLarge(err)
		}
		q.Coins, q.CoinsExact = coins, true
		c.step("gift → coins", "%d × %s (%s) = %s", in.Amount, g.Name, plural(g.Coins, "coin"), plural(coins, "coin"))
		which := "default rate"
		if g.DiamondRate != nil {
			which = g.Name + "'s own rate"
		}
		if milli, err = c.coinsToDiamonds(coins, e.GiftRate(g), which); err != nil {
			return nil, tooLarge(err)
		}
	case KindDiamonds:
		milli = in.Amount
		q.Input = QuoteInput{Kind: in.Kind, Amount: money.FormatTrim(milli, 3), Unit: "diamonds"}
		if err := c.diamondsToCoins(milli); err != nil {
			return nil, tooLarge(err)
		}
	case KindMoney:
		scale, err := money.Scale(in.Currency)
		if err != nil {
			return nil, &InputError{Field: "unit", Value: string(in.Currency), Reason: "unknown currency", Err: err}
		}
		q.Input = QuoteInput{Kind: in.Kind, Amount: money.Format(in.Amount, scale), Unit: string(in.Currency)}
		value := in.Amount
		if in.Currency != base {
			var rate decimal.Decimal
			if value, rate, err = fx.Convert(in.Amount, in.Currency, base); err != nil {
				return nil, tooLarge(err)
			}
			v := NewAmount(value, base)
			q.Input.Value = &v
			q.Input.FX = &FXRate{From: in.Currency, To: base, Rate: rate.String(), Date: fx.Date}
			// Shown as the division by the table's rate, which is what
			// Rates.Convert computes.
			perBase, err := fx.Rate(base, in.Currency)
			if err != nil {
				return nil, err
			}
			exact, err := money.Decimal(in.Amount, scale).Quo(perBase)
			if err != nil {
				return nil, tooLarge(err)
			}
			c.step(string(in.Currency)+" → "+string(base), "%s %s ÷ %s (1 %s = %s %s, FX table of %s) = %s",
				q.Input.Amount, in.Currency, perBase, base, perBase, in.Currency, fx.Date, c.show(value, base, exact))
		}
		exact, err := money.Decimal(value, baseScale).Quo(e.Diamond.Value)
		if err != nil {
			return nil, tooLarge(err)
		}
		if milli, err = money.Round(exact, 3); err != nil {
			return nil, tooLarge(err)
		}
		if milli <= 0 {
			return nil, &InputError{Field: "amount", Value: q.Input.Amount, Reason: "worth less than a thousandth of a diamond"}
		}
		c.step("value → diamonds", "%s ÷ %s per diamond = %s",
			NewAmount(value, base), c.diamondValue(), diamondsText(milli, exact))
		if err := c.diamondsToCoins(milli); err != nil {
			return nil, tooLarge(err)
		}
	default:
		return nil, &InputError{Field: "unit", Value: string(in.Kind), Reason: "unknown kind of input"}
	}
	q.MilliDiamonds = milli
	q.Diamonds = money.FormatTrim(milli, 3)

	// Diamonds → gross → net and commission.
	q.DiamondValue = Amount{Value: e.Diamond.Value.String(), Currency: base}
	exactGross, err := money.Decimal(milli, 3).Mul(e.Diamond.Value)
	if err != nil {
		return nil, tooLarge(err)
	}
	gross, err := money.Round(exactGross, baseScale)
	if err != nil {
		return nil, tooLarge(err)
	}
	c.step("diamonds → value", "%s × %s = %s gross", diamondsText(milli, decimal.Zero), c.diamondValue(), c.show(gross, base, exactGross))

	share, err := decimal.One.Sub(e.Cashout.Commission)
	if err != nil {
		return nil, fmt.Errorf("economy: cashout.commission: %w", err)
	}
	net, commission, err := money.Split(gross, baseScale, share)
	if err != nil {
		return nil, tooLarge(err)
	}
	q.Gross, q.Net, q.Commission = NewAmount(gross, base), NewAmount(net, base), NewAmount(commission, base)
	q.CommissionRate = e.Cashout.Commission.String()
	c.step("commission", "%s × (1 − %s) = %s net; the platform keeps %s − %s = %s",
		q.Gross, q.CommissionRate, c.show(net, base, mustMul(money.Decimal(gross, baseScale), share)),
		q.Gross.Value, q.Net.Value, q.Commission)

	// Gross and net in the asked currency.
	if currency != base {
		grossL, rate, err := fx.Convert(gross, base, currency)
		if err != nil {
			return nil, tooLarge(err)
		}
		netL, _, err := fx.Convert(net, base, currency)
		if err != nil {
			return nil, tooLarge(err)
		}
		commL, err := money.Sub(grossL, netL)
		if err != nil {
			return nil, tooLarge(err)
		}
		q.Local = &LocalValue{
			Currency:   currency,
			FX:         FXRate{From: base, To: currency, Rate: rate.String(), Date: fx.Date},
			Gross:      NewAmount(grossL, currency),
			Commission: NewAmount(commL, currency),
			Net:        NewAmount(netL, currency),
		}
		c.step(string(base)+" → "+string(currency), "at %s (FX table of %s): gross %s × %s = %s, net %s × %s = %s, commission %s − %s = %s",
			rate, fx.Date,
			q.Gross.Value, rate, c.show(grossL, currency, mustMul(money.Decimal(gross, baseScale), rate)),
			q.Net.Value, rate, c.show(netL, currency, mustMul(money.Decimal(net, baseScale), rate)),
			q.Local.Gross.Value, q.Local.Net.Value, q.Local.Commission)
	}

	// Cash-out rules.
	if err := c.cashout(milli, gross); err != nil {
		return nil, err
	}
	return q, nil
}

// calc carries the state of one Calculate call.
type calc struct {
	e         *Economy
	q         *Quote
	base      money.Asset
	baseScale int
}

func (c *calc) step(label, format string, args ...any) {
	c.q.Steps = append(c.q.Steps, Step{Label: label, Detail: fmt.Sprintf(format, args...)})
}

func (c *calc) diamondValue() Amount {
	return Amount{Value: c.e.Diamond.Value.String(), Currency: c.base}
}

// show writes a rounded amount of money, preceded by the exact value and an
// arrow when rounding changed it: "2.5275 → 2.53 USD".
func (c *calc) show(units int64, cur money.Asset, exact decimal.Decimal) string {
	a := NewAmount(units, cur)
	scale, _ := money.Scale(cur)
	if t := exact.Trim(0); t.Scale() > scale {
		return t.String() + " → " + a.String()
	}
	return a.String()
}

// diamondsText writes milli-diamonds as "1 diamond" or "505.5 diamonds",
// preceded by the exact value and an arrow when exact (if not zero) had to be
// rounded to the milli-diamond.
func diamondsText(milli int64, exact decimal.Decimal) string {
	s := money.FormatTrim(milli, 3) + " diamonds"
	if milli == 1000 {
		s = "1 diamond"
	}
	if t := exact.Trim(0); t.Scale() > 3 {
		return t.String() + " → " + s
	}
	return s
}

func (c *calc) inputAmount(in Input) string {
	switch in.Kind {
	case KindDiamonds:
		return money.FormatTrim(in.Amount, 3)
	case KindMoney:
		return money.FormatAsset(in.Amount, in.Currency)
	}
	return fmt.Sprint(in.Amount)
}

func (c *calc) coinsToDiamonds(coins int64, rate decimal.Decimal, which string) (int64, error) {
	milli, err := DiamondsForCoins(coins, rate)
	if err != nil {
		return 0, err
	}
	c.q.DiamondsPerCoin = rate.String()
	c.step("coins → diamonds", "%s × %s diamonds per coin (%s) = %s", plural(coins, "coin"), rate, which, diamondsText(milli, decimal.Zero))
	return milli, nil
}

// diamondsToCoins sets the coins a viewer spends, at the default rate, for
// the creator to receive milli diamonds: rounded up to whole coins.
func (c *calc) diamondsToCoins(milli int64) error {
	rate := c.e.Gifting.DiamondsPerCoin
	exact, err := money.Decimal(milli, 3).Quo(rate)
	if err != nil {
		return err
	}
	whole, _, ok := exact.Ceil(0).Int64(0)
	if !ok {
		return money.ErrOverflow
	}
	c.q.Coins, c.q.CoinsExact = whole, exact.IsInt()
	c.q.DiamondsPerCoin = rate.String()
	d := diamondsText(milli, decimal.Zero)
	if c.q.CoinsExact {
		c.step("diamonds → coins", "%s ÷ %s diamonds per coin (default rate) = %s", d, rate, plural(whole, "coin"))
	} else {
		c.step("diamonds → coins", "%s ÷ %s diamonds per coin (default rate) = %s → %s (whole coins, rounded up)", d, rate, exact.Trim(0), plural(whole, "coin"))
	}
	return nil
}

func (c *calc) cashout(milli, gross int64) error {
	cfg := c.e.Cashout
	minGross, err := money.Convert(cfg.MinimumMilli, 3, c.e.Diamond.Value, c.baseScale)
	if err != nil {
		return fmt.Errorf("economy: cashout.minimum_diamonds: %w", err)
	}
	ch := CashoutCheck{
		MinimumDiamonds: money.FormatTrim(cfg.MinimumMilli, 3),
		MinimumGross:    NewAmount(minGross, c.base),
		MissingDiamonds: "0",
		MaxPerPeriod:    NewAmount(cfg.MaxPerPeriod.Units, cfg.MaxPerPeriod.Currency),
		Period:          periodText(cfg.Period.Duration),
	}
	detail := fmt.Sprintf("minimum %s diamonds (%s gross): ", ch.MinimumDiamonds, ch.MinimumGross)
	switch {
	case milli < cfg.MinimumMilli:
		ch.Status = CashoutBelow
		ch.MissingDiamonds = money.FormatTrim(cfg.MinimumMilli-milli, 3)
		detail += fmt.Sprintf("below, %s missing", diamondsText(cfg.MinimumMilli-milli, decimal.Zero))
	case milli == cfg.MinimumMilli:
		ch.Status = CashoutExactly
		detail += "exactly the minimum, can be withdrawn"
	default:
		ch.Status = CashoutAbove
		detail += fmt.Sprintf("above by %s, can be withdrawn", diamondsText(milli-cfg.MinimumMilli, decimal.Zero))
	}
	if cfg.MaxPerPeriod.Currency == c.base && gross > cfg.MaxPerPeriod.Units {
		ch.OverMaxPerPeriod = true
		detail += fmt.Sprintf("; more than the %s that may be withdrawn per %s", ch.MaxPerPeriod, ch.Period)
	}
	c.q.Cashout = ch
	c.step("cash-out", "%s", detail)
	return nil
}

// periodText writes a period the way people say it: "day", "7 days", "12h0m0s".
func periodText(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d == day:
		return "day"
	case d > 0 && d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// plural writes "1 coin", "2 coins".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// mustMul multiplies two decimals for display; an overflow, which the
// rounded computation has already ruled out, shows as zero.
func mustMul(a, b decimal.Decimal) decimal.Decimal {
	p, err := a.Mul(b)
	if err != nil {
		return decimal.Zero
	}
	return p
}

// findGift resolves a gift by id or name, case-insensitive, with spaces or
// underscores for dashes and an English plural ("roses", "galaxies").
func (e *Economy) findGift(ref string) (*Gift, bool) {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.NewReplacer("_", "-", " ", "-").Replace(s)
		return s
	}
	ref = norm(ref)
	if ref == "" {
		return nil, false
	}
	candidates := []string{ref}
	if s, ok := strings.CutSuffix(ref, "ies"); ok {
		candidates = append(candidates, s+"y")
	}
	if s, ok := strings.CutSuffix(ref, "es"); ok {
		candidates = append(candidates, s)
	}
	if s, ok := strings.CutSuffix(ref, "s"); ok {
		candidates = append(candidates, s)
	}
	for _, cand := range candidates {
		if g, ok := e.Gift(cand); ok {
			return g, true
		}
		for i := range e.Gifts {
			if norm(e.Gifts[i].Name) == cand {
				return &e.Gifts[i], true
			}
		}
	}
	return nil, false
}

// String renders the quote as the text `glint calc` prints: the input, the
// steps, then a summary.
func (q *Quote) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (economy %q)\n\n", q.title(), q.Economy)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for i, s := range q.Steps {
		fmt.Fprintf(tw, "  %d. %s\t%s\n", i+1, s.Label, s.Detail)
	}
	tw.Flush()
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	coins := fmt.Sprint(q.Coins)
	if !q.CoinsExact {
		coins += " (rounded up to whole coins)"
	}
	fmt.Fprintf(tw, "  coins\t%s\n", coins)
	fmt.Fprintf(tw, "  diamonds\t%s\n", q.Diamonds)
	fmt.Fprintf(tw, "  gross\t%s%s\n", q.Gross, q.local(func(l *LocalValue) Amount { return l.Gross }))
	fmt.Fprintf(tw, "  commission\t%s%s\n", q.Commission, q.local(func(l *LocalValue) Amount { return l.Commission }))
	fmt.Fprintf(tw, "  net\t%s%s\n", q.Net, q.local(func(l *LocalValue) Amount { return l.Net }))
	var cash string
	switch q.Cashout.Status {
	case CashoutBelow:
		cash = fmt.Sprintf("below the minimum of %s diamonds: %s missing", q.Cashout.MinimumDiamonds, q.Cashout.MissingDiamonds)
	case CashoutExactly:
		cash = fmt.Sprintf("exactly the minimum of %s diamonds", q.Cashout.MinimumDiamonds)
	default:
		cash = fmt.Sprintf("above the minimum of %s diamonds", q.Cashout.MinimumDiamonds)
	}
	fmt.Fprintf(tw, "  cash-out\t%s\n", cash)
	tw.Flush()
	return b.String()
}

func (q *Quote) title() string {
	switch {
	case q.Gift != nil:
		return fmt.Sprintf("%d × %s", q.Gift.Quantity, q.Gift.Name)
	case q.Input.Kind == KindDiamonds:
		return diamondsText(q.MilliDiamonds, decimal.Zero)
	case q.Input.Kind == KindCoins:
		return plural(q.Coins, "coin")
	}
	return q.Input.Amount + " " + q.Input.Unit
}

func (q *Quote) local(get func(*LocalValue) Amount) string {
	if q.Local == nil {
		return ""
	}
	return " = " + get(q.Local).String()
}
