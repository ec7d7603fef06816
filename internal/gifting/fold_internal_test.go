package gifting

import (
	"context"
	"testing"
)

type countingFolder struct{ folds int }

func (c *countingFolder) FoldBoards(context.Context, int) (int, bool, error) {
	c.folds++
	return 0, false, nil
}

// TestReadsFoldOnlyWhenStale: a leaderboard read folds (a write
// transaction) only when a gift was committed through this node since the
// last fold; the periodic sync always folds.
func TestReadsFoldOnlyWhenStale(t *testing.T) {
	ctx := context.Background()
	e := &countingFolder{}
	s := &Service{folder: newFolder(e)}
	step := func(what string, fn func() error, want int) {
		t.Helper()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		if e.folds != want {
			t.Fatalf("%s: %d folds, want %d", what, e.folds, want)
		}
	}
	step("the first read (what an earlier run left)", func() error { return s.syncBoards(ctx) }, 1)
	step("a read with nothing new", func() error { return s.syncBoards(ctx) }, 1)
	s.giftCommitted()
	step("a read after a gift", func() error { return s.syncBoards(ctx) }, 2)
	step("a read after that", func() error { return s.syncBoards(ctx) }, 2)
	step("the periodic sync", func() error { return s.SyncBoards(ctx) }, 3)
}
