package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/postgres"
)

// TestDailySpendCapTwoNodes: two nodes on one database send one viewer's
// gifts at the same time; the daily cap holds across them — exactly
// cap / price gifts succeed, and the stored total is the cap.
func TestDailySpendCapTwoNodes(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	ctx := context.Background()
	econ := economy.Seed()
	econ.Viewers.DailySpendCap = 100
	var svcs []*gifting.Service
	for range 2 {
		db := open(t, dsn, nil)
		b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 16, MaxWait: time.Millisecond, Queue: 4096}, db.ApplyBatch)
		b.Start()
		t.Cleanup(b.Stop)
		svcs = append(svcs, gifting.NewService(gifting.Config{
			Economy: econ, FX: money.NewLive(money.DefaultRates()), Read: db, Providers: []gifting.PaymentProvider{payments.Sandbox{}},
			Write: func(ctx context.Context, op func(gifting.Tx) error) error {
				return b.Do(ctx, func(w *postgres.Tx) error { return op(w) })
			},
		}))
	}
	s := svcs[0]
	if _, err := s.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"v1", "c1"} {
		if _, _, err := s.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: u, AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Purchase(ctx, gifting.Idem{Key: "buy", Hash: "h"}, gifting.PurchaseInput{UserID: "v1", PackageID: "web-usd-700"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"}); err != nil {
		t.Fatal(err)
	}
	// 60 gifts of 5 coins (Panda) through both nodes: the cap allows 20.
	var ok, capped atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svcs[i%2].SendGift(ctx, gifting.Idem{Key: fmt.Sprint("g", i), Hash: "h"}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "panda", Quantity: 1})
			var ge *gifting.Error
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ge) && ge.Code == "daily_spend_cap":
				capped.Add(1)
			default:
				t.Errorf("gift %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 20 || capped.Load() != 40 {
		t.Fatalf("%d gifts went through and %d were capped; want 20 and 40", ok.Load(), capped.Load())
	}
	w, err := s.Wallet(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Coins != 700-100 {
		t.Fatalf("v1 has %d coins, want %d", w.Coins, 600)
	}
}
