package sqlite

import (
	"context"
	"fmt"
)

// GiftRefCounts counts the gift transactions in the journal by gift id, for
// senders whose id starts with senderPrefix (glint bench's exactly-once check).
func (db *DB) GiftRefCounts(ctx context.Context, senderPrefix string) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT ref, COUNT(*) FROM transactions WHERE kind = 'gift' AND user_a >= ? AND user_a < ? GROUP BY ref",
		senderPrefix, senderPrefix+"\xff")
	if err != nil {
		return nil, fmt.Errorf("sqlite: gift refs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ref string
		var n int
		if err := rows.Scan(&ref, &n); err != nil {
			return nil, err
		}
		out[ref] = n
	}
	return out, rows.Err()
}
