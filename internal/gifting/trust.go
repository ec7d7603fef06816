package gifting

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Status actions of the platform's trust team.
const (
	ActionBan       = "ban"       // a transaction ban: cannot buy, send, receive or withdraw
	ActionUnban     = "unban"     // back to active (a terminated account within its appeal window is reinstated)
	ActionTerminate = "terminate" // frozen at once; diamonds forfeited after the appeal window
)

// SetStatus bans, unbans or terminates a user, with a reason. Errors:
// KindInvalid (action, reason), KindNotFound, KindConflict
// (status_unchanged: already in that state; forfeited: a terminated account
// past its appeal window cannot be reinstated).
func (s *Service) SetStatus(ctx context.Context, idem Idem, userID, action, reason string) (*User, bool, error) {
	var to string
	switch action {
	case ActionBan:
		to = UserBanned
	case ActionUnban:
		to = UserActive
	case ActionTerminate:
		to = UserTerminated
	default:
		return nil, false, InvalidField("action", "action must be ban, unban or terminate")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 || !utf8.ValidString(reason) {
		return nil, false, InvalidField("reason", "reason must be 1–500 characters: it is kept with the account and shown to the user's appeal")
	}
	var out *User
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		u, rep, err := Once(ctx, tx, idem, func() (*User, error) {
			cur, err := tx.User(ctx, userID)
			if err != nil {
				return nil, AsNotFound(err, "user", userID)
			}
			if cur.Status == to {
				return nil, Conflict("status_unchanged", map[string]any{"status": cur.Status}, "user %s is already %s", userID, cur.Status)
			}
			now := tx.Now()
			if cur.Status == UserTerminated && to == UserActive && cur.StatusAt != nil && !now.Before(s.forfeitAt(*cur.StatusAt)) {
				return nil, Conflict("forfeited", map[string]any{"terminated_at": cur.StatusAt}, "user %s was terminated past the appeal window of %d days: the account's diamonds are forfeited", userID, s.econ.Bans.AppealWindowDays)
			}
			u := *cur
			u.Status, u.StatusReason, u.StatusAt, u.UpdatedAt = to, reason, &now, now
			return &u, tx.PutUser(ctx, &u)
		})
		out, replay = u, rep
		return err
	})
	return out, replay, err
}

// forfeitAt is when a termination at t forfeits the account's diamonds.
func (s *Service) forfeitAt(t time.Time) time.Time {
	return t.AddDate(0, 0, s.econ.Bans.AppealWindowDays)
}

// Forfeit moves the diamonds of every account terminated longer ago than
// the economy's appeal window to the forfeiture account (a job runs it).
// It returns the number of accounts it emptied; an account emptied before
// changes nothing, so running it again is harmless.
func (s *Service) Forfeit(ctx context.Context, now time.Time) (int, error) {
	users, err := s.read.UsersByStatus(ctx, UserTerminated, now.AddDate(0, 0, -s.econ.Bans.AppealWindowDays))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		moved := false
		err := s.write(ctx, func(tx Tx) error {
			cur, err := tx.User(ctx, u.ID)
			if err != nil || cur.Status != UserTerminated || cur.StatusAt == nil || tx.Now().Before(s.forfeitAt(*cur.StatusAt)) {
				return err // reinstated meanwhile
			}
			var ps []ledger.Posting
			for _, purpose := range []string{ledger.PurposeDiamondsPending, ledger.PurposeDiamondsAvailable} {
				acct := ledger.UserAccount(u.ID, purpose)
				bal, err := tx.Balance(ctx, acct)
				if err != nil {
					return err
				}
				if bal > 0 {
					ps = append(ps, ledger.Posting{From: acct, To: ledger.DiamondsForfeited, Asset: money.Diamond, Amount: bal})
				}
			}
			if len(ps) == 0 {
				return nil
			}
			moved = true
			return tx.Post(ctx, ledger.Transaction{Kind: "diamonds.forfeited", Ref: u.ID, Actor: u.ID, Postings: ps})
		})
		if err != nil {
			return n, err
		}
		if moved {
			n++
		}
	}
	return n, nil
}

// ReleasePending makes diamonds older than the economy's holding period
// available (a job runs it): for each creator holding pending diamonds, all
// but those received within the period. Diamonds clawed back from pending
// are gone from it, so the release never exceeds what is still pending.
// It returns the milli-diamonds released.
func (s *Service) ReleasePending(ctx context.Context, now time.Time) (int64, error) {
	days := s.econ.Cashout.HoldingPeriodDays
	pending, err := s.read.PendingDiamonds(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	cutoff := now.AddDate(0, 0, -days)
	var total int64
	for creator := range pending {
		recent, err := s.read.DiamondsReceivedSince(ctx, creator, cutoff)
		if err != nil {
			return total, err
		}
		var release int64
		err = s.write(ctx, func(tx Tx) error {
			acct := ledger.UserAccount(creator, ledger.PurposeDiamondsPending)
			bal, err := tx.Balance(ctx, acct)
			if err != nil {
				return err
			}
			if release = bal - recent; release <= 0 {
				release = 0
				return nil
			}
			return tx.Post(ctx, ledger.Transaction{Kind: "diamonds.released", Ref: creator, Actor: creator, Postings: []ledger.Posting{
				{From: acct, To: ledger.UserAccount(creator, ledger.PurposeDiamondsAvailable), Asset: money.Diamond, Amount: release},
			}})
		})
		if err != nil {
			return total, err
		}
		// Counted once committed (an op may run again when a batch retries).
		if total, err = money.Add(total, release); err != nil {
			return total, err
		}
	}
	return total, nil
}

// SetSpendCap sets a viewer's own daily spending cap in coins (0 removes
// it); the economy's cap, when it has one, still applies on top. A viewer
// acting for themself (byUser) may only lower their cap — raising it or
// removing it takes the platform (a service key) — so a moment of regret
// cannot be undone on the spot. Errors: KindInvalid, KindNotFound,
// KindRule (spend_cap_raise).
func (s *Service) SetSpendCap(ctx context.Context, idem Idem, userID string, cap int64, byUser bool) (*User, bool, error) {
	if cap < 0 {
		return nil, false, InvalidField("daily_spend_cap", "daily_spend_cap must not be negative (0 removes it)")
	}
	var out *User
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		u, rep, err := Once(ctx, tx, idem, func() (*User, error) {
			cur, err := tx.User(ctx, userID)
			if err != nil {
				return nil, AsNotFound(err, "user", userID)
			}
			if byUser && cur.SpendCap > 0 && (cap == 0 || cap > cur.SpendCap) {
				return nil, Rule("spend_cap_raise", map[string]any{"daily_spend_cap": cur.SpendCap},
					"a viewer can only lower their own cap (now %d coins a day); ask the platform to raise it", cur.SpendCap)
			}
			u := *cur
			u.SpendCap, u.UpdatedAt = cap, tx.Now()
			return &u, tx.PutUser(ctx, &u)
		})
		out, replay = u, rep
		return err
	})
	return out, replay, err
}

// ReleasePayouts lifts a review hold on a creator's payouts (the trust
// team's call after a review). Errors: KindNotFound, KindConflict
// (status_unchanged: no hold).
func (s *Service) ReleasePayouts(ctx context.Context, idem Idem, userID, reason string) (*User, bool, error) {
	return s.restrict(ctx, idem, userID, RestrictionPayoutReview, false, reason)
}

// HoldPayouts puts a creator's payouts on hold for review.
func (s *Service) HoldPayouts(ctx context.Context, idem Idem, userID, reason string) (*User, bool, error) {
	return s.restrict(ctx, idem, userID, RestrictionPayoutReview, true, reason)
}

func (s *Service) restrict(ctx context.Context, idem Idem, userID, restriction string, on bool, reason string) (*User, bool, error) {
	var out *User
	var replay bool
	err := s.write(ctx, func(tx Tx) error {
		u, rep, err := Once(ctx, tx, idem, func() (*User, error) {
			cur, err := tx.User(ctx, userID)
			if err != nil {
				return nil, AsNotFound(err, "user", userID)
			}
			has := cur.Restriction == restriction
			if has == on {
				return nil, Conflict("status_unchanged", map[string]any{"restriction": cur.Restriction}, "user %s: nothing to change", userID)
			}
			if on && cur.Restriction != "" {
				return cur, nil // a coin debt already restricts the account; keep it
			}
			u := *cur
			u.Restriction, u.UpdatedAt = "", tx.Now()
			if on {
				u.Restriction = restriction
			}
			if reason != "" {
				u.StatusReason = reason
			}
			return &u, tx.PutUser(ctx, &u)
		})
		out, replay = u, rep
		return err
	})
	return out, replay, err
}
