package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Tx is one write batch: a ledger.Book over a SQLite write transaction, plus
// the domain rows the batch will insert. Reads go to the database inside the
// transaction; writes are buffered and written at the end of the batch with
// multi-row statements.
type Tx struct {
	*ledger.Book
	db  *DB
	ctx context.Context
	tx  *sql.Tx

	rows  map[string]*pendingRows // table → buffered rows
	stmts map[string]*sql.Stmt    // statements bound to tx
	// updates run after the inserts, once per batch (summed counters).
	updates    []func() error
	updateKeys map[string]bool
}

// onFlush registers fn to run once when the batch is written.
func (t *Tx) onFlush(key string, fn func() error) {
	if t.updateKeys[key] {
		return
	}
	t.updateKeys[key] = true
	t.updates = append(t.updates, fn)
}

type pendingRows struct {
	vals [][]any
}

// table describes a table the batch writer inserts into.
type table struct {
	name string
	cols []string
	// conflict, when set, is appended to the INSERT (e.g. an upsert clause).
	conflict string
}

// The tables the writer inserts into, ledger first, then the domain tables
// in the order their rows are written (referenced tables first).
var (
	txTable      = table{name: "transactions", cols: []string{"id", "kind", "ref", "user_a", "user_b", "created_at"}}
	postingTable = table{name: "postings", cols: []string{"tx_id", "seq", "from_account", "to_account", "asset", "amount"}}
	accountTable = table{name: "accounts", cols: []string{"id", "asset", "balance", "negative_ok"}}
	idemTable    = table{name: "idempotency", cols: []string{"key", "hash", "status", "response", "created_at"}}
)

// insertTables lists every table in flush order.
var insertTables = append(append([]table{txTable, postingTable, accountTable, idemTable, gifterTable, spendTable}, domainTables...), boardTables...)

// writerQueries are the fixed statements of the batch writer, prepared ahead.
var writerQueries = append([]string{
	"SELECT asset, balance FROM accounts WHERE id = ?",
	"SELECT hash, status, response, created_at FROM idempotency WHERE key = ?",
	"SELECT COALESCE(MAX(id), 0) FROM transactions",
}, append(append(domainQueries, qWithdrawal, qProfile), boardQueries...)...)

func insertSQL(t table, n int) string {
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s%s", t.name, strings.Join(t.cols, ","), placeholders(n, len(t.cols)), t.conflict)
}

func (db *DB) newTx(ctx context.Context, tx *sql.Tx) *Tx {
	t := &Tx{db: db, ctx: ctx, tx: tx, rows: map[string]*pendingRows{}, stmts: map[string]*sql.Stmt{}, updateKeys: map[string]bool{}}
	t.Book = ledger.NewBook((*bookReader)(t), db.now().UTC().Truncate(time.Microsecond)) // stored as microseconds
	return t
}

// Context returns the batch's context.
func (t *Tx) Context() context.Context { return t.ctx }

// stmt returns query bound to the batch's transaction: the statement the
// writer prepared in advance, or one prepared now for this transaction.
func (t *Tx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if ps, ok := t.db.stmts[query]; ok {
		s = t.tx.StmtContext(t.ctx, ps)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
	}
	t.stmts[query] = s
	return s, nil
}

func (t *Tx) queryRow(query string, args ...any) (*sql.Row, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryRowContext(t.ctx, args...), nil
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

// bookReader is the batch's ledger.Reader: what the Book reads from the
// database. It is a separate type so that Tx's own Idempotency is the Book's
// (which sees records saved earlier in the batch), not the database's.
type bookReader Tx

// Account implements ledger.Reader.
func (r *bookReader) Account(ctx context.Context, id ledger.AccountID) (money.Asset, int64, bool, error) {
	row, err := (*Tx)(r).queryRow("SELECT asset, balance FROM accounts WHERE id = ?", string(id))
	if err != nil {
		return "", 0, false, err
	}
	var asset string
	var bal int64
	switch err := row.Scan(&asset, &bal); {
	case errors.Is(err, sql.ErrNoRows):
		return "", 0, false, nil
	case err != nil:
		return "", 0, false, err
	}
	return money.Asset(asset), bal, true, nil
}

// Idempotency implements ledger.Reader.
func (r *bookReader) Idempotency(ctx context.Context, key string) (*ledger.IdempotencyRecord, error) {
	row, err := (*Tx)(r).queryRow("SELECT hash, status, response, created_at FROM idempotency WHERE key = ?", key)
	if err != nil {
		return nil, err
	}
	rec := &ledger.IdempotencyRecord{Key: key}
	var at int64
	switch err := row.Scan(&rec.Hash, &rec.Status, &rec.Response, &at); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	rec.CreatedAt = fromMicros(at)
	return rec, nil
}

// insert buffers a row for a domain table; it is undone with the request
// that made it.
func (t *Tx) insert(tb table, vals ...any) {
	p := t.rows[tb.name]
	if p == nil {
		p = &pendingRows{}
		t.rows[tb.name] = p
	}
	p.vals = append(p.vals, vals)
	n := len(p.vals) - 1
	t.OnUndo(func() { p.vals = p.vals[:n] })
}

// maxRowsPerInsert bounds one multi-row INSERT; it is a power of two, and a
// batch's rows are written in chunks of 128, 64, … 1 rows, each a statement
// prepared in advance.
const maxRowsPerInsert = 128

func (t *Tx) insertAll(tb table, rows [][]any) error {
	args := make([]any, 0, min(len(rows), maxRowsPerInsert)*len(tb.cols))
	return eachChunk(rows, func(chunk [][]any) error {
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := t.exec(insertSQL(tb, len(chunk)), args...); err != nil {
			return fmt.Errorf("sqlite: insert into %s: %w", tb.name, err)
		}
		return nil
	})
}

// eachChunk calls fn on rows in chunks of maxRowsPerInsert, 64, 32 … 1
// rows: sizes whose statements are prepared in advance.
func eachChunk(rows [][]any, fn func(chunk [][]any) error) error {
	for len(rows) > 0 {
		n := maxRowsPerInsert
		for n > len(rows) {
			n /= 2
		}
		if err := fn(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// updateBalancesSQL adds deltas to n accounts in one statement and returns
// their new balances.
func updateBalancesSQL(n int) string {
	return "UPDATE accounts SET balance = accounts.balance + v.column2 FROM (VALUES " + placeholders(n, 2) +
		") AS v WHERE accounts.id = v.column1 RETURNING accounts.id, accounts.balance"
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// flush writes the batch: journal, postings, balances, idempotency records
// and the domain rows.
func (t *Tx) flush() error {
	txs := t.Transactions()
	if len(txs) > 0 {
		var last int64
		row, err := t.queryRow("SELECT COALESCE(MAX(id), 0) FROM transactions")
		if err != nil {
			return err
		}
		if err := row.Scan(&last); err != nil {
			return fmt.Errorf("sqlite: next transaction id: %w", err)
		}
		tr := &pendingRows{}
		po := &pendingRows{}
		for i := range txs {
			last++
			txs[i].ID = last
			x := &txs[i]
			tr.vals = append(tr.vals, []any{x.ID, x.Kind, x.Ref, nullString(x.Actor), nullString(x.Counterparty), micros(x.CreatedAt)})
			for j, p := range x.Postings {
				po.vals = append(po.vals, []any{x.ID, j, string(p.From), string(p.To), string(p.Asset), p.Amount})
			}
		}
		if err := t.insertAll(txTable, tr.vals); err != nil {
			return err
		}
		if err := t.insertAll(postingTable, po.vals); err != nil {
			return err
		}
	}
	newAccts := &pendingRows{}
	var updates [][]any
	expect := map[string]int64{}
	for _, c := range t.Changes() {
		if c.New {
			neg := 0
			if ledger.AllowsNegative(c.Account) {
				neg = 1
			}
			newAccts.vals = append(newAccts.vals, []any{string(c.Account), string(c.Asset), c.Balance, neg})
			continue
		}
		updates = append(updates, []any{string(c.Account), c.Delta})
		expect[string(c.Account)] = c.Balance
	}
	// One statement per chunk of accounts, in account order.
	err := eachChunk(updates, func(chunk [][]any) error {
		args := make([]any, 0, 2*len(chunk))
		for _, r := range chunk {
			args = append(args, r...)
		}
		s, err := t.stmt(updateBalancesSQL(len(chunk)))
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(t.ctx, args...)
		if err != nil {
			return fmt.Errorf("sqlite: update balances: %w", err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id string
			var got int64
			if err := rows.Scan(&id, &got); err != nil {
				return fmt.Errorf("sqlite: update balances: %w", err)
			}
			if got != expect[id] {
				return fmt.Errorf("sqlite: balance of %s is %d, the batch expected %d: another writer?", id, got, expect[id])
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: update balances: %w", err)
		}
		if n != len(chunk) {
			return fmt.Errorf("sqlite: update balances: %d of %d accounts updated", n, len(chunk))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := t.insertAll(accountTable, newAccts.vals); err != nil {
		return err
	}
	if recs := t.IdempotencyRecords(); len(recs) > 0 {
		p := &pendingRows{}
		for _, r := range recs {
			p.vals = append(p.vals, []any{r.Key, r.Hash, r.Status, r.Response, micros(r.CreatedAt)})
		}
		if err := t.insertAll(idemTable, p.vals); err != nil {
			return err
		}
	}
	for _, tb := range domainTables {
		if p := t.rows[tb.name]; p != nil && len(p.vals) > 0 {
			if err := t.insertAll(tb, p.vals); err != nil {
				return err
			}
		}
	}
	for _, fn := range t.updates {
		if err := fn(); err != nil {
			return err
		}
	}
	return t.insertJobs()
}

// ApplyBatch runs ops in one write transaction, each isolated (a failed op's
// buffered writes are undone), writes the batch and commits once. It
// returns one error per op. If the batch cannot be written or committed and
// it holds more than one op, every op is retried alone so that one bad op
// cannot fail the others; an op is only answered nil once it is committed.
func (db *DB) ApplyBatch(ctx context.Context, ops []func(*Tx) error) []error {
	errs := make([]error, len(ops))
	if err := db.prepareWriter(ctx); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var t *Tx
	err := db.withWriteTx(ctx, func(stx *sql.Tx) error {
		t = db.newTx(ctx, stx)
		for i, op := range ops {
			mark := t.Mark()
			if err := op(t); err != nil {
				t.Rollback(mark)
				errs[i] = err
			}
		}
		return t.flush()
	})
	if err == nil {
		t.Committed()
		return errs
	}
	if len(ops) == 1 {
		errs[0] = err
		return errs
	}
	for i := range ops {
		errs[i] = db.ApplyBatch(ctx, ops[i:i+1])[0]
	}
	return errs
}
