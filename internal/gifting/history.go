package gifting

import (
	"context"
	"strconv"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

// History kinds, seen from the user whose history it is.
const (
	HistoryPurchase     = "purchase"
	HistoryGiftSent     = "gift_sent"
	HistoryGiftReceived = "gift_received"
)

// HistoryKinds lists every kind a history filter accepts.
var HistoryKinds = []string{HistoryPurchase, HistoryGiftSent, HistoryGiftReceived}

// HistoryItem is one line of a user's history.
type HistoryItem struct {
	ID           string          `json:"id" doc:"The ledger transaction id"`
	Kind         string          `json:"kind" enum:"purchase,gift_sent,gift_received"`
	Ref          string          `json:"ref" doc:"The purchase or gift id"`
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
			return nil, InvalidField("kind", "kind %q is not one of purchase, gift_sent, gift_received", k)
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if _, err := s.read.User(ctx, userID); err != nil {
		return nil, asNotFound(err, "user", userID)
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
		page.Items = append(page.Items, historyItem(userID, e))
	}
	return page, nil
}

func historyItem(userID string, e HistoryEntry) HistoryItem {
	it := HistoryItem{ID: strconv.FormatInt(e.TxID, 10), Ref: e.Ref, CreatedAt: e.CreatedAt}
	switch {
	case e.Kind == "gift" && e.Actor == userID:
		it.Kind, it.Counterparty = HistoryGiftSent, e.Counterparty
	case e.Kind == "gift":
		it.Kind, it.Counterparty = HistoryGiftReceived, e.Actor
	default:
		it.Kind = e.Kind
	}
	prefix := "user:" + userID + ":"
	var milli int64
	for _, p := range e.Postings {
		from := len(p.From) > len(prefix) && string(p.From[:len(prefix)]) == prefix
		to := len(p.To) > len(prefix) && string(p.To[:len(prefix)]) == prefix
		sign := int64(0)
		switch {
		case to && !from:
			sign = 1
		case from && !to:
			sign = -1
		}
		switch p.Asset {
		case money.Coin:
			it.Coins += sign * p.Amount
		case money.Diamond:
			milli += sign * p.Amount
		default:
			if e.Kind == "purchase" {
				a := economy.NewAmount(p.Amount, p.Asset)
				it.Money = &a
			}
		}
	}
	it.Diamonds = money.FormatAsset(milli, money.Diamond)
	return it
}
