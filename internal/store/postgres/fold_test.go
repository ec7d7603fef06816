package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/store/postgres"
)

// TestFoldWaitsForLowerIDs: nodes take transaction ids in bulk, so a batch
// can commit a lower id after another node committed a higher one. A fold
// that ran in between must not pass over the lower id: it waits for the
// batch that holds it.
func TestFoldWaitsForLowerIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testDSN(t)
	db := open(t, dsn, nil)
	svc := service(db)
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"c1", "v1"} {
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: "User " + u, AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.Purchase(ctx, gifting.Idem{Key: "buy", Hash: "h"}, gifting.PurchaseInput{UserID: "v1", PackageID: economy.PackageID("web", "USD", 70)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.FoldBoards(ctx, 100); err != nil {
		t.Fatal(err)
	}

	// "Node A" takes an id the way a batch does, and has not committed.
	a, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	atx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer atx.Rollback(ctx)
	var low int64
	if err := atx.QueryRow(ctx, "SELECT nextval('transactions_id_seq') FROM (SELECT pg_advisory_xact_lock_shared($1)) l", postgres.FoldLockID).Scan(&low); err != nil {
		t.Fatal(err)
	}
	// Node B commits a gift with a higher id.
	if _, _, err := svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, _, err := db.FoldBoards(ctx, 100)
		done <- result{n, err}
	}()
	// The fold waits on node A's lock.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the fold ran past an uncommitted lower id: %d gifts, %v", r.n, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the fold neither waited nor finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Node A commits its gift with the lower id.
	now := time.Now().UTC()
	if _, err := atx.Exec(ctx, `INSERT INTO gifts (id, stream_id, sender_id, creator_id, gift_id, catalog_version, quantity, unit_coins, coins, milli, created_at)
VALUES ('by-node-a', 's1', 'v1', 'c1', 'rose', 1, 3, 1, 3, 1500, $1)`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := atx.Exec(ctx, "INSERT INTO transactions (id, kind, ref, user_a, user_b, created_at) VALUES ($1, 'gift', 'by-node-a', 'v1', 'c1', $2)", low, now); err != nil {
		t.Fatal(err)
	}
	if err := atx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.n != 2 {
		t.Fatalf("the fold: %d gifts, %v; want both", r.n, r.err)
	}
	g, err := db.CreatorGifters(ctx, "c1", gifting.PeriodAll, 10)
	if want := []gifting.Gifter{{UserID: "v1", Coins: 5, Gifts: 2}}; err != nil || !cmp.Equal(want, g) {
		t.Fatalf("c1's gifters: %+v %v, want %+v", g, err, want)
	}
}
