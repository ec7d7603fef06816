package postgres

import (
	"context"
	"testing"

	"github.com/glint-economy/glint/internal/store/storetest"
)

// TestBoardsBackfill: the migration that adds the boards counts the gifts
// sent before it.
func TestBoardsBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, storetest.PostgresDSN(t), Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, done, err := db.provider(false)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, err := p.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for _, g := range storetest.BackfillGifts {
		if _, err := db.pool.Exec(ctx, `INSERT INTO gifts (id, stream_id, sender_id, creator_id, gift_id, catalog_version, quantity, unit_coins, coins, milli, created_at)
VALUES ($1, 's', $2, $3, 'rose', 1, $4, 1, $4, $5, $6)`, g.ID, g.SenderID, g.CreatorID, g.Coins, g.Milli, g.At); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckBackfill(t, db)
}
