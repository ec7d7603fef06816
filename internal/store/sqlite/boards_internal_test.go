package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/glint-economy/glint/internal/store/storetest"
)

// TestBoardsBackfill: the migration that adds the boards counts the gifts
// sent before it.
func TestBoardsBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "glint.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := db.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for _, g := range storetest.BackfillGifts {
		if _, err := db.write.ExecContext(ctx, `INSERT INTO gifts (id, stream_id, sender_id, creator_id, gift_id, catalog_version, quantity, unit_coins, coins, milli, created_at)
VALUES (?, 's', ?, ?, 'rose', 1, ?, 1, ?, ?, ?)`, g.ID, g.SenderID, g.CreatorID, g.Coins, g.Coins, g.Milli, micros(g.At)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckBackfill(t, db)
}
