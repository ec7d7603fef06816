package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/money"
)

var _ cashout.ReportReader = (*DB)(nil)

// readOnly is the transaction the reports read in: one snapshot of the
// whole database, even while nodes keep writing.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// EarningsBuckets implements cashout.ReportReader: the creator's gifts
// (gifts_creator_time) and paid withdrawals (withdrawals_user), summed per
// bucket in SQL with date_trunc in UTC (a week starts on Monday).
func (db *DB) EarningsBuckets(ctx context.Context, creatorID string, from, to time.Time, interval string) ([]cashout.EarningsBucket, error) {
	switch interval {
	case cashout.IntervalDay, cashout.IntervalWeek, cashout.IntervalMonth:
	default:
		return nil, fmt.Errorf("postgres: earnings: unknown interval %q", interval)
	}
	byStart := map[time.Time]*cashout.EarningsBucket{}
	bucket := func(start time.Time) *cashout.EarningsBucket {
		start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
		b, ok := byStart[start]
		if !ok {
			b = &cashout.EarningsBucket{Start: start}
			byStart[start] = b
		}
		return b
	}
	err := db.withTx(ctx, readOnly, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT date_trunc($1::text, created_at AT TIME ZONE 'UTC') AS bucket, COUNT(*), COALESCE(SUM(milli), 0)::bigint FROM gifts
WHERE creator_id = $2 AND created_at >= $3 AND created_at < $4 GROUP BY bucket`, interval, creatorID, ts(from), ts(to))
		if err != nil {
			return err
		}
		for rows.Next() {
			var start time.Time
			var gifts, milli int64
			if err := rows.Scan(&start, &gifts, &milli); err != nil {
				rows.Close()
				return err
			}
			b := bucket(start)
			b.Gifts, b.Milli = gifts, milli
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT date_trunc($1::text, paid_at AT TIME ZONE 'UTC') AS bucket, COALESCE(SUM(net), 0)::bigint FROM withdrawals
WHERE user_id = $2 AND status = $3 AND paid_at >= $4 AND paid_at < $5 GROUP BY bucket`, interval, creatorID, cashout.StatusPaid, ts(from), ts(to))
		if err != nil {
			return err
		}
		for rows.Next() {
			var start time.Time
			var net int64
			if err := rows.Scan(&start, &net); err != nil {
				rows.Close()
				return err
			}
			bucket(start).PaidNet = net
		}
		rows.Close()
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: earnings: %w", err)
	}
	out := make([]cashout.EarningsBucket, 0, len(byStart))
	for _, b := range byStart {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// groupSQL names the group of an account column: "user:*:<purpose>" for a
// user account ("user:<id>:<purpose>"; ids hold no ':'), the account itself
// otherwise.
func groupSQL(col string) string {
	return "CASE WHEN substr(" + col + ", 1, 5) = 'user:' THEN 'user:*:' || substr(" + col + ", strpos(substr(" + col + ", 6), ':') + 6) ELSE " + col + " END"
}

// Liabilities implements cashout.ReportReader, in one REPEATABLE READ, read
// only transaction. The journal as of at joins postings to transactions on
// created_at, a scan of the journal up to at; the current books read every
// posting without the join. Sums are numeric in SQL and must fit a bigint.
func (db *DB) Liabilities(ctx context.Context, at time.Time) (cashout.LedgerFigures, error) {
	f := cashout.LedgerFigures{At: at.UTC()}
	// bound is nil for the current books: every comparison with it is then
	// NULL, which reads "nothing happened after at".
	var bound *time.Time
	if at.IsZero() {
		f.At, f.Current = db.now().UTC(), true
	} else {
		b := ts(at)
		bound = &b
	}
	err := db.withTx(ctx, readOnly, func(tx pgx.Tx) error {
		postings := "(SELECT from_account, to_account, asset, amount FROM postings)"
		var args []any
		if !f.Current {
			postings = "(SELECT p.from_account, p.to_account, p.asset, p.amount FROM postings p JOIN transactions t ON t.id = p.tx_id WHERE t.created_at <= $1)"
			args = append(args, bound)
		}
		var err error
		f.Journal, err = balances(ctx, tx, `WITH p AS `+postings+`, moves AS (
    SELECT to_account AS account, asset, amount AS delta FROM p
    UNION ALL
    SELECT from_account, asset, -amount FROM p
)
SELECT `+groupSQL("account")+` AS grp, asset, SUM(delta)::bigint FROM moves GROUP BY grp, asset ORDER BY grp, asset`, args...)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if f.Current {
			if f.Accounts, err = balances(ctx, tx, `SELECT `+groupSQL("id")+` AS grp, asset, SUM(balance)::bigint FROM accounts GROUP BY grp, asset ORDER BY grp, asset`); err != nil {
				return fmt.Errorf("accounts: %w", err)
			}
		}
		if f.Withdrawals, err = withdrawalGroups(ctx, tx, `SELECT status, COUNT(*), SUM(milli)::bigint, SUM(gross)::bigint, SUM(commission)::bigint, SUM(net)::bigint
FROM withdrawals WHERE $1::timestamptz IS NULL OR created_at <= $1 GROUP BY status ORDER BY status`, bound); err != nil {
			return fmt.Errorf("withdrawals: %w", err)
		}
		// The state of each withdrawal at the bound: held while open; paid
		// from paid_at until a return (updated_at); closed once voided
		// (updated_at).
		states, err := withdrawalGroups(ctx, tx, `SELECT state, COUNT(*), SUM(milli)::bigint, SUM(gross)::bigint, SUM(commission)::bigint, SUM(net)::bigint FROM (
    SELECT milli, gross, commission, net, CASE
        WHEN status IN ('requested', 'processing', 'unclaimed') THEN 'held'
        WHEN paid_at IS NOT NULL AND paid_at > $1::timestamptz THEN 'held'
        WHEN status = 'paid' THEN 'paid'
        WHEN paid_at IS NOT NULL AND updated_at > $1::timestamptz THEN 'paid'
        WHEN updated_at > $1::timestamptz THEN 'held'
        ELSE 'closed' END AS state
    FROM withdrawals WHERE $1::timestamptz IS NULL OR created_at <= $1
) s GROUP BY state`, bound)
		if err != nil {
			return fmt.Errorf("withdrawals at: %w", err)
		}
		f.Held, f.Paid = cashout.WithdrawalGroup{Status: "held"}, cashout.WithdrawalGroup{Status: "paid"}
		for _, g := range states {
			switch g.Status {
			case "held":
				f.Held = g
			case "paid":
				f.Paid = g
			}
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("postgres: liabilities: %w", err)
	}
	return f, nil
}

// balances reads rows of (group, asset, amount).
func balances(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]cashout.Balance, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cashout.Balance{}
	for rows.Next() {
		var b cashout.Balance
		var asset string
		if err := rows.Scan(&b.Account, &asset, &b.Amount); err != nil {
			return nil, err
		}
		b.Asset = money.Asset(asset)
		out = append(out, b)
	}
	return out, rows.Err()
}

// withdrawalGroups reads rows of (status, count, milli, gross, commission, net).
func withdrawalGroups(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]cashout.WithdrawalGroup, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []cashout.WithdrawalGroup{}
	for rows.Next() {
		var g cashout.WithdrawalGroup
		if err := rows.Scan(&g.Status, &g.Count, &g.Milli, &g.Gross, &g.Commission, &g.Net); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
