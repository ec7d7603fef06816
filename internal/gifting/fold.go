package gifting

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// The creators' leaderboards (a creator's gifters of the day, the ISO week
// and all time; the creators' diamonds of the week) are folded from the
// journal rather than written by every gift: an engine keeps a watermark in
// the journal, and a fold reads the gift transactions after it, sums them
// (BoardSums), adds the sums to the counters and moves the watermark, in
// one transaction. A gift costs the write path nothing for them; a
// leaderboard read first folds when a gift was committed through this node
// since the last fold (coalesced between readers; no write at all
// otherwise), so it sees every gift acknowledged before it on this node,
// and `glint serve` folds every second (Service.SyncBoards) for the other
// nodes' gifts.

// BoardFolder is the engine's side of the fold.
type BoardFolder interface {
	// FoldBoards folds at most limit journal transactions after the
	// watermark into the leaderboards, in one transaction, and reports
	// how many gifts it folded and whether more transactions wait. Every
	// transaction it passes over is committed: on an engine with several
	// writers it waits out the writes in flight first.
	FoldBoards(ctx context.Context, limit int) (gifts int, more bool, err error)
}

// foldLimit bounds the journal transactions one fold transaction reads.
const foldLimit = 10000

// CreatorGifterKey is one counter of a creator's gifters: Period is
// "all", "d:2026-11-25" (a UTC day) or "w:2026-W48" (an ISO week, UTC).
type CreatorGifterKey struct{ Creator, Period, Sender string }

// CreatorWeekKey is one counter of the creators' diamonds: Week is written
// "2026-W48".
type CreatorWeekKey struct{ Week, Creator string }

// BoardSums are the leaderboard counters of a run of gifts, summed per key.
type BoardSums struct {
	Gifters map[CreatorGifterKey]StreamDelta // Gifts, Coins
	Weeks   map[CreatorWeekKey]StreamDelta   // Gifts, Milli
}

// NewBoardSums returns empty sums.
func NewBoardSums() *BoardSums {
	return &BoardSums{Gifters: map[CreatorGifterKey]StreamDelta{}, Weeks: map[CreatorWeekKey]StreamDelta{}}
}

// Add counts one gift: coins spent by sender, milli diamonds (thousandths)
// received by creator, at the gift's time.
func (b *BoardSums) Add(creator, sender string, coins, milli int64, at time.Time) error {
	p := periodsAt(at)
	for _, period := range [...]string{PeriodAll, p.dayKey, p.weekKey} {
		k := CreatorGifterKey{creator, period, sender}
		d := b.Gifters[k]
		if err := d.Add(StreamDelta{Gifts: 1, Coins: coins}); err != nil {
			return fmt.Errorf("gifting: gifters of %s: %w", creator, err)
		}
		b.Gifters[k] = d
	}
	k := CreatorWeekKey{p.week, creator}
	d := b.Weeks[k]
	if err := d.Add(StreamDelta{Gifts: 1, Milli: milli}); err != nil {
		return fmt.Errorf("gifting: week of %s: %w", creator, err)
	}
	b.Weeks[k] = d
	return nil
}

// Rows returns the sums as table rows: gifters (creator, period, sender,
// coins, gifts) and weeks (week, creator, milli, gifts).
func (b *BoardSums) Rows() (gifters, weeks [][]any) {
	gifters = make([][]any, 0, len(b.Gifters))
	for k, d := range b.Gifters {
		gifters = append(gifters, []any{k.Creator, k.Period, k.Sender, d.Coins, d.Gifts})
	}
	weeks = make([][]any, 0, len(b.Weeks))
	for k, d := range b.Weeks {
		weeks = append(weeks, []any{k.Week, k.Creator, d.Milli, d.Gifts})
	}
	return gifters, weeks
}

// folder coalesces folds: a sync waits for a fold that started after it
// was called, and readers arriving together share one.
type folder struct {
	engine  BoardFolder
	sem     chan struct{} // held by the running fold
	started atomic.Uint64 // folds begun (incremented under sem)
	done    uint64        // folds finished, under sem
	dirty   atomic.Bool   // a gift committed through this node since the last fold began
}

func newFolder(e BoardFolder) *folder {
	f := &folder{engine: e, sem: make(chan struct{}, 1)}
	f.dirty.Store(true) // what other nodes or an earlier run left
	return f
}

// sync returns once a fold that started after the call has finished; with
// onlyDirty, at once when no gift was committed through this node since
// the last fold began (what this node's readers must see).
func (f *folder) sync(ctx context.Context, onlyDirty bool) error {
	if onlyDirty && !f.dirty.Load() {
		return nil
	}
	want := f.started.Load() + 1 // a fold running now may have missed the caller's gifts
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-f.sem }()
	if f.done >= want {
		return nil // another caller's fold started after us and finished
	}
	n := f.started.Add(1)
	f.dirty.Store(false)
	for {
		_, more, err := f.engine.FoldBoards(ctx, foldLimit)
		if err != nil {
			f.dirty.Store(true)
			return fmt.Errorf("gifting: fold the leaderboards: %w", err)
		}
		if !more {
			break
		}
	}
	f.done = n
	return nil
}

// SyncBoards folds the gifts committed since the last fold, through any
// node, into the creators' leaderboards (a no-op without an engine folder).
// `glint serve` calls it every second.
func (s *Service) SyncBoards(ctx context.Context) error {
	if s.folder == nil {
		return nil
	}
	return s.folder.sync(ctx, false)
}

// syncBoards is what a leaderboard read calls first: a fold when a gift was
// committed through this node since the last one began, so the read sees
// every gift acknowledged here; nothing (not even a write transaction)
// otherwise.
func (s *Service) syncBoards(ctx context.Context) error {
	if s.folder == nil {
		return nil
	}
	return s.folder.sync(ctx, true)
}

// giftCommitted marks the leaderboards stale on this node.
func (s *Service) giftCommitted() {
	if s.folder != nil {
		s.folder.dirty.Store(true)
	}
}
