package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
)

// RunBoards runs the leaderboards, levels and goals part of the conformance
// suite: counters summed per batch (within one batch and across batches,
// over two UTC days and two ISO weeks), refused gifts and failed requests
// that must not count, and stream goals with their events.
func RunBoards[T gifting.Tx](t *testing.T, open Open[T]) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b *boardsEnv[T])
	}{
		{"LeaderboardsAndLevels", testLeaderboards[T]},
		{"FoldedFromTheJournal", testFold[T]},
		{"FailedRequestsDoNotCount", testBoardsUndo[T]},
		{"Goals", testGoals[T]},
		{"GoalsReplacedInOneBatch", testGoalsInBatch[T]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBoardsEnv(t, open))
		})
	}
}

// boardsEnv is a domain whose service records the events it publishes.
type boardsEnv[T gifting.Tx] struct {
	*domain[T]
	mu     sync.Mutex
	events []gifting.Event
}

func newBoardsEnv[T gifting.Tx](t *testing.T, open Open[T]) *boardsEnv[T] {
	t.Helper()
	b := &boardsEnv[T]{domain: newDomain(t, open)}
	d := b.domain
	d.svc = gifting.NewService(gifting.Config{
		Economy: d.econ, FX: money.NewLive(money.DefaultRates()), Read: d.e.Read, Now: d.clock.Now, Boards: folderOf(d.e.Read),
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return d.batch.Do(ctx, func(w T) error { return op(w) })
		},
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(T) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(w T) error { return op(w) }
			}
			return d.e.Apply(ctx, wrapped)
		},
		Publish: func(ev gifting.Event) {
			b.mu.Lock()
			b.events = append(b.events, ev)
			b.mu.Unlock()
		},
	})
	return b
}

// goalEvents returns the goal events published since the last call.
func (b *boardsEnv[T]) goalEvents() []gifting.GoalView {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []gifting.GoalView
	for _, ev := range b.events {
		if ev.Type == "goal" {
			out = append(out, *ev.Data.(*gifting.GoalView))
		}
	}
	b.events = nil
	return out
}

// batch sends gifts in one ApplyBatch and returns each one's error code
// ("" when sent) and sender level.
func (b *boardsEnv[T]) batchOf(t *testing.T, gifts ...gifting.SendGiftInput) (codes []string, levels []int) {
	t.Helper()
	in := make([]gifting.BatchGift, len(gifts))
	for i, g := range gifts {
		in[i] = gifting.BatchGift{Input: g}
	}
	for _, r := range b.svc.SendGifts(ctx, in) {
		codes = append(codes, code(r.Err))
		level := 0
		if r.Gift != nil {
			level = r.Gift.SenderLevel
		}
		levels = append(levels, level)
	}
	return codes, levels
}

// errNoGoal fails a raw op that finds no goal (as an engine's look-ahead
// run of the op does).
var errNoGoal = errors.New("no goal")

func send(stream, sender, gift string, qty int64) gifting.SendGiftInput {
	return gifting.SendGiftInput{StreamID: stream, SenderID: sender, GiftID: gift, Quantity: qty}
}

// boardsWorld: creators c1 (live in s1) and c2 (live in s2); viewers v1,
// v2, v3 with 350 coins each and poor with 70.
func (b *boardsEnv[T]) world(t *testing.T) {
	t.Helper()
	for _, u := range []string{"c1", "c2", "v1", "v2", "v3", "poor"} {
		b.user(t, u)
	}
	for _, v := range []string{"v1", "v2", "v3"} {
		b.buy(t, v, 350)
	}
	b.buy(t, "poor", 70)
	b.live(t, "s1", "c1")
	b.live(t, "s2", "c2")
}

func testLeaderboards[T gifting.Tx](t *testing.T, b *boardsEnv[T]) {
	b.world(t)
	read := b.e.Read
	// Sunday 2025-06-01 (ISO week 2025-W22): one batch, with a refused gift
	// in the middle, v2 reaching level 2 within the batch…
	codes, levels := b.batchOf(t,
		send("s1", "v1", "rose", 10),      // 10 coins
		send("s1", "v2", "love-bang", 3),  // 75
		send("s2", "v1", "lollipop", 1),   // 10
		send("s1", "poor", "galaxy", 1),   // refused: 1000 coins
		send("s1", "v2", "rose", 30),      // 30: v2 has spent 105
		send("s1", "v1", "rose", 5),       // 5
		send("s1", "c1", "rose", 1),       // refused: self gift
		send("s1", "ghost", "rose", 1),    // refused: no sender
		send("s1", "v3", "no-such", 1),    // refused: no gift
		send("nope", "v3", "rose", 1),     // refused: no stream
		send("s2", "poor", "lollipop", 8), // refused: 80 coins
	)
	wantCodes := []string{"", "", "", "insufficient_funds", "", "", "self_gift", "user_not_found", "gift_not_found", "stream_not_found", "insufficient_funds"}
	if diff := cmp.Diff(wantCodes, codes); diff != "" {
		t.Fatalf("batch codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 1, 1, 0, 2, 1, 0, 0, 0, 0, 0}, levels); diff != "" {
		t.Fatalf("sender levels (-want +got):\n%s", diff)
	}
	// …and a batch of its own.
	if r, err := b.gift("s1", "v3", "rose", 3, ""); err != nil || r.SenderLevel != 1 {
		t.Fatalf("v3's rose: %+v %v", r, err)
	}
	// Monday 2025-06-02: a new day and a new ISO week (2025-W23).
	b.clock.Advance(12 * time.Hour)
	codes, levels = b.batchOf(t, send("s1", "v2", "rose", 20), send("s2", "v3", "rose", 7), send("s2", "poor", "galaxy", 1))
	if diff := cmp.Diff([]string{"", "", "insufficient_funds"}, codes); diff != "" {
		t.Fatalf("Monday's codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 1, 0}, levels); diff != "" {
		t.Fatalf("Monday's levels (-want +got):\n%s", diff)
	}
	// Tuesday 2025-06-03, the same week.
	b.clock.Advance(24 * time.Hour)
	if _, err := b.gift("s1", "v1", "rose", 2, ""); err != nil {
		t.Fatal(err)
	}

	// The leaderboards are folded from the journal: nothing yet, then
	// everything once folded.
	if g, err := read.CreatorGifters(ctx, "c1", "all", 10); err != nil || len(g) != 0 {
		t.Fatalf("c1's gifters before a fold: %+v %v", g, err)
	}
	if err := b.svc.SyncBoards(ctx); err != nil {
		t.Fatal(err)
	}
	gifters := func(creator, period string, limit int) []gifting.Gifter {
		t.Helper()
		g, err := read.CreatorGifters(ctx, creator, period, limit)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, tc := range []struct {
		creator, period string
		want            []gifting.Gifter
	}{
		{"c1", "all", []gifting.Gifter{{UserID: "v2", Coins: 125, Gifts: 3}, {UserID: "v1", Coins: 17, Gifts: 3}, {UserID: "v3", Coins: 3, Gifts: 1}}},
		{"c1", "d:2025-06-01", []gifting.Gifter{{UserID: "v2", Coins: 105, Gifts: 2}, {UserID: "v1", Coins: 15, Gifts: 2}, {UserID: "v3", Coins: 3, Gifts: 1}}},
		{"c1", "w:2025-W22", []gifting.Gifter{{UserID: "v2", Coins: 105, Gifts: 2}, {UserID: "v1", Coins: 15, Gifts: 2}, {UserID: "v3", Coins: 3, Gifts: 1}}},
		{"c1", "d:2025-06-02", []gifting.Gifter{{UserID: "v2", Coins: 20, Gifts: 1}}},
		{"c1", "d:2025-06-03", []gifting.Gifter{{UserID: "v1", Coins: 2, Gifts: 1}}},
		{"c1", "w:2025-W23", []gifting.Gifter{{UserID: "v2", Coins: 20, Gifts: 1}, {UserID: "v1", Coins: 2, Gifts: 1}}},
		{"c2", "all", []gifting.Gifter{{UserID: "v1", Coins: 10, Gifts: 1}, {UserID: "v3", Coins: 7, Gifts: 1}}},
		{"c2", "w:2025-W22", []gifting.Gifter{{UserID: "v1", Coins: 10, Gifts: 1}}},
		{"c2", "d:2025-06-02", []gifting.Gifter{{UserID: "v3", Coins: 7, Gifts: 1}}},
		{"c2", "d:2025-06-03", nil},
		{"v1", "all", nil}, // a viewer has no gifters
	} {
		if diff := cmp.Diff(tc.want, gifters(tc.creator, tc.period, 10)); diff != "" {
			t.Errorf("gifters of %s in %s (-want +got):\n%s", tc.creator, tc.period, diff)
		}
	}
	if diff := cmp.Diff([]gifting.Gifter{{UserID: "v2", Coins: 125, Gifts: 3}}, gifters("c1", "all", 1)); diff != "" {
		t.Errorf("the top gifter of c1 (-want +got):\n%s", diff)
	}

	// Through the service, on Tuesday.
	board := func(creator, period string, limit int) *gifting.CreatorBoard {
		t.Helper()
		v, err := b.svc.CreatorLeaderboard(ctx, creator, period, limit)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		period string
		limit  int
		want   *gifting.CreatorBoard
	}{
		{"day", 10, &gifting.CreatorBoard{CreatorID: "c1", Period: "day", Window: "2025-06-03", Items: []gifting.Gifter{{UserID: "v1", Coins: 2, Gifts: 1}}}},
		{"week", 10, &gifting.CreatorBoard{CreatorID: "c1", Period: "week", Window: "2025-W23", Items: []gifting.Gifter{{UserID: "v2", Coins: 20, Gifts: 1}, {UserID: "v1", Coins: 2, Gifts: 1}}}},
		{"all", 2, &gifting.CreatorBoard{CreatorID: "c1", Period: "all", Items: []gifting.Gifter{{UserID: "v2", Coins: 125, Gifts: 3}, {UserID: "v1", Coins: 17, Gifts: 3}}}},
	} {
		if diff := cmp.Diff(tc.want, board("c1", tc.period, tc.limit)); diff != "" {
			t.Errorf("c1's %s board (-want +got):\n%s", tc.period, diff)
		}
	}
	if v := board("c2", "day", 10); v.Items == nil || len(v.Items) != 0 {
		t.Errorf("c2's Tuesday: %+v, want an empty list", v)
	}
	_, err := b.svc.CreatorLeaderboard(ctx, "ghost", "all", 10)
	wantCode(t, "unknown creator", err, "user_not_found")
	_, err = b.svc.CreatorLeaderboard(ctx, "c1", "month", 10)
	wantCode(t, "unknown period", err, "invalid_request")

	// Creators by diamonds per week: half a diamond per coin.
	week := func(w string) *gifting.CreatorsBoard {
		t.Helper()
		v, err := b.svc.TopCreators(ctx, w, 10)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	w22 := &gifting.CreatorsBoard{Week: "2025-W22", Items: []gifting.CreatorRank{
		{CreatorID: "c1", Diamonds: "61.5", Gifts: 5, Milli: 61500}, {CreatorID: "c2", Diamonds: "5", Gifts: 1, Milli: 5000}}}
	w23 := &gifting.CreatorsBoard{Week: "2025-W23", Items: []gifting.CreatorRank{
		{CreatorID: "c1", Diamonds: "11", Gifts: 2, Milli: 11000}, {CreatorID: "c2", Diamonds: "3.5", Gifts: 1, Milli: 3500}}}
	for w, want := range map[string]*gifting.CreatorsBoard{"2025-W22": w22, "2025-W23": w23, "current": w23, "": w23, "2025-W24": {Week: "2025-W24", Items: []gifting.CreatorRank{}}} {
		if diff := cmp.Diff(want, week(w)); diff != "" {
			t.Errorf("creators of week %q (-want +got):\n%s", w, diff)
		}
	}
	if top, err := read.TopCreators(ctx, "2025-W22", 1); err != nil || len(top) != 1 || top[0].CreatorID != "c1" {
		t.Errorf("the top creator of 2025-W22: %+v %v", top, err)
	}
	for _, bad := range []string{"2025-W54", "2025-W00", "2025-W53", "2025W22", "2025-w22", "last"} { // 2025 has 52 weeks
		_, err := b.svc.TopCreators(ctx, bad, 10)
		wantCode(t, "week "+bad, err, "invalid_request")
	}
	if v := week("2026-W53"); v.Week != "2026-W53" { // 2026 has 53
		t.Errorf("2026-W53: %+v", v)
	}

	// Levels from the coins spent in all.
	for _, tc := range []struct {
		user  string
		coins int64
		level int
		next  int64
	}{{"v1", 27, 1, 100}, {"v2", 125, 2, 300}, {"v3", 10, 1, 100}, {"poor", 0, 1, 100}, {"c1", 0, 1, 100}} {
		v, err := b.svc.Level(ctx, tc.user)
		if err != nil {
			t.Fatal(err)
		}
		want := &gifting.LevelView{UserID: tc.user, Level: tc.level, CoinsSpent: tc.coins, NextLevelAt: &tc.next}
		if diff := cmp.Diff(want, v); diff != "" {
			t.Errorf("level of %s (-want +got):\n%s", tc.user, diff)
		}
	}
	_, err = b.svc.Level(ctx, "ghost")
	wantCode(t, "unknown user's level", err, "user_not_found")
	b.clean(t)
}

// folderOf returns the engine's leaderboard folder (its reader is the engine).
func folderOf(r gifting.Reader) gifting.BoardFolder {
	f, _ := r.(gifting.BoardFolder)
	return f
}

// testFold: the fold reads the journal in pages, passes over the other
// transactions, counts every gift once however many folds run and however
// many run at once.
func testFold[T gifting.Tx](t *testing.T, b *boardsEnv[T]) {
	b.world(t)
	f := folderOf(b.e.Read)
	if f == nil {
		t.Fatal("the engine's reader does not fold the leaderboards")
	}
	// Gifts in separate batches, purchases (other transactions) between.
	for i, g := range []gifting.SendGiftInput{send("s1", "v1", "rose", 1), send("s1", "v2", "rose", 2), send("s2", "v1", "lollipop", 1),
		send("s1", "v1", "rose", 3), send("s2", "v3", "rose", 4)} {
		if _, err := b.gift(g.StreamID, g.SenderID, g.GiftID, g.Quantity, ""); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			b.buy(t, "v3", 70)
		}
	}
	folded, pages := 0, 0
	for more := true; more; pages++ {
		n, m, err := f.FoldBoards(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		folded, more = folded+n, m
		if pages > 100 {
			t.Fatal("the fold never ends")
		}
	}
	if folded != 5 || pages < 3 {
		t.Errorf("folded %d gifts in %d pages of 2 transactions, want 5 gifts in several pages", folded, pages)
	}
	want := map[string][]gifting.Gifter{
		"c1": {{UserID: "v1", Coins: 4, Gifts: 2}, {UserID: "v2", Coins: 2, Gifts: 1}},
		"c2": {{UserID: "v1", Coins: 10, Gifts: 1}, {UserID: "v3", Coins: 4, Gifts: 1}},
	}
	check := func(when string) {
		t.Helper()
		for c, w := range want {
			for _, p := range []string{"all", "d:2025-06-01", "w:2025-W22"} {
				if g, err := b.e.Read.CreatorGifters(ctx, c, p, 10); err != nil || !cmp.Equal(w, g) {
					t.Errorf("%s: gifters of %s in %s: %+v %v, want %+v", when, c, p, g, err, w)
				}
			}
		}
		top := []gifting.CreatorRank{{CreatorID: "c2", Gifts: 2, Milli: 7000}, {CreatorID: "c1", Gifts: 3, Milli: 3000}}
		if got, err := b.e.Read.TopCreators(ctx, "2025-W22", 10); err != nil || !cmp.Equal(top, got) {
			t.Errorf("%s: creators of 2025-W22: %+v %v, want %+v", when, got, err, top)
		}
	}
	check("after the fold")
	if n, more, err := f.FoldBoards(ctx, 2); err != nil || n != 0 || more {
		t.Errorf("a fold with nothing new: %d %v %v", n, more, err)
	}
	check("after a fold with nothing new")

	// Folders racing one another (several nodes, or readers and the
	// ticker) count each gift once.
	for _, g := range []gifting.SendGiftInput{send("s1", "v2", "rose", 5), send("s1", "v3", "rose", 6), send("s2", "v2", "rose", 7)} {
		if _, err := b.gift(g.StreamID, g.SenderID, g.GiftID, g.Quantity, ""); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for more := true; more; {
				n, m, err := f.FoldBoards(ctx, 1)
				if err != nil {
					t.Error(err)
					return
				}
				more = m
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != 3 {
		t.Errorf("racing folders folded %d gifts, want 3", total)
	}
	want["c1"] = []gifting.Gifter{{UserID: "v2", Coins: 7, Gifts: 2}, {UserID: "v3", Coins: 6, Gifts: 1}, {UserID: "v1", Coins: 4, Gifts: 2}}
	want["c2"] = []gifting.Gifter{{UserID: "v1", Coins: 10, Gifts: 1}, {UserID: "v2", Coins: 7, Gifts: 1}, {UserID: "v3", Coins: 4, Gifts: 1}}
	// milli: c1 3000 + (5+6)*500; c2 7000 + 7*500
	wantTop := []gifting.CreatorRank{{CreatorID: "c1", Gifts: 5, Milli: 8500}, {CreatorID: "c2", Gifts: 3, Milli: 10500}}
	for c, w := range want {
		if g, err := b.e.Read.CreatorGifters(ctx, c, "all", 10); err != nil || !cmp.Equal(w, g) {
			t.Errorf("after racing folds: gifters of %s: %+v %v, want %+v", c, g, err, w)
		}
	}
	got, err := b.e.Read.TopCreators(ctx, "2025-W22", 10)
	if err != nil || !cmp.Equal([]gifting.CreatorRank{wantTop[1], wantTop[0]}, got) {
		t.Errorf("after racing folds: creators: %+v %v", got, err)
	}
	b.clean(t)
}

// testBoardsUndo: a request that added to the batch's counters and then
// failed leaves no trace, in a batch where another request's additions stay.
func testBoardsUndo[T gifting.Tx](t *testing.T, b *boardsEnv[T]) {
	b.world(t)
	if _, _, err := b.svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 100}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused after counting")
	add := func(coins int64, fail bool) func(T) error {
		return func(w T) error {
			if err := w.AddUserSpend(ctx, "v1", coins); err != nil {
				return err
			}
			g, err := w.StreamGoal(ctx, "s1")
			if err != nil || g == nil {
				return errors.Join(err, errNoGoal)
			}
			if err := w.AddGoalProgress(ctx, "s1", g.Version, coins); err != nil {
				return err
			}
			if fail {
				return refused
			}
			return nil
		}
	}
	// The spending a request sees includes the batch's earlier additions,
	// not a failed request's.
	var seen []int64
	look := func(w T) error {
		s, err := w.UserSpend(ctx, "v1")
		g, gerr := w.StreamGoal(ctx, "s1")
		if err = errors.Join(err, gerr); err != nil || g == nil {
			return errors.Join(err, errNoGoal)
		}
		seen = append(seen, s, g.Progress)
		return nil
	}
	errs := b.e.Apply(ctx, []func(T) error{add(7, false), look, add(1000, true), look, add(5, false), look})
	for i, want := range []error{nil, nil, refused, nil, nil, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Fatalf("op %d: %v, want %v", i, errs[i], want)
		}
	}
	if diff := cmp.Diff([]int64{7, 7, 7, 7, 12, 12}, seen); diff != "" {
		t.Errorf("what the batch saw (-want +got):\n%s", diff)
	}
	if s, err := b.e.Read.UserSpend(ctx, "v1"); err != nil || s != 12 {
		t.Errorf("v1 spent %d %v, want 12", s, err)
	}
	if g, err := b.svc.GetGoal(ctx, "s1"); err != nil || g.Progress != 12 || g.Reached {
		t.Errorf("goal %+v %v, want progress 12", g, err)
	}
	b.clean(t)
}

func testGoals[T gifting.Tx](t *testing.T, b *boardsEnv[T]) {
	b.world(t)
	_, err := b.svc.GetGoal(ctx, "s1")
	wantCode(t, "no goal yet", err, "goal_not_found")
	_, err = b.svc.GetGoal(ctx, "nope")
	wantCode(t, "no stream", err, "stream_not_found")
	for _, tc := range []struct {
		in   gifting.SetGoalInput
		code string
	}{
		{gifting.SetGoalInput{StreamID: "s1", Kind: "hearts", Target: 10}, "invalid_request"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 0}, "invalid_request"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 10, GiftID: "rose"}, "invalid_request"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalGift, Target: 10}, "invalid_request"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalGift, Target: 10, GiftID: "unicorn"}, "gift_not_found"},
		{gifting.SetGoalInput{StreamID: "nope", Kind: gifting.GoalCoins, Target: 10}, "stream_not_found"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 10, Actor: "v1"}, "forbidden"},
		{gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 10, Actor: "c2"}, "forbidden"},
	} {
		_, _, err := b.svc.SetGoal(ctx, gifting.Idem{}, tc.in)
		wantCode(t, "set goal "+tc.in.Kind, err, tc.code)
	}
	if ev := b.goalEvents(); len(ev) != 0 {
		t.Fatalf("refused goals published %+v", ev)
	}

	// A coins goal, set by the creator: gifts move it, in one batch, a
	// refused one does not.
	g, _, err := b.svc.SetGoal(ctx, gifting.Idem{Key: "goal-1", Hash: "h"}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 50, Actor: "c1"})
	want := &gifting.GoalView{StreamID: "s1", Kind: "coins", Target: 50, UpdatedAt: start}
	if err != nil || !cmp.Equal(want, g) {
		t.Fatalf("set goal: %+v %v", g, err)
	}
	if diff := cmp.Diff([]gifting.GoalView{*want}, b.goalEvents()); diff != "" {
		t.Errorf("the goal's event (-want +got):\n%s", diff)
	}
	codes, _ := b.batchOf(t, send("s1", "v1", "rose", 10), send("s2", "v1", "rose", 4), send("s1", "v2", "love-bang", 1),
		send("s1", "poor", "galaxy", 1), send("s1", "v1", "rose", 20))
	if diff := cmp.Diff([]string{"", "", "", "insufficient_funds", ""}, codes); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	ev := func(progress int64) gifting.GoalView {
		v := *want
		v.Progress, v.Reached = progress, progress >= v.Target
		return v
	}
	if diff := cmp.Diff([]gifting.GoalView{ev(10), ev(35), ev(55)}, b.goalEvents()); diff != "" {
		t.Errorf("goal events (-want +got):\n%s", diff)
	}
	if got, err := b.svc.GetGoal(ctx, "s1"); err != nil || !cmp.Equal(ev(55), *got) {
		t.Errorf("goal after the batch: %+v %v, want %+v", got, err, ev(55))
	}
	// A replay answers the first goal and changes nothing.
	if g, replay, err := b.svc.SetGoal(ctx, gifting.Idem{Key: "goal-1", Hash: "h"}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 50, Actor: "c1"}); err != nil || !replay || g.Progress != 0 {
		t.Errorf("replayed goal: %+v %v %v", g, replay, err)
	}

	// The same kind with a new target keeps the progress.
	b.clock.Advance(time.Minute)
	g, _, err = b.svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalCoins, Target: 500})
	if err != nil || g.Progress != 55 || g.Reached || g.Target != 500 {
		t.Fatalf("raised target: %+v %v", g, err)
	}
	// A gift goal replaces it and counts from 0: only that gift's quantity.
	g, _, err = b.svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalGift, GiftID: "ROSE", Target: 5, Actor: "c1"})
	want = &gifting.GoalView{StreamID: "s1", Kind: "gift", GiftID: "rose", Target: 5, UpdatedAt: start.Add(time.Minute)}
	if err != nil || !cmp.Equal(want, g) {
		t.Fatalf("gift goal: %+v %v", g, err)
	}
	b.goalEvents()
	codes, _ = b.batchOf(t, send("s1", "v1", "rose", 3), send("s1", "v2", "lollipop", 1), send("s1", "v3", "rose", 2), send("s1", "v3", "rose", 1))
	if diff := cmp.Diff([]string{"", "", "", ""}, codes); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]gifting.GoalView{ev(3), ev(5), ev(6)}, b.goalEvents()); diff != "" {
		t.Errorf("gift goal events (-want +got):\n%s", diff)
	}
	if got, err := b.svc.GetGoal(ctx, "s1"); err != nil || !cmp.Equal(ev(6), *got) {
		t.Errorf("gift goal: %+v %v, want %+v", got, err, ev(6))
	}
	// Another stream's goal is its own; an ended stream takes none.
	if _, err := b.svc.GetGoal(ctx, "s2"); code(err) != "goal_not_found" {
		t.Errorf("s2's goal: %v", err)
	}
	if _, _, err := b.svc.EndStream(ctx, gifting.Idem{}, "s2", ""); err != nil {
		t.Fatal(err)
	}
	_, _, err = b.svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s2", Kind: gifting.GoalCoins, Target: 10})
	wantCode(t, "ended stream", err, "stream_not_live")
	b.clean(t)
}

// testGoalsInBatch: within one batch, progress before a replacement goes to
// the old goal (and is dropped with it), progress after it to the new one.
func testGoalsInBatch[T gifting.Tx](t *testing.T, b *boardsEnv[T]) {
	b.world(t)
	if _, _, err := b.svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s1", Kind: gifting.GoalGift, GiftID: "rose", Target: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.gift("s1", "v1", "rose", 2, ""); err != nil {
		t.Fatal(err)
	}
	var first *gifting.StreamGoal
	progress := func(n int64) func(T) error {
		return func(w T) error {
			g, err := w.StreamGoal(ctx, "s1")
			if err != nil || g == nil {
				return errors.Join(err, errNoGoal)
			}
			return w.AddGoalProgress(ctx, "s1", g.Version, n)
		}
	}
	put := func(kind, gift string, target int64) func(T) error {
		return func(w T) error {
			g, err := w.StreamGoal(ctx, "s1")
			if err != nil || g == nil {
				return errors.Join(err, errNoGoal)
			}
			first = g
			ng := &gifting.StreamGoal{StreamID: "s1", Version: g.Version, Kind: kind, GiftID: gift, Target: target, UpdatedAt: start}
			if kind != g.Kind || gift != g.GiftID {
				ng.Version++
			}
			return w.PutStreamGoal(ctx, ng)
		}
	}
	var seen []int64
	look := func(w T) error {
		g, err := w.StreamGoal(ctx, "s1")
		if err != nil || g == nil {
			return errors.Join(err, errNoGoal)
		}
		seen = append(seen, g.Version, g.Progress)
		return nil
	}
	// Same kind: the target changes, the progress stays and goes on.
	errs := b.e.Apply(ctx, []func(T) error{progress(1), put("gift", "rose", 20), look, progress(4), look})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{1, 3, 1, 7}, seen); diff != "" || first.Progress != 3 {
		t.Errorf("same kind in one batch (-want +got):\n%s (read before the put: %+v)", diff, first)
	}
	if g, err := b.e.Read.StreamGoal(ctx, "s1"); err != nil || g.Version != 1 || g.Progress != 7 || g.Target != 20 {
		t.Errorf("stored goal %+v %v, want version 1, progress 7, target 20", g, err)
	}
	// Another kind: a new version counts from 0.
	seen = nil
	errs = b.e.Apply(ctx, []func(T) error{progress(1), put("coins", "", 100), look, progress(4), look, progress(2)})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{2, 0, 2, 4}, seen); diff != "" {
		t.Errorf("another kind in one batch (-want +got):\n%s", diff)
	}
	if g, err := b.e.Read.StreamGoal(ctx, "s1"); err != nil || g.Version != 2 || g.Kind != "coins" || g.Progress != 6 || g.Target != 100 {
		t.Errorf("stored goal %+v %v, want version 2, coins, progress 6", g, err)
	}
	b.clean(t)
}

// BackfillGift is a gift stored before the boards' migration (00011).
type BackfillGift struct {
	ID, SenderID, CreatorID string
	Coins, Milli            int64
	At                      time.Time
}

// BackfillGifts are the gifts CheckBackfill expects the migration to have
// counted: around the midnight between Sunday 2025-06-01 (ISO week
// 2025-W22) and Monday 2025-06-02 (2025-W23), UTC.
var BackfillGifts = []BackfillGift{
	{"g1", "v1", "c1", 10, 5000, time.Date(2025, 6, 1, 23, 59, 59, 999999000, time.UTC)},
	{"g2", "v1", "c1", 5, 2500, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)},
	{"g3", "v2", "c1", 25, 12500, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)},
	{"g4", "v2", "c2", 7, 3500, time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)},
}

// CheckBackfill checks that the boards' migration counted BackfillGifts,
// stored before it ran.
func CheckBackfill(t *testing.T, read gifting.Reader) {
	t.Helper()
	for _, tc := range []struct {
		creator, period string
		want            []gifting.Gifter
	}{
		{"c1", "all", []gifting.Gifter{{UserID: "v2", Coins: 25, Gifts: 1}, {UserID: "v1", Coins: 15, Gifts: 2}}},
		{"c1", "d:2025-06-01", []gifting.Gifter{{UserID: "v2", Coins: 25, Gifts: 1}, {UserID: "v1", Coins: 10, Gifts: 1}}},
		{"c1", "d:2025-06-02", []gifting.Gifter{{UserID: "v1", Coins: 5, Gifts: 1}}},
		{"c1", "w:2025-W22", []gifting.Gifter{{UserID: "v2", Coins: 25, Gifts: 1}, {UserID: "v1", Coins: 10, Gifts: 1}}},
		{"c1", "w:2025-W23", []gifting.Gifter{{UserID: "v1", Coins: 5, Gifts: 1}}},
		{"c2", "all", []gifting.Gifter{{UserID: "v2", Coins: 7, Gifts: 1}}},
	} {
		got, err := read.CreatorGifters(ctx, tc.creator, tc.period, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("backfilled gifters of %s in %s (-want +got):\n%s", tc.creator, tc.period, diff)
		}
	}
	for week, want := range map[string][]gifting.CreatorRank{
		"2025-W22": {{CreatorID: "c1", Milli: 17500, Gifts: 2}},
		"2025-W23": {{CreatorID: "c2", Milli: 3500, Gifts: 1}, {CreatorID: "c1", Milli: 2500, Gifts: 1}},
	} {
		got, err := read.TopCreators(ctx, week, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("backfilled creators of %s (-want +got):\n%s", week, diff)
		}
	}
	for user, want := range map[string]int64{"v1": 15, "v2": 32, "c1": 0} {
		if got, err := read.UserSpend(ctx, user); err != nil || got != want {
			t.Errorf("backfilled spending of %s: %d %v, want %d", user, got, err, want)
		}
	}
}
