package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// appendOnlyTriggers are the triggers that keep the journal append-only.
var appendOnlyTriggers = []string{
	"transactions_no_update", "transactions_no_delete", "transactions_no_truncate",
	"postings_no_update", "postings_no_delete", "postings_no_truncate",
}

// Snapshot reads everything ledger.Check needs in one REPEATABLE READ, read
// only transaction: one consistent view even while nodes keep writing.
func (db *DB) Snapshot(ctx context.Context) (ledger.Snapshot, error) {
	var s ledger.Snapshot
	err := db.withTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
WITH moves AS (
    SELECT to_account AS account, amount AS delta FROM postings
    UNION ALL
    SELECT from_account, -amount FROM postings
), sums AS (SELECT account, SUM(delta) AS total FROM moves GROUP BY account)
SELECT a.id, a.asset, a.balance, COALESCE(s.total, 0)::text, a.negative_ok
FROM accounts a LEFT JOIN sums s ON s.account = a.id
ORDER BY a.id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a ledger.AccountState
			var id, asset, sum string
			if err := rows.Scan(&id, &asset, &a.Balance, &sum, &a.NegativeOK); err != nil {
				rows.Close()
				return err
			}
			// The sum is numeric (it cannot overflow in SQL); one that does
			// not fit an int64 cannot equal a balance.
			if _, err := fmt.Sscan(sum, &a.PostingsSum); err != nil {
				rows.Close()
				return fmt.Errorf("postings of %s sum to %s: %w", id, sum, err)
			}
			a.ID, a.Asset = ledger.AccountID(id), money.Asset(asset)
			s.Accounts = append(s.Accounts, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		orphans, err := tx.Query(ctx, `
SELECT account FROM (SELECT from_account AS account FROM postings UNION SELECT to_account FROM postings) p
WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account) ORDER BY account`)
		if err != nil {
			return err
		}
		for orphans.Next() {
			var id string
			if err := orphans.Scan(&id); err != nil {
				orphans.Close()
				return err
			}
			s.Orphans = append(s.Orphans, ledger.AccountID(id))
		}
		orphans.Close()
		if err := orphans.Err(); err != nil {
			return err
		}
		mism, err := tx.Query(ctx, `
SELECT p.tx_id, p.seq, a.id, a.asset, p.asset FROM postings p JOIN accounts a ON a.id IN (p.from_account, p.to_account)
WHERE a.asset <> p.asset ORDER BY p.tx_id, p.seq LIMIT 100`)
		if err != nil {
			return err
		}
		for mism.Next() {
			var txID, seq int64
			var acct, have, got string
			if err := mism.Scan(&txID, &seq, &acct, &have, &got); err != nil {
				mism.Close()
				return err
			}
			s.AssetMismatches = append(s.AssetMismatches, fmt.Sprintf("transaction %d posting %d moves %s through %s, which holds %s", txID, seq, got, acct, have))
		}
		mism.Close()
		if err := mism.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `
SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relname IN ('transactions', 'postings') AND pg_table_is_visible(c.oid)
  AND t.tgname = ANY($1) AND t.tgenabled <> 'D'`, appendOnlyTriggers).Scan(&n); err != nil {
			return err
		}
		s.AppendOnlyGuard = n == len(appendOnlyTriggers)
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("postgres: snapshot: %w", err)
	}
	return s, nil
}
