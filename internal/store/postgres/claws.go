package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/money"
)

// Gift claws: the coins of each gift already attributed to a refund or
// chargeback (gifting's reversals). A batch reads them inside its
// transaction (chargebacks are rare: no prefetch; the discovery run reads
// nothing and sees only the batch's own additions), sums what it adds per
// gift in memory and adds it at flush with one upsert, rows in gift order.
// Each gift must then hold what the batch read plus what it added: if
// another node attributed the same gift meanwhile, the batch is retried and
// reads the other node's claws.

var giftClawTable = table{name: "gift_claws", cols: []string{"gift_id", "coins"}, types: []string{"text", "bigint"}, key: 1,
	suffix: " ON CONFLICT (gift_id) DO UPDATE SET coins = gift_claws.coins + excluded.coins RETURNING gift_id, coins"}

const qGiftClaws = "SELECT gift_id, coins FROM gift_claws WHERE gift_id = ANY($1)"

// claws are a batch's additions per gift, written at flush.
type claws struct{ add map[string]int64 }

// pendingClaws returns the batch's additions, nil before the first one.
func (t *Tx) pendingClaws() *claws {
	v, _ := t.Cached("#claws")
	c, _ := v.(*claws)
	return c
}

// clawBase returns the claws of a gift as the batch read them.
func (t *Tx) clawBase(id string) (int64, bool) {
	v, ok := t.Cached("gift-claw:" + id)
	n, _ := v.(int64)
	return n, ok
}

// GiftClaws implements gifting.Tx: the stored coins plus the batch's
// additions, for the gifts that have any.
func (t *Tx) GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error) {
	var missing []string
	for _, id := range giftIDs {
		if _, ok := t.clawBase(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 && t.disc == nil {
		if err := t.loadClaws(missing); err != nil {
			return nil, err
		}
	}
	p := t.pendingClaws()
	out := make(map[string]int64, len(giftIDs))
	for _, id := range giftIDs {
		n, _ := t.clawBase(id) // discovery: 0 for what it did not read
		if p != nil {
			var err error
			if n, err = money.Add(n, p.add[id]); err != nil {
				return nil, fmt.Errorf("postgres: claws of gift %s: %w", id, err)
			}
		}
		if n != 0 {
			out[id] = n
		}
	}
	return out, nil
}

// loadClaws reads the stored claws of ids into the batch's cache (0 for a
// gift with none).
func (t *Tx) loadClaws(ids []string) error {
	t.db.pointReads.Add(1)
	got, err := collectClaws(t.tx.Query(t.ctx, qGiftClaws, ids))
	if err != nil {
		return t.fail(err)
	}
	for _, id := range ids {
		t.Remember("gift-claw:"+id, got[id])
	}
	return nil
}

// AddGiftClaw implements gifting.Tx; undone with the request.
func (t *Tx) AddGiftClaw(ctx context.Context, giftID string, coins int64) error {
	if coins <= 0 {
		return fmt.Errorf("postgres: claw of %d coins on gift %s", coins, giftID)
	}
	c := t.pendingClaws()
	if c == nil {
		c = &claws{add: map[string]int64{}}
		t.Remember("#claws", c)
		t.onFlush("claws", func(b *pgx.Batch) { t.queueClaws(b, c) })
	}
	return addCount(t, c.add, giftID, coins)
}

// queueClaws adds the batch's claws to the flush and checks that each gift
// holds what the batch read plus what it added.
func (t *Tx) queueClaws(b *pgx.Batch, c *claws) {
	var rows [][]any
	want := map[string]int64{}
	for id, n := range c.add {
		if n <= 0 {
			continue
		}
		rows = append(rows, []any{id, n})
		if base, ok := t.clawBase(id); ok {
			want[id] = base + n // both bounded by the gift's coins
		}
	}
	if len(rows) == 0 {
		return
	}
	b.Queue(giftClawTable.insertSQL(), giftClawTable.arrays(rows)...).Query(func(res pgx.Rows) error {
		for res.Next() {
			var id string
			var n int64
			if err := res.Scan(&id, &n); err != nil {
				return fmt.Errorf("postgres: gift claws: %w", err)
			}
			if w, ok := want[id]; ok && n != w {
				return fmt.Errorf("%w: gift %s was clawed back by another node meanwhile", errConflict, id)
			}
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("postgres: gift claws: %w", err)
		}
		return nil
	})
}

// GiftClaws implements gifting.Reader: the committed claws.
func (db *DB) GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error) {
	if len(giftIDs) == 0 {
		return map[string]int64{}, nil
	}
	return collectClaws(db.pool.Query(ctx, qGiftClaws, giftIDs))
}

// collectClaws reads the rows of qGiftClaws: coins clawed per gift.
func collectClaws(rows pgx.Rows, err error) (map[string]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("postgres: gift claws: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("postgres: gift claws: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: gift claws: %w", err)
	}
	return out, nil
}
