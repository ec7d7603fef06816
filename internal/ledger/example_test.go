package ledger_test

import (
	"context"
	"fmt"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// memReader is an empty database.
type memReader struct{}

func (memReader) Account(context.Context, ledger.AccountID) (money.Asset, int64, bool, error) {
	return "", 0, false, nil
}
func (memReader) Idempotency(context.Context, string) (*ledger.IdempotencyRecord, error) {
	return nil, nil
}

// A gift is one transaction: coins from the viewer to "spent", diamonds from
// issuance to the creator. A batch sums the changes per account and refuses
// an overdraft without touching anything else.
func ExampleBook() {
	ctx := context.Background()
	b := ledger.NewBook(memReader{}, time.Unix(0, 0))
	buy := ledger.Transaction{Kind: "purchase", Postings: []ledger.Posting{
		{From: ledger.CoinsIssued, To: ledger.CoinsOf("v1"), Asset: money.Coin, Amount: 350},
	}}
	gift := ledger.Transaction{Kind: "gift", Postings: []ledger.Posting{
		{From: ledger.CoinsOf("v1"), To: ledger.CoinsSpent, Asset: money.Coin, Amount: 10},
		{From: ledger.DiamondsIssued, To: ledger.UserAccount("c1", ledger.PurposeDiamondsAvailable), Asset: money.Diamond, Amount: 5000},
	}}
	galaxy := ledger.Transaction{Kind: "gift", Postings: []ledger.Posting{
		{From: ledger.CoinsOf("v1"), To: ledger.CoinsSpent, Asset: money.Coin, Amount: 1000},
	}}
	fmt.Println(b.Post(ctx, buy), b.Post(ctx, gift))
	fmt.Println(b.Post(ctx, galaxy))
	for _, c := range b.Changes() {
		fmt.Println(c.Account, money.FormatAsset(c.Balance, c.Asset), c.Asset)
	}
	// Output:
	// <nil> <nil>
	// insufficient funds: user:v1:coins has 340 COIN, needs 1000 COIN
	// sys:coins:issued -350 COIN
	// sys:coins:spent 10 COIN
	// sys:diamonds:issued -5 DIAMOND
	// user:c1:diamonds:available 5 DIAMOND
	// user:v1:coins 340 COIN
}
