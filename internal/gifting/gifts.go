package gifting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// SendGiftInput is one gift request.
type SendGiftInput struct {
	StreamID string
	SenderID string
	GiftID   string
	Quantity int64
	ComboID  string
}

// GiftResult is a sent gift as the API returns it.
type GiftResult struct {
	ID               string     `json:"id"`
	StreamID         string     `json:"stream_id"`
	SenderID         string     `json:"sender_id"`
	CreatorID        string     `json:"creator_id"`
	GiftID           string     `json:"gift_id"`
	Quantity         int64      `json:"quantity"`
	Coins            int64      `json:"coins" doc:"Coins debited from the sender"`
	Diamonds         string     `json:"diamonds" doc:"Diamonds credited to the creator, exact"`
	SenderCoinsAfter int64      `json:"sender_coins_after"`
	SenderLevel      int        `json:"sender_level,omitempty" doc:"The sender's gifter level after this gift (1-50)"`
	Combo            *ComboInfo `json:"combo,omitempty"`
	CatalogVersion   int64      `json:"catalog_version"`
	CreatedAt        time.Time  `json:"created_at"`
}

// ComboInfo is the running count of a streak.
type ComboInfo struct {
	ID    string `json:"id"`
	Count int64  `json:"count"`
}

// CheckGiftInput validates a gift request on its own (no database).
func (s *Service) CheckGiftInput(in SendGiftInput) error {
	if err := CheckID("stream_id", in.StreamID); err != nil {
		return err
	}
	if err := CheckID("sender_id", in.SenderID); err != nil {
		return err
	}
	if in.GiftID == "" {
		return InvalidField("gift_id", "gift_id is required")
	}
	if in.Quantity < 1 {
		return InvalidField("quantity", "quantity must be at least 1")
	}
	if in.Quantity > s.econ.Gifting.MaxQuantity {
		return Rule("quantity_limit", map[string]any{"max": s.econ.Gifting.MaxQuantity},
			"quantity %d is above the limit of %d gifts per request", in.Quantity, s.econ.Gifting.MaxQuantity)
	}
	if in.ComboID != "" {
		if err := CheckID("combo_id", in.ComboID); err != nil {
			return err
		}
	}
	return nil
}

// SendGift sends a gift in a live stream: coins from the sender, diamonds to
// the creator, a gift record and the streak, in one ledger transaction.
// Errors: KindInvalid, KindNotFound (stream, user, gift), KindRule
// (insufficient_funds, daily_spend_cap, stream_not_live, self_gift, gift_retired,
// not_age_verified, user_not_active, not_streakable, combo_ended,
// quantity_limit), KindConflict (combo_mismatch, idempotency_conflict).
func (s *Service) SendGift(ctx context.Context, idem Idem, in SendGiftInput) (*GiftResult, bool, error) {
	if err := s.CheckGiftInput(in); err != nil {
		return nil, false, err
	}
	var out *GiftResult
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*GiftResult, error) { return s.sendGift(ctx, tx, in) })
		out, replay = r, rep
		return err
	})
	return out, replay, err
}

func activeUser(ctx context.Context, tx Tx, id, role string) (*User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, AsNotFound(err, "user", id)
	}
	if u.Status != UserActive {
		return nil, Rule("user_not_active", map[string]any{"user_id": id, "status": u.Status}, "%s %s is %s", role, id, u.Status)
	}
	if !u.AgeVerified {
		return nil, Rule("not_age_verified", map[string]any{"user_id": id}, "%s %s is not age-verified", role, id)
	}
	return u, nil
}

func (s *Service) sendGift(ctx context.Context, tx Tx, in SendGiftInput) (*GiftResult, error) {
	st, err := tx.Stream(ctx, in.StreamID)
	if err != nil {
		return nil, AsNotFound(err, "stream", in.StreamID)
	}
	if st.Status != StreamLive {
		return nil, Rule("stream_not_live", map[string]any{"stream_id": st.ID, "status": st.Status}, "stream %s is not live (%s)", st.ID, st.Status)
	}
	if in.SenderID == st.CreatorID {
		return nil, Rule("self_gift", nil, "creators cannot send gifts to their own stream")
	}
	sender, err := activeUser(ctx, tx, in.SenderID, "sender")
	if err != nil {
		return nil, err
	}
	if sender.Restriction == RestrictionCoinDebt {
		return nil, Rule("coin_debt", map[string]any{"user_id": sender.ID},
			"viewer %s owes coins after a refund or chargeback; a purchase repays them before gifting again", sender.ID)
	}
	if _, err := activeUser(ctx, tx, st.CreatorID, "creator"); err != nil {
		return nil, err
	}
	g, err := tx.CatalogGift(ctx, in.GiftID)
	if err != nil {
		return nil, AsNotFound(err, "gift", in.GiftID)
	}
	if !g.Active {
		return nil, Rule("gift_retired", map[string]any{"gift_id": g.ID}, "gift %s is retired", g.ID)
	}
	coins, err := money.Mul(g.Coins, in.Quantity)
	if err != nil {
		return nil, Invalid("quantity × price overflows")
	}
	rate := s.econ.Gifting.DiamondsPerCoin
	if g.DiamondRate != "" {
		if rate, err = decimal.Parse(g.DiamondRate); err != nil {
			return nil, fmt.Errorf("gifting: catalog rate of %s: %w", g.ID, err)
		}
	}
	milli, err := economy.DiamondsForCoins(coins, rate)
	if err != nil {
		return nil, Invalid("the gift's diamond value overflows")
	}
	now := tx.Now()
	var combo *Combo
	if in.ComboID != "" {
		if !g.Streakable {
			return nil, Rule("not_streakable", map[string]any{"gift_id": g.ID}, "gift %s cannot be sent in a streak", g.ID)
		}
		c, err := tx.Combo(ctx, st.ID, in.ComboID)
		if err != nil {
			return nil, err
		}
		switch {
		case c == nil:
			combo = &Combo{StreamID: st.ID, ComboID: in.ComboID, SenderID: in.SenderID, GiftID: g.ID, Count: in.Quantity, LastAt: now}
		case c.SenderID != in.SenderID || c.GiftID != g.ID:
			return nil, Conflict("combo_mismatch", map[string]any{"combo_id": in.ComboID}, "combo %s belongs to another sender or gift", in.ComboID)
		case s.comboEnded(c, now):
			return nil, Rule("combo_ended", map[string]any{"combo_id": in.ComboID}, "combo %s has ended; start a new combo id", in.ComboID)
		default:
			cp := *c
			combo = &cp
			if combo.Count, err = money.Add(combo.Count, in.Quantity); err != nil {
				return nil, Invalid("combo count overflows")
			}
			combo.LastAt = now
		}
	}
	if limit := s.econ.Viewers.MaxGiftsPerMinute; limit > 0 {
		// Counted like the daily spend, under a key per minute.
		minute := now.UTC().Format("2006-01-02T15:04")
		sent, err := tx.DaySpend(ctx, in.SenderID, minute)
		if err != nil {
			return nil, err
		}
		if sent >= limit {
			return nil, Rule("gift_velocity", map[string]any{"max_per_minute": limit},
				"viewer %s may send at most %d gift requests a minute", in.SenderID, limit)
		}
		if err := tx.AddDaySpend(ctx, in.SenderID, minute, 1, limit); err != nil {
			return nil, err
		}
	}
	var day string
	limit := s.econ.Viewers.DailySpendCap
	if sender.SpendCap > 0 && (limit == 0 || sender.SpendCap < limit) {
		limit = sender.SpendCap
	}
	if limit > 0 {
		day = now.UTC().Format(time.DateOnly)
		spent, err := tx.DaySpend(ctx, in.SenderID, day)
		if err != nil {
			return nil, err
		}
		if total, err := money.Add(spent, coins); err != nil || total > limit {
			return nil, Rule("daily_spend_cap", map[string]any{"cap": limit, "spent": spent, "need": coins},
				"viewer %s has spent %d of the %d coins a day allows; this gift costs %d", in.SenderID, spent, limit, coins)
		}
	}
	pre, err := s.readTally(ctx, tx, st.ID, in.SenderID)
	if err != nil {
		return nil, err
	}
	rec := &GiftRecord{
		ID: NewID("g_"), StreamID: st.ID, SenderID: in.SenderID, CreatorID: st.CreatorID, GiftID: g.ID,
		CatalogVersion: g.Version, Quantity: in.Quantity, UnitCoins: g.Coins, Coins: coins, Milli: milli, CreatedAt: now,
	}
	postings := []ledger.Posting{{From: ledger.CoinsOf(in.SenderID), To: ledger.CoinsSpent, Asset: money.Coin, Amount: coins}}
	if milli > 0 {
		postings = append(postings, ledger.Posting{From: ledger.DiamondsIssued, To: s.diamondAccount(st.CreatorID), Asset: money.Diamond, Amount: milli})
	}
	err = tx.Post(ctx, ledger.Transaction{Kind: "gift", Ref: rec.ID, Actor: in.SenderID, Counterparty: st.CreatorID, Postings: postings})
	var ife *ledger.InsufficientFundsError
	if errors.As(err, &ife) {
		return nil, Rule("insufficient_funds", map[string]any{"have": ife.Have, "need": ife.Need},
			"viewer %s has %d coins; %d × %s costs %d", in.SenderID, ife.Have, in.Quantity, g.Name, coins)
	}
	if err != nil {
		return nil, err
	}
	if day != "" {
		if err := tx.AddDaySpend(ctx, in.SenderID, day, coins, limit); err != nil {
			return nil, err
		}
	}
	if combo != nil {
		rec.ComboID, rec.ComboCount = combo.ComboID, combo.Count
		if err := tx.PutCombo(ctx, combo); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertGift(ctx, rec); err != nil {
		return nil, err
	}
	if err := tx.AddStreamTotals(ctx, st.ID, in.SenderID, StreamDelta{Gifts: 1, Coins: coins, Milli: milli}); err != nil {
		return nil, err
	}
	post, err := s.addTally(ctx, tx, pre, rec)
	if err != nil {
		return nil, err
	}
	after, err := tx.Balance(ctx, ledger.CoinsOf(in.SenderID))
	if err != nil {
		return nil, err
	}
	res := &GiftResult{
		ID: rec.ID, StreamID: st.ID, SenderID: in.SenderID, CreatorID: st.CreatorID, GiftID: g.ID, Quantity: in.Quantity,
		Coins: coins, Diamonds: money.FormatAsset(milli, money.Diamond), SenderCoinsAfter: after, SenderLevel: post.level, CatalogVersion: g.Version, CreatedAt: now,
	}
	if combo != nil {
		res.Combo = &ComboInfo{ID: combo.ComboID, Count: combo.Count}
	}
	tx.AfterCommit(func() {
		s.giftCommitted()
		s.publish(Event{StreamID: st.ID, Type: "gift", Data: res})
		if post.goal != nil {
			s.publish(Event{StreamID: st.ID, Type: "goal", Data: post.goal})
		}
	})
	return res, nil
}

// diamondAccount is where a creator's new diamonds go: pending while the
// economy has a holding period, available otherwise.
func (s *Service) diamondAccount(creatorID string) ledger.AccountID {
	if s.econ.Cashout.HoldingPeriodDays > 0 {
		return ledger.UserAccount(creatorID, ledger.PurposeDiamondsPending)
	}
	return ledger.UserAccount(creatorID, ledger.PurposeDiamondsAvailable)
}

func (s *Service) comboEnded(c *Combo, now time.Time) bool {
	return c.Ended || now.Sub(c.LastAt) > s.econ.Gifting.StreakIdleTimeout.Duration
}

// ComboView is the state of a streak.
type ComboView struct {
	StreamID string    `json:"stream_id"`
	ComboID  string    `json:"combo_id"`
	SenderID string    `json:"sender_id"`
	GiftID   string    `json:"gift_id"`
	Count    int64     `json:"count"`
	LastAt   time.Time `json:"last_at"`
	Ended    bool      `json:"ended"`
	EndsAt   time.Time `json:"ends_at" doc:"When the streak ends unless another gift arrives"`
}

func (s *Service) comboView(c *Combo, now time.Time) *ComboView {
	return &ComboView{StreamID: c.StreamID, ComboID: c.ComboID, SenderID: c.SenderID, GiftID: c.GiftID, Count: c.Count,
		LastAt: c.LastAt, Ended: s.comboEnded(c, now), EndsAt: c.LastAt.Add(s.econ.Gifting.StreakIdleTimeout.Duration)}
}

// GetCombo returns a streak. Errors: KindNotFound.
func (s *Service) GetCombo(ctx context.Context, streamID, comboID string) (*ComboView, error) {
	c, err := s.read.Combo(ctx, streamID, comboID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, NotFound("combo", comboID)
	}
	return s.comboView(c, s.now()), nil
}

// EndCombo ends a streak explicitly (the sender stopped tapping). Ending an
// ended streak is a no-op. actor, when not empty, must be the sender.
func (s *Service) EndCombo(ctx context.Context, idem Idem, streamID, comboID, actor string) (*ComboView, bool, error) {
	var out *ComboView
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		r, rep, err := Once(ctx, tx, idem, func() (*ComboView, error) {
			c, err := tx.Combo(ctx, streamID, comboID)
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, NotFound("combo", comboID)
			}
			if actor != "" && c.SenderID != actor {
				return nil, NotFound("combo", comboID)
			}
			if !c.Ended {
				cp := *c
				cp.Ended = true
				if err := tx.PutCombo(ctx, &cp); err != nil {
					return nil, err
				}
				c = &cp
				v := s.comboView(c, tx.Now())
				tx.AfterCommit(func() { s.publish(Event{StreamID: streamID, Type: "combo.ended", Data: v}) })
			}
			return s.comboView(c, tx.Now()), nil
		})
		out, replay = r, rep
		return err
	})
	return out, replay, err
}
