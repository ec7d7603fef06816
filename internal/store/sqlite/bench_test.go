package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// benchService is a gifting service writing straight to db (no batcher
// goroutine): every WriteMany call is one ApplyBatch, one transaction.
func benchService(b *testing.B, db *sqlite.DB) *gifting.Service {
	wrap := func(ops []func(gifting.Tx) error) []func(*sqlite.Tx) error {
		w := make([]func(*sqlite.Tx) error, len(ops))
		for i, op := range ops {
			w[i] = func(t *sqlite.Tx) error { return op(t) }
		}
		return w
	}
	return gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Read: db,
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return db.ApplyBatch(ctx, wrap([]func(gifting.Tx) error{op}))[0]
		},
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error { return db.ApplyBatch(ctx, wrap(ops)) },
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
	})
}

// BenchmarkGiftBatch measures the ledger write path of group commit: one
// transaction of n gifts (validation, postings, gift records, idempotency
// records, summed balance and stream updates, one fsync'd commit).
func BenchmarkGiftBatch(b *testing.B) {
	for _, n := range []int{1, 64, 512} {
		b.Run(fmt.Sprintf("gifts=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			svc := benchService(b, db)
			if _, err := svc.SyncCatalog(ctx); err != nil {
				b.Fatal(err)
			}
			const viewers = 100
			for _, u := range []string{"c1"} {
				if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: u, AgeVerified: true}); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < viewers; i++ {
				v := fmt.Sprintf("v%d", i)
				if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: v, DisplayName: v, AgeVerified: true}); err != nil {
					b.Fatal(err)
				}
				for k := 0; k < 20; k++ {
					if _, _, err := svc.Purchase(ctx, gifting.Idem{Key: fmt.Sprintf("%s-%d", v, k), Hash: "x"}, gifting.PurchaseInput{UserID: v, PackageID: "web-usd-17500"}); err != nil {
						b.Fatal(err)
					}
				}
			}
			if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"}); err != nil {
				b.Fatal(err)
			}
			seq := 0
			gifts := make([]gifting.BatchGift, n)
			for b.Loop() {
				for i := range gifts {
					seq++
					gifts[i] = gifting.BatchGift{
						Idem:  gifting.Idem{Key: fmt.Sprintf("k%d", seq), Hash: "h"},
						Input: gifting.SendGiftInput{StreamID: "s1", SenderID: fmt.Sprintf("v%d", seq%viewers), GiftID: "rose", Quantity: 1},
					}
				}
				for _, r := range svc.SendGifts(ctx, gifts) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "gifts/s")
		})
	}
}

// BenchmarkFoldBoards measures the leaderboards' fold: 10,000 gifts from
// 1,000 senders to 50 creators, folded into the creators' boards in pages
// of 10,000 journal transactions (the gifts are sent with the timer
// stopped).
func BenchmarkFoldBoards(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc := benchService(b, db)
	if _, err := svc.SyncCatalog(ctx); err != nil {
		b.Fatal(err)
	}
	const viewers, creators, perRound = 1000, 50, 10000
	for i := 0; i < viewers; i++ {
		v := fmt.Sprintf("v%d", i)
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: v, DisplayName: v, AgeVerified: true}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.Purchase(ctx, gifting.Idem{Key: v, Hash: "x"}, gifting.PurchaseInput{UserID: v, PackageID: "web-usd-17500"}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < creators; i++ {
		c := fmt.Sprintf("c%d", i)
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: c, DisplayName: c, AgeVerified: true}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s" + c, CreatorID: c}); err != nil {
			b.Fatal(err)
		}
	}
	seq := 0
	folded := 0
	for b.Loop() {
		b.StopTimer()
		for sent := 0; sent < perRound; sent += 500 {
			gifts := make([]gifting.BatchGift, 500)
			for i := range gifts {
				seq++
				gifts[i] = gifting.BatchGift{
					Idem:  gifting.Idem{Key: fmt.Sprintf("k%d", seq), Hash: "h"},
					Input: gifting.SendGiftInput{StreamID: fmt.Sprintf("sc%d", seq%creators), SenderID: fmt.Sprintf("v%d", (seq*7)%viewers), GiftID: "rose", Quantity: 1},
				}
			}
			for _, r := range svc.SendGifts(ctx, gifts) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.StartTimer()
		for more := true; more; {
			n, m, err := db.FoldBoards(ctx, perRound)
			if err != nil {
				b.Fatal(err)
			}
			folded, more = folded+n, m
		}
	}
	if folded != seq {
		b.Fatalf("folded %d gifts of %d", folded, seq)
	}
	b.ReportMetric(float64(folded)/b.Elapsed().Seconds(), "gifts/s")
}
