// Package gifting holds glint's use cases for viewers and creators: users and
// wallets, the coin store, the gift catalog, live streams, gifts and streaks,
// and history. It imports no net/http and no SQL driver: storage is reached
// through the Tx (write batch) and Reader interfaces, which each storage
// engine implements.
package gifting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// User statuses.
const (
	UserActive     = "active"
	UserBanned     = "banned"
	UserTerminated = "terminated"
)

// User is a viewer or creator of the platform; its ID is the platform's own.
type User struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Country     string `json:"country"`
	AgeVerified bool   `json:"age_verified"`
	Status      string `json:"status" enum:"active,banned,terminated"`
	// StatusReason and StatusAt say why and when the status last changed
	// (a ban, a termination, a reinstatement).
	StatusReason string     `json:"status_reason,omitempty"`
	StatusAt     *time.Time `json:"status_changed_at,omitempty"`
	// Restriction limits an active user: RestrictionCoinDebt (coins are
	// owed after a refund or chargeback: no gifts until a purchase repays
	// them), RestrictionPayoutReview (a creator's payouts are held for
	// review).
	Restriction string `json:"restriction,omitempty" enum:"coin_debt,payout_review"`
	// SpendCap is the viewer's own daily spending cap in coins (0: none),
	// applied with the economy's.
	SpendCap  int64     `json:"daily_spend_cap,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// User restrictions.
const (
	RestrictionCoinDebt     = "coin_debt"
	RestrictionPayoutReview = "payout_review"
)

// Stream statuses.
const (
	StreamLive  = "live"
	StreamEnded = "ended"
)

// Stream is one live stream of a creator.
type Stream struct {
	ID        string     `json:"id"`
	CreatorID string     `json:"creator_id"`
	Title     string     `json:"title"`
	Status    string     `json:"status" enum:"live,ended"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
}

// CatalogGift is one gift of one catalog version.
type CatalogGift struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Coins       int64  `json:"coins"`
	Streakable  bool   `json:"streakable"`
	DiamondRate string `json:"diamond_rate,omitempty" doc:"Diamonds per coin for this gift; empty means the economy's default rate."`
	Active      bool   `json:"active"`
	Version     int64  `json:"version" doc:"The catalog version that set this entry."`
}

// GiftRecord is one gift as sent: it keeps the price it was sent at.
type GiftRecord struct {
	ID             string
	StreamID       string
	SenderID       string
	CreatorID      string
	GiftID         string
	CatalogVersion int64
	Quantity       int64
	UnitCoins      int64
	Coins          int64
	Milli          int64 // milli-diamonds credited
	ComboID        string
	ComboCount     int64
	CreatedAt      time.Time
}

// Combo is the state of a streak: gifts of one streakable gift, from one
// sender, in one stream, sharing a combo id.
type Combo struct {
	StreamID string
	ComboID  string
	SenderID string
	GiftID   string
	Count    int64
	LastAt   time.Time
	Ended    bool
}

// Purchase statuses.
const (
	PurchasePending   = "pending"
	PurchaseCompleted = "completed"
	PurchaseFailed    = "failed"
)

// Purchase is a coin package bought by a user.
type Purchase struct {
	ID          string         `json:"id"`
	UserID      string         `json:"user_id"`
	Provider    string         `json:"provider"`
	PackageID   string         `json:"package_id"`
	Channel     string         `json:"channel"`
	Coins       int64          `json:"coins"`
	Price       economy.Amount `json:"price"`
	Status      string         `json:"status" enum:"pending,completed,failed"`
	CheckoutURL string         `json:"checkout_url,omitempty"`
	// ProviderRef is the payment's id at the provider (a Stripe payment
	// intent), known once paid.
	ProviderRef string `json:"provider_ref,omitempty"`
	// Refunded is the money refunded so far (cumulative); Dispute the state
	// of a chargeback ("open", "won", "lost"); ReversedCoins the coins taken
	// back so far because of them.
	Refunded      *economy.Amount `json:"refunded,omitempty"`
	Dispute       string          `json:"dispute,omitempty" enum:"open,won,lost"`
	ReversedCoins int64           `json:"reversed_coins,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	// PriceUnits is Price in minor units, RefundedUnits Refunded.
	PriceUnits    int64 `json:"-"`
	RefundedUnits int64 `json:"-"`
}

// SetRefunded sets Refunded from RefundedUnits (engines call it on load).
func (p *Purchase) SetRefunded() {
	p.Refunded = nil
	if p.RefundedUnits > 0 {
		a := economy.NewAmount(p.RefundedUnits, p.Price.Currency)
		p.Refunded = &a
	}
}

// StreamDelta is a change to a stream's running totals.
type StreamDelta struct {
	Gifts int64
	Coins int64
	Milli int64
}

// Add adds o to d, checked: on overflow d is unchanged and the error wraps
// money.ErrOverflow.
func (d *StreamDelta) Add(o StreamDelta) error {
	g, err1 := money.Add(d.Gifts, o.Gifts)
	c, err2 := money.Add(d.Coins, o.Coins)
	m, err3 := money.Add(d.Milli, o.Milli)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("gifting: stream totals: %w", err)
	}
	d.Gifts, d.Coins, d.Milli = g, c, m
	return nil
}

// Sub takes back an Add of o (it cannot overflow after that Add).
func (d *StreamDelta) Sub(o StreamDelta) {
	d.Gifts, d.Coins, d.Milli = d.Gifts-o.Gifts, d.Coins-o.Coins, d.Milli-o.Milli
}

// Tx is a write batch as the gifting use cases see it. Reads see the
// batch's own earlier writes; writes are applied when the batch commits and
// are undone if the request that made them fails.
type Tx interface {
	ledger.Writer
	User(ctx context.Context, id string) (*User, error) // ledger.ErrNotFound
	PutUser(ctx context.Context, u *User) error
	Stream(ctx context.Context, id string) (*Stream, error)              // ledger.ErrNotFound
	LiveStreamOf(ctx context.Context, creatorID string) (*Stream, error) // nil when none
	PutStream(ctx context.Context, s *Stream) error
	AddStreamTotals(ctx context.Context, streamID, senderID string, d StreamDelta) error
	CatalogGift(ctx context.Context, id string) (*CatalogGift, error) // current version; ledger.ErrNotFound
	PutCatalogGift(ctx context.Context, g *CatalogGift, actor string) (version int64, err error)
	InsertGift(ctx context.Context, g *GiftRecord) error
	Combo(ctx context.Context, streamID, comboID string) (*Combo, error) // nil when none
	PutCombo(ctx context.Context, c *Combo) error
	// DaySpend returns the coins a viewer spent on gifts on a UTC day
	// ("2006-01-02"); AddDaySpend adds to it. An engine must not let the
	// total exceed limit even when several nodes add at once (a conflict
	// is retried, and the retry sees the other node's spending).
	DaySpend(ctx context.Context, userID, day string) (int64, error)
	AddDaySpend(ctx context.Context, userID, day string, coins, limit int64) error
	PutPurchase(ctx context.Context, p *Purchase) error
	PurchaseByID(ctx context.Context, id string) (*Purchase, error) // ledger.ErrNotFound
	// Levels and goals (boards.go, goals.go): counters summed over the
	// batch and written once per key, like AddStreamTotals.
	UserSpend(ctx context.Context, userID string) (int64, error) // including the batch's additions
	AddUserSpend(ctx context.Context, userID string, coins int64) error
	StreamGoal(ctx context.Context, streamID string) (*StreamGoal, error) // nil when none; progress includes the batch's
	PutStreamGoal(ctx context.Context, g *StreamGoal) error
	AddGoalProgress(ctx context.Context, streamID string, version, n int64) error
	// GiftClaws returns the coins of each gift (by gift record id) already
	// attributed to a refund or chargeback, including the batch's additions
	// (absent: none); AddGiftClaw adds to a gift's (reversals.go).
	GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error)
	AddGiftClaw(ctx context.Context, giftID string, coins int64) error
}

// Reader is what the read-side use cases need; it reads committed data.
type Reader interface {
	User(ctx context.Context, id string) (*User, error)
	Balances(ctx context.Context, ids []ledger.AccountID) (map[ledger.AccountID]int64, error)
	Stream(ctx context.Context, id string) (*Stream, error)
	StreamTotals(ctx context.Context, id string) (StreamTotals, error)
	TopGifters(ctx context.Context, streamID string, limit int) ([]Gifter, error)
	Catalog(ctx context.Context) ([]CatalogGift, error) // current version of every gift
	Combo(ctx context.Context, streamID, comboID string) (*Combo, error)
	History(ctx context.Context, userID string, f HistoryFilter) ([]HistoryEntry, error)
	// GiftClaws returns the coins of each gift already clawed back by a
	// reversal (committed), for the gifts that have any.
	GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error)
	PurchaseByID(ctx context.Context, id string) (*Purchase, error)                     // ledger.ErrNotFound
	PurchaseByRef(ctx context.Context, provider, ref string) (*Purchase, error)         // ledger.ErrNotFound
	UsersByStatus(ctx context.Context, status string, before time.Time) ([]User, error) // status changed before
	PendingDiamonds(ctx context.Context) (map[string]int64, error)                      // creator → milli-diamonds pending
	DiamondsReceivedSince(ctx context.Context, creatorID string, since time.Time) (int64, error)
	CreatorGifters(ctx context.Context, creatorID, period string, limit int) ([]Gifter, error)
	TopCreators(ctx context.Context, week string, limit int) ([]CreatorRank, error)
	UserSpend(ctx context.Context, userID string) (int64, error)
	StreamGoal(ctx context.Context, streamID string) (*StreamGoal, error) // nil when none
}

// StreamTotals are a stream's running totals.
type StreamTotals struct {
	Gifts         int64  `json:"gifts" doc:"Gift requests received"`
	Coins         int64  `json:"coins"`
	Diamonds      string `json:"diamonds"`
	UniqueGifters int64  `json:"unique_gifters"`
	Milli         int64  `json:"-"`
}

// Gifter is one line of a stream's leaderboard.
type Gifter struct {
	UserID string `json:"user_id"`
	Coins  int64  `json:"coins"`
	Gifts  int64  `json:"gifts"`
}

// HistoryFilter selects a page of a user's history.
type HistoryFilter struct {
	Kinds  []string
	From   time.Time // inclusive; zero means no bound
	To     time.Time // exclusive; zero means no bound
	Before int64     // cursor: only transactions with a smaller id; 0 means newest
	Limit  int
}

// HistoryEntry is one transaction of a user's history, seen from that user.
type HistoryEntry struct {
	TxID         int64            `json:"-"`
	Kind         string           `json:"kind"`
	Ref          string           `json:"ref"`
	Actor        string           `json:"-"`
	Counterparty string           `json:"-"`
	CreatedAt    time.Time        `json:"created_at"`
	Postings     []ledger.Posting `json:"-"`
}
