package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/postgres"
)

// service wires a gifting.Service straight onto db.ApplyBatch (one batch per
// call, a gift batch in one ApplyBatch).
func service(db *postgres.DB) *gifting.Service {
	svc := gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Read: db,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return db.ApplyBatch(ctx, []func(*postgres.Tx) error{func(t *postgres.Tx) error { return op(t) }})[0]
		},
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(*postgres.Tx) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(t *postgres.Tx) error { return op(t) }
			}
			return db.ApplyBatch(ctx, wrapped)
		},
	})
	return svc
}

// TestPrefetchGiftBatch checks that a batch of gifts reads everything it
// needs ahead, in set-based queries: no one-row read while the ops run, and
// the answers (new gifts, replays, a streak, refusals) are those of one-by-one
// reads.
func TestPrefetchGiftBatch(t *testing.T) {
	t.Parallel()
	db := open(t, testDSN(t), nil)
	ctx := context.Background()
	svc := service(db)
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	users := []string{"c1", "c2", "v1", "v2", "v3", "poor"}
	for _, u := range users {
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: "User " + u, Country: "US", AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"v1", "v2", "v3"} {
		if _, _, err := svc.Purchase(ctx, gifting.Idem{Key: "buy:" + v, Hash: "h"}, gifting.PurchaseInput{UserID: v, PackageID: economy.PackageID("web", "USD", 70)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"c1", "c2"} {
		if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: c + "-live", CreatorID: c, Title: "live"}); err != nil {
			t.Fatal(err)
		}
	}
	// A gift made in an earlier batch, replayed below.
	first, _, err := svc.SendGift(ctx, gifting.Idem{Key: "g-early", Hash: "h1"}, gifting.SendGiftInput{StreamID: "c1-live", SenderID: "v1", GiftID: "rose", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}

	gift := func(key, hash, stream, sender, giftID string, qty int64, combo string) gifting.BatchGift {
		return gifting.BatchGift{Idem: gifting.Idem{Key: key, Hash: hash}, Input: gifting.SendGiftInput{StreamID: stream, SenderID: sender, GiftID: giftID, Quantity: qty, ComboID: combo}}
	}
	batch := []gifting.BatchGift{
		gift("g1", "h", "c1-live", "v1", "rose", 2, ""),
		gift("g2", "h", "c2-live", "v2", "ROSE", 1, "k1"),
		gift("g3", "h", "c2-live", "v2", "rose", 3, "k1"),
		gift("g-early", "h1", "c1-live", "v1", "rose", 1, ""), // replay
		gift("g-early", "other", "c1-live", "v1", "rose", 1, ""),
		gift("g4", "h", "c1-live", "poor", "rose", 1, ""),  // no coins
		gift("g5", "h", "nope-live", "v3", "rose", 1, ""),  // no stream
		gift("g6", "h", "c1-live", "ghost", "rose", 1, ""), // no sender
		gift("g7", "h", "c1-live", "v3", "no-such", 1, ""), // no gift
		gift("g8", "h", "c2-live", "v3", "tiktok", 70, ""), // every coin
		gift("g9", "h", "c2-live", "v3", "rose", 1, ""),    // none left
		gift("g1", "h", "c1-live", "v1", "rose", 2, ""),    // same key in the batch
	}
	before := db.PointReads()
	res := svc.SendGifts(ctx, batch)
	if n := db.PointReads() - before; n != 0 {
		t.Errorf("the batch made %d one-row reads, want 0 (all prefetched)", n)
	}
	codeOf := func(err error) string {
		var e *gifting.Error
		if errors.As(err, &e) {
			return e.Code
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}
	want := []string{"", "", "", "", "idempotency_conflict", "insufficient_funds", "stream_not_found", "user_not_found", "gift_not_found", "", "insufficient_funds", ""}
	for i, r := range res {
		if got := codeOf(r.Err); got != want[i] {
			t.Errorf("gift %d: error %q, want %q", i, got, want[i])
		}
	}
	if !res[3].Replay || res[3].Gift.ID != first.ID {
		t.Errorf("replay: %+v, want the first answer %s", res[3], first.ID)
	}
	if !res[11].Replay || res[11].Gift.ID != res[0].Gift.ID {
		t.Errorf("same key in one batch: %+v, want a replay of %s", res[11], res[0].Gift.ID)
	}
	if c := res[2].Gift.Combo; c == nil || c.Count != 4 {
		t.Errorf("streak: %+v, want count 4", c)
	}
	if got := res[0].Gift.SenderCoinsAfter; got != 70-1-2 {
		t.Errorf("v1 has %d coins after, want 67", got)
	}
	bal, err := db.Balances(ctx, []ledger.AccountID{ledger.CoinsOf("v1"), ledger.CoinsOf("v2"), ledger.CoinsOf("v3")})
	if err != nil {
		t.Fatal(err)
	}
	if bal[ledger.CoinsOf("v1")] != 67 || bal[ledger.CoinsOf("v2")] != 66 || bal[ledger.CoinsOf("v3")] != 0 {
		t.Errorf("balances %v, want v1 67, v2 66, v3 0", bal)
	}
	s, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatalf("ledger: %v", p)
	}
	if n := db.Retries(); n != 0 {
		t.Errorf("%d retries, want 0", n)
	}
}

// TestPrefetchIsPerBatch checks that rows read ahead are never reused by a
// later batch: another node's change between two batches is seen.
func TestPrefetchIsPerBatch(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	a, b := open(t, dsn, nil), open(t, dsn, nil)
	ctx := context.Background()
	post := func(from, to ledger.AccountID, n int64) func(*postgres.Tx) error {
		return func(w *postgres.Tx) error {
			return w.Post(ctx, ledger.Transaction{Kind: "test", Ref: "r", Postings: []ledger.Posting{{From: from, To: to, Asset: money.Coin, Amount: n}}})
		}
	}
	if err := a.ApplyBatch(ctx, []func(*postgres.Tx) error{post(ledger.CoinsIssued, ledger.CoinsOf("v"), 10)})[0]; err != nil {
		t.Fatal(err)
	}
	// Node b spends everything; node a then cannot.
	if err := b.ApplyBatch(ctx, []func(*postgres.Tx) error{post(ledger.CoinsOf("v"), ledger.CoinsSpent, 10)})[0]; err != nil {
		t.Fatal(err)
	}
	var ife *ledger.InsufficientFundsError
	if err := a.ApplyBatch(ctx, []func(*postgres.Tx) error{post(ledger.CoinsOf("v"), ledger.CoinsSpent, 1)})[0]; !errors.As(err, &ife) || ife.Have != 0 {
		t.Fatalf("spend on node a after node b emptied the wallet: %v, want insufficient funds with 0", err)
	}
}

// TestPrefetchStandInPanic checks that an op that panics on a discovery
// stand-in (a user without a name) still runs for real, on the real row.
func TestPrefetchStandInPanic(t *testing.T) {
	t.Parallel()
	db := open(t, testDSN(t), nil)
	ctx := context.Background()
	svc := service(db)
	if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: "u", DisplayName: "Named", Country: "US", AgeVerified: true}); err != nil {
		t.Fatal(err)
	}
	var name string
	errs := db.ApplyBatch(ctx, []func(*postgres.Tx) error{func(w *postgres.Tx) error {
		u, err := w.User(ctx, "u")
		if err != nil {
			return err
		}
		if u.DisplayName == "" {
			panic(fmt.Sprintf("no name: %+v", u))
		}
		name = u.DisplayName
		return nil
	}})
	if errs[0] != nil || name != "Named" {
		t.Fatalf("err %v, name %q", errs[0], name)
	}
}
