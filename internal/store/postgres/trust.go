package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
)

// PurchaseByID implements gifting.Reader.
func (db *DB) PurchaseByID(ctx context.Context, id string) (*gifting.Purchase, error) {
	return scanPurchase(db.pool.QueryRow(ctx, qPurchase, id))
}

// PurchaseByRef implements gifting.Reader: the purchase a provider's payment
// id belongs to.
func (db *DB) PurchaseByRef(ctx context.Context, provider, ref string) (*gifting.Purchase, error) {
	if ref == "" {
		return nil, ledger.ErrNotFound
	}
	q := strings.Replace(qPurchase, "WHERE id = $1", "WHERE provider = $1 AND provider_ref = $2", 1)
	return scanPurchase(db.pool.QueryRow(ctx, q, provider, ref))
}

// UsersByStatus implements gifting.Reader.
func (db *DB) UsersByStatus(ctx context.Context, status string, before time.Time) ([]gifting.User, error) {
	q := strings.Replace(qUser, "WHERE id = $1", "WHERE status = $1 AND status_at < $2 ORDER BY status_at", 1)
	rows, err := db.pool.Query(ctx, q, status, before)
	if err != nil {
		return nil, fmt.Errorf("postgres: users by status: %w", err)
	}
	defer rows.Close()
	var out []gifting.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// PendingDiamonds returns every creator holding pending diamonds, with the
// amount (milli-diamonds).
func (db *DB) PendingDiamonds(ctx context.Context) (map[string]int64, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, balance FROM accounts WHERE id LIKE 'user:%:diamonds:pending' AND balance > 0")
	if err != nil {
		return nil, fmt.Errorf("postgres: pending diamonds: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var bal int64
		if err := rows.Scan(&id, &bal); err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(id, "user:"), ":"+ledger.PurposeDiamondsPending)] = bal
	}
	return out, rows.Err()
}

// DiamondsReceivedSince returns the milli-diamonds a creator received in
// gifts at or after since.
func (db *DB) DiamondsReceivedSince(ctx context.Context, creatorID string, since time.Time) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, "SELECT COALESCE(SUM(milli), 0) FROM gifts WHERE creator_id = $1 AND created_at >= $2", creatorID, ts(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: diamonds received: %w", err)
	}
	return n, nil
}

// NewAccountCoins implements cashout.Reader: coins a creator received in
// gifts at or after since from accounts created at or after accountsSince.
func (db *DB) NewAccountCoins(ctx context.Context, creatorID string, since, accountsSince time.Time) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(SUM(g.coins), 0)::bigint FROM gifts g JOIN users u ON u.id = g.sender_id
WHERE g.creator_id = $1 AND g.created_at >= $2 AND u.created_at >= $3`, creatorID, ts(since), ts(accountsSince)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: coins from new accounts: %w", err)
	}
	return n, nil
}
