package postgres_test

import (
	"context"
	"testing"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestBoardsConformance(t *testing.T) {
	t.Parallel()
	storetest.RunBoards(t, engine)
}

// TestPrefetchBoards: a gift batch in a stream with a goal, from senders
// with spending of their own, reads the goal and the spending ahead: no
// one-row read while the ops run.
func TestPrefetchBoards(t *testing.T) {
	t.Parallel()
	db := open(t, testDSN(t), nil)
	ctx := context.Background()
	svc := service(db)
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"c1", "v1", "v2"} {
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: "User " + u, AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"v1", "v2"} {
		if _, _, err := svc.Purchase(ctx, gifting.Idem{Key: "buy:" + v, Hash: "h"}, gifting.PurchaseInput{UserID: v, PackageID: economy.PackageID("web", "USD", 350)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalGift, GiftID: "rose", Target: 100}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "love-bang", Quantity: 3}); err != nil {
		t.Fatal(err)
	}
	gift := func(sender, giftID string, qty int64) gifting.BatchGift {
		return gifting.BatchGift{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: sender, GiftID: giftID, Quantity: qty}}
	}
	before := db.PointReads()
	res := svc.SendGifts(ctx, []gifting.BatchGift{gift("v1", "rose", 30), gift("v2", "rose", 10), gift("v2", "galaxy", 1)})
	if n := db.PointReads() - before; n != 0 {
		t.Errorf("the batch made %d one-row reads, want 0 (all prefetched)", n)
	}
	if res[0].Err != nil || res[0].Gift.SenderLevel != 2 || res[1].Err != nil || res[1].Gift.SenderLevel != 1 || res[2].Err == nil {
		t.Fatalf("results %+v %+v %+v", res[0], res[1], res[2])
	}
	g, err := svc.GetGoal(ctx, "s1")
	if err != nil || g.Progress != 40 {
		t.Fatalf("goal %+v %v, want progress 40", g, err)
	}
}
