package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

var (
	profileTable = table{name: "payout_profiles", cols: []string{"user_id", "methods", "default_method", "kyc", "updated_at"},
		conflict: " ON CONFLICT (user_id) DO UPDATE SET methods = excluded.methods, default_method = excluded.default_method, kyc = excluded.kyc, updated_at = excluded.updated_at"}
	withdrawalTable = table{name: "withdrawals", cols: []string{"id", "user_id", "status", "provider", "method_kind", "method", "details", "milli", "gross", "commission", "net",
		"payout", "payout_currency", "quote", "provider_ref", "reason", "created_at", "updated_at", "paid_at"},
		conflict: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_ref = excluded.provider_ref, reason = excluded.reason, updated_at = excluded.updated_at, paid_at = excluded.paid_at"}
)

const (
	withdrawalCols = "id, user_id, status, provider, method_kind, method, details, milli, gross, commission, net, payout, payout_currency, quote, provider_ref, reason, created_at, updated_at, paid_at"
	qWithdrawal    = "SELECT " + withdrawalCols + " FROM withdrawals WHERE id = ?"
	qUserWithdraw  = "SELECT " + withdrawalCols + " FROM withdrawals WHERE user_id = ? AND created_at >= ?"
	qProfile       = "SELECT user_id, methods, default_method, kyc, updated_at FROM payout_profiles WHERE user_id = ?"
)

var _ cashout.Tx = (*Tx)(nil)
var _ cashout.Reader = (*DB)(nil)

func scanWithdrawal(r scanner) (*cashout.Withdrawal, error) {
	var w cashout.Withdrawal
	var details, quote, cur string
	var created, updated int64
	var paid sql.NullInt64
	err := r.Scan(&w.ID, &w.UserID, &w.Status, &w.Provider, &w.MethodKind, &w.Method, &details, &w.Milli, &w.GrossUnits, &w.CommissionUnit, &w.NetUnits,
		&w.PayoutUnits, &cur, &quote, &w.ProviderRef, &w.Reason, &created, &updated, &paid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: withdrawal: %w", err)
	}
	if err := errors.Join(json.Unmarshal([]byte(details), &w.Details), json.Unmarshal([]byte(quote), &w.Quote)); err != nil {
		return nil, fmt.Errorf("sqlite: withdrawal %s: %w", w.ID, err)
	}
	w.PayoutCurrency = money.Asset(cur)
	w.Diamonds = money.FormatAsset(w.Milli, money.Diamond)
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	if paid.Valid {
		t := fromMicros(paid.Int64)
		w.PaidAt = &t
	}
	return &w, nil
}

func withdrawalRow(w *cashout.Withdrawal) ([]any, error) {
	details, err := json.Marshal(w.Details)
	if err != nil {
		return nil, err
	}
	quote, err := json.Marshal(w.Quote)
	if err != nil {
		return nil, err
	}
	var paid any
	if w.PaidAt != nil {
		paid = micros(*w.PaidAt)
	}
	return []any{w.ID, w.UserID, w.Status, w.Provider, w.MethodKind, w.Method, string(details), w.Milli, w.GrossUnits, w.CommissionUnit, w.NetUnits,
		w.PayoutUnits, string(w.PayoutCurrency), string(quote), w.ProviderRef, w.Reason, micros(w.CreatedAt), micros(w.UpdatedAt), paid}, nil
}

func scanProfile(r scanner) (*cashout.Profile, error) {
	var p cashout.Profile
	var methods string
	var updated int64
	err := r.Scan(&p.UserID, &methods, &p.Default, &p.KYC, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: payout profile: %w", err)
	}
	if err := json.Unmarshal([]byte(methods), &p.Methods); err != nil {
		return nil, fmt.Errorf("sqlite: payout profile %s: %w", p.UserID, err)
	}
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}

// Withdrawal implements cashout.Tx.
func (t *Tx) Withdrawal(ctx context.Context, id string) (*cashout.Withdrawal, error) {
	return cached(t, "withdrawal:"+id, func() (*cashout.Withdrawal, error) {
		row, err := t.queryRow(qWithdrawal, id)
		if err != nil {
			return nil, err
		}
		return scanWithdrawal(row)
	})
}

// userWithdrawals returns the ids of a user's committed withdrawals created
// at or after since, read once per batch.
func (t *Tx) userWithdrawals(userID string, since time.Time) ([]string, error) {
	return cached(t, fmt.Sprintf("withdrawals-of:%s:%d", userID, micros(since)), func() ([]string, error) {
		rows, err := t.tx.QueryContext(t.ctx, qUserWithdraw, userID, micros(since))
		if err != nil {
			return nil, fmt.Errorf("sqlite: withdrawals of %s: %w", userID, err)
		}
		defer rows.Close()
		ids := []string{}
		for rows.Next() {
			w, err := scanWithdrawal(rows)
			if err != nil {
				return nil, err
			}
			ids = append(ids, w.ID)
			if _, ok := t.Cached("withdrawal:" + w.ID); !ok {
				t.Remember("withdrawal:"+w.ID, w)
			}
		}
		return ids, rows.Err()
	})
}

// WithdrawalsSince implements cashout.Tx: the committed withdrawals and
// those this batch wrote, each as this batch last wrote it.
func (t *Tx) WithdrawalsSince(ctx context.Context, userID string, since time.Time) ([]*cashout.Withdrawal, error) {
	ids, err := t.userWithdrawals(userID, since)
	if err != nil {
		return nil, err
	}
	written, _ := t.Cached("withdrawals-new:" + userID)
	fresh, _ := written.([]string)
	return cashout.MergeWithdrawals(ctx, ids, fresh, since, t.Withdrawal)
}

// PutWithdrawal implements cashout.Tx.
func (t *Tx) PutWithdrawal(ctx context.Context, w *cashout.Withdrawal) error {
	row, err := withdrawalRow(w)
	if err != nil {
		return err
	}
	written, _ := t.Cached("withdrawals-new:" + w.UserID)
	fresh, _ := written.([]string)
	t.set("withdrawals-new:"+w.UserID, append(fresh[:len(fresh):len(fresh)], w.ID))
	t.set("withdrawal:"+w.ID, w)
	t.insert(withdrawalTable, row...)
	return nil
}

// Profile implements cashout.Tx.
func (t *Tx) Profile(ctx context.Context, userID string) (*cashout.Profile, error) {
	return cached(t, "profile:"+userID, func() (*cashout.Profile, error) {
		row, err := t.queryRow(qProfile, userID)
		if err != nil {
			return nil, err
		}
		return scanProfile(row)
	})
}

// PutProfile implements cashout.Tx.
func (t *Tx) PutProfile(ctx context.Context, p *cashout.Profile) error {
	methods, err := json.Marshal(p.Methods)
	if err != nil {
		return err
	}
	t.set("profile:"+p.UserID, p)
	t.insert(profileTable, p.UserID, string(methods), p.Default, p.KYC, micros(p.UpdatedAt))
	return nil
}

// ---- reads of committed data ----

// Withdrawal implements cashout.Reader.
func (db *DB) Withdrawal(ctx context.Context, id string) (*cashout.Withdrawal, error) {
	return scanWithdrawal(db.read.QueryRowContext(ctx, qWithdrawal, id))
}

// Profile implements cashout.Reader.
func (db *DB) Profile(ctx context.Context, userID string) (*cashout.Profile, error) {
	return scanProfile(db.read.QueryRowContext(ctx, qProfile, userID))
}

// Withdrawals implements cashout.Reader.
func (db *DB) Withdrawals(ctx context.Context, f cashout.WithdrawalFilter) ([]*cashout.Withdrawal, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Provider != "" {
		add("provider = ?", f.Provider)
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	q := "SELECT " + withdrawalCols + " FROM withdrawals"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: withdrawals: %w", err)
	}
	defer rows.Close()
	out := []*cashout.Withdrawal{}
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
