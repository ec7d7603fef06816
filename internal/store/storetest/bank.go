package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
)

// RunBank is the bank test, after Jepsen's: purchases, gifts, withdrawals
// (requested, paid, voided) and card chargebacks run concurrently while
// readers take snapshots of every balance; every snapshot must sum to zero
// per asset, hold every balance equal to its postings, and show no account
// below zero that may not be.
func RunBank[T cashout.Tx](t *testing.T, open Open[T]) {
	t.Run("ConcurrentSnapshotsBalance", func(t *testing.T) {
		t.Parallel()
		testBank(t, open)
	})
}

func testBank[T cashout.Tx](t *testing.T, open Open[T]) {
	c := newTrustEnv(t, open, economy.Seed())
	const creators, viewers = 3, 8
	for i := range creators {
		id := fmt.Sprintf("bc%d", i)
		c.creator(t, id, "DE", 0)
		c.live(t, "s-"+id, id)
	}
	for i := range viewers {
		c.user(t, fmt.Sprintf("bv%d", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var ops, refused, snapshots atomic.Int64
	var wg sync.WaitGroup
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		cancel()
	}
	// Viewers buy (sandbox and card), gift, and now and then have a card
	// purchase charged back.
	for v := range viewers {
		wg.Go(func() {
			id := fmt.Sprintf("bv%d", v)
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				switch i % 7 {
				case 0:
					_, _, err = c.svc.Purchase(ctx, gifting.Idem{Key: fmt.Sprintf("buy-%s-%d", id, i), Hash: "h"}, gifting.PurchaseInput{UserID: id, PackageID: economy.PackageID("web", "USD", 17500)})
				case 3:
					var p *gifting.Purchase
					p, _, err = c.svc.Purchase(ctx, gifting.Idem{Key: fmt.Sprintf("card-%s-%d", id, i), Hash: "h"}, gifting.PurchaseInput{UserID: id, PackageID: economy.PackageID("web", "USD", 700), Provider: "card"})
					if err == nil {
						_, err = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "paid-" + p.ID, Provider: "card", Kind: gifting.PaymentPaid, PurchaseID: p.ID, ProviderRef: "pi-" + p.ID})
						if err == nil && i%2 == 1 {
							_, err = c.svc.HandlePayment(ctx, gifting.PaymentEvent{ID: "cb-" + p.ID, Provider: "card", Kind: gifting.PaymentDisputeOpened, PurchaseID: p.ID, Fee: 1500})
						}
					}
				default:
					_, _, err = c.svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: fmt.Sprintf("s-bc%d", i%creators), SenderID: id, GiftID: "rocket", Quantity: 1})
				}
				switch {
				case err == nil:
					ops.Add(1)
				case gifting.IsKind(err, gifting.KindRule):
					refused.Add(1) // no coins, coin debt: fine
				case ctx.Err() != nil:
				default:
					fail("viewer %s: %v", id, err)
				}
			}
		})
	}
	// Creators withdraw; the payout job pays or the provider fails them.
	for cr := range creators {
		wg.Go(func() {
			id := fmt.Sprintf("bc%d", cr)
			for i := 0; ctx.Err() == nil; i++ {
				w, err := c.request(id, "20000")
				if err == nil {
					if i%2 == 0 {
						_, err = c.cash.Process(ctx, w.ID)
					} else {
						_, _, err = c.cash.Resolve(ctx, gifting.Idem{}, w.ID, cashout.StatusFailed, "", "bank test")
					}
				}
				switch {
				case err == nil:
					ops.Add(1)
				case gifting.IsKind(err, gifting.KindRule):
					refused.Add(1)
				case ctx.Err() != nil:
				default:
					fail("creator %s: %v", id, err)
				}
				c.clock.Advance(24 * time.Hour) // the next withdrawal is allowed
			}
		})
	}
	// Readers: every snapshot balances.
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				s, err := c.e.Snapshot(context.Background())
				if err != nil {
					fail("snapshot: %v", err)
					return
				}
				if p := ledger.Check(s); len(p) > 0 {
					fail("a snapshot does not balance: %v", p)
					return
				}
				snapshots.Add(1)
			}
		})
	}
	wg.Wait()
	mustClean(t, c.e)
	if ops.Load() < 50 || snapshots.Load() < 5 {
		t.Fatalf("too little happened to prove anything: %d operations, %d snapshots", ops.Load(), snapshots.Load())
	}
	t.Logf("%d operations (%d refused by a rule), %d balanced snapshots", ops.Load(), refused.Load(), snapshots.Load())
}
