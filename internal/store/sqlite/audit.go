package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/glint-economy/glint/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// AppendAudit stores entries in one write transaction on the engine's single
// write connection (withWriteTx), in order; the ids are the table's. On
// error nothing is stored and the database's error is returned, wrapped.
func (db *DB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	err := db.withWriteTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO audit_log
			(at, actor, scope, action, method, path, target, ip, idempotency_key, status, outcome, latency_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range entries {
			if _, err := st.ExecContext(ctx, micros(e.At), e.Actor, e.Scope, e.Action, e.Method, e.Path, e.Target,
				e.IP, e.IdempotencyKey, e.Status, e.Outcome, e.LatencyMicros); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

// Audit returns the entries f selects, highest id first, at most
// f.PageLimit(); none and no error when nothing matches.
func (db *DB) Audit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}, {"outcome", f.Outcome}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, micros(f.To))
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q := `SELECT id, at, actor, scope, action, method, path, target, ip, idempotency_key, status, outcome, latency_us FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.PageLimit())
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Scope, &e.Action, &e.Method, &e.Path, &e.Target,
			&e.IP, &e.IdempotencyKey, &e.Status, &e.Outcome, &e.LatencyMicros); err != nil {
			return nil, fmt.Errorf("sqlite: audit: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	return out, nil
}
