package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// auditColumns are the columns AppendAudit copies, in order.
var auditColumns = []string{"at", "actor", "scope", "action", "method", "path", "target", "ip", "idempotency_key", "status", "outcome", "latency_us"}

// AppendAudit stores entries with one COPY, in order (the ids come from the
// table's sequence): all or none. It returns the database's error, wrapped.
func (db *DB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := db.pool.CopyFrom(ctx, pgx.Identifier{"audit_log"}, auditColumns, pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
		e := entries[i]
		return []any{ts(e.At), e.Actor, e.Scope, e.Action, e.Method, e.Path, e.Target, e.IP, e.IdempotencyKey, int32(e.Status), e.Outcome, e.LatencyMicros}, nil
	}))
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	return nil
}

// Audit returns the entries f selects, highest id first, at most
// f.PageLimit(); none and no error when nothing matches.
func (db *DB) Audit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, c := range []struct{ col, val string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}, {"outcome", f.Outcome}} {
		if c.val != "" {
			where = append(where, c.col+" = "+arg(c.val))
		}
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(ts(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(ts(f.To)))
	}
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	q := `SELECT id, at, actor, scope, action, method, path, target, ip, idempotency_key, status, outcome, latency_us FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.PageLimit())
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var status int32
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Scope, &e.Action, &e.Method, &e.Path, &e.Target,
			&e.IP, &e.IdempotencyKey, &status, &e.Outcome, &e.LatencyMicros); err != nil {
			return nil, fmt.Errorf("postgres: audit: %w", err)
		}
		e.At, e.Status = e.At.UTC(), int(status)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: audit: %w", err)
	}
	return out, nil
}
