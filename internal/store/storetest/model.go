package storetest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
)

// ModelOpen opens a fresh, migrated engine for one sequence of the model
// test, whose clock is now. close releases it (and drops its database);
// the test calls it when the sequence ends, so that hundreds of sequences
// do not hold hundreds of databases open.
type ModelOpen[T ledger.Writer] func(now func() time.Time) (e Engine[T], close func(), err error)

// modelSteps is the default average length of a sequence of the model
// test (rapid's -rapid.steps overrides it).
const modelSteps = 100

// RunModel is the model-based test of the economy: rapid draws random
// sequences of operations — coin purchases (sandbox, and card purchases
// completed or failed by the provider's events), gifts, refunds (partial
// and full), chargebacks (opened, won, lost), redelivered provider events,
// withdrawal requests, payouts, provider outcomes (processing, paid,
// failed, returned), cancellations, the release of pending diamonds, bans,
// unbans, terminations and forfeiture, and the passing of time — and runs
// each against gifting.Service and cashout.Service over a fresh engine.
// After every step the engine must agree with a small in-memory model of
// the economy, written from docs/ECONOMY.md and docs/CASHOUT.md and not
// from the code: every account's balance (coins and coin debts of viewers;
// pending, available, withdrawing diamonds and diamond receivables of
// creators; the platform's cash, dispute losses, commission revenue and
// payouts), every user's status and restriction, every purchase's
// refund/dispute state and every withdrawal's status; the ledger's own
// invariants must hold (ledger.Check: zero-sum per asset, balances equal
// their postings, no forbidden negative), and every withdrawal has exactly
// one payout job. A refused operation must be refused with the code the
// model predicts and change nothing (the one documented exception: a
// withdrawal request repays diamonds owed before its rules are checked).
// When a sequence fails, rapid shrinks it to a minimal one and prints it.
//
// checks is the number of sequences run by default, of about 100 steps
// each; -rapid.checks and -rapid.steps (or RAPID_CHECKS, RAPID_STEPS)
// override both. A failing sequence is also saved under the package's
// testdata/rapid (replay it with -rapid.failfile; -rapid.nofailfile turns
// that off).
func RunModel[T cashout.Tx](t *testing.T, open ModelOpen[T], checks int) {
	econ := modelEconomy(t)
	rapidDefault("rapid.checks", "RAPID_CHECKS", checks)
	rapidDefault("rapid.steps", "RAPID_STEPS", modelSteps)
	began := time.Now()
	var sequences, steps int
	seen := map[string]int{}
	rapid.Check(t, func(rt *rapid.T) {
		h := newModelHarness(rt, open, econ)
		rt.Repeat(h.actions())
		h.final(rt)
		sequences++
		steps += h.steps
		for k, v := range h.seen {
			seen[k] += v
		}
		for k := range h.reached {
			seen["sequences reaching: "+k]++
		}
	})
	t.Logf("model: %d sequences, %d operations in %s", sequences, steps, time.Since(began).Round(time.Millisecond))
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %-40s %d", k, seen[k])
	}
}

// rapidDefault sets one of rapid's flags unless the command line or the
// environment gave it.
func rapidDefault(name, env string, v int) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	if _, ok := os.LookupEnv(env); given || ok || flag.Lookup(name) == nil {
		return
	}
	_ = flag.Set(name, strconv.Itoa(v))
}

// The rules of the model's economy: the seed, with a one-day holding
// period, a withdrawal minimum of 10 diamonds, two withdrawals and at most
// 0.50 USD gross per 24 hours, and a one-day appeal window, so that short
// sequences reach every rule. The model computes with these constants; the
// same constants are written into the economy file the services read.
const (
	mHoldingDays    = 1
	mMinimumMilli   = 10_000 // minimum_diamonds = "10"
	mMaxWithdrawals = 2
	mPeriod         = 24 * time.Hour
	mMaxPerPeriod   = 50 // cents: max_per_period = "0.50 USD"
	mAppealDays     = 1
	// The seed's rates: 0.5 diamonds per coin (500 milli-diamonds), a
	// diamond worth 0.005 USD (a cent is 2,000 milli-diamonds), and a
	// commission of one half.
	mMilliPerCoin = 500
	mMilliPerCent = 2000
	mBase         = money.Asset("USD")
	mMaxQuantity  = 9999 // the seed's gifting.max_quantity
)

// The seed's web USD packages used here (coins → price in cents) and gifts
// (id → coins).
var (
	mPackages = map[int64]int64{70: 99, 350: 499}
	mGifts    = map[string]int64{"rose": 1, "finger-heart": 5, "lollipop": 10, "love-bang": 25, "concert": 500}
)

func modelEconomy(t *testing.T) *economy.Economy {
	t.Helper()
	return economyWith(t,
		"holding_period_days = 0", fmt.Sprintf("holding_period_days = %d", mHoldingDays),
		`minimum_diamonds = "20000"`, fmt.Sprintf(`minimum_diamonds = "%d"`, mMinimumMilli/1000),
		"max_withdrawals = 1", fmt.Sprintf("max_withdrawals = %d", mMaxWithdrawals),
		`period = "24h"`, fmt.Sprintf(`period = "%s"`, mPeriod),
		`max_per_period = "1000 USD"`, fmt.Sprintf(`max_per_period = "%d.%02d USD"`, mMaxPerPeriod/100, mMaxPerPeriod%100),
		"appeal_window_days = 30", fmt.Sprintf("appeal_window_days = %d", mAppealDays),
	)
}

// ---- the model ----

type mUser struct {
	id, country string
	creator     bool
	status      string
	statusAt    time.Time
	restriction string
}

type mPurchase struct {
	id, user, provider, ref string
	coins, price            int64
	status                  string
	refunded, reversed      int64
	dispute                 string
	at                      time.Time
}

type mGift struct {
	sender, creator string
	coins, milli    int64
	at              time.Time
	clawed          int64 // coins already attributed to a reversal
}

type mWithdrawal struct {
	id, user                      string
	milli, gross, commission, net int64
	payout                        int64
	cur                           money.Asset
	status                        string
	at                            time.Time
}

type mEvent struct {
	ev      gifting.PaymentEvent
	applied bool
}

// econModel is the economy as the documents describe it: balances kept as
// a plain map of account → amount, moved by the rules below.
type econModel struct {
	bal         map[ledger.AccountID]int64
	users       map[string]*mUser
	purchases   []*mPurchase
	gifts       []mGift // in the order they were sent
	withdrawals []*mWithdrawal
	events      []*mEvent
	// eur is the FX table's EUR per USD as a fraction (num/den).
	eurNum, eurDen int64
}

func (m *econModel) move(from, to ledger.AccountID, n int64) {
	if n < 0 {
		panic(fmt.Sprintf("model: negative move %d from %s to %s", n, from, to))
	}
	if n == 0 {
		return
	}
	m.bal[from] -= n
	m.bal[to] += n
}

func coinsRecv(u string) ledger.AccountID {
	return ledger.UserAccount(u, ledger.PurposeCoinsReceivable)
}
func pendingOf(u string) ledger.AccountID {
	return ledger.UserAccount(u, ledger.PurposeDiamondsPending)
}
func diamondsRecv(u string) ledger.AccountID {
	return ledger.UserAccount(u, ledger.PurposeDiamondsReceivable)
}

// roundHalfEven is n ÷ d rounded half to even (n ≥ 0, d > 0): the one
// rounding rule of ECONOMY.md.
func roundHalfEven(n, d int64) int64 {
	q, r := n/d, n%d
	switch {
	case 2*r > d, 2*r == d && q%2 == 1:
		q++
	}
	return q
}

// quote is a withdrawal's breakdown by ECONOMY.md's steps: gross = the
// diamonds' value rounded to the cent, net = half of it rounded, the
// commission the rest; paid in EUR to a creator in Germany, the net
// converted at the table's rate and rounded.
func (m *econModel) quote(u *mUser, milli int64) *mWithdrawal {
	w := &mWithdrawal{user: u.id, milli: milli, cur: mBase}
	w.gross = roundHalfEven(milli, mMilliPerCent)
	w.net = roundHalfEven(w.gross, 2)
	w.commission = w.gross - w.net
	w.payout = w.net
	if u.country == "DE" {
		w.cur = "EUR"
		w.payout = roundHalfEven(w.net*m.eurNum, m.eurDen)
	}
	return w
}

// completeSale: the money comes in at the provider, the coins are issued,
// and coins owed after a chargeback are repaid first.
func (m *econModel) completeSale(p *mPurchase) {
	m.move(ledger.ProviderExternal(p.provider, mBase), ledger.ProviderCash(p.provider, mBase), p.price)
	m.move(ledger.CoinsIssued, ledger.CoinsOf(p.user), p.coins)
	if owed := -m.bal[coinsRecv(p.user)]; owed > 0 {
		pay := min(m.bal[ledger.CoinsOf(p.user)], owed)
		m.move(ledger.CoinsOf(p.user), coinsRecv(p.user), pay)
		if pay == owed && m.users[p.user].restriction == gifting.RestrictionCoinDebt {
			m.users[p.user].restriction = ""
		}
	}
}

// reverse brings the coins taken back from p to what its refunds and
// dispute call for (ECONOMY.md, refunds and chargebacks).
func (m *econModel) reverse(p *mPurchase) {
	target := int64(0)
	switch {
	case p.dispute == "open" || p.dispute == "lost":
		target = p.coins
	case p.refunded > 0: // the refunded share, rounded up
		target = (p.coins*p.refunded + p.price - 1) / p.price
	}
	delta := target - p.reversed
	p.reversed = target
	u := m.users[p.user]
	wallet, recv := ledger.CoinsOf(u.id), coinsRecv(u.id)
	switch {
	case delta < 0: // a won dispute: the coins come back, repaying the debt first
		repay := min(-delta, -m.bal[recv])
		m.move(ledger.CoinsIssued, recv, repay)
		m.move(ledger.CoinsIssued, wallet, -delta-repay)
		if m.bal[recv] == 0 && u.restriction == gifting.RestrictionCoinDebt {
			u.restriction = ""
		}
	case delta > 0:
		take := min(m.bal[wallet], delta)
		short := delta - take
		m.move(wallet, ledger.CoinsIssued, take)
		if short == 0 {
			return
		}
		m.move(recv, ledger.CoinsIssued, short) // a debt: the receivable goes negative
		u.restriction = gifting.RestrictionCoinDebt
		// The spent coins are traced to the buyer's most recent gifts
		// since the purchase, each only for the coins of it no earlier
		// reversal took (a gift is clawed back at most once in all); the
		// diamonds they gave are clawed back from each creator's pending
		// diamonds, the rest as a receivable.
		owed := map[string]int64{}
		left := short
		for i := len(m.gifts) - 1; i >= 0 && left > 0; i-- {
			g := &m.gifts[i]
			if g.sender != u.id || g.at.Before(p.at) || g.clawed >= g.coins {
				continue
			}
			covered := min(g.coins-g.clawed, left)
			left -= covered
			g.clawed += covered
			owed[g.creator] += g.milli * covered / g.coins
		}
		for c, milli := range owed {
			fromPending := min(m.bal[pendingOf(c)], milli)
			m.move(pendingOf(c), ledger.DiamondsIssued, fromPending)
			m.move(diamondsRecv(c), ledger.DiamondsIssued, milli-fromPending)
		}
	}
}

// payment applies a provider event to the model; it returns the refusal
// code the documents call for ("" when it applies).
func (m *econModel) payment(ev gifting.PaymentEvent) string {
	p := m.purchase(ev.PurchaseID)
	if p == nil && ev.ProviderRef != "" {
		for _, q := range m.purchases {
			if q.provider == ev.Provider && q.ref == ev.ProviderRef {
				p = q
			}
		}
	}
	if p == nil || p.provider != ev.Provider {
		return "purchase_not_found"
	}
	cash, ext := ledger.ProviderCash(p.provider, mBase), ledger.ProviderExternal(p.provider, mBase)
	switch ev.Kind {
	case gifting.PaymentPaid:
		if p.status != gifting.PurchasePending {
			return ""
		}
		if ev.Amount != 0 && ev.Amount != p.price {
			return "payment_mismatch"
		}
		p.status, p.ref = gifting.PurchaseCompleted, ev.ProviderRef
		m.completeSale(p)
		return ""
	case gifting.PaymentFailed:
		if p.status == gifting.PurchasePending {
			p.status = gifting.PurchaseFailed
		}
		return ""
	case gifting.PaymentRefunded:
		if p.status != gifting.PurchaseCompleted {
			return "purchase_not_completed"
		}
		if ev.Refunded > p.price {
			return "invalid_request"
		}
		if ev.Refunded <= p.refunded { // refunds are cumulative: an older one changes nothing
			return ""
		}
		m.move(cash, ext, ev.Refunded-p.refunded)
		p.refunded = ev.Refunded
	case gifting.PaymentDisputeOpened, gifting.PaymentDisputeClosed:
		if p.status != gifting.PurchaseCompleted {
			return "purchase_not_completed"
		}
		disputed := p.price - p.refunded
		if p.dispute == "" {
			m.move(cash, ext, disputed)
			m.move(cash, ledger.DisputeLosses(mBase), ev.Fee)
			p.dispute = "open"
		}
		if ev.Kind == gifting.PaymentDisputeClosed && p.dispute == "open" {
			if ev.Won {
				m.move(ext, cash, disputed)
				p.dispute = "won"
			} else {
				p.dispute = "lost"
			}
		}
	}
	m.reverse(p)
	return ""
}

func (m *econModel) purchase(id string) *mPurchase {
	for _, p := range m.purchases {
		if p.id == id {
			return p
		}
	}
	return nil
}

// recent returns a creator's withdrawals that count against the period's
// limits at now: those that did not pay nothing (cancelled, failed and
// returned ones do not count), for exactly one period after the request.
func (m *econModel) recent(user string, now time.Time) (n int, gross int64) {
	for _, w := range m.withdrawals {
		if w.user != user || now.Sub(w.at) >= mPeriod {
			continue
		}
		switch w.status {
		case cashout.StatusRequested, cashout.StatusProcessing, cashout.StatusPaid:
			n++
			gross += w.gross
		}
	}
	return n, gross
}

// paid redeems a withdrawal's diamonds and books its money (CASHOUT.md,
// the ledger); returned after payment reverses it, the diamonds back to
// available.
func (m *econModel) paid(w *mWithdrawal, back bool) {
	type mv struct {
		from, to ledger.AccountID
		n        int64
	}
	moves := []mv{
		{ledger.UserAccount(w.user, ledger.PurposeDiamondsWithdrawing), ledger.DiamondsRedeemed, w.milli},
		{ledger.RedemptionIssued(mBase), ledger.CommissionRevenue(mBase), w.commission},
		{ledger.RedemptionIssued(mBase), ledger.PayoutsPayable(mBase), w.net},
	}
	if w.cur != mBase {
		moves = append(moves, mv{ledger.PayoutsPayable(mBase), ledger.FXExternal(mBase), w.net},
			mv{ledger.FXExternal(w.cur), ledger.PayoutsPayable(w.cur), w.payout})
	}
	moves = append(moves, mv{ledger.PayoutsPayable(w.cur), ledger.PayoutsExternal(cashout.ProviderSandbox, w.cur), w.payout})
	if back {
		moves[0].from = avail(w.user)
		for _, x := range moves {
			m.move(x.to, x.from, x.n)
		}
		return
	}
	for _, x := range moves {
		m.move(x.from, x.to, x.n)
	}
}

func (m *econModel) void(w *mWithdrawal) {
	m.move(held(w.user), avail(w.user), w.milli)
}

// resolve is a withdrawal's status change by CASHOUT.md: a hold resolves
// exactly once (the same status again is a no-op, another one is refused),
// processing only follows requested, and a paid one may still be returned.
func (m *econModel) resolve(w *mWithdrawal, status string) string {
	open := w.status == cashout.StatusRequested || w.status == cashout.StatusProcessing
	switch {
	case w.status == status:
		return ""
	case status == cashout.StatusProcessing && w.status == cashout.StatusRequested:
	case open && status == cashout.StatusPaid:
		m.paid(w, false)
	case open && (status == cashout.StatusFailed || status == cashout.StatusReturned || status == cashout.StatusCancelled):
		m.void(w)
	case w.status == cashout.StatusPaid && status == cashout.StatusReturned:
		m.paid(w, true)
	default:
		return "withdrawal_resolved"
	}
	w.status = status
	return ""
}

// ---- the harness ----

type modelHarness[T cashout.Tx] struct {
	e     Engine[T]
	clock *Clock
	svc   *gifting.Service
	cash  *cashout.Service
	m     *econModel

	viewers, creators []string

	mu      sync.Mutex
	payouts map[string]int // payout jobs enqueued, by withdrawal

	seq, steps int
	seen       map[string]int  // outcomes, for the log
	reached    map[string]bool // states reached, for the log
}

func newModelHarness[T cashout.Tx](rt *rapid.T, open ModelOpen[T], econ *economy.Economy) *modelHarness[T] {
	clock := NewClock(start)
	e, closeEngine, err := open(clock.Now)
	if err != nil {
		rt.Fatalf("open an engine: %v", err)
	}
	rt.Cleanup(closeEngine)
	if e.Read == nil || e.Jobs == nil {
		rt.Fatalf("the engine gives no Read or Jobs: the model test needs both")
	}
	read, ok := e.Read.(cashout.Reader)
	if !ok {
		rt.Fatalf("the engine's Read is not a cashout.Reader")
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 4096}, e.Apply)
	b.Start()
	rt.Cleanup(b.Stop)
	fx := money.NewLive(money.DefaultRates())
	h := &modelHarness[T]{e: e, clock: clock, payouts: map[string]int{}, seen: map[string]int{}, reached: map[string]bool{},
		viewers: []string{"v1", "v2"}, creators: []string{"c1", "c2"}}
	e.Jobs(func(js []ledger.Job) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, j := range js {
			if p, ok := j.(cashout.PayoutJob); ok {
				h.payouts[p.WithdrawalID]++
			}
		}
	})
	h.svc = gifting.NewService(gifting.Config{
		Economy: econ, FX: fx, Read: e.Read, Now: clock.Now,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}, card{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(w T) error { return op(w) })
		},
	})
	if _, err := h.svc.SyncCatalog(ctx); err != nil {
		rt.Fatalf("sync catalog: %v", err)
	}
	h.cash, err = cashout.NewService(cashout.Config{
		Economy: econ, FX: fx, Read: read, Now: clock.Now,
		Providers: []cashout.Provider{cashout.Sandbox{}, cashout.Manual{}},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox, cashout.MethodBank: cashout.ProviderManual},
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return b.Do(ctx, func(w T) error { return op(w) })
		},
	})
	if err != nil {
		rt.Fatal(err)
	}
	info, err := fx.Load().Info("EUR")
	if err != nil {
		rt.Fatal(err)
	}
	h.m = &econModel{bal: map[ledger.AccountID]int64{}, users: map[string]*mUser{}}
	h.m.eurNum, h.m.eurDen = fraction(rt, info.Rate.String())
	for _, id := range h.viewers {
		h.putUser(rt, id, "US", false)
	}
	for i, id := range h.creators {
		country := []string{"US", "DE"}[i%2] // c2 is paid in EUR
		h.putUser(rt, id, country, true)
		if _, _, err := h.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s-" + id, CreatorID: id, Title: "live"}); err != nil {
			rt.Fatalf("start stream: %v", err)
		}
		if _, _, err := h.cash.PutMethod(ctx, gifting.Idem{}, id, cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: id + "@example.com"}); err != nil {
			rt.Fatalf("payout method: %v", err)
		}
	}
	return h
}

// fraction reads a positive decimal ("0.9286") as num/den.
func fraction(rt *rapid.T, s string) (int64, int64) {
	whole, frac, _ := strings.Cut(s, ".")
	num, err := strconv.ParseInt(whole+frac, 10, 64)
	den := int64(1)
	for range frac {
		den *= 10
	}
	if err != nil || num <= 0 {
		rt.Fatalf("FX rate %q", s)
	}
	return num, den
}

func (h *modelHarness[T]) putUser(rt *rapid.T, id, country string, creator bool) {
	if _, _, err := h.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: "User " + id, Country: country, AgeVerified: true}); err != nil {
		rt.Fatalf("put user %s: %v", id, err)
	}
	h.m.users[id] = &mUser{id: id, country: country, creator: creator, status: gifting.UserActive}
}

// actions are the operations rapid draws from, equally often; the ones
// that build the interesting states (gifts, card purchases, disputes,
// withdrawals, time) are listed more than once to be drawn more often.
func (h *modelHarness[T]) actions() map[string]func(*rapid.T) {
	weighted := []struct {
		name   string
		weight int
		fn     func(*rapid.T)
	}{
		{"gift", 5, h.gift},
		{"buy", 1, h.buy},
		{"cardBuy", 2, h.cardBuy},
		{"checkout", 1, h.checkout},
		{"paid", 1, h.paid},
		{"paymentFail", 1, h.paymentFailed},
		{"refund", 1, h.refund},
		{"dispute", 2, h.dispute},
		{"redeliver", 1, h.redeliver},
		{"withdraw", 3, h.withdraw},
		{"payoutJob", 1, h.process},
		{"resolve", 2, h.resolve},
		{"cancel", 1, h.cancel},
		{"release", 1, h.release},
		{"advance", 2, h.advance},
		{"forfeit", 1, h.forfeit},
		{"status", 1, h.status},
	}
	out := map[string]func(*rapid.T){"": h.check}
	for _, a := range weighted {
		for i := range a.weight {
			out[fmt.Sprintf("%s%d", a.name, i+1)] = a.fn
		}
	}
	return out
}

func (h *modelHarness[T]) next(prefix string) string {
	h.seq++
	return fmt.Sprintf("%s%d", prefix, h.seq)
}

// outcome compares a service's answer with the model's prediction: want
// "" means it must succeed; otherwise it must be refused with one of the
// codes in want (several when more than one rule is broken and the
// documents do not say which is checked first).
func (h *modelHarness[T]) outcome(rt *rapid.T, what string, err error, want ...string) bool {
	h.steps++
	var ge *gifting.Error
	if err != nil && !errors.As(err, &ge) {
		rt.Fatalf("%s: %v", what, err)
	}
	if len(want) == 0 || (len(want) == 1 && want[0] == "") {
		if err != nil {
			rt.Fatalf("%s: refused with %s, but the model expects it to succeed", what, ge.Code)
		}
		h.seen[what+": ok"]++
		return true
	}
	if err == nil {
		rt.Fatalf("%s: succeeded, but the model expects a refusal (%s)", what, strings.Join(want, " or "))
	}
	for _, w := range want {
		if ge.Code == w {
			h.seen[what+": "+w]++
			rt.Logf("  refused: %s", ge.Code)
			return false
		}
	}
	rt.Fatalf("%s: refused with %s (%s), the model expects %s", what, ge.Code, ge.Message, strings.Join(want, " or "))
	return false
}

// pickPurchase draws a card purchase that ok accepts; completed ones nine
// times out of ten when there are some (refunds and disputes of the
// others are refused, which is tested, but less interesting).
func (h *modelHarness[T]) pickPurchase(rt *rapid.T, ok func(*mPurchase) bool) *mPurchase {
	var cands, completed []*mPurchase
	for _, p := range h.m.purchases {
		if p.provider == "card" && (ok == nil || ok(p)) {
			cands = append(cands, p)
			if p.status == gifting.PurchaseCompleted {
				completed = append(completed, p)
			}
		}
	}
	if len(completed) > 0 && rapid.IntRange(0, 9).Draw(rt, "any status") > 0 {
		cands = completed
	}
	if len(cands) == 0 {
		rt.Skip("no such purchase yet")
	}
	return cands[rapid.IntRange(0, len(cands)-1).Draw(rt, "purchase")]
}

// pickWithdrawal draws a withdrawal; an open one (requested or
// processing) three times out of four when there are some.
func (h *modelHarness[T]) pickWithdrawal(rt *rapid.T) *mWithdrawal {
	cands := h.m.withdrawals
	var open []*mWithdrawal
	for _, w := range cands {
		if w.status == cashout.StatusRequested || w.status == cashout.StatusProcessing {
			open = append(open, w)
		}
	}
	if len(open) > 0 && rapid.IntRange(0, 3).Draw(rt, "any status") > 0 {
		cands = open
	}
	if len(cands) == 0 {
		rt.Skip("no withdrawal yet")
	}
	return cands[rapid.IntRange(0, len(cands)-1).Draw(rt, "withdrawal")]
}

func (h *modelHarness[T]) packageOf(rt *rapid.T) (int64, int64) {
	coins := rapid.SampledFrom([]int64{70, 350}).Draw(rt, "coins")
	return coins, mPackages[coins]
}

// buy: a sandbox purchase, completed at once.
func (h *modelHarness[T]) buy(rt *rapid.T) {
	v := rapid.SampledFrom(h.viewers).Draw(rt, "viewer")
	coins, price := h.packageOf(rt)
	key := h.next("buy-")
	rt.Logf("%s buys %d coins (sandbox)", v, coins)
	p, _, err := h.svc.Purchase(ctx, gifting.Idem{Key: key, Hash: "h"}, gifting.PurchaseInput{UserID: v, PackageID: economy.PackageID("web", "USD", coins)})
	want := ""
	if h.m.users[v].status != gifting.UserActive {
		want = "user_not_active"
	}
	if !h.outcome(rt, "buy", err, want) {
		return
	}
	mp := &mPurchase{id: p.ID, user: v, provider: "sandbox", coins: coins, price: price, status: gifting.PurchaseCompleted, at: h.clock.Now()}
	h.m.purchases = append(h.m.purchases, mp)
	h.m.completeSale(mp)
}

// checkout: a card purchase, pending until the provider's event.
func (h *modelHarness[T]) checkout(rt *rapid.T) {
	v := rapid.SampledFrom(h.viewers).Draw(rt, "viewer")
	coins, price := h.packageOf(rt)
	key := h.next("card-")
	rt.Logf("%s checks out %d coins by card", v, coins)
	p, _, err := h.svc.Purchase(ctx, gifting.Idem{Key: key, Hash: "h"}, gifting.PurchaseInput{UserID: v, PackageID: economy.PackageID("web", "USD", coins), Provider: "card"})
	want := ""
	if h.m.users[v].status != gifting.UserActive {
		want = "user_not_active"
	}
	if !h.outcome(rt, "card checkout", err, want) {
		return
	}
	h.m.purchases = append(h.m.purchases, &mPurchase{id: p.ID, user: v, provider: "card", coins: coins, price: price, status: gifting.PurchasePending, at: h.clock.Now()})
}

// cardBuy: a card purchase, and the provider's event that it was paid.
func (h *modelHarness[T]) cardBuy(rt *rapid.T) {
	n := len(h.m.purchases)
	h.checkout(rt)
	if len(h.m.purchases) == n {
		return // refused
	}
	p := h.m.purchases[n]
	h.event(rt, "payment paid", gifting.PaymentEvent{ID: h.next("evt_paid_"), Kind: gifting.PaymentPaid, PurchaseID: p.id, ProviderRef: "pi_" + p.id})
}

// event sends a provider event and checks it against the model.
func (h *modelHarness[T]) event(rt *rapid.T, what string, ev gifting.PaymentEvent) {
	ev.Provider = "card"
	rt.Logf("%s: %+v", what, ev)
	_, err := h.svc.HandlePayment(ctx, ev)
	want := h.m.payment(ev)
	// The model's state is only kept when the event applied: a refused one
	// must change nothing (payment leaves the model as it was on refusal).
	h.outcome(rt, what, err, want)
	h.m.events = append(h.m.events, &mEvent{ev: ev, applied: want == ""})
}

func (h *modelHarness[T]) paid(rt *rapid.T) {
	p := h.pickPurchase(rt, nil)
	amount := rapid.SampledFrom([]int64{0, p.price, p.price - 1}).Draw(rt, "amount")
	ev := gifting.PaymentEvent{ID: h.next("evt_paid_"), Kind: gifting.PaymentPaid, PurchaseID: p.id, ProviderRef: "pi_" + p.id, Amount: amount}
	if amount != 0 {
		ev.Currency = mBase
	}
	h.event(rt, "payment paid", ev)
}

func (h *modelHarness[T]) paymentFailed(rt *rapid.T) {
	p := h.pickPurchase(rt, nil)
	h.event(rt, "payment failed", gifting.PaymentEvent{ID: h.next("evt_failed_"), Kind: gifting.PaymentFailed, PurchaseID: p.id})
}

// refund: the cumulative amount refunded so far, of a purchase without a
// dispute (a provider does not refund a disputed payment).
func (h *modelHarness[T]) refund(rt *rapid.T) {
	p := h.pickPurchase(rt, func(p *mPurchase) bool { return p.dispute == "" })
	r := rapid.OneOf(rapid.Int64Range(1, p.price), rapid.Just(p.price), rapid.Just(p.price+1)).Draw(rt, "refunded")
	ev := gifting.PaymentEvent{ID: h.next("evt_refund_"), Kind: gifting.PaymentRefunded, PurchaseID: p.id, Refunded: r}
	if p.ref != "" && rapid.Bool().Draw(rt, "by provider ref") {
		ev.PurchaseID, ev.ProviderRef = "", p.ref
	}
	h.event(rt, "refund", ev)
}

func (h *modelHarness[T]) dispute(rt *rapid.T) {
	p := h.pickPurchase(rt, nil)
	ev := gifting.PaymentEvent{ID: h.next("evt_dispute_"), PurchaseID: p.id}
	switch rapid.IntRange(0, 2).Draw(rt, "dispute") {
	case 0:
		ev.Kind, ev.Fee = gifting.PaymentDisputeOpened, rapid.SampledFrom([]int64{0, 1500}).Draw(rt, "fee")
	case 1:
		ev.Kind, ev.Won = gifting.PaymentDisputeClosed, true
	default:
		ev.Kind = gifting.PaymentDisputeClosed
	}
	h.event(rt, "dispute", ev)
}

// redeliver sends an earlier event again: one that applied changes
// nothing; one that was refused is applied as if new.
func (h *modelHarness[T]) redeliver(rt *rapid.T) {
	if len(h.m.events) == 0 {
		rt.Skip("no event yet")
	}
	old := h.m.events[rapid.IntRange(0, len(h.m.events)-1).Draw(rt, "event")]
	rt.Logf("redeliver %s (applied before: %v)", old.ev.ID, old.applied)
	_, err := h.svc.HandlePayment(ctx, old.ev)
	if old.applied {
		h.outcome(rt, "redelivered event", err)
		return
	}
	want := h.m.payment(old.ev)
	h.outcome(rt, "redelivered event", err, want)
	old.applied = want == ""
}

func (h *modelHarness[T]) gift(rt *rapid.T) {
	v := rapid.SampledFrom(h.viewers).Draw(rt, "sender")
	c := rapid.SampledFrom(h.creators).Draw(rt, "creator")
	id := rapid.SampledFrom([]string{"rose", "finger-heart", "lollipop", "love-bang", "concert"}).Draw(rt, "gift")
	qty := rapid.Int64Range(1, 3).Draw(rt, "quantity")
	if held := h.m.bal[ledger.CoinsOf(v)]; held > 0 && rapid.IntRange(0, 3).Draw(rt, "all in") == 0 {
		id, qty = "rose", min(held, mMaxQuantity) // everything the viewer holds, a coin a rose
	}
	coins := mGifts[id] * qty
	rt.Logf("%s sends %d × %s (%d coins) to %s", v, qty, id, coins, c)
	r, _, err := h.svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s-" + c, SenderID: v, GiftID: id, Quantity: qty})
	var want []string
	if h.m.users[v].status != gifting.UserActive {
		want = append(want, "user_not_active")
	}
	if h.m.users[v].restriction == gifting.RestrictionCoinDebt {
		want = append(want, "coin_debt")
	}
	if h.m.users[c].status != gifting.UserActive {
		want = append(want, "user_not_active")
	}
	if h.m.bal[ledger.CoinsOf(v)] < coins {
		want = append(want, "insufficient_funds")
	}
	if !h.outcome(rt, "gift", err, want...) {
		return
	}
	milli := coins * mMilliPerCoin
	if r.Coins != coins || r.Diamonds != money.FormatAsset(milli, money.Diamond) {
		rt.Fatalf("gift answered %d coins, %s diamonds; the model says %d and %d milli", r.Coins, r.Diamonds, coins, milli)
	}
	h.m.move(ledger.CoinsOf(v), ledger.CoinsSpent, coins)
	h.m.move(ledger.DiamondsIssued, pendingOf(c), milli) // pending: the holding period is above 0
	h.m.gifts = append(h.m.gifts, mGift{sender: v, creator: c, coins: coins, milli: milli, at: h.clock.Now()})
}

func (h *modelHarness[T]) withdraw(rt *rapid.T) {
	c := rapid.SampledFrom(h.creators).Draw(rt, "creator")
	have := h.m.bal[avail(c)]
	// Everything, the minimum, half a diamond more than there is, any
	// amount, and (twice as often) an amount the rules allow.
	allowed := rapid.Custom(func(t *rapid.T) int64 {
		most := max(mMinimumMilli, min(have, mMaxPerPeriod*mMilliPerCent))
		return rapid.Int64Range(mMinimumMilli/500, most/500).Draw(t, "half-diamonds") * 500
	})
	milli := rapid.OneOf(
		rapid.Just(have), rapid.Just(int64(mMinimumMilli)), rapid.Just(have+500),
		rapid.Custom(func(t *rapid.T) int64 { return 500 * rapid.Int64Range(1, 120).Draw(t, "half-diamonds") }),
		allowed, allowed,
	).Draw(rt, "milli")
	amount := fmt.Sprintf("%d.%03d", milli/1000, milli%1000)
	rt.Logf("%s asks to withdraw %s diamonds (available %d milli)", c, amount, have)
	w, _, err := h.cash.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: c, Diamonds: amount})
	if milli <= 0 { // not an amount: refused before anything else
		h.outcome(rt, "withdrawal request", err, "invalid_request")
		return
	}
	m, u, now := h.m, h.m.users[c], h.clock.Now()
	// Every request first repays diamonds owed from available ones; that
	// stands even when the request is then refused.
	if owed := -m.bal[diamondsRecv(c)]; owed > 0 {
		m.move(avail(c), diamondsRecv(c), min(m.bal[avail(c)], owed))
	}
	q := m.quote(u, milli)
	n, gross := m.recent(c, now)
	// The refusals in CASHOUT.md's order (standing, minimum, frequency,
	// maximum, diamonds); payouts_paused (ECONOMY.md) has no documented
	// place in it.
	var ordered []string
	if u.status != gifting.UserActive {
		ordered = append(ordered, "user_not_active")
	}
	if milli < mMinimumMilli {
		ordered = append(ordered, "below_minimum")
	}
	if n >= mMaxWithdrawals {
		ordered = append(ordered, "withdrawal_frequency")
	}
	if gross+q.gross > mMaxPerPeriod {
		ordered = append(ordered, "over_period_maximum")
	}
	if milli > m.bal[avail(c)] {
		ordered = append(ordered, "insufficient_diamonds")
	}
	var want []string
	if len(ordered) > 0 {
		want = ordered[:1]
	}
	if m.bal[diamondsRecv(c)] < 0 {
		want = append(want, "payouts_paused")
	}
	if !h.outcome(rt, "withdrawal request", err, want...) {
		return
	}
	if w.Milli != milli || w.GrossUnits != q.gross || w.CommissionUnit != q.commission || w.NetUnits != q.net || w.PayoutUnits != q.payout || w.PayoutCurrency != q.cur || w.Status != cashout.StatusRequested {
		rt.Fatalf("withdrawal %+v; the model quotes %+v", w, q)
	}
	q.id, q.status, q.at = w.ID, cashout.StatusRequested, now
	m.move(avail(c), held(c), milli)
	m.withdrawals = append(m.withdrawals, q)
}

// process is the payout job: the sandbox pays a requested withdrawal at
// once, unless its creator is no longer active (then it is cancelled);
// anything else is left alone.
func (h *modelHarness[T]) process(rt *rapid.T) {
	w := h.pickWithdrawal(rt)
	rt.Logf("payout job for %s (%s, %s)", w.id, w.user, w.status)
	got, err := h.cash.Process(ctx, w.id)
	h.outcome(rt, "payout job", err)
	if w.status == cashout.StatusRequested {
		if h.m.users[w.user].status != gifting.UserActive {
			h.reached["the payout job meets an inactive creator"] = true
			h.m.resolve(w, cashout.StatusCancelled)
		} else {
			h.m.resolve(w, cashout.StatusPaid)
		}
	}
	if got.Status != w.status {
		rt.Fatalf("payout job left %s %s; the model says %s", w.id, got.Status, w.status)
	}
}

// resolve is a provider's outcome or finance's mark.
func (h *modelHarness[T]) resolve(rt *rapid.T) {
	w := h.pickWithdrawal(rt)
	status := rapid.SampledFrom([]string{cashout.StatusProcessing, cashout.StatusPaid, cashout.StatusFailed, cashout.StatusReturned, cashout.StatusCancelled}).Draw(rt, "status")
	rt.Logf("%s (%s) → %s", w.id, w.status, status)
	_, _, err := h.cash.Resolve(ctx, gifting.Idem{}, w.id, status, "", "model")
	before := *w
	want := h.m.resolve(w, status)
	if want != "" && *w != before {
		panic("model: a refused resolution changed the model")
	}
	h.outcome(rt, "resolve "+status, err, want)
}

// cancel: the creator cancels, which works only while requested.
func (h *modelHarness[T]) cancel(rt *rapid.T) {
	w := h.pickWithdrawal(rt)
	rt.Logf("%s cancels %s (%s)", w.user, w.id, w.status)
	_, _, err := h.cash.Cancel(ctx, gifting.Idem{}, w.user, w.id)
	want := "withdrawal_not_cancellable"
	if w.status == cashout.StatusRequested {
		want = h.m.resolve(w, cashout.StatusCancelled)
	}
	h.outcome(rt, "cancel", err, want)
}

// release is the release_pending job: for each creator, all pending
// diamonds but those received within the holding period (a diamond
// becomes available once older than the period).
func (h *modelHarness[T]) release(rt *rapid.T) {
	now := h.clock.Now()
	rt.Logf("release pending diamonds at %s", now.Format(time.RFC3339))
	n, err := h.svc.ReleasePending(ctx, now)
	h.outcome(rt, "release", err)
	cutoff := now.AddDate(0, 0, -mHoldingDays)
	var total int64
	for _, c := range h.creators {
		var recent int64
		for _, g := range h.m.gifts {
			if g.creator == c && !g.at.Before(cutoff) {
				recent += g.milli
			}
		}
		if r := h.m.bal[pendingOf(c)] - recent; r > 0 {
			h.m.move(pendingOf(c), avail(c), r)
			total += r
		}
	}
	if n != total {
		rt.Fatalf("released %d milli-diamonds; the model says %d", n, total)
	}
}

// forfeit is the forfeiture job: a terminated account's pending and
// available diamonds go to the platform once its appeal window is over.
func (h *modelHarness[T]) forfeit(rt *rapid.T) {
	now := h.clock.Now()
	rt.Logf("forfeit at %s", now.Format(time.RFC3339))
	n, err := h.svc.Forfeit(ctx, now)
	h.outcome(rt, "forfeit", err)
	want := 0
	for _, id := range h.userIDs() {
		u := h.m.users[id]
		if u.status != gifting.UserTerminated || !now.After(u.statusAt.AddDate(0, 0, mAppealDays)) {
			continue
		}
		moved := false
		for _, acct := range []ledger.AccountID{pendingOf(id), avail(id)} {
			if b := h.m.bal[acct]; b > 0 {
				h.reached["forfeiture of "+strings.TrimPrefix(string(acct), "user:"+id+":")] = true
				h.m.move(acct, ledger.DiamondsForfeited, b)
				moved = true
			}
		}
		if moved {
			want++
		}
	}
	if n != want {
		rt.Fatalf("forfeited %d accounts; the model says %d", n, want)
	}
}

func (h *modelHarness[T]) userIDs() []string {
	return append(append([]string(nil), h.viewers...), h.creators...)
}

// status: the trust team bans, unbans or terminates an account; a ban or
// termination also cancels its requested withdrawals (as the API does).
func (h *modelHarness[T]) status(rt *rapid.T) {
	// Two times out of three an account that is not active is unbanned
	// (otherwise bans pile up and little else happens); else any account
	// is banned, terminated or unbanned.
	var inactive []string
	for _, id := range h.userIDs() {
		if h.m.users[id].status != gifting.UserActive {
			inactive = append(inactive, id)
		}
	}
	var id, action string
	if len(inactive) > 0 && rapid.IntRange(0, 2).Draw(rt, "reinstate") > 0 {
		id, action = rapid.SampledFrom(inactive).Draw(rt, "inactive user"), gifting.ActionUnban
	} else {
		id = rapid.SampledFrom(append(h.userIDs(), h.creators...)).Draw(rt, "user") // creators twice as often
		action = rapid.SampledFrom([]string{gifting.ActionBan, gifting.ActionBan, gifting.ActionTerminate, gifting.ActionUnban}).Draw(rt, "action")
	}
	rt.Logf("%s %s", action, id)
	u, _, err := h.svc.SetStatus(ctx, gifting.Idem{}, id, action, "model")
	mu, now := h.m.users[id], h.clock.Now()
	to := map[string]string{gifting.ActionBan: gifting.UserBanned, gifting.ActionUnban: gifting.UserActive, gifting.ActionTerminate: gifting.UserTerminated}[action]
	want := ""
	switch {
	case mu.status == to:
		want = "status_unchanged"
	case mu.status == gifting.UserTerminated && to == gifting.UserActive && !now.Before(mu.statusAt.AddDate(0, 0, mAppealDays)):
		want = "forfeited" // reinstated only within the appeal window
	}
	if !h.outcome(rt, action, err, want) {
		return
	}
	mu.status, mu.statusAt = to, now
	// The API then cancels the account's requested withdrawals; one time
	// in four the payout job runs first (and must not pay them).
	if action == gifting.ActionUnban || rapid.IntRange(0, 3).Draw(rt, "payout job first") == 0 {
		return
	}
	if _, err := h.cash.VoidOpen(ctx, u.ID, "account "+u.Status); err != nil {
		rt.Fatalf("void open withdrawals: %v", err)
	}
	for _, w := range h.m.withdrawals {
		if w.user == id && w.status == cashout.StatusRequested {
			h.m.resolve(w, cashout.StatusCancelled)
		}
	}
}

func (h *modelHarness[T]) advance(rt *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{time.Second, time.Hour, 12 * time.Hour, 23 * time.Hour, 24 * time.Hour, 25 * time.Hour, 48 * time.Hour, 49 * time.Hour}).Draw(rt, "duration")
	rt.Logf("advance %s", d)
	h.clock.Advance(d)
	if rapid.Bool().Draw(rt, "release job runs") { // as it does every 10 minutes in glint serve
		h.release(rt)
	}
}

// check compares the engine with the model after every step.
func (h *modelHarness[T]) check(rt *rapid.T) {
	s, err := h.e.Snapshot(ctx)
	if err != nil {
		rt.Fatalf("snapshot: %v", err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		rt.Fatalf("ledger invariants broken: %v", p)
	}
	got := balances(s)
	var diffs []string
	for id, v := range got {
		if v != h.m.bal[id] {
			diffs = append(diffs, fmt.Sprintf("%s = %d, the model says %d", id, v, h.m.bal[id]))
		}
	}
	for id, v := range h.m.bal {
		if _, ok := got[id]; !ok && v != 0 {
			diffs = append(diffs, fmt.Sprintf("%s is missing, the model says %d", id, v))
		}
	}
	for _, id := range h.userIDs() {
		u, err := h.e.Read.User(ctx, id)
		if err != nil {
			rt.Fatalf("user %s: %v", id, err)
		}
		mu := h.m.users[id]
		if u.Status != mu.status || u.Restriction != mu.restriction {
			diffs = append(diffs, fmt.Sprintf("user %s is %s/%q, the model says %s/%q", id, u.Status, u.Restriction, mu.status, mu.restriction))
		}
	}
	for _, mp := range h.m.purchases {
		p, err := h.e.Read.PurchaseByID(ctx, mp.id)
		if err != nil {
			rt.Fatalf("purchase %s: %v", mp.id, err)
		}
		if p.Status != mp.status || p.Dispute != mp.dispute || p.ReversedCoins != mp.reversed || p.RefundedUnits != mp.refunded {
			diffs = append(diffs, fmt.Sprintf("purchase %s is %s, dispute %q, refunded %d, reversed %d coins; the model says %s, %q, %d, %d",
				mp.id, p.Status, p.Dispute, p.RefundedUnits, p.ReversedCoins, mp.status, mp.dispute, mp.refunded, mp.reversed))
		}
	}
	h.mu.Lock()
	jobs := len(h.payouts)
	for _, mw := range h.m.withdrawals {
		if n := h.payouts[mw.id]; n != 1 {
			diffs = append(diffs, fmt.Sprintf("withdrawal %s has %d payout jobs, want 1", mw.id, n))
		}
	}
	h.mu.Unlock()
	if jobs != len(h.m.withdrawals) {
		diffs = append(diffs, fmt.Sprintf("%d payout jobs for %d withdrawals", jobs, len(h.m.withdrawals)))
	}
	for _, mw := range h.m.withdrawals {
		w, err := h.cash.Get(ctx, mw.id)
		if err != nil {
			rt.Fatalf("withdrawal %s: %v", mw.id, err)
		}
		if w.Status != mw.status {
			diffs = append(diffs, fmt.Sprintf("withdrawal %s is %s, the model says %s", mw.id, w.Status, mw.status))
		}
	}
	h.noteStates()
	if len(diffs) > 0 {
		sort.Strings(diffs)
		rt.Fatalf("the engine and the model disagree:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// noteStates records which interesting states a sequence reached, so the
// log shows what the random sequences explored.
func (h *modelHarness[T]) noteStates() {
	b := h.m.bal
	note := func(ok bool, what string) {
		if ok {
			h.reached[what] = true
		}
	}
	for _, v := range h.viewers {
		note(b[coinsRecv(v)] < 0, "a viewer owes coins")
		note(h.m.users[v].status != gifting.UserActive, "a viewer banned or terminated")
	}
	for _, c := range h.creators {
		note(b[diamondsRecv(c)] < 0, "a creator owes diamonds")
		note(b[pendingOf(c)] > 0 && b[avail(c)] > 0, "a creator with pending and available diamonds")
		note(h.m.users[c].status != gifting.UserActive, "a creator banned or terminated")
	}
	for _, w := range h.m.withdrawals {
		note(true, "withdrawal "+w.status)
	}
	for _, p := range h.m.purchases {
		note(p.refunded > 0 && p.refunded < p.price, "a partial refund")
		note(p.dispute != "", "a dispute "+p.dispute)
	}
	note(b[ledger.ProviderCash("card", mBase)] < 0, "card cash below zero")
	note(b[ledger.DiamondsForfeited] > 0, "diamonds forfeited")
	note(b[ledger.PayoutsExternal(cashout.ProviderSandbox, "EUR")] > 0, "a payout in EUR")
}

// final checks the platform's books (glint report) at the end of a
// sequence: every figure reconciles with the ledger.
func (h *modelHarness[T]) final(rt *rapid.T) {
	rr, ok := h.e.Read.(cashout.ReportReader)
	if !ok {
		rt.Fatalf("the engine's Read is not a cashout.ReportReader")
	}
	rep, err := cashout.BuildReport(ctx, h.svc.Economy(), rr, time.Time{})
	if err != nil {
		rt.Fatalf("report: %v", err)
	}
	for _, ch := range rep.Checks {
		if !ch.OK {
			rt.Fatalf("the books do not reconcile: %s: %s", ch.Name, ch.Detail)
		}
	}
}
