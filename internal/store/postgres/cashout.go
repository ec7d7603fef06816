package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// The cash-out tables. A withdrawal's status changes are last-writer-wins
// within a batch; across nodes, every change that moves money debits the
// withdrawal's hold (or the redemption account), a balance the flush
// verifies under lock, so two nodes cannot resolve one hold twice.
var (
	profileTable = table{name: "payout_profiles", cols: []string{"user_id", "methods", "default_method", "kyc", "updated_at"},
		types: []string{"text", "text", "text", "text", "timestamptz"}, key: 1,
		suffix: " ON CONFLICT (user_id) DO UPDATE SET methods = excluded.methods, default_method = excluded.default_method, kyc = excluded.kyc, updated_at = excluded.updated_at"}
	withdrawalTable = table{name: "withdrawals", cols: []string{"id", "user_id", "status", "provider", "method_kind", "method", "details", "milli", "gross", "commission", "net",
		"payout", "payout_currency", "quote", "provider_ref", "reason", "created_at", "updated_at", "paid_at"},
		types: []string{"text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "text", "text", "text", "text", "timestamptz", "timestamptz", "timestamptz"}, key: 1,
		suffix: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_ref = excluded.provider_ref, reason = excluded.reason, updated_at = excluded.updated_at, paid_at = excluded.paid_at"}
)

const (
	withdrawalCols = "id, user_id, status, provider, method_kind, method, details, milli, gross, commission, net, payout, payout_currency, quote, provider_ref, reason, created_at, updated_at, paid_at"
	qWithdrawal    = "SELECT " + withdrawalCols + " FROM withdrawals WHERE id = $1"
	qUserWithdraw  = "SELECT " + withdrawalCols + " FROM withdrawals WHERE user_id = $1 AND created_at >= $2"
	qProfile       = "SELECT user_id, methods, default_method, kyc, updated_at FROM payout_profiles WHERE user_id = $1"
)

var _ cashout.Tx = (*Tx)(nil)
var _ cashout.Reader = (*DB)(nil)

func scanWithdrawal(r pgx.Row) (*cashout.Withdrawal, error) {
	var w cashout.Withdrawal
	var details, quote, cur string
	var paid *time.Time
	err := r.Scan(&w.ID, &w.UserID, &w.Status, &w.Provider, &w.MethodKind, &w.Method, &details, &w.Milli, &w.GrossUnits, &w.CommissionUnit, &w.NetUnits,
		&w.PayoutUnits, &cur, &quote, &w.ProviderRef, &w.Reason, &w.CreatedAt, &w.UpdatedAt, &paid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: withdrawal: %w", err)
	}
	if err := errors.Join(json.Unmarshal([]byte(details), &w.Details), json.Unmarshal([]byte(quote), &w.Quote)); err != nil {
		return nil, fmt.Errorf("postgres: withdrawal %s: %w", w.ID, err)
	}
	w.PayoutCurrency = money.Asset(cur)
	w.Diamonds = money.FormatAsset(w.Milli, money.Diamond)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	if paid != nil {
		p := paid.UTC()
		w.PaidAt = &p
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
		paid = *w.PaidAt
	}
	return []any{w.ID, w.UserID, w.Status, w.Provider, w.MethodKind, w.Method, string(details), w.Milli, w.GrossUnits, w.CommissionUnit, w.NetUnits,
		w.PayoutUnits, string(w.PayoutCurrency), string(quote), w.ProviderRef, w.Reason, w.CreatedAt, w.UpdatedAt, paid}, nil
}

func scanProfile(r pgx.Row) (*cashout.Profile, error) {
	var p cashout.Profile
	var methods string
	err := r.Scan(&p.UserID, &methods, &p.Default, &p.KYC, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: payout profile: %w", err)
	}
	if err := json.Unmarshal([]byte(methods), &p.Methods); err != nil {
		return nil, fmt.Errorf("postgres: payout profile %s: %w", p.UserID, err)
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return &p, nil
}

// Withdrawal implements cashout.Tx. Cash-out reads are not prefetched: a
// discovery run sees no withdrawal (they are rare next to gifts).
func (t *Tx) Withdrawal(ctx context.Context, id string) (*cashout.Withdrawal, error) {
	if t.disc != nil {
		if v, ok := t.Cached("withdrawal:" + id); ok {
			if w, ok := v.(*cashout.Withdrawal); ok {
				return w, nil
			}
		}
		return nil, ledger.ErrNotFound
	}
	return cached(t, "withdrawal:"+id, func() (*cashout.Withdrawal, error) {
		return row(t, scanWithdrawal, qWithdrawal, id)
	})
}

// WithdrawalsSince implements cashout.Tx.
func (t *Tx) WithdrawalsSince(ctx context.Context, userID string, since time.Time) ([]*cashout.Withdrawal, error) {
	var ids []string
	if t.disc == nil {
		var err error
		ids, err = cached(t, fmt.Sprintf("withdrawals-of:%s:%d", userID, since.UnixMicro()), func() ([]string, error) {
			rows, err := t.tx.Query(t.ctx, qUserWithdraw, userID, since)
			if err != nil {
				return nil, t.fail(fmt.Errorf("postgres: withdrawals of %s: %w", userID, err))
			}
			defer rows.Close()
			out := []string{}
			for rows.Next() {
				w, err := scanWithdrawal(rows)
				if err != nil {
					return nil, t.fail(err)
				}
				out = append(out, w.ID)
				if _, ok := t.Cached("withdrawal:" + w.ID); !ok {
					t.Remember("withdrawal:"+w.ID, w)
				}
			}
			return out, t.fail(rows.Err())
		})
		if err != nil {
			return nil, err
		}
	}
	written, _ := t.Cached("withdrawals-new:" + userID)
	fresh, _ := written.([]string)
	return cashout.MergeWithdrawals(ctx, ids, fresh, since, t.Withdrawal)
}

// PutWithdrawal implements cashout.Tx.
func (t *Tx) PutWithdrawal(ctx context.Context, w *cashout.Withdrawal) error {
	r, err := withdrawalRow(w)
	if err != nil {
		return err
	}
	written, _ := t.Cached("withdrawals-new:" + w.UserID)
	fresh, _ := written.([]string)
	t.set("withdrawals-new:"+w.UserID, append(fresh[:len(fresh):len(fresh)], w.ID))
	t.set("withdrawal:"+w.ID, w)
	t.insert(withdrawalTable, r...)
	return nil
}

// Profile implements cashout.Tx.
func (t *Tx) Profile(ctx context.Context, userID string) (*cashout.Profile, error) {
	if t.disc != nil {
		if v, ok := t.Cached("profile:" + userID); ok {
			if p, ok := v.(*cashout.Profile); ok {
				return p, nil
			}
		}
		return nil, ledger.ErrNotFound
	}
	return cached(t, "profile:"+userID, func() (*cashout.Profile, error) {
		return row(t, scanProfile, qProfile, userID)
	})
}

// PutProfile implements cashout.Tx.
func (t *Tx) PutProfile(ctx context.Context, p *cashout.Profile) error {
	methods, err := json.Marshal(p.Methods)
	if err != nil {
		return err
	}
	t.set("profile:"+p.UserID, p)
	t.insert(profileTable, p.UserID, string(methods), p.Default, p.KYC, p.UpdatedAt)
	return nil
}

// queueCashout adds the batch's cash-out rows to the flush pipeline.
func (t *Tx) queueCashout(b *pgx.Batch) {
	for _, tb := range []table{profileTable, withdrawalTable} {
		if p := t.rows[tb.name]; p != nil && len(p.vals) > 0 {
			b.Queue(tb.insertSQL(), tb.arrays(p.vals)...)
		}
	}
}

// ---- reads of committed data ----

// Withdrawal implements cashout.Reader.
func (db *DB) Withdrawal(ctx context.Context, id string) (*cashout.Withdrawal, error) {
	return scanWithdrawal(db.pool.QueryRow(ctx, qWithdrawal, id))
}

// Profile implements cashout.Reader.
func (db *DB) Profile(ctx context.Context, userID string) (*cashout.Profile, error) {
	return scanProfile(db.pool.QueryRow(ctx, qProfile, userID))
}

// Withdrawals implements cashout.Reader.
func (db *DB) Withdrawals(ctx context.Context, f cashout.WithdrawalFilter) ([]*cashout.Withdrawal, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.UserID != "" {
		add("user_id = $%d", f.UserID)
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Provider != "" {
		add("provider = $%d", f.Provider)
	}
	if f.Before != "" {
		add("id < $%d", f.Before)
	}
	q := "SELECT " + withdrawalCols + " FROM withdrawals"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: withdrawals: %w", err)
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
