package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/gifting"
)

// foldLockID is the advisory lock between the batch writers and the
// leaderboards' fold. A batch holds it shared from the moment it takes
// transaction ids until it commits; the fold takes it exclusively for an
// instant to learn the highest id taken, at which point every id up to it
// is committed or rolled back. Ids are taken in bulk by several nodes, so
// without it a fold could pass over a lower id another node commits later.
const foldLockID int64 = 0x676c696e74_0002 // "glint", 2

// qNextIDs takes n transaction ids, after the shared fold lock (the
// subquery with the volatile lock runs before the first row).
const qNextIDs = "SELECT nextval('transactions_id_seq') FROM (SELECT pg_advisory_xact_lock_shared($2)) l, generate_series(1, $1)"

const qFoldJournal = `SELECT t.id, g.creator_id, g.sender_id, g.coins, g.milli, g.created_at
FROM transactions t LEFT JOIN gifts g ON t.kind = 'gift' AND g.id = t.ref
WHERE t.id > $1 AND t.id <= $2 ORDER BY t.id LIMIT $3`

// FoldBoards implements gifting.BoardFolder.
func (db *DB) FoldBoards(ctx context.Context, limit int) (gifts int, more bool, err error) {
	var high int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", foldLockID); err != nil {
			return err
		}
		var called bool
		if err := tx.QueryRow(ctx, "SELECT last_value, is_called FROM transactions_id_seq").Scan(&high, &called); err != nil {
			return err
		}
		if !called {
			high-- // nextval will return last_value itself (a fresh or setval'd sequence)
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("postgres: fold: the journal's end: %w", err)
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		gifts, more = 0, false
		var upto int64
		if err := tx.QueryRow(ctx, "SELECT upto FROM board_fold FOR UPDATE").Scan(&upto); err != nil {
			return fmt.Errorf("postgres: fold watermark: %w", err)
		}
		if upto >= high {
			return nil
		}
		rows, err := tx.Query(ctx, qFoldJournal, upto, high, limit)
		if err != nil {
			return fmt.Errorf("postgres: fold: %w", err)
		}
		sums := gifting.NewBoardSums()
		seen, last := 0, upto
		for rows.Next() {
			var creator, sender *string
			var coins, milli *int64
			var at *time.Time
			if err := rows.Scan(&last, &creator, &sender, &coins, &milli, &at); err != nil {
				rows.Close()
				return fmt.Errorf("postgres: fold: %w", err)
			}
			seen++
			if creator == nil {
				continue // not a gift
			}
			if err := sums.Add(*creator, *sender, *coins, *milli, *at); err != nil {
				rows.Close()
				return err
			}
			gifts++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: fold: %w", err)
		}
		if more = seen == limit; !more {
			last = high // the ids up to high that no row has were rolled back
		}
		gr, wr := sums.Rows()
		b := &pgx.Batch{}
		if len(gr) > 0 {
			b.Queue(creatorGifterTable.insertSQL(), creatorGifterTable.arrays(gr)...)
		}
		if len(wr) > 0 {
			b.Queue(creatorWeekTable.insertSQL(), creatorWeekTable.arrays(wr)...)
		}
		b.Queue("UPDATE board_fold SET upto = $1", last)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: fold: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return gifts, more, nil
}
