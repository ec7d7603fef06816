package gifting

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// History kinds, seen from the user whose history it is.
const (
	HistoryPurchase     = "purchase"
	HistoryGiftSent     = "gift_sent"
	HistoryGiftReceived = "gift_received"
)

// History kinds of a creator's cash-out, each the ledger transaction of the
// same name: the hold placed, posted (paid), voided (failed or cancelled),
// or reversed after payment (returned).
const (
	HistoryWithdrawalRequested = "withdrawal_requested"
	HistoryWithdrawalPaid      = "withdrawal_paid"
	HistoryWithdrawalVoided    = "withdrawal_voided"
	HistoryWithdrawalReturned  = "withdrawal_returned"
)

// HistoryKinds lists every kind a history filter accepts.
var HistoryKinds = []string{HistoryPurchase, HistoryGiftSent, HistoryGiftReceived,
	HistoryWithdrawalRequested, HistoryWithdrawalPaid, HistoryWithdrawalVoided, HistoryWithdrawalReturned}

// WithdrawalTxKinds maps the cash-out history kinds to their ledger
// transaction kinds (the user is the transaction's actor).
var WithdrawalTxKinds = map[string]string{
	HistoryWithdrawalRequested: "withdrawal.hold",
	HistoryWithdrawalPaid:      "withdrawal.paid",
	HistoryWithdrawalVoided:    "withdrawal.void",
	HistoryWithdrawalReturned:  "withdrawal.returned",
}

// HistoryItem is one line of a user's history.
type HistoryItem struct {
	ID           string          `json:"id" doc:"The ledger transaction id"`
	Kind         string          `json:"kind" enum:"purchase,gift_sent,gift_received,withdrawal_requested,withdrawal_paid,withdrawal_voided,withdrawal_returned"`
	Ref          string          `json:"ref" doc:"The purchase, gift or withdrawal id"`
	Counterparty string          `json:"counterparty,omitempty" doc:"The other user: the creator of a gift sent, the sender of a gift received"`
	Coins        int64           `json:"coins" doc:"Change of the user's coins"`
	Diamonds     string          `json:"diamonds" doc:"Change of the user's diamonds"`
	Money        *economy.Amount `json:"money,omitempty" doc:"Money paid, for a purchase"`
	CreatedAt    time.Time       `json:"created_at"`
}

// HistoryPage is one page of history, newest first.
type HistoryPage struct {
	Items      []HistoryItem `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

// History returns a page of a user's history. Errors: KindInvalid (cursor,
// kind), KindNotFound (user).
func (s *Service) History(ctx context.Context, userID string, f HistoryFilter, cursor string) (*HistoryPage, error) {
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n <= 0 {
			return nil, InvalidField("cursor", "cursor is not one this API returned")
		}
		f.Before = n
	}
	for _, k := range f.Kinds {
		ok := false
		for _, known := range HistoryKinds {
			ok = ok || k == known
		}
		if !ok {
			return nil, InvalidField("kind", "kind %q is not one of %s", k, strings.Join(HistoryKinds, ", "))
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if _, err := s.read.User(ctx, userID); err != nil {
		return nil, AsNotFound(err, "user", userID)
	}
	entries, err := s.read.History(ctx, userID, HistoryFilter{Kinds: f.Kinds, From: f.From, To: f.To, Before: f.Before, Limit: f.Limit + 1})
	if err != nil {
		return nil, err
	}
	page := &HistoryPage{Items: []HistoryItem{}}
	if len(entries) > f.Limit {
		entries = entries[:f.Limit]
		page.NextCursor = strconv.FormatInt(entries[len(entries)-1].TxID, 10)
	}
	for _, e := range entries {
		it, err := historyItem(userID, e)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, it)
	}
	return page, nil
}

func historyItem(userID string, e HistoryEntry) (HistoryItem, error) {
	it := HistoryItem{ID: strconv.FormatInt(e.TxID, 10), Ref: e.Ref, CreatedAt: e.CreatedAt}
	switch {
	case e.Kind == "gift" && e.Actor == userID:
		it.Kind, it.Counterparty = HistoryGiftSent, e.Counterparty
	case e.Kind == "gift":
		it.Kind, it.Counterparty = HistoryGiftReceived, e.Actor
	default:
		it.Kind = e.Kind
		for k, tk := range WithdrawalTxKinds {
			if tk == e.Kind {
				it.Kind = k
			}
		}
	}
	mine := string(ledger.UserAccount(userID, "")) // "user:<id>:", the prefix of every account of the user
	var milli int64
	for _, p := range e.Postings {
		from, to := strings.HasPrefix(string(p.From), mine), strings.HasPrefix(string(p.To), mine)
		var sum *int64
		switch p.Asset {
		case money.Coin:
			sum = &it.Coins
		case money.Diamond:
			sum = &milli
		default:
			if e.Kind == "purchase" {
				a := economy.NewAmount(p.Amount, p.Asset)
				it.Money = &a
			}
			continue
		}
		var err error
		switch {
		case to && !from:
			*sum, err = money.Add(*sum, p.Amount)
		case from && !to:
			*sum, err = money.Sub(*sum, p.Amount)
		}
		if err != nil {
			return it, fmt.Errorf("gifting: history of %s, transaction %d: %w", userID, e.TxID, err)
		}
	}
	it.Diamonds = money.FormatAsset(milli, money.Diamond)
	return it, nil
}
