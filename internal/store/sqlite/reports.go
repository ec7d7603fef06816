package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/money"
)

var _ cashout.ReportReader = (*DB)(nil)

// bucketSQL is the SQL that turns a column of unix microseconds into the
// UTC date (YYYY-MM-DD) its bucket starts on. 'weekday 0' moves to the next
// Sunday (or stays on one) and 6 days back is that ISO week's Monday.
func bucketSQL(col, interval string) (string, error) {
	t := col + " / 1000000, 'unixepoch'"
	switch interval {
	case cashout.IntervalDay:
		return "date(" + t + ")", nil
	case cashout.IntervalWeek:
		return "date(" + t + ", 'weekday 0', '-6 days')", nil
	case cashout.IntervalMonth:
		return "strftime('%Y-%m-01', " + t + ")", nil
	}
	return "", fmt.Errorf("sqlite: earnings: unknown interval %q", interval)
}

// EarningsBuckets implements cashout.ReportReader: the creator's gifts
// (gifts_creator_time) and paid withdrawals (withdrawals_user), summed per
// bucket in SQL.
func (db *DB) EarningsBuckets(ctx context.Context, creatorID string, from, to time.Time, interval string) ([]cashout.EarningsBucket, error) {
	giftBucket, err := bucketSQL("created_at", interval)
	if err != nil {
		return nil, err
	}
	paidBucket, _ := bucketSQL("paid_at", interval)
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: earnings: %w", err)
	}
	defer tx.Rollback()
	byStart := map[string]*cashout.EarningsBucket{}
	var order []string
	bucket := func(day string) (*cashout.EarningsBucket, error) {
		if b, ok := byStart[day]; ok {
			return b, nil
		}
		start, err := time.ParseInLocation(time.DateOnly, day, time.UTC)
		if err != nil {
			return nil, fmt.Errorf("sqlite: earnings: bucket %q: %w", day, err)
		}
		b := &cashout.EarningsBucket{Start: start}
		byStart[day] = b
		order = append(order, day)
		return b, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+giftBucket+` AS bucket, COUNT(*), COALESCE(SUM(milli), 0) FROM gifts
WHERE creator_id = ? AND created_at >= ? AND created_at < ? GROUP BY bucket`, creatorID, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: earnings: %w", err)
	}
	for rows.Next() {
		var day string
		var gifts, milli int64
		if err := rows.Scan(&day, &gifts, &milli); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: earnings: %w", err)
		}
		b, err := bucket(day)
		if err != nil {
			rows.Close()
			return nil, err
		}
		b.Gifts, b.Milli = gifts, milli
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: earnings: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+paidBucket+` AS bucket, COALESCE(SUM(net), 0) FROM withdrawals
WHERE user_id = ? AND status = ? AND paid_at >= ? AND paid_at < ? GROUP BY bucket`, creatorID, cashout.StatusPaid, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: earnings: %w", err)
	}
	for rows.Next() {
		var day string
		var net int64
		if err := rows.Scan(&day, &net); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: earnings: %w", err)
		}
		b, err := bucket(day)
		if err != nil {
			rows.Close()
			return nil, err
		}
		b.PaidNet = net
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: earnings: %w", err)
	}
	return sortBuckets(byStart, order), nil
}

// sortBuckets returns the buckets ordered by start (the keys are
// YYYY-MM-DD, so they sort as dates).
func sortBuckets(byStart map[string]*cashout.EarningsBucket, keys []string) []cashout.EarningsBucket {
	sort.Strings(keys)
	out := make([]cashout.EarningsBucket, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byStart[k])
	}
	return out
}

// groupSQL names the group of an account column: "user:*:<purpose>" for a
// user account ("user:<id>:<purpose>"; ids hold no ':'), the account itself
// otherwise.
func groupSQL(col string) string {
	return "CASE WHEN substr(" + col + ", 1, 5) = 'user:' THEN 'user:*:' || substr(" + col + ", instr(substr(" + col + ", 6), ':') + 6) ELSE " + col + " END"
}

// Liabilities implements cashout.ReportReader, in one read transaction (one
// WAL snapshot). The journal as of at joins postings to transactions on
// created_at, a scan of the journal up to at; the current books read every
// posting without the join.
func (db *DB) Liabilities(ctx context.Context, at time.Time) (cashout.LedgerFigures, error) {
	f := cashout.LedgerFigures{At: at.UTC()}
	bound := int64(math.MaxInt64)
	if at.IsZero() {
		f.At, f.Current = db.now().UTC(), true
	} else {
		bound = micros(at)
	}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return f, fmt.Errorf("sqlite: liabilities: %w", err)
	}
	defer tx.Rollback()
	postings := "(SELECT from_account, to_account, asset, amount FROM postings)"
	if !f.Current {
		postings = "(SELECT p.from_account, p.to_account, p.asset, p.amount FROM postings p JOIN transactions t ON t.id = p.tx_id WHERE t.created_at <= ?)"
	}
	moves := `WITH p AS ` + postings + `, moves AS (
    SELECT to_account AS account, asset, amount AS delta FROM p
    UNION ALL
    SELECT from_account, asset, -amount FROM p
)
SELECT ` + groupSQL("account") + ` AS grp, asset, SUM(delta) FROM moves GROUP BY grp, asset ORDER BY grp, asset`
	var args []any
	if !f.Current {
		args = append(args, bound)
	}
	if f.Journal, err = balances(ctx, tx, moves, args...); err != nil {
		return f, fmt.Errorf("sqlite: liabilities: journal: %w", err)
	}
	if f.Current {
		if f.Accounts, err = balances(ctx, tx, `SELECT `+groupSQL("id")+` AS grp, asset, SUM(balance) FROM accounts GROUP BY grp, asset ORDER BY grp, asset`); err != nil {
			return f, fmt.Errorf("sqlite: liabilities: accounts: %w", err)
		}
	}
	if f.Withdrawals, err = withdrawalGroups(ctx, tx, `SELECT status, COUNT(*), SUM(milli), SUM(gross), SUM(commission), SUM(net) FROM withdrawals
WHERE created_at <= ? GROUP BY status ORDER BY status`, bound); err != nil {
		return f, fmt.Errorf("sqlite: liabilities: withdrawals: %w", err)
	}
	// The state of each withdrawal at the bound: held while open; paid from
	// paid_at until a return (updated_at); closed once voided (updated_at).
	states, err := withdrawalGroups(ctx, tx, `SELECT state, COUNT(*), SUM(milli), SUM(gross), SUM(commission), SUM(net) FROM (
    SELECT milli, gross, commission, net, CASE
        WHEN status IN ('requested', 'processing', 'unclaimed') THEN 'held'
        WHEN paid_at IS NOT NULL AND paid_at > ?1 THEN 'held'
        WHEN status = 'paid' THEN 'paid'
        WHEN paid_at IS NOT NULL AND updated_at > ?1 THEN 'paid'
        WHEN updated_at > ?1 THEN 'held'
        ELSE 'closed' END AS state
    FROM withdrawals WHERE created_at <= ?1
) GROUP BY state`, bound)
	if err != nil {
		return f, fmt.Errorf("sqlite: liabilities: withdrawals at: %w", err)
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
	return f, nil
}

// balances reads rows of (group, asset, amount).
func balances(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]cashout.Balance, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
func withdrawalGroups(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]cashout.WithdrawalGroup, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
