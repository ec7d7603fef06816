package postgres

import (
	"context"
	"fmt"
)

// GiftRefCounts returns, for the gift transactions of senders whose id
// starts with senderPrefix, how many journal entries each gift id has (the
// exactly-once check of glint bench; the same method as SQLite's).
func (db *DB) GiftRefCounts(ctx context.Context, senderPrefix string) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, "SELECT ref, COUNT(*) FROM transactions WHERE kind = 'gift' AND starts_with(user_a, $1) GROUP BY ref", senderPrefix)
	if err != nil {
		return nil, fmt.Errorf("postgres: gift refs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ref string
		var n int
		if err := rows.Scan(&ref, &n); err != nil {
			return nil, fmt.Errorf("postgres: gift refs: %w", err)
		}
		out[ref] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: gift refs: %w", err)
	}
	return out, nil
}
