package cashout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Service runs the cash-out use cases.
type Service struct {
	econ      *economy.Economy
	fx        *money.Live
	write     WriteFunc
	read      Reader
	providers map[string]Provider
	payWith   map[string]string // method kind → provider name
	notify    bool
	now       func() time.Time
}

// Config wires a Service.
type Config struct {
	Economy *economy.Economy
	FX      *money.Live
	Write   WriteFunc
	Read    Reader
	// Providers are the payout providers; PayWith names the one that pays
	// each method kind ("paypal" → "sandbox", "bank" → "manual" …). A kind
	// without a provider cannot be withdrawn to.
	Providers []Provider
	PayWith   map[string]string
	// Notify enqueues a webhook job for every withdrawal status change.
	Notify bool
	Now    func() time.Time
}

// NewService returns a Service. Errors: PayWith names a provider not given.
func NewService(c Config) (*Service, error) {
	s := &Service{econ: c.Economy, fx: c.FX, write: c.Write, read: c.Read, notify: c.Notify, now: c.Now,
		providers: map[string]Provider{}, payWith: map[string]string{}}
	for _, p := range c.Providers {
		s.providers[p.Name()] = p
	}
	for kind, name := range c.PayWith {
		if _, ok := s.providers[name]; !ok {
			return nil, fmt.Errorf("cashout: %s methods are paid by %q, which is not a configured provider", kind, name)
		}
		s.payWith[kind] = name
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Economy returns the economy the service applies.
func (s *Service) Economy() *economy.Economy { return s.econ }

// Provider returns a configured payout provider.
func (s *Service) Provider(name string) (Provider, bool) {
	p, ok := s.providers[name]
	return p, ok
}

// ---- payout methods and identity ----

// PutMethod puts a payout method on file for a user (replacing the one of
// the same kind) and makes it the default. Errors: KindInvalid, KindNotFound.
func (s *Service) PutMethod(ctx context.Context, idem gifting.Idem, userID string, m Method) (*Profile, bool, error) {
	if err := gifting.CheckID("user_id", userID); err != nil {
		return nil, false, err
	}
	m, err := m.Normalize()
	if err != nil {
		return nil, false, err
	}
	if !s.offers(m.Kind) {
		return nil, false, gifting.Rule("method_not_offered", map[string]any{"kind": m.Kind, "offered": s.econ.Cashout.Methods},
			"this platform does not pay out by %s", m.Kind)
	}
	return s.updateProfile(ctx, idem, userID, func(p *Profile) {
		kept := p.Methods[:0:0]
		for _, old := range p.Methods {
			if old.Kind != m.Kind {
				kept = append(kept, old)
			}
		}
		p.Methods, p.Default = append(kept, m), m.Kind
	})
}

// SetKYC records a creator's identity-check status (the platform's call).
// Errors: KindInvalid, KindNotFound.
func (s *Service) SetKYC(ctx context.Context, idem gifting.Idem, userID, status string) (*Profile, bool, error) {
	switch status {
	case KYCNone, KYCPending, KYCVerified, KYCRejected:
	default:
		return nil, false, gifting.InvalidField("status", "status must be none, pending, verified or rejected")
	}
	return s.updateProfile(ctx, idem, userID, func(p *Profile) { p.KYC = status })
}

func (s *Service) offers(kind string) bool {
	for _, k := range s.econ.Cashout.Methods {
		if k == kind {
			return true
		}
	}
	return false
}

func (s *Service) updateProfile(ctx context.Context, idem gifting.Idem, userID string, change func(*Profile)) (*Profile, bool, error) {
	var out *Profile
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		p, rep, err := gifting.Once(ctx, tx, idem, func() (*Profile, error) {
			if _, err := tx.User(ctx, userID); err != nil {
				return nil, gifting.AsNotFound(err, "user", userID)
			}
			p, err := tx.Profile(ctx, userID)
			switch {
			case errors.Is(err, ledger.ErrNotFound):
				p = &Profile{UserID: userID, KYC: KYCNone}
			case err != nil:
				return nil, err
			default:
				c := *p
				c.Methods = append([]Method(nil), p.Methods...)
				p = &c
			}
			change(p)
			p.UpdatedAt = tx.Now()
			return p, tx.PutProfile(ctx, p)
		})
		out, replay = p, rep
		return err
	})
	return out, replay, err
}

// PayoutStanding is what a creator sees of their payout standing.
type PayoutStanding struct {
	UserID    string    `json:"user_id"`
	Method    string    `json:"method,omitempty" doc:"The default method, masked"`
	Methods   []string  `json:"methods" doc:"Every method on file, masked"`
	KYC       string    `json:"kyc_status"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Standing shows a profile without its details.
func Standing(p *Profile) *PayoutStanding {
	out := &PayoutStanding{UserID: p.UserID, KYC: p.KYC, UpdatedAt: p.UpdatedAt, Methods: []string{}}
	for _, m := range p.Methods {
		out.Methods = append(out.Methods, m.Masked())
		if m.Kind == p.Default {
			out.Method = m.Masked()
		}
	}
	return out
}

// GetStanding returns a user's payout standing. Errors: KindNotFound.
func (s *Service) GetStanding(ctx context.Context, userID string) (*PayoutStanding, error) {
	if _, err := s.read.User(ctx, userID); err != nil {
		return nil, gifting.AsNotFound(err, "user", userID)
	}
	p, err := s.read.Profile(ctx, userID)
	if errors.Is(err, ledger.ErrNotFound) {
		return Standing(&Profile{UserID: userID, KYC: KYCNone}), nil
	}
	if err != nil {
		return nil, err
	}
	return Standing(p), nil
}

// ---- withdrawals ----

// RequestInput asks for a withdrawal.
type RequestInput struct {
	UserID   string
	Diamonds string // decimal, up to 3 places
	Method   string // a kind on file; "" for the default
}

// Request places a withdrawal: it checks every rule of the economy, locks
// the quote, moves the diamonds available → withdrawing, and enqueues the
// payout. Errors: KindInvalid; KindNotFound (user); KindRule with codes
// user_not_active, below_minimum, no_payout_method, kyc_required,
// withdrawal_frequency, over_period_maximum, insufficient_diamonds.
func (s *Service) Request(ctx context.Context, idem gifting.Idem, in RequestInput) (*Withdrawal, bool, error) {
	if err := gifting.CheckID("user_id", in.UserID); err != nil {
		return nil, false, err
	}
	milli, err := money.ParseAsset(in.Diamonds, money.Diamond)
	if err != nil || milli <= 0 {
		return nil, false, gifting.InvalidField("diamonds", "diamonds must be a positive decimal with at most 3 places, got %q", in.Diamonds)
	}
	// Two writes of their own, which stand even if the request is then
	// refused: diamonds owed after a chargeback are repaid from available
	// ones, and the anomaly rule may hold the creator's payouts for review.
	hold, err := s.anomalous(ctx, in.UserID)
	if err != nil {
		return nil, false, err
	}
	if err := s.write(ctx, func(tx Tx) error {
		if hold {
			if err := s.holdForReview(ctx, tx, in.UserID); err != nil {
				return err
			}
		}
		_, err := s.repayReceivable(ctx, tx, in.UserID)
		return err
	}); err != nil {
		return nil, false, err
	}
	var out *Withdrawal
	var replay bool
	err = s.write(ctx, func(tx Tx) error {
		w, rep, err := gifting.Once(ctx, tx, idem, func() (*Withdrawal, error) { return s.request(ctx, tx, in, milli) })
		out, replay = w, rep
		return err
	})
	return out, replay, err
}

func (s *Service) request(ctx context.Context, tx Tx, in RequestInput, milli int64) (*Withdrawal, error) {
	rules := s.econ.Cashout
	u, err := tx.User(ctx, in.UserID)
	if err != nil {
		return nil, gifting.AsNotFound(err, "user", in.UserID)
	}
	if u.Status != gifting.UserActive {
		return nil, gifting.Rule("user_not_active", map[string]any{"user_id": u.ID, "status": u.Status}, "user %s is %s and cannot withdraw", u.ID, u.Status)
	}
	if u.Restriction == gifting.RestrictionPayoutReview {
		return nil, gifting.Rule("payouts_held", map[string]any{"user_id": u.ID}, "payouts of %s are held for review", u.ID)
	}
	// While diamonds clawed back after a chargeback are still owed (Request
	// first repays them from available ones), payouts pause.
	if owed, err := tx.Balance(ctx, ledger.UserAccount(u.ID, ledger.PurposeDiamondsReceivable)); err != nil {
		return nil, err
	} else if owed = -owed; owed > 0 && s.econ.Reversal.PausePayouts {
		return nil, gifting.Rule("payouts_paused", map[string]any{"owed_diamonds": money.FormatAsset(owed, money.Diamond)},
			"user %s owes %s diamonds clawed back after a chargeback; payouts resume once earnings repay them", u.ID, money.FormatAsset(owed, money.Diamond))
	}
	if milli < rules.MinimumMilli {
		return nil, gifting.Rule("below_minimum", map[string]any{"minimum_diamonds": money.FormatAsset(rules.MinimumMilli, money.Diamond), "diamonds": money.FormatAsset(milli, money.Diamond)},
			"the smallest withdrawal is %s diamonds", money.FormatAsset(rules.MinimumMilli, money.Diamond))
	}
	prof, err := tx.Profile(ctx, in.UserID)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	}
	var method Method
	ok := false
	if prof != nil {
		method, ok = prof.Method(in.Method)
	}
	if !ok {
		return nil, gifting.Rule("no_payout_method", map[string]any{"method": in.Method}, "user %s has no payout method on file; add one with PUT /v1/users/%s/payout-method", u.ID, u.ID)
	}
	provider, ok := s.payWith[method.Kind]
	if !ok {
		return nil, gifting.Rule("method_not_offered", map[string]any{"kind": method.Kind}, "no payout provider pays %s methods on this platform", method.Kind)
	}
	if rules.KYCRequired && prof.KYC != KYCVerified {
		return nil, gifting.Rule("kyc_required", map[string]any{"kyc_status": prof.KYC}, "an identity check is required before a payout (status: %s)", prof.KYC)
	}
	now := tx.Now()
	q, w, err := s.quote(u, milli, now)
	if err != nil {
		return nil, err
	}
	// The period is a rolling window: a withdrawal counts for exactly one
	// period after it was requested ("once per day" = 24 h after the last).
	since := now.Add(-rules.Period.Duration)
	recent, err := tx.WithdrawalsSince(ctx, u.ID, since)
	if err != nil {
		return nil, err
	}
	var n int
	var gross int64
	var oldest time.Time
	for _, r := range recent {
		if !counts(r.Status) || !r.CreatedAt.After(since) {
			continue
		}
		n++
		if gross, err = money.Add(gross, r.GrossUnits); err != nil {
			return nil, err
		}
		if oldest.IsZero() || r.CreatedAt.Before(oldest) {
			oldest = r.CreatedAt
		}
	}
	if n >= rules.MaxWithdrawals {
		next := oldest.Add(rules.Period.Duration)
		return nil, gifting.Rule("withdrawal_frequency", map[string]any{"max_withdrawals": rules.MaxWithdrawals, "period": rules.Period.String(), "next_allowed_at": next},
			"at most %d withdrawal(s) per %s; the next is possible at %s", rules.MaxWithdrawals, rules.Period, next.Format(time.RFC3339))
	}
	total, err := money.Add(gross, w.GrossUnits)
	if err != nil || total > rules.MaxPerPeriod.Units {
		left := max(rules.MaxPerPeriod.Units-gross, 0)
		return nil, gifting.Rule("over_period_maximum", map[string]any{
			"max_per_period": economy.NewAmount(rules.MaxPerPeriod.Units, rules.MaxPerPeriod.Currency), "period": rules.Period.String(),
			"already": economy.NewAmount(gross, s.econ.Diamond.Currency), "requested": q.Gross, "left": economy.NewAmount(left, s.econ.Diamond.Currency),
		}, "withdrawals are limited to %s gross per %s", economy.NewAmount(rules.MaxPerPeriod.Units, rules.MaxPerPeriod.Currency), rules.Period)
	}
	w.ID = gifting.NewID("wd_")
	w.UserID, w.Status, w.Provider = u.ID, StatusRequested, provider
	w.Method, w.MethodKind, w.Details = method.Masked(), method.Kind, method
	w.CreatedAt, w.UpdatedAt = now, now
	err = tx.Post(ctx, ledger.Transaction{Kind: "withdrawal.hold", Ref: w.ID, Actor: u.ID, Postings: []ledger.Posting{
		{From: ledger.UserAccount(u.ID, ledger.PurposeDiamondsAvailable), To: ledger.UserAccount(u.ID, ledger.PurposeDiamondsWithdrawing), Asset: money.Diamond, Amount: milli},
	}})
	var ife *ledger.InsufficientFundsError
	if errors.As(err, &ife) {
		return nil, gifting.Rule("insufficient_diamonds", map[string]any{"available": money.FormatAsset(ife.Have, money.Diamond), "requested": w.Diamonds},
			"user %s has %s diamonds available; %s were requested", u.ID, money.FormatAsset(ife.Have, money.Diamond), w.Diamonds)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.PutWithdrawal(ctx, w); err != nil {
		return nil, err
	}
	if provider != ProviderManual {
		tx.Enqueue(PayoutJob{WithdrawalID: w.ID})
	}
	s.notifyChange(tx, w)
	return w, nil
}

// anomalous applies the economy's review rule: more coins received in the
// last hour from accounts younger than new_account_days than the threshold.
func (s *Service) anomalous(ctx context.Context, creatorID string) (bool, error) {
	r := s.econ.Review
	if r.NewAccountCoinsPerHour <= 0 {
		return false, nil
	}
	now := s.now()
	coins, err := s.read.NewAccountCoins(ctx, creatorID, now.Add(-time.Hour), now.AddDate(0, 0, -r.NewAccountDays))
	return coins > r.NewAccountCoinsPerHour, err
}

// holdForReview restricts a creator's payouts until the trust team
// releases them.
func (s *Service) holdForReview(ctx context.Context, tx Tx, userID string) error {
	u, err := tx.User(ctx, userID)
	if err != nil || u.Restriction != "" {
		return nil // unknown (the request says so) or already restricted
	}
	c := *u
	c.Restriction, c.UpdatedAt = gifting.RestrictionPayoutReview, tx.Now()
	c.StatusReason = "payouts held for review: coins from new accounts over the economy's threshold"
	return tx.PutUser(ctx, &c)
}

// repayReceivable moves available diamonds to the user's diamond
// receivable (what a chargeback left them owing) and returns what is still
// owed, in milli-diamonds.
func (s *Service) repayReceivable(ctx context.Context, tx Tx, userID string) (int64, error) {
	recv := ledger.UserAccount(userID, ledger.PurposeDiamondsReceivable)
	bal, err := tx.Balance(ctx, recv)
	if err != nil || bal >= 0 {
		return 0, err
	}
	avail := ledger.UserAccount(userID, ledger.PurposeDiamondsAvailable)
	have, err := tx.Balance(ctx, avail)
	if err != nil {
		return 0, err
	}
	pay := min(have, -bal)
	if pay > 0 {
		if err := tx.Post(ctx, ledger.Transaction{Kind: "receivable.repaid", Ref: userID, Actor: userID, Postings: []ledger.Posting{
			{From: avail, To: recv, Asset: money.Diamond, Amount: pay},
		}}); err != nil {
			return 0, err
		}
	}
	return -bal - pay, nil
}

// VoidOpen cancels a user's withdrawals that are still requested (not yet
// with a provider) — the trust team's ban or termination. It returns them.
func (s *Service) VoidOpen(ctx context.Context, userID, reason string) ([]*Withdrawal, error) {
	ws, err := s.read.Withdrawals(ctx, WithdrawalFilter{UserID: userID, Status: StatusRequested, Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []*Withdrawal
	for _, w := range ws {
		got, _, err := s.Resolve(ctx, gifting.Idem{}, w.ID, StatusCancelled, "", reason)
		if gifting.IsKind(err, gifting.KindConflict) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, got)
	}
	return out, nil
}

// quote locks the breakdown of a withdrawal of milli diamonds for u.
func (s *Service) quote(u *gifting.User, milli int64, now time.Time) (WithdrawalQuote, *Withdrawal, error) {
	fx := s.fx.Load()
	base := s.econ.Diamond.Currency
	cur := base
	if local, ok := money.CountryCurrency(u.Country); ok && fx.Has(local) {
		cur = local
	}
	q, err := economy.Calculate(s.econ, fx, economy.Input{Kind: economy.KindDiamonds, Amount: milli}, cur)
	if err != nil {
		return WithdrawalQuote{}, nil, gifting.InvalidField("diamonds", "%v", err)
	}
	w := &Withdrawal{Milli: milli, Diamonds: q.Diamonds, PayoutCurrency: base}
	parse := func(a economy.Amount) int64 {
		v, perr := money.ParseAsset(a.Value, a.Currency)
		if perr != nil && err == nil {
			err = perr
		}
		return v
	}
	w.GrossUnits, w.CommissionUnit, w.NetUnits = parse(q.Gross), parse(q.Commission), parse(q.Net)
	out := WithdrawalQuote{Diamonds: q.Diamonds, DiamondValue: q.DiamondValue, Gross: q.Gross, CommissionRate: q.CommissionRate,
		Commission: q.Commission, Net: q.Net, Payout: q.Net, Rounding: roundingRule}
	w.PayoutUnits = w.NetUnits
	if q.Local != nil {
		info, ierr := fx.Info(cur)
		if ierr != nil {
			return WithdrawalQuote{}, nil, ierr
		}
		out.FX = &FXLock{From: base, To: cur, Rate: q.Local.FX.Rate, Date: info.Date, Source: info.Source, LockedAt: now}
		out.Payout = q.Local.Net
		w.PayoutCurrency, w.PayoutUnits = cur, parse(q.Local.Net)
	}
	if err != nil {
		return WithdrawalQuote{}, nil, fmt.Errorf("cashout: quote: %w", err)
	}
	w.Quote = out
	return out, w, nil
}

// Cancel cancels a withdrawal that has not been submitted to the provider
// yet; its diamonds go back to available. Errors: KindNotFound,
// KindConflict (withdrawal_not_cancellable).
func (s *Service) Cancel(ctx context.Context, idem gifting.Idem, userID, id string) (*Withdrawal, bool, error) {
	var out *Withdrawal
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		w, rep, err := gifting.Once(ctx, tx, idem, func() (*Withdrawal, error) {
			w, err := tx.Withdrawal(ctx, id)
			if err != nil || w.UserID != userID {
				return nil, gifting.NotFound("withdrawal", id)
			}
			if w.Status != StatusRequested {
				return nil, gifting.Conflict("withdrawal_not_cancellable", map[string]any{"status": w.Status}, "withdrawal %s is %s; only a requested withdrawal can be cancelled", id, w.Status)
			}
			return s.resolve(ctx, tx, w, StatusCancelled, "", "cancelled by the creator")
		})
		out, replay = w, rep
		return err
	})
	return out, replay, err
}

// Resolve moves a withdrawal to status (paid, failed, returned, processing,
// unclaimed), posting or voiding its hold as the status says. It is
// idempotent: a withdrawal already in status is returned unchanged. The
// hold resolves exactly once: a second, different resolution of a resolved
// withdrawal is refused. Errors: KindNotFound, KindInvalid,
// KindConflict (withdrawal_resolved).
func (s *Service) Resolve(ctx context.Context, idem gifting.Idem, id, status, ref, reason string) (*Withdrawal, bool, error) {
	switch status {
	case StatusPaid, StatusFailed, StatusReturned, StatusProcessing, StatusUnclaimed, StatusCancelled:
	default:
		return nil, false, gifting.InvalidField("status", "status must be processing, unclaimed, paid, failed, returned or cancelled")
	}
	var out *Withdrawal
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		w, rep, err := gifting.Once(ctx, tx, idem, func() (*Withdrawal, error) {
			w, err := tx.Withdrawal(ctx, id)
			if err != nil {
				return nil, gifting.AsNotFound(err, "withdrawal", id)
			}
			return s.resolve(ctx, tx, w, status, ref, reason)
		})
		out, replay = w, rep
		return err
	})
	return out, replay, err
}

// resolve applies a status change inside a batch.
func (s *Service) resolve(ctx context.Context, tx Tx, cur *Withdrawal, status, ref, reason string) (*Withdrawal, error) {
	if cur.Status == status {
		return cur, nil
	}
	refuse := func() (*Withdrawal, error) {
		return nil, gifting.Conflict("withdrawal_resolved", map[string]any{"status": cur.Status, "requested": status},
			"withdrawal %s is %s and cannot become %s", cur.ID, cur.Status, status)
	}
	w := *cur
	now := tx.Now()
	var t *ledger.Transaction
	switch {
	case IsOpen(cur.Status) && (status == StatusProcessing || status == StatusUnclaimed):
		if status == StatusProcessing && cur.Status != StatusRequested {
			return refuse()
		}
	case IsOpen(cur.Status) && status == StatusPaid:
		tt := s.paidTransaction(&w)
		t = &tt
		w.PaidAt = &now
	case IsOpen(cur.Status) && (status == StatusFailed || status == StatusReturned || status == StatusCancelled):
		t = &ledger.Transaction{Kind: "withdrawal.void", Ref: w.ID, Actor: w.UserID, Postings: []ledger.Posting{
			{From: ledger.UserAccount(w.UserID, ledger.PurposeDiamondsWithdrawing), To: ledger.UserAccount(w.UserID, ledger.PurposeDiamondsAvailable), Asset: money.Diamond, Amount: w.Milli},
		}}
	case cur.Status == StatusPaid && status == StatusReturned:
		tt := reversal(s.paidTransaction(&w), "withdrawal.returned")
		// The diamonds come back to the creator's available balance, not
		// to the hold that no longer exists.
		tt.Postings[0].To = ledger.UserAccount(w.UserID, ledger.PurposeDiamondsAvailable)
		t = &tt
	default:
		return refuse()
	}
	if t != nil {
		if err := tx.Post(ctx, *t); err != nil {
			return nil, err
		}
	}
	w.Status, w.UpdatedAt = status, now
	if ref != "" {
		w.ProviderRef = ref
	}
	if reason != "" {
		w.Reason = reason
	}
	if err := tx.PutWithdrawal(ctx, &w); err != nil {
		return nil, err
	}
	s.notifyChange(tx, &w)
	return &w, nil
}

// paidTransaction redeems a withdrawal's diamonds and books its money: the
// gross value splits into commission revenue and payouts payable; the net
// is converted at the locked rate when paid in another currency, and leaves
// through the provider.
func (s *Service) paidTransaction(w *Withdrawal) ledger.Transaction {
	base := s.econ.Diamond.Currency
	ps := []ledger.Posting{{From: ledger.UserAccount(w.UserID, ledger.PurposeDiamondsWithdrawing), To: ledger.DiamondsRedeemed, Asset: money.Diamond, Amount: w.Milli}}
	add := func(from, to ledger.AccountID, asset money.Asset, amount int64) {
		if amount > 0 {
			ps = append(ps, ledger.Posting{From: from, To: to, Asset: asset, Amount: amount})
		}
	}
	add(ledger.RedemptionIssued(base), ledger.CommissionRevenue(base), base, w.CommissionUnit)
	add(ledger.RedemptionIssued(base), ledger.PayoutsPayable(base), base, w.NetUnits)
	if w.PayoutCurrency != base {
		add(ledger.PayoutsPayable(base), ledger.FXExternal(base), base, w.NetUnits)
		add(ledger.FXExternal(w.PayoutCurrency), ledger.PayoutsPayable(w.PayoutCurrency), w.PayoutCurrency, w.PayoutUnits)
	}
	add(ledger.PayoutsPayable(w.PayoutCurrency), ledger.PayoutsExternal(w.Provider, w.PayoutCurrency), w.PayoutCurrency, w.PayoutUnits)
	return ledger.Transaction{Kind: "withdrawal.paid", Ref: w.ID, Actor: w.UserID, Postings: ps}
}

// reversal swaps every posting of t.
func reversal(t ledger.Transaction, kind string) ledger.Transaction {
	out := ledger.Transaction{Kind: kind, Ref: t.Ref, Actor: t.Actor, Postings: make([]ledger.Posting, len(t.Postings))}
	for i, p := range t.Postings {
		out.Postings[i] = ledger.Posting{From: p.To, To: p.From, Asset: p.Asset, Amount: p.Amount}
	}
	return out
}

// notifyChange enqueues the webhook of a status change.
func (s *Service) notifyChange(tx Tx, w *Withdrawal) {
	if !s.notify {
		return
	}
	data, err := json.Marshal(w)
	if err != nil {
		return // a Withdrawal always marshals
	}
	tx.Enqueue(NotifyJob{EventID: gifting.NewID("evt_"), Type: "withdrawal." + w.Status, CreatedAt: tx.Now(), Data: data})
}

// Get returns a user's withdrawal. Errors: KindNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Withdrawal, error) {
	w, err := s.read.Withdrawal(ctx, id)
	return w, gifting.AsNotFound(err, "withdrawal", id)
}

// List returns withdrawals, newest first. Errors: KindInvalid.
func (s *Service) List(ctx context.Context, f WithdrawalFilter) ([]*Withdrawal, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.read.Withdrawals(ctx, f)
}
