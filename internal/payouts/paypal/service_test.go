package paypal

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// TestCrashAfterPayPalAccepted runs the cash-out service with this provider
// over a real database: PayPal accepts the batch but glint never hears it
// (the connection drops, as if glint crashed before recording), the payout
// job runs again, and the creator is paid exactly once — one batch at
// PayPal, one redemption in the ledger — and settles on PayPal's webhook.
func TestCrashAfterPayPalAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake(t)
	f.dropAfter = 1
	p, _ := newProvider(t, f)

	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var payoutJobs int
	db.SetJobInserter(func(_ context.Context, _ *sql.Tx, js []ledger.Job) error {
		for _, j := range js {
			if j.Kind() == "payout" {
				payoutJobs++
			}
		}
		return nil
	})
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 16, Queue: 64}, db.ApplyBatch)
	b.Start()
	t.Cleanup(b.Stop)
	econ, fx := economy.Seed(), money.NewLive(money.DefaultRates())
	gs := gifting.NewService(gifting.Config{Economy: econ, FX: fx, Read: db, Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		}})
	cs, err := cashout.NewService(cashout.Config{Economy: econ, FX: fx, Read: db, Providers: []cashout.Provider{p}, PayWith: map[string]string{cashout.MethodPayPal: "paypal"},
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return b.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = gs.SyncCatalog(ctx)
	must(err)
	for _, id := range []string{"creator", "fan"} {
		_, _, err := gs.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: id, Country: "US", AgeVerified: true})
		must(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		_, _, err := gs.Purchase(ctx, gifting.Idem{Key: k, Hash: k}, gifting.PurchaseInput{UserID: "fan", PackageID: economy.PackageID("web", "USD", 17500)})
		must(err)
	}
	_, _, err = gs.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s", CreatorID: "creator"})
	must(err)
	_, _, err = gs.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s", SenderID: "fan", GiftID: "rocket", Quantity: 2})
	must(err)
	_, _, err = cs.PutMethod(ctx, gifting.Idem{}, "creator", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: testEmail})
	must(err)
	w, _, err := cs.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: "creator", Diamonds: "20000"})
	must(err)
	if w.Provider != "paypal" || payoutJobs != 1 {
		t.Fatalf("withdrawal provider %s, payout jobs %d", w.Provider, payoutJobs)
	}

	// The job's first run: PayPal creates the batch, the answer is lost.
	if _, err := cs.Process(ctx, w.ID); err == nil {
		t.Fatal("the first run succeeded although the answer was lost")
	}
	if got, _ := cs.Get(ctx, w.ID); got.Status != cashout.StatusRequested {
		t.Fatalf("after the lost answer: %s, want still requested (the job retries)", got.Status)
	}
	// The retry: PayPal answers with the batch it already has.
	got, err := cs.Process(ctx, w.ID)
	must(err)
	batch := f.batch(w.ID)
	if got.Status != cashout.StatusProcessing || batch == nil || got.ProviderRef != batch.id {
		t.Fatalf("after the retry: %+v (batch %+v)", got, batch)
	}
	if batch.item.Amount.Value != "50.00" || batch.item.Amount.Currency != "USD" {
		t.Fatalf("PayPal was asked for %+v, want 50.00 USD", batch.item.Amount)
	}
	// A third run (a duplicate job) does nothing: the withdrawal is no
	// longer requested.
	_, err = cs.Process(ctx, w.ID)
	must(err)
	if _, posts, batches, _ := f.counts(); batches != 1 || posts != 2 {
		t.Fatalf("PayPal saw %d posts and %d batches, want 2 and exactly 1", posts, batches)
	}

	// PayPal's webhook settles it; a redelivery changes nothing.
	event := []byte(strings.Replace(string(itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", "")), `"sender_item_id": "wd_42"`, `"sender_item_id": "`+w.ID+`"`, 1))
	for i, want := range []int{1, 0} {
		updates, err := p.Webhook(ctx, headerFunc(deliveryHeaders()), event)
		must(err)
		n, err := cs.ApplyUpdates(ctx, "paypal", updates)
		if err != nil || n != want {
			t.Fatalf("delivery %d: applied %d (%v), want %d", i+1, n, err, want)
		}
	}
	got, err = cs.Get(ctx, w.ID)
	if err != nil || got.Status != cashout.StatusPaid {
		t.Fatalf("after the webhook: %+v %v", got, err)
	}
	s, err := db.Snapshot(ctx)
	must(err)
	if problems := ledger.Check(s); len(problems) > 0 {
		t.Fatalf("ledger: %v", problems)
	}
	bal, err := db.Balances(ctx, []ledger.AccountID{ledger.DiamondsRedeemed, ledger.PayoutsExternal("paypal", "USD"), ledger.UserAccount("creator", ledger.PurposeDiamondsWithdrawing)})
	must(err)
	if bal[ledger.DiamondsRedeemed] != 20000000 || bal[ledger.PayoutsExternal("paypal", "USD")] != 5000 || bal[ledger.UserAccount("creator", ledger.PurposeDiamondsWithdrawing)] != 0 {
		t.Fatalf("books: %v, want one redemption of 20,000 diamonds and 50.00 USD paid out", bal)
	}
}
