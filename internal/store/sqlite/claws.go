package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/glint-economy/glint/internal/money"
)

// Gift claws: the coins of each gift already attributed to a refund or
// chargeback (gifting's reversals). A batch sums what it adds per gift in
// memory and adds it at flush with one upsert per chunk of gifts, like the
// gifter levels (boards.go).

var giftClawTable = table{name: "gift_claws", cols: []string{"gift_id", "coins"},
	conflict: " ON CONFLICT (gift_id) DO UPDATE SET coins = gift_claws.coins + excluded.coins"}

// claws are a batch's additions per gift, written at flush.
type claws struct{ add map[string]int64 }

// pendingClaws returns the batch's additions, nil before the first one.
func (t *Tx) pendingClaws() *claws {
	v, _ := t.Cached("#claws")
	c, _ := v.(*claws)
	return c
}

// GiftClaws implements gifting.Tx: the stored coins plus the batch's
// additions, for the gifts that have any.
func (t *Tx) GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error) {
	var missing []any
	for _, id := range giftIDs {
		if _, ok := t.Cached("gift-claw:" + id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		if err := t.loadClaws(missing); err != nil {
			return nil, err
		}
	}
	p := t.pendingClaws()
	out := make(map[string]int64, len(giftIDs))
	for _, id := range giftIDs {
		v, _ := t.Cached("gift-claw:" + id)
		n, _ := v.(int64)
		if p != nil {
			var err error
			if n, err = money.Add(n, p.add[id]); err != nil {
				return nil, fmt.Errorf("sqlite: claws of gift %s: %w", id, err)
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
func (t *Tx) loadClaws(ids []any) error {
	s, err := t.stmt(clawsQuery(len(ids)))
	if err != nil {
		return err
	}
	got, err := scanClaws(s.QueryContext(t.ctx, ids...))
	if err != nil {
		return err
	}
	for _, id := range ids {
		t.Remember("gift-claw:"+id.(string), got[id.(string)])
	}
	return nil
}

// AddGiftClaw implements gifting.Tx; undone with the request.
func (t *Tx) AddGiftClaw(ctx context.Context, giftID string, coins int64) error {
	if coins <= 0 {
		return fmt.Errorf("sqlite: claw of %d coins on gift %s", coins, giftID)
	}
	c := t.pendingClaws()
	if c == nil {
		c = &claws{add: map[string]int64{}}
		t.Remember("#claws", c)
		t.onFlush("claws", func() error { return t.flushClaws(c) })
	}
	return addCount(t, c.add, giftID, coins)
}

// flushClaws adds the batch's claws, gifts in id order.
func (t *Tx) flushClaws(c *claws) error {
	rows := make([][]any, 0, len(c.add))
	for id, n := range c.add {
		if n > 0 {
			rows = append(rows, []any{id, n})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(string) < rows[j][0].(string) })
	return t.insertAll(giftClawTable, rows)
}

// GiftClaws implements gifting.Reader: the committed claws.
func (db *DB) GiftClaws(ctx context.Context, giftIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for len(giftIDs) > 0 {
		chunk := giftIDs[:min(len(giftIDs), 500)]
		giftIDs = giftIDs[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		got, err := scanClaws(db.read.QueryContext(ctx, clawsQuery(len(chunk)), args...))
		if err != nil {
			return nil, err
		}
		maps.Copy(out, got)
	}
	return out, nil
}

// clawsQuery reads the claws of n gifts.
func clawsQuery(n int) string {
	return "SELECT gift_id, coins FROM gift_claws WHERE gift_id IN (" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// scanClaws reads the rows of clawsQuery: coins clawed per gift.
func scanClaws(rows *sql.Rows, err error) (map[string]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("sqlite: gift claws: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("sqlite: gift claws: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: gift claws: %w", err)
	}
	return out, nil
}
