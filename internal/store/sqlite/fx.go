package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

var _ fx.Store = (*DB)(nil)

// FXRates returns the FX table in force: for each currency, the row of its
// newest date, sorted by currency. An empty table gives no rows and no error.
func (db *DB) FXRates(ctx context.Context) ([]money.RateInfo, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT f.currency, f.date, f.rate, f.source FROM fx_rates f
		JOIN (SELECT currency, MAX(date) AS date FROM fx_rates GROUP BY currency) newest
		ON newest.currency = f.currency AND newest.date = f.date
		ORDER BY f.currency`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: fx rates: %w", err)
	}
	return scanFXRates(rows)
}

// FXHistory returns the stored rates of one currency, newest date first, at
// most limit of them (all of them when limit ≤ 0). A currency never stored
// gives no rows and no error.
func (db *DB) FXHistory(ctx context.Context, currency string, limit int) ([]money.RateInfo, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := db.read.QueryContext(ctx, "SELECT currency, date, rate, source FROM fx_rates WHERE currency = ? ORDER BY date DESC LIMIT ?", currency, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: fx history %s: %w", currency, err)
	}
	return scanFXRates(rows)
}

// PutFXRates stores rows in one write transaction, on the engine's single
// write connection (withWriteTx): a row whose currency and date are already
// stored replaces that row's rate and source. Rates are stored exactly as
// rate.String() writes them. Errors: a *fx.InvalidError when rows list the
// same currency and date twice; the database's, for instance a CHECK
// refusing a rate that is not positive or a malformed currency or date.
// On error nothing is stored.
func (db *DB) PutFXRates(ctx context.Context, rows []money.RateInfo) error {
	if len(rows) == 0 {
		return nil
	}
	if err := fx.Unique(rows); err != nil {
		return fmt.Errorf("sqlite: put fx rates: %w", err)
	}
	err := db.withWriteTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO fx_rates (currency, date, rate, source, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (currency, date) DO UPDATE SET rate = excluded.rate, source = excluded.source, created_at = excluded.created_at`)
		if err != nil {
			return err
		}
		defer st.Close()
		now := micros(db.now())
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, string(r.Currency), r.Date, r.Rate.String(), r.Source, now); err != nil {
				return fmt.Errorf("%s %s: %w", r.Currency, r.Date, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put fx rates: %w", err)
	}
	return nil
}

func scanFXRates(rows *sql.Rows) ([]money.RateInfo, error) {
	defer rows.Close()
	var out []money.RateInfo
	for rows.Next() {
		var r money.RateInfo
		var cur, rate string
		if err := rows.Scan(&cur, &r.Date, &rate, &r.Source); err != nil {
			return nil, fmt.Errorf("sqlite: fx rates: %w", err)
		}
		d, err := decimal.Parse(rate)
		if err != nil {
			return nil, fmt.Errorf("sqlite: fx rates: %s %s: rate %q: %w", cur, r.Date, rate, err)
		}
		r.Currency, r.Rate = money.Asset(cur), d
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: fx rates: %w", err)
	}
	return out, nil
}
