package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// RunCashout runs the cash-out part of the conformance suite: the
// withdrawal rules with an injected clock, the full paid path with its
// postings, the hold resolving exactly once under concurrency, voids,
// returns and FX locking.
func RunCashout[T cashout.Tx](t *testing.T, open Open[T]) {
	tests := []struct {
		name string
		fn   func(t *testing.T, c *cashoutEnv[T])
	}{
		{"Rules", testCashoutRules[T]},
		{"PaidPathPostings", testCashoutPaid[T]},
		{"HoldResolvesOnce", testHoldOnce[T]},
		{"VoidCancelReturn", testVoidCancelReturn[T]},
		{"FXLockedAtRequest", testFXLocked[T]},
		{"ManualExport", testManualExport[T]},
		{"MethodsAndKYC", testMethods[T]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newCashoutEnv(t, open))
		})
	}
}

type cashoutEnv[T cashout.Tx] struct {
	*domain[T]
	cash *cashout.Service
	fx   *money.Live

	mu   sync.Mutex
	jobs []ledger.Job // enqueued by committed batches
}

func newCashoutEnv[T cashout.Tx](t *testing.T, open Open[T]) *cashoutEnv[T] {
	t.Helper()
	return newCashoutEnvWith(t, newDomain(t, open))
}

func newCashoutEnvWith[T cashout.Tx](t *testing.T, d *domain[T]) *cashoutEnv[T] {
	t.Helper()
	if d.e.Jobs == nil {
		t.Fatal("the engine gives no Jobs hook: the cash-out suite needs it")
	}
	c := &cashoutEnv[T]{domain: d, fx: money.NewLive(money.DefaultRates())}
	d.e.Jobs(func(js []ledger.Job) {
		c.mu.Lock()
		c.jobs = append(c.jobs, js...)
		c.mu.Unlock()
	})
	read, ok := d.e.Read.(cashout.Reader)
	if !ok {
		t.Fatal("the engine's Read is not a cashout.Reader")
	}
	svc, err := cashout.NewService(cashout.Config{
		Economy: d.econ, FX: c.fx, Read: read, Now: d.clock.Now,
		Providers: []cashout.Provider{cashout.Sandbox{}, cashout.Manual{}},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox, cashout.MethodBank: cashout.ProviderManual},
		Notify:    true,
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return d.batch.Do(ctx, func(w T) error { return op(w) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.cash = svc
	return c
}

// creator makes a creator in country with diamonds available (bought and
// gifted by a viewer: coins × 0.5 diamonds), and a PayPal method on file.
func (c *cashoutEnv[T]) creator(t *testing.T, id, country string, coins int64) {
	t.Helper()
	if _, _, err := c.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: "Creator " + id, Country: country, AgeVerified: true}); err != nil {
		t.Fatal(err)
	}
	if coins > 0 {
		fan := "fan-" + id
		c.user(t, fan)
		for left := coins; left > 0; left -= 17500 {
			c.buy(t, fan, 17500)
		}
		c.live(t, "s-"+id, id)
		if _, err := c.gift("s-"+id, fan, "rocket", coins/20000, ""); err != nil { // 20,000 coins each
			t.Fatalf("gift %d coins of rockets: %v", coins, err)
		}
	}
	if _, _, err := c.cash.PutMethod(ctx, gifting.Idem{}, id, cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: id + "@example.com"}); err != nil {
		t.Fatal(err)
	}
}

func (c *cashoutEnv[T]) request(id, diamonds string) (*cashout.Withdrawal, error) {
	w, _, err := c.cash.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: id, Diamonds: diamonds})
	return w, err
}

func (c *cashoutEnv[T]) balances(t *testing.T, ids ...ledger.AccountID) map[ledger.AccountID]int64 {
	t.Helper()
	b, err := c.e.Read.Balances(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func avail(id string) ledger.AccountID {
	return ledger.UserAccount(id, ledger.PurposeDiamondsAvailable)
}
func held(id string) ledger.AccountID {
	return ledger.UserAccount(id, ledger.PurposeDiamondsWithdrawing)
}

func (c *cashoutEnv[T]) jobKinds() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, j := range c.jobs {
		out[j.Kind()]++
	}
	return out
}

func testCashoutRules[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "c1", "US", 100000) // 50,000 diamonds
	before := c.balances(t, avail("c1"), held("c1"))

	_, err := c.request("c1", "19999.999")
	wantCode(t, "below minimum", err, "below_minimum")
	_, err = c.request("c1", "0")
	wantCode(t, "zero", err, "invalid_request")
	_, err = c.request("c1", "-20000")
	wantCode(t, "negative", err, "invalid_request")
	_, err = c.request("c1", "20000.0001")
	wantCode(t, "four decimals", err, "invalid_request")
	_, err = c.request("c1", "50000.001")
	wantCode(t, "more than available", err, "insufficient_diamonds")
	_, err = c.request("c1", "200002") // $1,000.01 gross: over the seed's 1000 USD per 24h
	wantCode(t, "over the period maximum", err, "over_period_maximum")
	_, err = c.request("nobody", "20000")
	wantCode(t, "unknown user", err, "user_not_found")

	// No method on file.
	c.creator(t, "c2", "US", 40000)
	if err := c.batch.Do(ctx, func(w T) error {
		return w.PutProfile(ctx, &cashout.Profile{UserID: "c2", KYC: cashout.KYCNone, UpdatedAt: c.clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.request("c2", "20000")
	wantCode(t, "no method", err, "no_payout_method")

	// A banned creator cannot withdraw.
	c.creator(t, "c3", "US", 40000)
	if err := c.batch.Do(ctx, func(w T) error {
		u, err := w.User(ctx, "c3")
		if err != nil {
			return err
		}
		b := *u
		b.Status = gifting.UserBanned
		return w.PutUser(ctx, &b)
	}); err != nil {
		t.Fatal(err)
	}
	_, err = c.request("c3", "20000")
	wantCode(t, "banned", err, "user_not_active")

	// Nothing moved for any refusal.
	if after := c.balances(t, avail("c1"), held("c1")); after[avail("c1")] != before[avail("c1")] || after[held("c1")] != 0 {
		t.Fatalf("a refused request moved diamonds: %v → %v", before, after)
	}

	// Once per period: the second request the same day is refused, even in
	// the same batch; 24 h after the first it is accepted.
	first, err := c.request("c1", "20000")
	if err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(23*time.Hour + 59*time.Minute)
	_, err = c.request("c1", "20000")
	wantCode(t, "second the same day", err, "withdrawal_frequency")
	c.clock.Advance(time.Minute)
	if _, err := c.request("c1", "20000"); err != nil {
		t.Fatalf("a day after the first: %v", err)
	}
	// A cancelled withdrawal does not count against the frequency.
	c.creator(t, "c4", "US", 80000)
	w4, err := c.request("c4", "20000")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.cash.Cancel(ctx, gifting.Idem{}, "c4", w4.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.request("c4", "20000"); err != nil {
		t.Fatalf("after a cancelled one: %v", err)
	}
	if first.Status != cashout.StatusRequested {
		t.Fatalf("first: status %s", first.Status)
	}
	// Two requests of one creator in one batch: exactly one is accepted.
	c.creator(t, "c5", "US", 80000)
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := c.request("c5", "20000"); err == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("two concurrent requests of one creator: %d accepted, want 1", accepted.Load())
	}
	c.clean(t)
}

func testCashoutPaid[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "cp", "US", 40000) // exactly 20,000 diamonds
	c.clean(t)
	w, err := c.request("cp", "20000")
	if err != nil {
		t.Fatal(err)
	}
	q := w.Quote
	if q.Gross.String() != "100.00 USD" || q.Commission.String() != "50.00 USD" || q.Net.String() != "50.00 USD" || q.Payout.String() != "50.00 USD" || q.FX != nil {
		t.Fatalf("quote %+v, want $100 gross, $50 commission, $50 net, paid in USD", q)
	}
	if got := c.jobKinds(); got["payout"] != 1 || got["webhook"] != 1 {
		t.Fatalf("jobs enqueued with the request: %v, want one payout and one webhook", got)
	}
	b := c.balances(t, avail("cp"), held("cp"))
	if b[avail("cp")] != 0 || b[held("cp")] != 20000000 {
		t.Fatalf("after the request: %v, want all 20,000 diamonds held", b)
	}
	c.clean(t)

	// The payout job: the sandbox pays at once.
	got, err := c.cash.Process(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != cashout.StatusPaid || got.PaidAt == nil || got.ProviderRef == "" {
		t.Fatalf("after the payout: %+v", got)
	}
	s := mustClean(t, c.e)
	bal := balances(s)
	want := map[ledger.AccountID]int64{
		held("cp"):                               0,
		avail("cp"):                              0,
		ledger.DiamondsRedeemed:                  20000000,
		ledger.RedemptionIssued("USD"):           -10000,
		ledger.CommissionRevenue("USD"):          5000,
		ledger.PayoutsPayable("USD"):             0,
		ledger.PayoutsExternal("sandbox", "USD"): 5000,
	}
	for id, v := range want {
		if bal[id] != v {
			t.Errorf("%s = %d, want %d", id, bal[id], v)
		}
	}
	// The paid transaction, posting by posting.
	entries, err := c.e.Read.History(ctx, "cp", gifting.HistoryFilter{Kinds: []string{gifting.HistoryWithdrawalPaid}, Limit: 10})
	if err != nil || len(entries) != 1 {
		t.Fatalf("paid transactions: %+v %v", entries, err)
	}
	wantPostings := []ledger.Posting{
		{From: held("cp"), To: ledger.DiamondsRedeemed, Asset: money.Diamond, Amount: 20000000},
		{From: ledger.RedemptionIssued("USD"), To: ledger.CommissionRevenue("USD"), Asset: "USD", Amount: 5000},
		{From: ledger.RedemptionIssued("USD"), To: ledger.PayoutsPayable("USD"), Asset: "USD", Amount: 5000},
		{From: ledger.PayoutsPayable("USD"), To: ledger.PayoutsExternal("sandbox", "USD"), Asset: "USD", Amount: 5000},
	}
	if diff := cmp.Diff(wantPostings, entries[0].Postings); diff != "" || entries[0].Ref != w.ID || entries[0].Kind != "withdrawal.paid" {
		t.Fatalf("paid transaction %s %s (-want +got):\n%s", entries[0].Kind, entries[0].Ref, diff)
	}
	page, err := c.svc.History(ctx, "cp", gifting.HistoryFilter{}, "")
	if err != nil || len(page.Items) < 2 || page.Items[0].Kind != gifting.HistoryWithdrawalPaid || page.Items[0].Diamonds != "-20000" ||
		page.Items[1].Kind != gifting.HistoryWithdrawalRequested || page.Items[1].Diamonds != "0" {
		t.Fatalf("creator's history: %+v %v", page, err)
	}
	// A second run of the job (a retry) changes nothing.
	if again, err := c.cash.Process(ctx, w.ID); err != nil || again.Status != cashout.StatusPaid {
		t.Fatalf("second run: %+v %v", again, err)
	}
	if diff := balances(mustClean(t, c.e)); diff[ledger.DiamondsRedeemed] != 20000000 {
		t.Fatalf("a second run redeemed again: %d", diff[ledger.DiamondsRedeemed])
	}
	list, err := c.cash.List(ctx, cashout.WithdrawalFilter{UserID: "cp"})
	if err != nil || len(list) != 1 || list[0].Status != cashout.StatusPaid || list[0].Quote.Net.String() != "50.00 USD" {
		t.Fatalf("list: %+v %v", list, err)
	}
	// The webhooks: requested, then paid.
	if got := c.jobKinds(); got["webhook"] != 2 || got["payout"] != 1 {
		t.Fatalf("jobs after the payout: %v", got)
	}
}

// testHoldOnce races 50 posts and 50 voids of one hold: exactly one wins,
// and the books show exactly that one.
func testHoldOnce[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "ch", "US", 40000)
	w, err := c.request("ch", "20000")
	if err != nil {
		t.Fatal(err)
	}
	var wins, refused atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 100 {
		status := cashout.StatusPaid
		if i%2 == 1 {
			status = cashout.StatusFailed
		}
		wg.Go(func() {
			got, _, err := c.cash.Resolve(ctx, gifting.Idem{}, w.ID, status, "", "")
			switch {
			case err == nil && got.Status == status:
				if winner.CompareAndSwap(nil, status) {
					wins.Add(1)
				}
			case code(err) == "withdrawal_resolved":
				refused.Add(1)
			default:
				t.Errorf("resolve %s: %v", status, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || refused.Load() != 50 {
		t.Fatalf("winners %d, refused %d; want 1 and 50 (the other 49 of the winner's kind are no-ops)", wins.Load(), refused.Load())
	}
	bal := balances(mustClean(t, c.e))
	switch winner.Load() {
	case cashout.StatusPaid:
		if bal[ledger.DiamondsRedeemed] != 20000000 || bal[avail("ch")] != 0 {
			t.Fatalf("paid won but the books say %v", bal)
		}
	case cashout.StatusFailed:
		if bal[ledger.DiamondsRedeemed] != 0 || bal[avail("ch")] != 20000000 {
			t.Fatalf("failed won but the books say %v", bal)
		}
	}
	if bal[held("ch")] != 0 {
		t.Fatalf("hold still holds %d", bal[held("ch")])
	}
}

func testVoidCancelReturn[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "cv", "US", 120000) // 60,000 diamonds
	w, err := c.request("cv", "20000")
	if err != nil {
		t.Fatal(err)
	}
	// Failed: the diamonds come back.
	if _, _, err := c.cash.Resolve(ctx, gifting.Idem{}, w.ID, cashout.StatusFailed, "", "receiver unknown"); err != nil {
		t.Fatal(err)
	}
	if b := c.balances(t, avail("cv"), held("cv")); b[avail("cv")] != 60000000 || b[held("cv")] != 0 {
		t.Fatalf("after failed: %v", b)
	}
	_, _, err = c.cash.Resolve(ctx, gifting.Idem{}, w.ID, cashout.StatusPaid, "", "")
	wantCode(t, "pay a failed one", err, "withdrawal_resolved")
	_, _, err = c.cash.Cancel(ctx, gifting.Idem{}, "cv", w.ID)
	wantCode(t, "cancel a failed one", err, "withdrawal_not_cancellable")

	// Cancelled by the creator (a failed one does not count: no wait).
	w2, err := c.request("cv", "20000")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.cash.Cancel(ctx, gifting.Idem{}, "someone-else", w2.ID)
	wantCode(t, "cancel another's", err, "withdrawal_not_found")
	if got, _, err := c.cash.Cancel(ctx, gifting.Idem{}, "cv", w2.ID); err != nil || got.Status != cashout.StatusCancelled {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if b := c.balances(t, avail("cv")); b[avail("cv")] != 60000000 {
		t.Fatalf("after cancel: %v", b)
	}

	// Paid, then returned by the provider: the payout is reversed and the
	// diamonds are available again.
	w3, err := c.request("cv", "40000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.cash.Process(ctx, w3.ID); err != nil {
		t.Fatal(err)
	}
	n, err := c.cash.ApplyUpdates(ctx, cashout.ProviderSandbox, []cashout.Update{{WithdrawalID: w3.ID, Status: cashout.StatusReturned, Reason: "account closed"}})
	if err != nil || n != 1 {
		t.Fatalf("returned: %d %v", n, err)
	}
	// The same update again (a redelivered webhook) changes nothing.
	if n, err := c.cash.ApplyUpdates(ctx, cashout.ProviderSandbox, []cashout.Update{{WithdrawalID: w3.ID, Status: cashout.StatusReturned}}); err != nil || n != 0 {
		t.Fatalf("redelivered: %d %v", n, err)
	}
	bal := balances(mustClean(t, c.e))
	if bal[avail("cv")] != 60000000 || bal[ledger.DiamondsRedeemed] != 0 || bal[ledger.CommissionRevenue("USD")] != 0 || bal[ledger.PayoutsExternal("sandbox", "USD")] != 0 {
		t.Fatalf("after the return: %v", bal)
	}
	got, err := c.cash.Get(ctx, w3.ID)
	if err != nil || got.Status != cashout.StatusReturned || got.Reason != "account closed" {
		t.Fatalf("returned withdrawal: %+v %v", got, err)
	}
}

func testFXLocked[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "cde", "DE", 40000)
	rates := c.fx.Load()
	info, err := rates.Info("EUR")
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.request("cde", "20000")
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := rates.Convert(5000, "USD", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if w.Quote.FX == nil || w.Quote.FX.Rate != info.Rate.String() || w.Quote.FX.Date != info.Date || w.PayoutUnits != want || w.PayoutCurrency != "EUR" {
		t.Fatalf("quote %+v (payout %d %s), want EUR at %s of %s = %d", w.Quote, w.PayoutUnits, w.PayoutCurrency, info.Rate, info.Date, want)
	}
	// The rate moves before the payout: the creator gets what was quoted.
	moved, err := money.NewRates("USD", []money.RateInfo{{Currency: "EUR", Rate: decimal.Two, Date: "2099-01-01", Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.fx.Store(moved); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cash.Process(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	bal := balances(mustClean(t, c.e))
	if bal[ledger.PayoutsExternal("sandbox", "EUR")] != want || bal[ledger.FXExternal("USD")] != 5000 || bal[ledger.FXExternal("EUR")] != -want {
		t.Fatalf("paid at the locked rate? %v (want %d EUR)", bal, want)
	}
}

func testManualExport[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.creator(t, "cm", "US", 40000)
	if _, _, err := c.cash.PutMethod(ctx, gifting.Idem{}, "cm", cashout.Method{Kind: cashout.MethodBank, HolderName: "C M", IBAN: "DE89 3704 0044 0532 0130 00"}); err != nil {
		t.Fatal(err)
	}
	w, err := c.request("cm", "20000")
	if err != nil {
		t.Fatal(err)
	}
	if w.Provider != cashout.ProviderManual || w.Method != "Bank DE89 **** 3000" {
		t.Fatalf("bank withdrawal: provider %s method %s", w.Provider, w.Method)
	}
	if got := c.jobKinds(); got["payout"] != 0 {
		t.Fatalf("a manual withdrawal enqueued a payout job: %v", got)
	}
	out, err := c.cash.ExportManual(ctx)
	if err != nil || len(out) != 1 || out[0].ID != w.ID || out[0].Status != cashout.StatusProcessing || out[0].Details.IBAN != "DE89370400440532013000" {
		t.Fatalf("export: %+v %v", out, err)
	}
	if again, err := c.cash.ExportManual(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second export: %+v %v", again, err)
	}
	_, _, err = c.cash.Cancel(ctx, gifting.Idem{}, "cm", w.ID)
	wantCode(t, "cancel an exported one", err, "withdrawal_not_cancellable")
	if got, _, err := c.cash.Resolve(ctx, gifting.Idem{}, w.ID, cashout.StatusPaid, "SEPA-123", ""); err != nil || got.ProviderRef != "SEPA-123" {
		t.Fatalf("mark paid: %+v %v", got, err)
	}
	bal := balances(mustClean(t, c.e))
	if bal[ledger.PayoutsExternal("manual", "USD")] != 5000 {
		t.Fatalf("manual payout: %v", bal)
	}
}

func testMethods[T cashout.Tx](t *testing.T, c *cashoutEnv[T]) {
	c.user(t, "cx")
	bad := []cashout.Method{
		{Kind: "cash"},
		{Kind: cashout.MethodPayPal, PayPalEmail: "not an email"},
		{Kind: cashout.MethodBank, HolderName: "X", IBAN: "DE89 3704 0044 0532 0130 01"}, // bad check digits
		{Kind: cashout.MethodBank, HolderName: "X", AccountNumber: "12345678", RoutingNumber: "021000022"},
		{Kind: cashout.MethodBank, HolderName: "", IBAN: "GB82 WEST 1234 5698 7654 32"},
	}
	for _, m := range bad {
		_, _, err := c.cash.PutMethod(ctx, gifting.Idem{}, "cx", m)
		wantCode(t, "bad method "+m.Kind, err, "invalid_request")
	}
	p, _, err := c.cash.PutMethod(ctx, gifting.Idem{}, "cx", cashout.Method{Kind: cashout.MethodBank, HolderName: "C X", AccountNumber: "123456789", RoutingNumber: "021000021"})
	if err != nil {
		t.Fatal(err)
	}
	if s := cashout.Standing(p); s.Method != "Bank ****6789 (routing 021000021)" || s.KYC != cashout.KYCNone {
		t.Fatalf("standing %+v", s)
	}
	_, _, err = c.cash.PutMethod(ctx, gifting.Idem{}, "nobody", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: "a@b.co"})
	wantCode(t, "unknown user", err, "user_not_found")
	if _, _, err := c.cash.SetKYC(ctx, gifting.Idem{}, "cx", cashout.KYCVerified); err != nil {
		t.Fatal(err)
	}
	s, err := c.cash.GetStanding(ctx, "cx")
	if err != nil || s.KYC != cashout.KYCVerified || len(s.Methods) != 1 {
		t.Fatalf("standing after KYC: %+v %v", s, err)
	}
	_, _, err = c.cash.SetKYC(ctx, gifting.Idem{}, "cx", "maybe")
	wantCode(t, "bad KYC status", err, "invalid_request")
}
