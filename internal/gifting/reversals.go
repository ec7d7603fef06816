package gifting

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Payment event kinds: what a payment provider's webhook says about a
// purchase.
const (
	PaymentPaid          = "paid"           // the money is captured: issue the coins
	PaymentFailed        = "failed"         // the payment failed or the checkout expired
	PaymentRefunded      = "refunded"       // money went back to the buyer (Refunded is cumulative)
	PaymentDisputeOpened = "dispute_opened" // a chargeback: the money is taken back, a fee charged
	PaymentDisputeClosed = "dispute_closed" // the chargeback ended: Won says who won
)

// PaymentEvent is a payment provider's news about a purchase.
type PaymentEvent struct {
	ID          string // the provider's event id: each event applies once
	Provider    string
	Kind        string
	PurchaseID  string      // glint's purchase id; empty when only ProviderRef is known
	ProviderRef string      // the payment's id at the provider
	Amount      int64       // PaymentPaid: the amount paid, minor units (0: not known)
	Currency    money.Asset // of Amount
	Refunded    int64       // PaymentRefunded: money refunded so far, minor units
	Fee         int64       // PaymentDisputeOpened: the provider's dispute fee, minor units
	Won         bool        // PaymentDisputeClosed: the platform won
}

// giftsSince returns the gifts a refund or chargeback of p may claw back:
// the buyer's gifts sent since the purchase, newest first, enough of them to
// cover the purchase's coins (the most a reversal takes back) with coins no
// earlier reversal clawed back (as committed when read; the reversal's
// transaction reads the claws again).
func (s *Service) giftsSince(ctx context.Context, p *Purchase) ([]HistoryEntry, error) {
	var out []HistoryEntry
	var coins, before int64
	for coins < p.Coins {
		page, err := s.read.History(ctx, p.UserID, HistoryFilter{Kinds: []string{HistoryGiftSent}, From: p.CreatedAt, Before: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		ids := make([]string, len(page))
		for i, g := range page {
			ids[i] = g.Ref
		}
		clawed, err := s.read.GiftClaws(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, g := range page {
			spent := int64(0)
			for _, po := range g.Postings {
				if po.Asset == money.Coin {
					spent = min(spent+po.Amount, p.Coins) // bounded: no overflow
				}
			}
			coins = min(coins+max(spent-clawed[g.Ref], 0), p.Coins)
		}
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].TxID
	}
	return out, nil
}

// HandlePayment applies a payment event to its purchase, once per event
// id: completes or fails a pending purchase, or takes the coins of a
// refunded or charged-back purchase back (see reverse). It returns the
// purchase as it now is. Errors: KindNotFound (no such purchase: the
// provider should retry, it may be an event about a purchase glint has not
// recorded yet), KindConflict (purchase_not_completed: a refund or dispute
// before the payment itself; the provider retries).
func (s *Service) HandlePayment(ctx context.Context, ev PaymentEvent) (*Purchase, error) {
	id := ev.PurchaseID
	if id == "" {
		p, err := s.read.PurchaseByRef(ctx, ev.Provider, ev.ProviderRef)
		if err != nil {
			return nil, AsNotFound(err, "purchase", ev.ProviderRef)
		}
		id = p.ID
	}
	committed, err := s.read.PurchaseByID(ctx, id)
	if err != nil {
		return nil, AsNotFound(err, "purchase", id)
	}
	if committed.Provider != ev.Provider {
		return nil, NotFound("purchase", id)
	}
	var gifts []HistoryEntry
	if ev.Kind == PaymentRefunded || ev.Kind == PaymentDisputeOpened || ev.Kind == PaymentDisputeClosed {
		if gifts, err = s.giftsSince(ctx, committed); err != nil {
			return nil, err
		}
	}
	idem := Idem{Key: "payment-event|" + ev.Provider + "|" + ev.ID, Hash: ledger.HashRequest([]byte(ev.Kind), []byte(id))}
	var out *Purchase
	err = s.write(ctx, func(tx Tx) error {
		p, _, err := Once(ctx, tx, idem, func() (*Purchase, error) { return s.applyPayment(ctx, tx, id, ev, gifts) })
		out = p
		return err
	})
	return out, err
}

func (s *Service) applyPayment(ctx context.Context, tx Tx, id string, ev PaymentEvent, gifts []HistoryEntry) (*Purchase, error) {
	cur, err := tx.PurchaseByID(ctx, id)
	if err != nil {
		return nil, AsNotFound(err, "purchase", id)
	}
	p := *cur
	u, err := tx.User(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	notCompleted := func() (*Purchase, error) {
		return nil, Conflict("purchase_not_completed", map[string]any{"purchase_id": p.ID, "status": p.Status},
			"purchase %s is %s: the payment's own event must come first", p.ID, p.Status)
	}
	cash, ext := ledger.ProviderCash(p.Provider, p.Price.Currency), ledger.ProviderExternal(p.Provider, p.Price.Currency)
	var moves []ledger.Posting
	move := func(from, to ledger.AccountID, amount int64) {
		if amount > 0 {
			moves = append(moves, ledger.Posting{From: from, To: to, Asset: p.Price.Currency, Amount: amount})
		}
	}
	switch ev.Kind {
	case PaymentPaid:
		if p.Status != PurchasePending {
			return &p, nil // already completed (or failed for good): nothing to do
		}
		if ev.Amount != 0 && (ev.Amount != p.PriceUnits || ev.Currency != p.Price.Currency) {
			return nil, Rule("payment_mismatch", map[string]any{"paid": money.FormatAsset(ev.Amount, ev.Currency) + " " + string(ev.Currency), "price": p.Price.String()},
				"purchase %s costs %s but %s %s was paid: left pending for review", p.ID, p.Price, money.FormatAsset(ev.Amount, ev.Currency), ev.Currency)
		}
		p.Status, p.ProviderRef = PurchaseCompleted, ev.ProviderRef
		if err := s.completeSale(ctx, tx, &p, u); err != nil {
			return nil, err
		}
		return &p, tx.PutPurchase(ctx, &p)
	case PaymentFailed:
		if p.Status == PurchasePending {
			p.Status = PurchaseFailed
			return &p, tx.PutPurchase(ctx, &p)
		}
		return &p, nil
	case PaymentRefunded:
		if p.Status != PurchaseCompleted {
			return notCompleted()
		}
		if ev.Refunded > p.PriceUnits {
			return nil, Invalid("refunded %d is more than the price %d", ev.Refunded, p.PriceUnits)
		}
		if ev.Refunded <= p.RefundedUnits {
			return &p, nil // an older or repeated refund event
		}
		move(cash, ext, ev.Refunded-p.RefundedUnits)
		p.RefundedUnits = ev.Refunded
	case PaymentDisputeOpened, PaymentDisputeClosed:
		if p.Status != PurchaseCompleted {
			return notCompleted()
		}
		disputed := p.PriceUnits - p.RefundedUnits
		if p.Dispute == "" { // opened (or closed without the opening seen)
			move(cash, ext, disputed)
			move(cash, ledger.DisputeLosses(p.Price.Currency), ev.Fee)
			p.Dispute = "open"
		}
		if ev.Kind == PaymentDisputeClosed && p.Dispute == "open" {
			if ev.Won {
				move(ext, cash, disputed)
				p.Dispute = "won"
			} else {
				p.Dispute = "lost"
			}
		}
	default:
		return nil, Invalid("unknown payment event kind %q", ev.Kind)
	}
	if len(moves) > 0 {
		if err := tx.Post(ctx, ledger.Transaction{Kind: "purchase." + ev.Kind, Ref: p.ID, Actor: p.UserID, Postings: moves}); err != nil {
			return nil, err
		}
	}
	if err := s.reverse(ctx, tx, &p, u, gifts); err != nil {
		return nil, err
	}
	p.SetRefunded()
	return &p, tx.PutPurchase(ctx, &p)
}

// completeSale posts a completed purchase's sale and lets the new coins
// repay what the buyer owes after an earlier chargeback.
func (s *Service) completeSale(ctx context.Context, tx Tx, p *Purchase, u *User) error {
	if err := tx.Post(ctx, saleTransaction(p)); err != nil {
		return err
	}
	recv := ledger.UserAccount(u.ID, ledger.PurposeCoinsReceivable)
	owed, err := tx.Balance(ctx, recv)
	if err != nil || owed >= 0 {
		return err
	}
	have, err := tx.Balance(ctx, ledger.CoinsOf(u.ID))
	if err != nil {
		return err
	}
	pay := min(have, -owed)
	if pay > 0 {
		if err := tx.Post(ctx, ledger.Transaction{Kind: "receivable.repaid", Ref: p.ID, Actor: u.ID, Postings: []ledger.Posting{
			{From: ledger.CoinsOf(u.ID), To: recv, Asset: money.Coin, Amount: pay},
		}}); err != nil {
			return err
		}
	}
	if owed+pay == 0 && u.Restriction == RestrictionCoinDebt {
		c := *u
		c.Restriction, c.UpdatedAt = "", tx.Now()
		return tx.PutUser(ctx, &c)
	}
	return nil
}

// reverse brings the coins taken back from a purchase to what its refunds
// and dispute call for: all of them while a chargeback is open or lost, the
// refunded share (rounded up) otherwise. Coins the buyer still holds are
// taken back; coins already spent become a receivable (the buyer owes them:
// no gifts until a purchase repays them) and the diamonds those coins
// produced are clawed back from the creators — from their pending diamonds
// while still in the holding period, the rest as a receivable that pauses
// their payouts until later earnings repay it. A won dispute gives the
// buyer's coins back (repaying their receivable first); diamonds clawed
// back are not restored. Everything is one zero-sum transaction.
func (s *Service) reverse(ctx context.Context, tx Tx, p *Purchase, u *User, gifts []HistoryEntry) error {
	target := int64(0)
	switch {
	case p.Dispute == "open" || p.Dispute == "lost":
		target = p.Coins
	case p.RefundedUnits > 0:
		var err error
		if target, err = ceilMulDiv(p.Coins, p.RefundedUnits, p.PriceUnits); err != nil {
			return err
		}
	}
	if !s.econ.Reversal.TakeBackCoins {
		return nil // the platform absorbs the loss: the coins stay
	}
	delta := target - p.ReversedCoins
	if delta == 0 {
		return nil
	}
	p.ReversedCoins = target
	coins, recv := ledger.CoinsOf(u.ID), ledger.UserAccount(u.ID, ledger.PurposeCoinsReceivable)
	var ps []ledger.Posting
	post := func(from, to ledger.AccountID, asset money.Asset, amount int64) {
		if amount > 0 {
			ps = append(ps, ledger.Posting{From: from, To: to, Asset: asset, Amount: amount})
		}
	}
	kind := "purchase.reversal"
	if delta < 0 { // a won dispute: the coins come back, repaying any debt first
		kind = "purchase.reinstated"
		owed, err := tx.Balance(ctx, recv)
		if err != nil {
			return err
		}
		repay := min(-delta, max(-owed, 0))
		post(ledger.CoinsIssued, recv, money.Coin, repay)
		post(ledger.CoinsIssued, coins, money.Coin, -delta-repay)
		if owed+repay == 0 && u.Restriction == RestrictionCoinDebt {
			c := *u
			c.Restriction, c.UpdatedAt = "", tx.Now()
			if err := tx.PutUser(ctx, &c); err != nil {
				return err
			}
		}
	} else {
		have, err := tx.Balance(ctx, coins)
		if err != nil {
			return err
		}
		take := min(have, delta)
		short := delta - take
		post(coins, ledger.CoinsIssued, money.Coin, take)
		post(recv, ledger.CoinsIssued, money.Coin, short)
		if short > 0 && u.Restriction != RestrictionCoinDebt {
			c := *u
			c.Restriction, c.UpdatedAt = RestrictionCoinDebt, tx.Now()
			if err := tx.PutUser(ctx, &c); err != nil {
				return err
			}
		}
		if short > 0 && s.econ.Reversal.ClawBackDiamonds {
			claws, err := clawbacks(ctx, tx, gifts, short)
			if err != nil {
				return err
			}
			for _, c := range claws {
				pending := ledger.UserAccount(c.creator, ledger.PurposeDiamondsPending)
				held, err := tx.Balance(ctx, pending)
				if err != nil {
					return err
				}
				fromPending := min(held, c.milli)
				post(pending, ledger.DiamondsIssued, money.Diamond, fromPending)
				post(ledger.UserAccount(c.creator, ledger.PurposeDiamondsReceivable), ledger.DiamondsIssued, money.Diamond, c.milli-fromPending)
			}
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return tx.Post(ctx, ledger.Transaction{Kind: kind, Ref: p.ID, Actor: u.ID, Postings: ps})
}

type clawback struct {
	creator string
	milli   int64
}

// clawChunk is how many gifts clawbacks asks the claws of at once.
const clawChunk = 100

// clawbacks attributes coins spent to the buyer's gifts, newest first, and
// returns the diamonds each creator received for them (each attribution's
// share rounded down to the milli-diamond), by creator in id order. A gift
// is attributed only the coins of it no earlier reversal took (Tx.GiftClaws),
// and what it is attributed now is recorded (Tx.AddGiftClaw): each gift is
// clawed back at most once in all, and a creator never pays for another
// creator's gift.
func clawbacks(ctx context.Context, tx Tx, gifts []HistoryEntry, coins int64) ([]clawback, error) {
	by := map[string]int64{}
	left := coins
	for start := 0; start < len(gifts) && left > 0; start += clawChunk {
		chunk := gifts[start:min(start+clawChunk, len(gifts))]
		ids := make([]string, len(chunk))
		for i, g := range chunk {
			ids[i] = g.Ref
		}
		done, err := tx.GiftClaws(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, g := range chunk {
			if left == 0 {
				break
			}
			var spent, milli int64
			for _, p := range g.Postings {
				var err error
				switch p.Asset {
				case money.Coin:
					spent, err = money.Add(spent, p.Amount)
				case money.Diamond:
					milli, err = money.Add(milli, p.Amount)
				}
				if err != nil {
					return nil, err
				}
			}
			avail := spent - done[g.Ref]
			if spent <= 0 || avail <= 0 {
				continue
			}
			covered := min(avail, left)
			left -= covered
			if err := tx.AddGiftClaw(ctx, g.Ref, covered); err != nil {
				return nil, err
			}
			share, err := floorMulDiv(milli, covered, spent)
			if err != nil {
				return nil, err
			}
			if by[g.Counterparty], err = money.Add(by[g.Counterparty], share); err != nil {
				return nil, err
			}
		}
	}
	out := make([]clawback, 0, len(by))
	for c, m := range by {
		if m > 0 {
			out = append(out, clawback{creator: c, milli: m})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].creator < out[j].creator })
	return out, nil
}

// floorMulDiv is ⌊a×b÷c⌋ exactly, ceilMulDiv ⌈a×b÷c⌉ (a, b ≥ 0, c > 0).
func floorMulDiv(a, b, c int64) (int64, error) { return mulDiv(a, b, c, false) }
func ceilMulDiv(a, b, c int64) (int64, error)  { return mulDiv(a, b, c, true) }

func mulDiv(a, b, c int64, up bool) (int64, error) {
	if c <= 0 || a < 0 || b < 0 {
		return 0, errors.New("gifting: mulDiv needs a, b ≥ 0 and c > 0")
	}
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	q, r := new(big.Int).QuoRem(n, big.NewInt(c), new(big.Int))
	if up && r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("gifting: %d×%d÷%d: %w", a, b, c, money.ErrOverflow)
	}
	return q.Int64(), nil
}
