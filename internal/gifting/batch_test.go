package gifting_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

type env struct {
	svc *gifting.Service
	db  *sqlite.DB
}

// newEnv is a service over a real SQLite file and the real batcher.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 1024}, db.ApplyBatch)
	b.Start()
	t.Cleanup(func() { b.Stop(); db.Close() })
	wrap := func(op func(gifting.Tx) error) func(*sqlite.Tx) error {
		return func(t *sqlite.Tx) error { return op(t) }
	}
	svc := gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Read: db,
		Write: func(ctx context.Context, op func(gifting.Tx) error) error { return b.Do(ctx, wrap(op)) },
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			w := make([]func(*sqlite.Tx) error, len(ops))
			for i, op := range ops {
				w[i] = wrap(op)
			}
			return b.DoMany(ctx, w)
		},
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, db: db}
}

func (e *env) user(t *testing.T, id string, verified bool) {
	t.Helper()
	if _, _, err := e.svc.PutUser(context.Background(), gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: id, Country: "US", AgeVerified: verified}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) buy(t *testing.T, id, pkg string) {
	t.Helper()
	if _, _, err := e.svc.Purchase(context.Background(), gifting.Idem{Key: id + pkg + t.Name(), Hash: "h"}, gifting.PurchaseInput{UserID: id, PackageID: pkg}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) wallet(t *testing.T, id string) *gifting.Wallet {
	t.Helper()
	w, err := e.svc.Wallet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBatchMixedResults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.user(t, "v1", true)
	e.user(t, "v2", true)
	e.user(t, "kid", false)
	e.user(t, "c1", true)
	e.buy(t, "v1", "web-usd-350") // 350 coins
	e.buy(t, "v2", "web-usd-70")  // 70 coins
	if _, _, err := e.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"}); err != nil {
		t.Fatal(err)
	}
	g := func(key, sender, gift string, qty int64) gifting.BatchGift {
		return gifting.BatchGift{Idem: gifting.Idem{Key: key, Hash: fmt.Sprint(sender, gift, qty)}, Input: gifting.SendGiftInput{StreamID: "s1", SenderID: sender, GiftID: gift, Quantity: qty}}
	}
	batch := []gifting.BatchGift{
		g("k1", "v1", "rose", 10),         // ok: 10 coins, 5 diamonds
		g("k2", "v2", "lollipop", 10),     // insufficient: needs 100, has 70
		g("k3", "v1", "concert", 1),       // insufficient: 500 > 340
		g("k4", "v2", "finger-heart", 10), // ok: 50 coins, 25 diamonds
		g("k5", "kid", "rose", 1),         // not age-verified
		g("k6", "c1", "rose", 1),          // self gift
		g("k7", "v1", "no-such-gift", 1),  // gift not found
		g("k8", "v1", "rose", 0),          // invalid quantity
		g("k1", "v1", "rose", 10),         // replay of k1: same answer, no second effect
		g("k9", "v2", "rose", 30),         // ok only if k4 went first: 70-50=20 < 30 → insufficient
		g("k10", "v1", "galaxy", 1),       // insufficient
		g("k11", "v1", "rose", 330),       // ok: exactly the rest of v1's coins
	}
	res := e.svc.SendGifts(ctx, batch)
	want := []string{"", "insufficient_funds", "insufficient_funds", "", "not_age_verified", "self_gift", "gift_not_found", "invalid_request", "", "insufficient_funds", "insufficient_funds", ""}
	for i, r := range res {
		got := ""
		if r.Err != nil {
			ge, ok := r.Err.(*gifting.Error)
			if !ok {
				t.Fatalf("gift %d: unexpected error %v", i, r.Err)
			}
			got = ge.Code
		}
		if got != want[i] {
			t.Errorf("gift %d (%s): got %q, want %q (%v)", i, batch[i].Input.GiftID, got, want[i], r.Err)
		}
	}
	if res[0].Gift == nil || res[8].Gift == nil || res[0].Gift.ID != res[8].Gift.ID || !res[8].Replay {
		t.Fatalf("replayed key k1 must return the first gift: %+v / %+v", res[0].Gift, res[8].Gift)
	}
	if res[0].Gift.SenderCoinsAfter != 340 || res[11].Gift.SenderCoinsAfter != 10 {
		t.Fatalf("sender balances after: %d and %d, want 340 and 10", res[0].Gift.SenderCoinsAfter, res[11].Gift.SenderCoinsAfter)
	}
	// Exactly the money of the successful gifts moved: v1 10+330, v2 50.
	if w := e.wallet(t, "v1"); w.Coins != 10 {
		t.Errorf("v1 has %d coins, want 10", w.Coins)
	}
	if w := e.wallet(t, "v2"); w.Coins != 20 {
		t.Errorf("v2 has %d coins, want 20", w.Coins)
	}
	if w := e.wallet(t, "c1"); w.Diamonds.Available != "195" {
		t.Errorf("c1 has %s diamonds, want 195 (5 + 165 + 25)", w.Diamonds.Available)
	}
	v, err := e.svc.GetStream(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Totals.Gifts != 3 || v.Totals.Coins != 390 || v.Totals.Diamonds != "195" || v.Totals.UniqueGifters != 2 {
		t.Errorf("stream totals %+v, want 3 gifts, 390 coins, 195 diamonds, 2 gifters", v.Totals)
	}
	s, err := e.db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatal(p)
	}
}
