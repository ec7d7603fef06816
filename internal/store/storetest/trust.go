package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
)

// RunTrust runs the trust part of the conformance suite: bans and
// termination with forfeiture, the holding period, and the laundering
// scenario — a card buys coins, they are gifted to a creator who cashes
// out, and the chargeback arrives — within the holding period and after
// the payout.
func RunTrust[T cashout.Tx](t *testing.T, open Open[T]) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open[T])
	}{
		{"BansAndTermination", testBans[T]},
		{"HoldingPeriod", testHolding[T]},
		{"LaunderingWithinHoldingPeriod", testLaunderingPending[T]},
		{"LaunderingAfterPayout", testLaunderingPaid[T]},
		{"RefundsPartialRepeatedOutOfOrder", testRefunds[T]},
		{"ClawbacksEachGiftOnce", testClawbacksOnce[T]},
		{"ConcurrentDeliveriesCreditOnce", testConcurrentDeliveries[T]},
		{"GiftVelocity", testVelocity[T]},
		{"ReviewHoldOnNewAccounts", testReviewHold[T]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// card is a card payment provider as the tests see Stripe: checkout
// leaves the purchase pending, a webhook completes it.
type card struct{}

func (card) Name() string { return "card" }
func (card) Checkout(_ context.Context, p *gifting.Purchase) (gifting.CheckoutResult, error) {
	return gifting.CheckoutResult{CheckoutURL: "https://pay.example/" + p.ID}, nil
}

// economyWith is the seed economy with some lines replaced.
func economyWith(t *testing.T, repl ...string) *economy.Economy {
	t.Helper()
	src := string(economy.SeedFile())
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(src, repl[i]) {
			t.Fatalf("the seed has no %q", repl[i])
		}
		src = strings.Replace(src, repl[i], repl[i+1], 1)
	}
	e, err := economy.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newTrustEnv[T cashout.Tx](t *testing.T, open Open[T], econ *economy.Economy) *cashoutEnv[T] {
	t.Helper()
	return newCashoutEnvWith(t, newDomainWith(t, open, econ, card{}))
}

// cardBuy buys a package with the card provider and completes it as the
// provider's webhook would; it returns the purchase.
func (c *cashoutEnv[T]) cardBuy(t *testing.T, user string, coins int64, ref string) *gifting.Purchase {
	t.Helper()
	p, _, err := c.svc.Purchase(ctx, gifting.Idem{Key: "card:" + ref, Hash: "h"}, gifting.PurchaseInput{UserID: user, PackageID: economy.PackageID("web", "USD", coins), Provider: "card"})
	if err != nil || p.Status != gifting.PurchasePending || p.CheckoutURL == "" {
		t.Fatalf("card purchase: %+v %v", p, err)
	}
	done, err := c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "evt_paid_" + ref, Provider: "card", Kind: gifting.PaymentPaid, PurchaseID: p.ID, ProviderRef: "pi_" + ref})
	if err != nil || done.Status != gifting.PurchaseCompleted {
		t.Fatalf("paid: %+v %v", done, err)
	}
	return done
}

func (c *cashoutEnv[T]) event(t *testing.T, ev gifting.PaymentEvent) *gifting.Purchase {
	t.Helper()
	ev.Provider = "card"
	p, err := c.svc.HandlePayment(ctx, ev)
	if err != nil {
		t.Fatalf("event %s: %v", ev.Kind, err)
	}
	mustClean(t, c.e)
	return p
}

func (c *cashoutEnv[T]) bal(t *testing.T, id ledger.AccountID) int64 {
	t.Helper()
	return c.balances(t, id)[id]
}

func testBans[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economy.Seed())
	c.creator(t, "cb", "US", 40000)
	c.user(t, "vb")
	c.buy(t, "vb", 350)
	set := func(id, action, reason string) (*gifting.User, error) {
		u, _, err := c.svc.SetStatus(ctx, gifting.Idem{}, id, action, reason)
		return u, err
	}
	_, err := set("vb", "ban", "")
	wantCode(t, "ban without a reason", err, "invalid_request")
	_, err = set("vb", "suspend", "x")
	wantCode(t, "unknown action", err, "invalid_request")
	_, err = set("ghost", "ban", "x")
	wantCode(t, "unknown user", err, "user_not_found")

	u, err := set("vb", "ban", "stolen card")
	if err != nil || u.Status != gifting.UserBanned || u.StatusReason != "stolen card" || u.StatusAt == nil {
		t.Fatalf("ban: %+v %v", u, err)
	}
	_, err = set("vb", "ban", "again")
	wantCode(t, "ban twice", err, "status_unchanged")
	// A banned viewer cannot buy or send; a banned creator cannot receive or withdraw.
	_, _, err = c.svc.Purchase(ctx, gifting.Idem{Key: "b1", Hash: "h"}, gifting.PurchaseInput{UserID: "vb", PackageID: economy.PackageID("web", "USD", 70)})
	wantCode(t, "banned buyer", err, "user_not_active")
	_, err = c.gift("s-cb", "vb", "rose", 1, "")
	wantCode(t, "banned sender", err, "user_not_active")
	if _, err := set("vb", "unban", "appeal upheld"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.gift("s-cb", "vb", "rose", 1, ""); err != nil {
		t.Fatalf("after unban: %v", err)
	}
	w, err := c.request("cb", "20000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set("cb", "ban", "fraud ring"); err != nil {
		t.Fatal(err)
	}
	_, err = c.gift("s-cb", "vb", "rose", 1, "")
	wantCode(t, "banned creator receives", err, "user_not_active")
	_, err = c.request("cb", "20000")
	wantCode(t, "banned creator withdraws", err, "user_not_active")
	// The payout job does not pay a banned creator: the hold is voided.
	got, err := c.cash.Process(ctx, w.ID)
	if err != nil || got.Status != cashout.StatusCancelled {
		t.Fatalf("payout of a banned creator: %+v %v", got, err)
	}
	mustClean(t, c.e)

	// Termination: frozen at once, forfeited after the appeal window
	// unless reinstated.
	if _, err := set("cb", "terminate", "confirmed fraud"); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(29 * 24 * time.Hour)
	if n, err := c.svc.Forfeit(ctx, c.clock.Now()); err != nil || n != 0 {
		t.Fatalf("forfeit inside the window: %d %v", n, err)
	}
	held := c.bal(t, avail("cb"))
	c.clock.Advance(24*time.Hour + time.Second)
	if n, err := c.svc.Forfeit(ctx, c.clock.Now()); err != nil || n != 1 {
		t.Fatalf("forfeit after the window: %d %v", n, err)
	}
	if c.bal(t, avail("cb")) != 0 || c.bal(t, ledger.DiamondsForfeited) != held || held == 0 {
		t.Fatalf("forfeited %d of %d", c.bal(t, ledger.DiamondsForfeited), held)
	}
	if n, err := c.svc.Forfeit(ctx, c.clock.Now()); err != nil || n != 0 {
		t.Fatalf("forfeit again: %d %v", n, err)
	}
	_, err = set("cb", "unban", "too late")
	wantCode(t, "reinstate after the window", err, "forfeited")

	// Reinstated within the window: nothing is forfeited.
	c.creator(t, "cr", "US", 40000)
	if _, err := set("cr", "terminate", "mistake"); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(10 * 24 * time.Hour)
	if _, err := set("cr", "unban", "reinstated on appeal"); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(30 * 24 * time.Hour)
	if n, err := c.svc.Forfeit(ctx, c.clock.Now()); err != nil || n != 0 || c.bal(t, avail("cr")) != 20000000 {
		t.Fatalf("a reinstated creator lost diamonds: %d %v", n, err)
	}
	mustClean(t, c.e)
}

func testHolding[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economyWith(t, "holding_period_days = 0", "holding_period_days = 7"))
	c.creator(t, "ch", "US", 40000)
	if c.bal(t, ledger.UserAccount("ch", ledger.PurposeDiamondsPending)) != 20000000 || c.bal(t, avail("ch")) != 0 {
		t.Fatal("a gift under a holding period did not land in pending")
	}
	_, err := c.request("ch", "20000")
	wantCode(t, "pending diamonds", err, "insufficient_diamonds")
	c.clock.Advance(6 * 24 * time.Hour)
	if n, err := c.svc.ReleasePending(ctx, c.clock.Now()); err != nil || n != 0 {
		t.Fatalf("release after 6 days: %d %v", n, err)
	}
	// More gifts on day 6: they stay pending a week of their own.
	c.buy(t, "fan-ch", 17500)
	if _, err := c.gift("s-ch", "fan-ch", "rocket", 1, ""); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(24*time.Hour + time.Second)
	if n, err := c.svc.ReleasePending(ctx, c.clock.Now()); err != nil || n != 20000000 {
		t.Fatalf("release after 7 days: %d %v", n, err)
	}
	if c.bal(t, avail("ch")) != 20000000 || c.bal(t, ledger.UserAccount("ch", ledger.PurposeDiamondsPending)) != 10000000 {
		t.Fatal("the release moved the wrong diamonds")
	}
	if _, err := c.request("ch", "20000"); err != nil {
		t.Fatalf("after the release: %v", err)
	}
	mustClean(t, c.e)
}

// testLaunderingPending: a stolen card buys coins, gifts them to creator
// C; C has older, legitimate diamonds and asks to cash out everything; the
// chargeback arrives within the holding period: the diamonds are clawed
// back from pending, and C can withdraw only the legitimate ones.
func testLaunderingPending[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economyWith(t, "holding_period_days = 0", "holding_period_days = 7"))
	c.creator(t, "C", "US", 40000) // 20,000 legitimate diamonds
	c.clock.Advance(8 * 24 * time.Hour)
	if _, err := c.svc.ReleasePending(ctx, c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	c.user(t, "thief")
	p := c.cardBuy(t, "thief", 1400, "stolen")
	if _, err := c.gift("s-C", "thief", "galaxy", 1, ""); err != nil { // 1,000 coins → 500 diamonds, pending
		t.Fatal(err)
	}
	mustClean(t, c.e)
	_, err := c.request("C", "20500")
	wantCode(t, "the fresh diamonds are pending", err, "insufficient_diamonds")

	got := c.event(t, gifting.PaymentEvent{ID: "evt_dispute", Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_stolen", Fee: 1500})
	if got.Dispute != "open" || got.ReversedCoins != 1400 {
		t.Fatalf("after the dispute: %+v", got)
	}
	// 400 coins the thief still held are taken back; 1,000 spent become a
	// receivable; the 500 diamonds they made are clawed back from pending.
	if c.bal(t, ledger.CoinsOf("thief")) != 0 || c.bal(t, ledger.UserAccount("thief", ledger.PurposeCoinsReceivable)) != -1000 {
		t.Fatal("the thief's coins were not taken back")
	}
	if c.bal(t, ledger.UserAccount("C", ledger.PurposeDiamondsPending)) != 0 || c.bal(t, ledger.UserAccount("C", ledger.PurposeDiamondsReceivable)) != 0 {
		t.Fatal("the clawback did not come from pending")
	}
	// The card's 19.99 went back to the bank, and the provider took its
	// 15.00 fee from the platform's balance there.
	if c.bal(t, ledger.DisputeLosses("USD")) != 1500 || c.bal(t, ledger.ProviderCash("card", "USD")) != -1500 {
		t.Fatalf("money: losses %d, cash %d", c.bal(t, ledger.DisputeLosses("USD")), c.bal(t, ledger.ProviderCash("card", "USD")))
	}
	u, err := c.svc.GetUser(ctx, "thief")
	if err != nil || u.Restriction != gifting.RestrictionCoinDebt {
		t.Fatalf("thief: %+v %v", u, err)
	}
	_, err = c.gift("s-C", "thief", "rose", 1, "")
	wantCode(t, "gifting in debt", err, "coin_debt")
	// The same event again changes nothing.
	if again := c.event(t, gifting.PaymentEvent{ID: "evt_dispute", Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_stolen", Fee: 1500}); again.ReversedCoins != 1400 {
		t.Fatalf("replayed dispute: %+v", again)
	}
	_, err = c.request("C", "20500")
	wantCode(t, "cash out the clawed-back diamonds", err, "insufficient_diamonds")
	if _, err := c.request("C", "20000"); err != nil {
		t.Fatalf("the legitimate diamonds: %v", err)
	}
	_ = p
	mustClean(t, c.e)
	c.booksReconcile(t)
}

// testLaunderingPaid: no holding period; the coins are gifted, C cashes
// out and is paid; then the chargeback: C's diamonds go negative (a
// receivable), payouts pause, and later earnings repay it.
func testLaunderingPaid[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economy.Seed())
	c.creator(t, "C", "US", 0)
	c.user(t, "thief")
	c.live(t, "s-C", "C")
	for i, ref := range []string{"a", "b", "c"} {
		c.cardBuy(t, "thief", 17500, ref)
		_ = i
	}
	if _, err := c.gift("s-C", "thief", "rocket", 2, ""); err != nil { // 40,000 coins → 20,000 diamonds
		t.Fatal(err)
	}
	w, err := c.request("C", "20000")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.cash.Process(ctx, w.ID); err != nil || got.Status != cashout.StatusPaid {
		t.Fatalf("payout: %+v %v", got, err)
	}
	mustClean(t, c.e)
	// Purchase "c" (17,500 coins) is charged back; the thief holds 12,500
	// coins, so 5,000 were spent: 2,500 diamonds are owed by C.
	got := c.event(t, gifting.PaymentEvent{ID: "evt_c", Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_c", Fee: 1500})
	if got.ReversedCoins != 17500 {
		t.Fatalf("reversed %d", got.ReversedCoins)
	}
	if r := c.bal(t, ledger.UserAccount("C", ledger.PurposeDiamondsReceivable)); r != -2500000 {
		t.Fatalf("C owes %d milli-diamonds, want 2,500 diamonds", -r)
	}
	if c.bal(t, ledger.UserAccount("thief", ledger.PurposeCoinsReceivable)) != -5000 || c.bal(t, ledger.CoinsOf("thief")) != 0 {
		t.Fatal("thief's coins")
	}
	_, err = c.request("C", "20000")
	wantCode(t, "payouts pause", err, "payouts_paused")
	mustClean(t, c.e)

	// Later, honest earnings: 10,000 diamonds; they repay the 2,500 owed.
	c.clock.Advance(25 * time.Hour)
	c.user(t, "fan")
	c.buy(t, "fan", 17500)
	c.buy(t, "fan", 7000)
	if _, err := c.gift("s-C", "fan", "rocket", 1, ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.request("C", "20000")
	wantCode(t, "repaid, but below the minimum", err, "insufficient_diamonds")
	if c.bal(t, ledger.UserAccount("C", ledger.PurposeDiamondsReceivable)) != 0 || c.bal(t, avail("C")) != 7500000 {
		t.Fatalf("after netting: receivable %d, available %d", c.bal(t, ledger.UserAccount("C", ledger.PurposeDiamondsReceivable)), c.bal(t, avail("C")))
	}
	mustClean(t, c.e)

	// The dispute is won after all: the thief's coins come back, repaying
	// their receivable first.
	got = c.event(t, gifting.PaymentEvent{ID: "evt_c_won", Kind: gifting.PaymentDisputeClosed, ProviderRef: "pi_c", Won: true})
	if got.Dispute != "won" || got.ReversedCoins != 0 {
		t.Fatalf("won: %+v", got)
	}
	if c.bal(t, ledger.UserAccount("thief", ledger.PurposeCoinsReceivable)) != 0 || c.bal(t, ledger.CoinsOf("thief")) != 12500 {
		t.Fatal("coins not reinstated")
	}
	u, _ := c.svc.GetUser(ctx, "thief")
	if u.Restriction != "" {
		t.Fatalf("restriction %q after the debt was repaid", u.Restriction)
	}
	c.booksReconcile(t)
}

// booksReconcile checks the platform's books (glint report) at the end of a
// scenario: every figure agrees with the ledger.
func (c *cashoutEnv[T]) booksReconcile(t *testing.T) {
	t.Helper()
	rr, ok := c.e.Read.(cashout.ReportReader)
	if !ok {
		t.Fatal("the engine's Read is not a cashout.ReportReader")
	}
	rep, err := cashout.BuildReport(ctx, c.econ, rr, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range rep.Checks {
		if !ch.OK {
			t.Errorf("the books do not reconcile: %s: %s", ch.Name, ch.Detail)
		}
	}
}

// testRefunds: partial refunds take back their share of the coins (rounded
// up), repeated and older events change nothing, a refund before the
// payment is refused until the payment's event arrives, and a later
// purchase repays coins owed.
func testRefunds[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economy.Seed())
	c.user(t, "v")
	p, _, err := c.svc.Purchase(ctx, gifting.Idem{Key: "early", Hash: "h"}, gifting.PurchaseInput{UserID: "v", PackageID: economy.PackageID("web", "USD", 700), Provider: "card"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "evt_r0", Provider: "card", Kind: gifting.PaymentRefunded, PurchaseID: p.ID, Refunded: 100})
	wantCode(t, "a refund before the payment", err, "purchase_not_completed")
	_, err = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "evt_x", Provider: "card", Kind: gifting.PaymentRefunded, ProviderRef: "pi_unknown", Refunded: 100})
	wantCode(t, "an unknown payment", err, "purchase_not_found")
	c.event(t, gifting.PaymentEvent{ID: "evt_p", Kind: gifting.PaymentPaid, PurchaseID: p.ID, ProviderRef: "pi_early"})
	// 999 cents of 700 coins: refund 2.00 → ⌈700 × 200 / 999⌉ = 141 coins.
	got := c.event(t, gifting.PaymentEvent{ID: "evt_r1", Kind: gifting.PaymentRefunded, ProviderRef: "pi_early", Refunded: 200})
	if got.ReversedCoins != 141 || got.RefundedUnits != 200 || c.bal(t, ledger.CoinsOf("v")) != 559 {
		t.Fatalf("partial refund: %+v, coins %d", got, c.bal(t, ledger.CoinsOf("v")))
	}
	// An older refund event (1.00) arriving late, and the same event again: nothing.
	c.event(t, gifting.PaymentEvent{ID: "evt_r0b", Kind: gifting.PaymentRefunded, ProviderRef: "pi_early", Refunded: 100})
	c.event(t, gifting.PaymentEvent{ID: "evt_r1", Kind: gifting.PaymentRefunded, ProviderRef: "pi_early", Refunded: 200})
	if c.bal(t, ledger.CoinsOf("v")) != 559 {
		t.Fatal("a late or repeated refund moved coins")
	}
	// Spend most, then the full refund: 559 − 500 = 59 held, the rest owed.
	c.creator(t, "cc", "US", 0)
	c.live(t, "s-cc", "cc")
	if _, err := c.gift("s-cc", "v", "concert", 1, ""); err != nil {
		t.Fatal(err)
	}
	got = c.event(t, gifting.PaymentEvent{ID: "evt_r2", Kind: gifting.PaymentRefunded, ProviderRef: "pi_early", Refunded: 999})
	if got.ReversedCoins != 700 || c.bal(t, ledger.CoinsOf("v")) != 0 || c.bal(t, ledger.UserAccount("v", ledger.PurposeCoinsReceivable)) != -500 {
		t.Fatalf("full refund: %+v", got)
	}
	if c.bal(t, ledger.UserAccount("cc", ledger.PurposeDiamondsReceivable)) != -250000 {
		t.Fatalf("creator receivable %d", c.bal(t, ledger.UserAccount("cc", ledger.PurposeDiamondsReceivable)))
	}
	if c.bal(t, ledger.ProviderCash("card", "USD")) != 0 {
		t.Fatal("the refunds did not return the money")
	}
	// A new purchase repays the 500 coins owed first.
	c.cardBuy(t, "v", 700, "next")
	if c.bal(t, ledger.CoinsOf("v")) != 200 || c.bal(t, ledger.UserAccount("v", ledger.PurposeCoinsReceivable)) != 0 {
		t.Fatalf("repay: coins %d", c.bal(t, ledger.CoinsOf("v")))
	}
	u, _ := c.svc.GetUser(ctx, "v")
	if u.Restriction != "" {
		t.Fatalf("restriction %q", u.Restriction)
	}
	mustClean(t, c.e)
	c.booksReconcile(t)
}

// testClawbacksOnce: two reversals never attribute the same gift twice. A
// buyer buys 70 coins (A) and gifts them to X, buys 70 more (B) and gifts
// them to Y; B then A are charged back: Y's gift answers for B, X's for A,
// each creator is clawed back exactly the 35 diamonds of their own gift.
// Charged back the other way round, A takes the newest gift (Y's) and B
// finds nothing left to claw: Y still pays only for its own gift. And a
// partial refund then a chargeback of one purchase share its gifts out
// without clawing one twice.
func testClawbacksOnce[T cashout.Tx](t *testing.T, open Open[T]) {
	pending := func(u string) ledger.AccountID { return ledger.UserAccount(u, ledger.PurposeDiamondsPending) }
	recv := func(u string) ledger.AccountID { return ledger.UserAccount(u, ledger.PurposeDiamondsReceivable) }
	// setup: the two purchases and gifts; a holding period, so that the
	// diamonds a creator is clawed back come out of its pending ones.
	setup := func(t *testing.T) *cashoutEnv[T] {
		c := newTrustEnv(t, open, economyWith(t, "holding_period_days = 0", "holding_period_days = 7"))
		c.user(t, "buyer")
		for _, id := range []string{"X", "Y"} {
			c.creator(t, id, "US", 0)
			c.live(t, "s-"+id, id)
		}
		for _, step := range []struct{ ref, creator string }{{"a", "X"}, {"b", "Y"}} {
			c.clock.Advance(time.Second)
			c.cardBuy(t, "buyer", 70, step.ref)
			c.clock.Advance(time.Second)
			if _, err := c.gift("s-"+step.creator, "buyer", "rose", 70, ""); err != nil { // 70 coins → 35 diamonds
				t.Fatal(err)
			}
		}
		for _, id := range []string{"X", "Y"} {
			if got := c.bal(t, pending(id)); got != 35000 {
				t.Fatalf("%s holds %d milli-diamonds pending, want 35,000", id, got)
			}
		}
		return c
	}
	chargeback := func(t *testing.T, c *cashoutEnv[T], ref string) {
		t.Helper()
		got := c.event(t, gifting.PaymentEvent{ID: "evt_cb_" + ref, Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_" + ref})
		if got.Dispute != "open" || got.ReversedCoins != 70 {
			t.Fatalf("chargeback of %s: %+v", ref, got)
		}
	}

	t.Run("NewestFirst", func(t *testing.T) {
		c := setup(t)
		chargeback(t, c, "b")
		if c.bal(t, pending("Y")) != 0 || c.bal(t, recv("Y")) != 0 || c.bal(t, pending("X")) != 35000 {
			t.Fatalf("after B: Y pending %d receivable %d, X pending %d", c.bal(t, pending("Y")), c.bal(t, recv("Y")), c.bal(t, pending("X")))
		}
		chargeback(t, c, "a")
		for _, id := range []string{"X", "Y"} {
			if p, r := c.bal(t, pending(id)), c.bal(t, recv(id)); p != 0 || r != 0 {
				t.Errorf("%s: pending %d, receivable %d: want its own 35 diamonds clawed back, no more", id, p, r)
			}
		}
		if c.bal(t, ledger.CoinsOf("buyer")) != 0 || c.bal(t, ledger.UserAccount("buyer", ledger.PurposeCoinsReceivable)) != -140 {
			t.Fatal("the buyer's coins")
		}
		mustClean(t, c.e)
		c.booksReconcile(t)
	})
	t.Run("OldestFirst", func(t *testing.T) {
		c := setup(t)
		chargeback(t, c, "a")
		chargeback(t, c, "b")
		if p, r := c.bal(t, pending("Y")), c.bal(t, recv("Y")); p != 0 || r != 0 {
			t.Errorf("Y: pending %d, receivable %d: want its own 35 diamonds clawed back, no more", p, r)
		}
		if p, r := c.bal(t, pending("X")), c.bal(t, recv("X")); p != 35000 || r != 0 {
			t.Errorf("X: pending %d, receivable %d: its gift is older than B and was not A's newest", p, r)
		}
		if c.bal(t, ledger.UserAccount("buyer", ledger.PurposeCoinsReceivable)) != -140 {
			t.Fatal("the buyer's coins")
		}
		mustClean(t, c.e)
		c.booksReconcile(t)
	})
	// More gifts since a purchase than one page of history, the newest of
	// them already clawed back: the reversal reads on until the gifts not
	// yet taken cover it.
	t.Run("ManyGiftsSince", func(t *testing.T) {
		c := newTrustEnv(t, open, economyWith(t, "holding_period_days = 0", "holding_period_days = 7"))
		c.user(t, "v")
		for _, id := range []string{"X", "Y"} {
			c.creator(t, id, "US", 0)
			c.live(t, "s-"+id, id)
		}
		roses := func(creator string) { // 350 gifts of one rose
			for n := 0; n < 350; n += 50 {
				batch := make([]gifting.BatchGift, 50)
				for i := range batch {
					batch[i] = gifting.BatchGift{Input: gifting.SendGiftInput{StreamID: "s-" + creator, SenderID: "v", GiftID: "rose", Quantity: 1}}
				}
				for _, r := range c.svc.SendGifts(ctx, batch) {
					if r.Err != nil {
						t.Fatal(r.Err)
					}
				}
			}
		}
		c.cardBuy(t, "v", 350, "a")
		c.clock.Advance(time.Second)
		roses("X")
		c.clock.Advance(time.Second)
		c.cardBuy(t, "v", 350, "b")
		c.clock.Advance(time.Second)
		roses("Y")
		for _, ref := range []string{"b", "a"} {
			got := c.event(t, gifting.PaymentEvent{ID: "evt_cb_" + ref, Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_" + ref})
			if got.ReversedCoins != 350 {
				t.Fatalf("chargeback of %s: %+v", ref, got)
			}
		}
		for _, id := range []string{"X", "Y"} {
			if p, r := c.bal(t, pending(id)), c.bal(t, recv(id)); p != 0 || r != 0 {
				t.Errorf("%s: pending %d, receivable %d: want its own 175 diamonds clawed back, no more, no less", id, p, r)
			}
		}
		mustClean(t, c.e)
	})
	t.Run("PartialRefundThenChargeback", func(t *testing.T) {
		c := newTrustEnv(t, open, economyWith(t, "holding_period_days = 0", "holding_period_days = 7"))
		c.user(t, "v")
		for _, id := range []string{"X", "Y"} {
			c.creator(t, id, "US", 0)
			c.live(t, "s-"+id, id)
		}
		c.cardBuy(t, "v", 700, "p")
		c.clock.Advance(time.Second)
		if _, err := c.gift("s-X", "v", "rose", 500, ""); err != nil { // 250 diamonds
			t.Fatal(err)
		}
		c.clock.Advance(time.Second)
		if _, err := c.gift("s-Y", "v", "rose", 200, ""); err != nil { // 100 diamonds
			t.Fatal(err)
		}
		// Refund 2.00 of 9.99: ⌈700 × 200 / 999⌉ = 141 coins, all spent:
		// traced to Y's gift (the newest), 141 of its 200 coins →
		// ⌊100,000 × 141 / 200⌋ = 70,500 milli-diamonds.
		got := c.event(t, gifting.PaymentEvent{ID: "evt_r", Kind: gifting.PaymentRefunded, ProviderRef: "pi_p", Refunded: 200})
		if got.ReversedCoins != 141 || c.bal(t, pending("Y")) != 29500 || c.bal(t, pending("X")) != 250000 {
			t.Fatalf("after the refund: %+v, Y pending %d, X pending %d", got, c.bal(t, pending("Y")), c.bal(t, pending("X")))
		}
		// The chargeback takes the other 559: the last 59 of Y's gift,
		// then all 500 of X's.
		got = c.event(t, gifting.PaymentEvent{ID: "evt_cb", Kind: gifting.PaymentDisputeOpened, ProviderRef: "pi_p"})
		if got.ReversedCoins != 700 {
			t.Fatalf("after the chargeback: %+v", got)
		}
		for _, id := range []string{"X", "Y"} {
			if p, r := c.bal(t, pending(id)), c.bal(t, recv(id)); p != 0 || r != 0 {
				t.Errorf("%s: pending %d, receivable %d: want exactly its own gift clawed back", id, p, r)
			}
		}
		if c.bal(t, ledger.UserAccount("v", ledger.PurposeCoinsReceivable)) != -700 {
			t.Fatal("the buyer's coins")
		}
		mustClean(t, c.e)
		c.booksReconcile(t)
	})
}

// testConcurrentDeliveries: five deliveries of one event at once, and the
// session's two "paid" events (completed, async succeeded), credit once.
func testConcurrentDeliveries[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economy.Seed())
	c.user(t, "v")
	p, _, err := c.svc.Purchase(ctx, gifting.Idem{Key: "k", Hash: "h"}, gifting.PurchaseInput{UserID: "v", PackageID: economy.PackageID("web", "USD", 700), Provider: "card"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range 6 {
		id := "evt_completed"
		if i == 5 {
			id = "evt_async_succeeded"
		}
		wg.Go(func() {
			_, errs[i] = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: id, Provider: "card", Kind: gifting.PaymentPaid, PurchaseID: p.ID, ProviderRef: "pi_k", Amount: 999, Currency: "USD"})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if got := c.bal(t, ledger.CoinsOf("v")); got != 700 {
		t.Fatalf("six deliveries credited %d coins, want 700 once", got)
	}
	// A paid event whose amount is not the price leaves a purchase pending.
	q, _, err := c.svc.Purchase(ctx, gifting.Idem{Key: "k2", Hash: "h"}, gifting.PurchaseInput{UserID: "v", PackageID: economy.PackageID("web", "USD", 700), Provider: "card"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "evt_cheap", Provider: "card", Kind: gifting.PaymentPaid, PurchaseID: q.ID, Amount: 99, Currency: "USD"})
	wantCode(t, "a payment of the wrong amount", err, "payment_mismatch")
	mustClean(t, c.e)
}

func testVelocity[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economyWith(t, "max_gifts_per_minute = 0", "max_gifts_per_minute = 3"))
	c.creator(t, "cv", "US", 0)
	c.live(t, "s-cv", "cv")
	c.user(t, "fast")
	c.buy(t, "fast", 350)
	c.clock.Advance(30 * time.Second) // start inside a minute
	for i := range 3 {
		if _, err := c.gift("s-cv", "fast", "rose", 1, ""); err != nil {
			t.Fatalf("gift %d: %v", i+1, err)
		}
	}
	_, err := c.gift("s-cv", "fast", "rose", 1, "")
	wantCode(t, "a fourth gift in the minute", err, "gift_velocity")
	c.clock.Advance(time.Minute)
	if _, err := c.gift("s-cv", "fast", "rose", 1, ""); err != nil {
		t.Fatalf("the next minute: %v", err)
	}
	if c.bal(t, ledger.CoinsOf("fast")) != 346 {
		t.Fatal("a refused gift moved coins")
	}
	mustClean(t, c.e)
}

// testReviewHold: fresh accounts pouring coins into one creator hold the
// creator's payouts until the trust team releases them.
func testReviewHold[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economyWith(t, "new_account_coins_per_hour = 0", "new_account_coins_per_hour = 30000"))
	c.creator(t, "old", "US", 0)
	c.live(t, "s-old", "old")
	c.user(t, "veteran")
	c.buy(t, "veteran", 17500)
	c.buy(t, "veteran", 17500)
	c.clock.Advance(8 * 24 * time.Hour)
	// A week-old account's gifts do not count: no hold.
	if _, err := c.gift("s-old", "veteran", "rocket", 1, ""); err != nil {
		t.Fatal(err)
	}
	c.user(t, "fresh")
	c.buy(t, "fresh", 17500)
	c.buy(t, "fresh", 17500)
	if _, err := c.gift("s-old", "fresh", "rocket", 1, ""); err != nil { // 20,000 coins from a new account: under 30,000
		t.Fatal(err)
	}
	if _, _, err := c.cash.PutMethod(ctx, gifting.Idem{}, "old", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: "old@example.com"}); err != nil {
		t.Fatal(err)
	}
	w, err := c.request("old", "20000")
	if err != nil {
		t.Fatalf("under the threshold: %v", err)
	}
	if _, _, err := c.cash.Cancel(ctx, gifting.Idem{}, "old", w.ID); err != nil {
		t.Fatal(err)
	}
	c.user(t, "fresh2")
	c.buy(t, "fresh2", 17500)
	if _, err := c.gift("s-old", "fresh2", "interstellar", 1, ""); err != nil { // +10,000: 30,000 is not over 30,000
		t.Fatal(err)
	}
	if _, err := c.gift("s-old", "fresh2", "rose", 1, ""); err != nil { // 30,001
		t.Fatal(err)
	}
	_, err = c.request("old", "20000")
	wantCode(t, "over the threshold", err, "payouts_held")
	u, _ := c.svc.GetUser(ctx, "old")
	if u.Restriction != gifting.RestrictionPayoutReview {
		t.Fatalf("restriction %q", u.Restriction)
	}
	// Still held an hour later (the hold stays until released)…
	c.clock.Advance(2 * time.Hour)
	_, err = c.request("old", "20000")
	wantCode(t, "still held", err, "payouts_held")
	// …until the trust team releases it.
	if _, _, err := c.svc.ReleasePayouts(ctx, gifting.Idem{}, "old", "reviewed"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.request("old", "20000"); err != nil {
		t.Fatalf("after the release: %v", err)
	}
	mustClean(t, c.e)
}
