package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/govalues/decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

var _ fx.Store = (*DB)(nil)

// FXRates returns the FX table in force: for each currency, the row of its
// newest date, sorted by currency. An empty table gives no rows and no error.
func (db *DB) FXRates(ctx context.Context) ([]money.RateInfo, error) {
	rows, err := db.pool.Query(ctx, "SELECT DISTINCT ON (currency) currency, date, rate, source FROM fx_rates ORDER BY currency, date DESC")
	if err != nil {
		return nil, fmt.Errorf("postgres: fx rates: %w", err)
	}
	return scanFXRates(rows)
}

// FXHistory returns the stored rates of one currency, newest date first, at
// most limit of them (all of them when limit ≤ 0). A currency never stored
// gives no rows and no error.
func (db *DB) FXHistory(ctx context.Context, currency string, limit int) ([]money.RateInfo, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := db.pool.Query(ctx, "SELECT currency, date, rate, source FROM fx_rates WHERE currency = $1 ORDER BY date DESC LIMIT $2", currency, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: fx history %s: %w", currency, err)
	}
	return scanFXRates(rows)
}

// PutFXRates stores rows in one transaction, with one statement: a row
// whose currency and date are already stored replaces that row's rate and
// source. Rows are written in (currency, date) order, so that writers on
// several nodes lock them in the same order; a serialization failure or
// deadlock retries the whole transaction, a bounded number of times. Rates
// are stored exactly as rate.String() writes them. Errors: a
// *fx.InvalidError when rows list the same currency and date twice; the
// database's, for instance a CHECK refusing a rate that is not positive or
// a malformed currency or date. On error nothing is stored.
func (db *DB) PutFXRates(ctx context.Context, rows []money.RateInfo) error {
	if len(rows) == 0 {
		return nil
	}
	if err := fx.Unique(rows); err != nil {
		return fmt.Errorf("postgres: put fx rates: %w", err)
	}
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b money.RateInfo) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Date, b.Date))
	})
	cur := make([]string, len(sorted))
	date := make([]string, len(sorted))
	rate := make([]string, len(sorted))
	source := make([]string, len(sorted))
	for i, r := range sorted {
		cur[i], date[i], rate[i], source[i] = string(r.Currency), r.Date, r.Rate.String(), r.Source
	}
	var err error
	for attempt := 1; attempt <= db.maxAttempts; attempt++ {
		err = db.withTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO fx_rates (currency, date, rate, source, created_at)
				SELECT u.currency, u.date, u.rate, u.source, $5
				FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(currency, date, rate, source, n)
				ORDER BY u.n
				ON CONFLICT (currency, date) DO UPDATE SET rate = excluded.rate, source = excluded.source, created_at = excluded.created_at`,
				cur, date, rate, source, ts(db.now()))
			return err
		})
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || (pe.Code != "40001" && pe.Code != "40P01") || ctx.Err() != nil {
			break
		}
		db.retries.Add(1)
		time.Sleep(time.Duration(1+rand.IntN(5*attempt)) * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("postgres: put fx rates: %w", err)
	}
	return nil
}

func scanFXRates(rows pgx.Rows) ([]money.RateInfo, error) {
	defer rows.Close()
	var out []money.RateInfo
	for rows.Next() {
		var r money.RateInfo
		var cur, rate string
		if err := rows.Scan(&cur, &r.Date, &rate, &r.Source); err != nil {
			return nil, fmt.Errorf("postgres: fx rates: %w", err)
		}
		d, err := decimal.Parse(rate)
		if err != nil {
			return nil, fmt.Errorf("postgres: fx rates: %s %s: rate %q: %w", cur, r.Date, rate, err)
		}
		r.Currency, r.Rate = money.Asset(cur), d
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: fx rates: %w", err)
	}
	return out, nil
}
