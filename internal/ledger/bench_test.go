package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// richReader is a database where every viewer holds plenty of coins.
type richReader struct{ memReader }

func (richReader) Account(_ context.Context, id ledger.AccountID) (money.Asset, int64, bool, error) {
	if strings.HasSuffix(string(id), ":coins") {
		return money.Coin, 1 << 40, true, nil
	}
	return "", 0, false, nil
}

// BenchmarkBookPost measures the in-memory part of the write path: checking
// and adding one gift's postings to a batch of up to 512 gifts.
func BenchmarkBookPost(b *testing.B) {
	ctx := context.Background()
	viewers := make([]ledger.AccountID, 1000)
	for i := range viewers {
		viewers[i] = ledger.CoinsOf(fmt.Sprintf("v%d", i))
	}
	creator := ledger.UserAccount("c1", ledger.PurposeDiamondsAvailable)
	bk := ledger.NewBook(richReader{}, time.Unix(0, 0))
	i := 0
	for b.Loop() {
		i++
		if i%512 == 0 {
			bk = ledger.NewBook(richReader{}, time.Unix(0, 0))
		}
		err := bk.Post(ctx, ledger.Transaction{Kind: "gift", Ref: "g", Postings: []ledger.Posting{
			{From: viewers[i%len(viewers)], To: ledger.CoinsSpent, Asset: money.Coin, Amount: 1},
			{From: ledger.DiamondsIssued, To: creator, Asset: money.Diamond, Amount: 500},
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
}
