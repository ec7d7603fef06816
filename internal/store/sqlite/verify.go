package sqlite

import (
	"context"
	"fmt"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Snapshot reads everything ledger.Check needs in one read transaction.
func (db *DB) Snapshot(ctx context.Context) (ledger.Snapshot, error) {
	var s ledger.Snapshot
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `
WITH moves AS (
    SELECT to_account AS account, amount AS delta FROM postings
    UNION ALL
    SELECT from_account, -amount FROM postings
), sums AS (SELECT account, SUM(delta) AS total FROM moves GROUP BY account)
SELECT a.id, a.asset, a.balance, COALESCE(s.total, 0), a.negative_ok
FROM accounts a LEFT JOIN sums s ON s.account = a.id
ORDER BY a.id`)
	if err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	for rows.Next() {
		var a ledger.AccountState
		var id, asset string
		var neg int
		if err := rows.Scan(&id, &asset, &a.Balance, &a.PostingsSum, &neg); err != nil {
			rows.Close()
			return s, fmt.Errorf("sqlite: snapshot: %w", err)
		}
		a.ID, a.Asset, a.NegativeOK = ledger.AccountID(id), money.Asset(asset), neg == 1
		s.Accounts = append(s.Accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	orphans, err := tx.QueryContext(ctx, `
SELECT DISTINCT account FROM (SELECT from_account AS account FROM postings UNION SELECT to_account FROM postings)
WHERE account NOT IN (SELECT id FROM accounts) ORDER BY account`)
	if err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	for orphans.Next() {
		var id string
		if err := orphans.Scan(&id); err != nil {
			orphans.Close()
			return s, err
		}
		s.Orphans = append(s.Orphans, ledger.AccountID(id))
	}
	orphans.Close()
	mism, err := tx.QueryContext(ctx, `
SELECT p.tx_id, p.seq, a.id, a.asset, p.asset FROM postings p JOIN accounts a ON a.id IN (p.from_account, p.to_account)
WHERE a.asset <> p.asset LIMIT 100`)
	if err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	for mism.Next() {
		var txID, seq int64
		var acct, have, got string
		if err := mism.Scan(&txID, &seq, &acct, &have, &got); err != nil {
			mism.Close()
			return s, err
		}
		s.AssetMismatches = append(s.AssetMismatches, fmt.Sprintf("transaction %d posting %d moves %s through %s, which holds %s", txID, seq, got, acct, have))
	}
	mism.Close()
	var triggers int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN
('transactions_no_update','transactions_no_delete','postings_no_update','postings_no_delete')`).Scan(&triggers); err != nil {
		return s, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	s.AppendOnlyGuard = triggers == 4
	return s, nil
}
