package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/glint-economy/glint/internal/gifting"
)

// qFoldJournal reads the journal after the fold's watermark, with each gift
// transaction's gift (same batch, so always there).
const qFoldJournal = `SELECT t.id, g.creator_id, g.sender_id, g.coins, g.milli, g.created_at
FROM transactions t LEFT JOIN gifts g ON t.kind = 'gift' AND g.id = t.ref
WHERE t.id > ? ORDER BY t.id LIMIT ?`

// FoldBoards implements gifting.BoardFolder. SQLite has one writer, so the
// transactions after the watermark are committed in id order: the fold
// runs as a write transaction queued with the batches.
func (db *DB) FoldBoards(ctx context.Context, limit int) (gifts int, more bool, err error) {
	err = db.withWriteTx(ctx, func(tx *sql.Tx) error {
		var upto int64
		if err := tx.QueryRowContext(ctx, "SELECT upto FROM board_fold").Scan(&upto); err != nil {
			return fmt.Errorf("sqlite: fold watermark: %w", err)
		}
		rows, err := tx.QueryContext(ctx, qFoldJournal, upto, limit)
		if err != nil {
			return fmt.Errorf("sqlite: fold: %w", err)
		}
		sums := gifting.NewBoardSums()
		seen, last := 0, upto
		for rows.Next() {
			var creator, sender sql.NullString
			var coins, milli, at sql.NullInt64
			if err := rows.Scan(&last, &creator, &sender, &coins, &milli, &at); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: fold: %w", err)
			}
			seen++
			if !creator.Valid {
				continue // not a gift
			}
			if err := sums.Add(creator.String, sender.String, coins.Int64, milli.Int64, fromMicros(at.Int64)); err != nil {
				rows.Close()
				return err
			}
			gifts++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: fold: %w", err)
		}
		if seen == 0 {
			return nil
		}
		more = seen == limit
		gr, wr := sums.Rows()
		for _, w := range []struct {
			tb   table
			rows [][]any
		}{{creatorGifterTable, gr}, {creatorWeekTable, wr}} {
			err := eachChunk(w.rows, func(chunk [][]any) error {
				args := make([]any, 0, len(chunk)*len(w.tb.cols))
				for _, r := range chunk {
					args = append(args, r...)
				}
				_, err := tx.ExecContext(ctx, insertSQL(w.tb, len(chunk)), args...)
				return err
			})
			if err != nil {
				return fmt.Errorf("sqlite: fold into %s: %w", w.tb.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE board_fold SET upto = ?", last); err != nil {
			return fmt.Errorf("sqlite: fold watermark: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return gifts, more, nil
}
