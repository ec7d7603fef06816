package gifting

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/glint-economy/glint/internal/money"
)

// Leaderboards and gifter levels. A creator's gifters of the day, of the
// ISO week and of all time, and the creators' diamonds of the week, are
// counters folded from the journal after the fact (fold.go): nothing per
// gift on the write path, and a read is a top-N of one counter, never a scan
// of the gifts. The sender's coins spent in all (their level, which the
// gift's answer carries) is summed by the engine over the write batch and
// written once per sender, like a stream's totals.

// Periods of a creator's gifters leaderboard.
const (
	PeriodDay  = "day"  // the current UTC day
	PeriodWeek = "week" // the current ISO week, UTC
	PeriodAll  = "all"
)

// periods are the stored periods of a UTC day: "d:2026-11-25" and its ISO
// week "w:2026-W48" (week: "2026-W48").
type periods struct {
	day                   time.Time // midnight, UTC
	dayKey, weekKey, week string
}

// lastPeriods memoizes periodsAt: every gift of a batch shares the batch's
// clock, and a day has one set of keys.
var lastPeriods atomic.Pointer[periods]

func periodsAt(t time.Time) *periods {
	day := t.UTC().Truncate(24 * time.Hour)
	if p := lastPeriods.Load(); p != nil && p.day.Equal(day) {
		return p
	}
	p := &periods{day: day, dayKey: "d:" + day.Format(time.DateOnly), week: isoWeek(day)}
	p.weekKey = "w:" + p.week
	lastPeriods.Store(p)
	return p
}

// periodKey returns the stored period of a creator's gifters ("all",
// "d:2026-11-25", "w:2026-W48") for period at t, and its label ("",
// "2026-11-25", "2026-W48").
func periodKey(period string, t time.Time) (key, label string) {
	p := periodsAt(t)
	switch period {
	case PeriodDay:
		return p.dayKey, p.dayKey[2:]
	case PeriodWeek:
		return p.weekKey, p.week
	}
	return PeriodAll, ""
}

// isoWeek writes the ISO week of t in UTC: "2026-W48".
func isoWeek(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// parseISOWeek checks a week written "2026-W48" (a week that exists: W53
// only in the years that have one) and returns it as isoWeek writes it.
func parseISOWeek(s string) (string, bool) {
	if len(s) != 8 || s[4] != '-' || s[5] != 'W' {
		return "", false
	}
	y, err1 := strconv.Atoi(s[:4])
	w, err2 := strconv.Atoi(s[6:])
	if err1 != nil || err2 != nil || y < 1 || w < 1 || w > 53 {
		return "", false
	}
	// The Monday of week w: January 4th is always in week 1.
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
	if got := isoWeek(monday); got != s {
		return "", false
	}
	return s, true
}

// CreatorBoard is a creator's top gifters over a period.
type CreatorBoard struct {
	CreatorID string   `json:"creator_id"`
	Period    string   `json:"period" enum:"day,week,all"`
	Window    string   `json:"window,omitempty" doc:"The UTC day (2026-11-25) or ISO week (2026-W48) of the period; absent for all"`
	Items     []Gifter `json:"items"`
}

// CreatorLeaderboard returns a creator's top gifters by coins today, this
// ISO week or of all time (UTC). Errors: KindInvalid (period), KindNotFound
// (the creator).
func (s *Service) CreatorLeaderboard(ctx context.Context, creatorID, period string, limit int) (*CreatorBoard, error) {
	if period != PeriodDay && period != PeriodWeek && period != PeriodAll {
		return nil, InvalidField("period", "period must be day, week or all")
	}
	if _, err := s.read.User(ctx, creatorID); err != nil {
		return nil, AsNotFound(err, "user", creatorID)
	}
	if err := s.syncBoards(ctx); err != nil {
		return nil, err
	}
	key, label := periodKey(period, s.now())
	items, err := s.read.CreatorGifters(ctx, creatorID, key, limit)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []Gifter{}
	}
	return &CreatorBoard{CreatorID: creatorID, Period: period, Window: label, Items: items}, nil
}

// CreatorRank is one line of the creators' leaderboard of a week.
type CreatorRank struct {
	CreatorID string `json:"creator_id"`
	Diamonds  string `json:"diamonds" doc:"Diamonds received from gifts in the week, exact"`
	Gifts     int64  `json:"gifts" doc:"Gift requests received in the week"`
	Milli     int64  `json:"-"`
}

// CreatorsBoard is the top creators of an ISO week.
type CreatorsBoard struct {
	Week  string        `json:"week" doc:"The ISO week, UTC: 2026-W48"`
	Items []CreatorRank `json:"items"`
}

// TopCreators returns the creators who received the most diamonds in an ISO
// week (UTC): week is "current" (or empty) or written "2026-W48". Errors:
// KindInvalid (week).
func (s *Service) TopCreators(ctx context.Context, week string, limit int) (*CreatorsBoard, error) {
	if week == "" || week == "current" {
		week = isoWeek(s.now())
	} else if w, ok := parseISOWeek(week); ok {
		week = w
	} else {
		return nil, InvalidField("week", "week must be current or an ISO week such as 2026-W48")
	}
	if err := s.syncBoards(ctx); err != nil {
		return nil, err
	}
	items, err := s.read.TopCreators(ctx, week, limit)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []CreatorRank{}
	}
	for i := range items {
		items[i].Diamonds = money.FormatAsset(items[i].Milli, money.Diamond)
	}
	return &CreatorsBoard{Week: week, Items: items}, nil
}

// LevelView is a viewer's gifter level.
type LevelView struct {
	UserID      string `json:"user_id"`
	Level       int    `json:"level" doc:"1 to 50, from the coins spent on gifts in all (economy file, [levels])"`
	CoinsSpent  int64  `json:"coins_spent"`
	NextLevelAt *int64 `json:"next_level_at" doc:"The coins spent in all at which the next level starts; null at the top level"`
}

// Level returns a user's gifter level. Errors: KindNotFound.
func (s *Service) Level(ctx context.Context, userID string) (*LevelView, error) {
	if _, err := s.read.User(ctx, userID); err != nil {
		return nil, AsNotFound(err, "user", userID)
	}
	spent, err := s.read.UserSpend(ctx, userID)
	if err != nil {
		return nil, err
	}
	level, next, more := s.econ.Levels.Level(spent)
	v := &LevelView{UserID: userID, Level: level, CoinsSpent: spent}
	if more {
		v.NextLevelAt = &next
	}
	return v, nil
}

// tally is what a gift reads for the counters before it posts: the sender's
// coins spent so far (when the economy has levels) and the stream's goal.
// It is read before the posting so that an engine that learns a batch's
// reads ahead (PostgreSQL) sees these reads too.
type tally struct {
	spent int64
	goal  *StreamGoal
}

func (s *Service) readTally(ctx context.Context, tx Tx, streamID, senderID string) (tally, error) {
	var t tally
	var err error
	if s.econ.Levels.On() {
		if t.spent, err = tx.UserSpend(ctx, senderID); err != nil {
			return t, err
		}
	}
	if t.goal, err = tx.StreamGoal(ctx, streamID); err != nil {
		return t, err
	}
	return t, nil
}

// tallied is what a gift's counters say after it: the sender's level, and
// the stream's goal when the gift moved it.
type tallied struct {
	level int
	goal  *GoalView
}

// addTally adds a sent gift to the sender's spending and the stream's goal
// (the creators' leaderboards are folded from the journal later).
func (s *Service) addTally(ctx context.Context, tx Tx, t tally, rec *GiftRecord) (tallied, error) {
	var out tallied
	if err := tx.AddUserSpend(ctx, rec.SenderID, rec.Coins); err != nil {
		return out, err
	}
	spent, err := money.Add(t.spent, rec.Coins)
	if err != nil {
		return out, fmt.Errorf("gifting: coins spent by %s: %w", rec.SenderID, err)
	}
	out.level, _, _ = s.econ.Levels.Level(spent)
	if t.goal != nil {
		n := t.goal.moveBy(rec)
		if n > 0 {
			if err := tx.AddGoalProgress(ctx, t.goal.StreamID, t.goal.Version, n); err != nil {
				return out, err
			}
			after := *t.goal
			if after.Progress, err = money.Add(after.Progress, n); err != nil {
				return out, fmt.Errorf("gifting: goal of %s: %w", after.StreamID, err)
			}
			out.goal = after.view()
		}
	}
	return out, nil
}
