package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Tx is one write batch: a ledger.Book over a PostgreSQL transaction, plus
// the domain rows the batch will write. Reads go to the database inside the
// transaction (without locks, except the accounts a retried batch locks
// first); writes are buffered and written at the end of the batch with one
// set-based statement per table.
type Tx struct {
	*ledger.Book
	db  *DB
	ctx context.Context
	tx  pgx.Tx

	// locked holds the accounts locked FOR UPDATE before the ops ran.
	locked map[ledger.AccountID]lockedAccount
	// prefetched holds accounts read ahead (without a lock) with their user.
	prefetched map[ledger.AccountID]lockedAccount
	// watch holds the accounts whose balance a request relied on (it
	// debited them or read them): at flush they must still hold what the
	// batch computed.
	watch map[ledger.AccountID]bool
	// absentKeys are the idempotency keys requests asked for and found
	// nowhere.
	absentKeys map[string]bool
	// idemPre holds idempotency records read ahead (nil: known absent).
	idemPre map[string]*ledger.IdempotencyRecord
	// disc is set on a discovery Tx (see prefetch.go): its reads never go
	// to the database, they are recorded and answered with stand-ins.
	disc *discovery
	// dbErr is the first database error of the batch: after it the
	// transaction is aborted, and the batch is retried or failed by it.
	dbErr error

	rows map[string]*pendingRows // table → buffered rows
	// base records the state domain rows had when the batch read them, so
	// that the flush writes them only if no other node changed them since.
	streamBase map[string]string    // stream id → status read ("" = absent)
	comboBase  map[string]comboBase // stream/combo → state read
	// updates run after the inserts, once per batch (summed counters).
	updates    []func(b *pgx.Batch)
	updateKeys map[string]bool
}

type lockedAccount struct {
	asset   money.Asset
	balance int64
	found   bool
}

type comboBase struct {
	found bool
	count int64
	ended bool
}

type pendingRows struct{ vals [][]any }

func (db *DB) newTx(ctx context.Context, tx pgx.Tx, now time.Time) *Tx {
	t := &Tx{
		db: db, ctx: ctx, tx: tx,
		locked: map[ledger.AccountID]lockedAccount{}, prefetched: map[ledger.AccountID]lockedAccount{}, watch: map[ledger.AccountID]bool{},
		rows:       map[string]*pendingRows{},
		streamBase: map[string]string{}, comboBase: map[string]comboBase{},
		updateKeys: map[string]bool{}, absentKeys: map[string]bool{},
	}
	t.Book = ledger.NewBook((*bookReader)(t), now)
	return t
}

// Context returns the batch's context.
func (t *Tx) Context() context.Context { return t.ctx }

// fail records the first database error of the batch and returns err.
func (t *Tx) fail(err error) error {
	if err != nil && t.dbErr == nil {
		t.dbErr = err
	}
	return err
}

// scan runs a one-row query in the batch's transaction; found is false when
// it returns no row.
func (t *Tx) scan(query string, args []any, dest ...any) (found bool, err error) {
	t.db.pointReads.Add(1)
	err = t.tx.QueryRow(t.ctx, query, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail(fmt.Errorf("postgres: %w", err))
	}
	return true, nil
}

// lockAccounts locks ids (sorted) FOR UPDATE and keeps what they hold: the
// batch's reads of them are then stable until it commits.
func (t *Tx) lockAccounts(ids []ledger.AccountID) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = string(id)
		t.locked[id] = lockedAccount{}
	}
	sort.Strings(keys)
	rows, err := t.tx.Query(t.ctx, "SELECT id, asset, balance FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", keys)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: lock accounts: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var id, asset string
		var bal int64
		if err := rows.Scan(&id, &asset, &bal); err != nil {
			return t.fail(fmt.Errorf("postgres: lock accounts: %w", err))
		}
		t.locked[ledger.AccountID(id)] = lockedAccount{asset: money.Asset(asset), balance: bal, found: true}
	}
	if err := rows.Err(); err != nil {
		return t.fail(fmt.Errorf("postgres: lock accounts: %w", err))
	}
	return nil
}

// bookReader is the batch's ledger.Reader: what the Book reads from the
// database. It is a type of its own so that Tx's Idempotency stays the
// Book's (which sees the batch's own records first).
type bookReader Tx

// Account implements ledger.Reader.
func (r *bookReader) Account(ctx context.Context, id ledger.AccountID) (money.Asset, int64, bool, error) {
	return (*Tx)(r).account(id)
}

// Idempotency implements ledger.Reader.
func (r *bookReader) Idempotency(ctx context.Context, key string) (*ledger.IdempotencyRecord, error) {
	return (*Tx)(r).idempotency(key)
}

// account reads an account: locked or read ahead by this batch, else from
// the database without a lock.
func (t *Tx) account(id ledger.AccountID) (money.Asset, int64, bool, error) {
	if a, ok := t.locked[id]; ok {
		return a.asset, a.balance, a.found, nil
	}
	if a, ok := t.prefetched[id]; ok {
		return a.asset, a.balance, a.found, nil
	}
	if t.disc != nil {
		t.disc.accounts[id] = true
		return "", 0, false, nil
	}
	var asset string
	var bal int64
	found, err := t.scan("SELECT asset, balance FROM accounts WHERE id = $1", []any{string(id)}, &asset, &bal)
	if err != nil || !found {
		return "", 0, false, err
	}
	return money.Asset(asset), bal, true, nil
}

// Idempotency returns the record stored for key in this batch or in the
// database, or nil (see ledger.Book.Idempotency). A key found in neither is
// remembered: if no record for it is saved by the end of the batch (the
// request failed), the flush makes sure no other node stored one meanwhile,
// so that a request is never refused on one node while its first attempt
// succeeded on another.
func (t *Tx) Idempotency(ctx context.Context, key string) (*ledger.IdempotencyRecord, error) {
	rec, err := t.Book.Idempotency(ctx, key)
	if err == nil && rec == nil {
		t.absentKeys[key] = true
	}
	return rec, err
}

func (t *Tx) idempotency(key string) (*ledger.IdempotencyRecord, error) {
	if rec, ok := t.idemPre[key]; ok {
		if rec == nil {
			return nil, nil
		}
		cp := *rec
		return &cp, nil
	}
	if t.disc != nil {
		t.disc.idem[key] = true
		return nil, nil
	}
	rec := &ledger.IdempotencyRecord{Key: key}
	var at time.Time
	found, err := t.scan("SELECT hash, status, response, created_at FROM idempotency WHERE key = $1", []any{key},
		&rec.Hash, &rec.Status, &rec.Response, &at)
	if err != nil || !found {
		return nil, err
	}
	rec.CreatedAt = at.UTC()
	return rec, nil
}

// Post posts t into the batch (see ledger.Book.Post) and remembers the
// accounts it debited that must stay non-negative: the flush checks that no
// other node moved them meanwhile.
func (t *Tx) Post(ctx context.Context, tr ledger.Transaction) error {
	if err := t.Book.Post(ctx, tr); err != nil {
		return err
	}
	for _, p := range tr.Postings {
		if !ledger.AllowsNegative(p.From) {
			t.watch[p.From] = true
		}
	}
	return nil
}

// Balance returns an account's balance including this batch's postings (see
// ledger.Book.Balance); a request that reads a balance relies on it, so the
// flush checks it too.
func (t *Tx) Balance(ctx context.Context, id ledger.AccountID) (int64, error) {
	b, err := t.Book.Balance(ctx, id)
	if err == nil {
		t.watch[id] = true
	}
	return b, err
}

// table describes a table the batch writer writes with one INSERT … SELECT
// FROM unnest(…) per batch.
type table struct {
	name  string
	cols  []string
	types []string // element type of each column's array: text, bigint, boolean, timestamptz, bytea
	// key is how many leading columns identify a row: a later row of the
	// batch with the same key replaces an earlier one, and rows are inserted
	// in key order (the order their row locks are taken). 0: plain rows.
	key int
	// suffix follows the SELECT (ON CONFLICT …, RETURNING …).
	suffix string
}

func (tb table) insertSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) SELECT * FROM unnest(", tb.name, strings.Join(tb.cols, ", "))
	for i, typ := range tb.types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", i+1, typ)
	}
	fmt.Fprintf(&b, ") AS u(%s)", strings.Join(tb.cols, ", "))
	if tb.key > 0 {
		fmt.Fprintf(&b, " ORDER BY %s", strings.Join(tb.cols[:tb.key], ", "))
	}
	b.WriteString(tb.suffix)
	return b.String()
}

// dedupe keeps only the last row of each key (in the order keys first
// appear) when tb has a key.
func (tb table) dedupe(rows [][]any) [][]any {
	if tb.key == 0 {
		return rows
	}
	last := map[string]int{}
	var order []string
	for i, r := range rows {
		k := fmt.Sprintf("%q", r[:tb.key])
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = i
	}
	if len(order) == len(rows) {
		return rows
	}
	kept := make([][]any, 0, len(order))
	for _, k := range order {
		kept = append(kept, rows[last[k]])
	}
	return kept
}

// arrays turns rows into one typed array per column (pointer elements, so
// nil is NULL), keeping only the last row of each key when tb has one.
func (tb table) arrays(rows [][]any) []any {
	rows = tb.dedupe(rows)
	out := make([]any, len(tb.cols))
	for c, typ := range tb.types {
		switch typ {
		case "text":
			a := make([]*string, len(rows))
			for i, r := range rows {
				if v, ok := r[c].(string); ok {
					a[i] = &v
				}
			}
			out[c] = a
		case "bigint", "integer":
			a := make([]*int64, len(rows))
			for i, r := range rows {
				switch v := r[c].(type) {
				case int64:
					a[i] = &v
				case int:
					w := int64(v)
					a[i] = &w
				}
			}
			out[c] = a
		case "boolean":
			a := make([]*bool, len(rows))
			for i, r := range rows {
				if v, ok := r[c].(bool); ok {
					a[i] = &v
				}
			}
			out[c] = a
		case "timestamptz":
			a := make([]*time.Time, len(rows))
			for i, r := range rows {
				if v, ok := r[c].(time.Time); ok {
					v = ts(v)
					a[i] = &v
				}
			}
			out[c] = a
		case "bytea":
			a := make([][]byte, len(rows))
			for i, r := range rows {
				a[i], _ = r[c].([]byte)
			}
			out[c] = a
		default:
			panic("postgres: unknown column type " + typ)
		}
	}
	return out
}

// ts is a time as stored: microseconds, UTC (what SQLite keeps too).
func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// The ledger tables.
var (
	txTable      = table{name: "transactions", cols: []string{"id", "kind", "ref", "user_a", "user_b", "created_at"}, types: []string{"bigint", "text", "text", "text", "text", "timestamptz"}}
	postingTable = table{name: "postings", cols: []string{"tx_id", "seq", "from_account", "to_account", "asset", "amount"}, types: []string{"bigint", "integer", "text", "text", "text", "bigint"}}
	// accountTable creates the batch's new accounts in id order; one that
	// another node created meanwhile gets the change added (a new account
	// that must stay non-negative only ever receives), unless its asset
	// differs: then it is left alone and not returned.
	accountTable = table{name: "accounts", cols: []string{"id", "asset", "balance", "negative_ok"}, types: []string{"text", "text", "bigint", "boolean"}, key: 1,
		suffix: " ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance WHERE accounts.asset = excluded.asset RETURNING id, balance"}
	// idemTable keeps the first record of a key; a key another node stored
	// first is not returned.
	idemTable = table{name: "idempotency", cols: []string{"key", "hash", "status", "response", "created_at"}, types: []string{"text", "text", "integer", "bytea", "timestamptz"}, key: 1,
		suffix: " ON CONFLICT (key) DO NOTHING RETURNING key"}
)

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

// onFlush registers fn to queue its statements once when the batch is
// written.
func (t *Tx) onFlush(key string, fn func(b *pgx.Batch)) {
	if t.updateKeys[key] {
		return
	}
	t.updateKeys[key] = true
	t.updates = append(t.updates, fn)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// flush writes the batch: transaction ids from the sequence in one round
// trip (holding the fold lock shared until commit, fold.go), then every statement in one pipeline — balances (sorted, checked),
// idempotency records (first writer wins), journal, domain rows, counters.
func (t *Tx) flush() error {
	if t.dbErr != nil {
		return t.dbErr
	}
	txs := t.Transactions()
	if len(txs) > 0 {
		rows, err := t.tx.Query(t.ctx, qNextIDs, len(txs), foldLockID)
		if err != nil {
			return fmt.Errorf("postgres: transaction ids: %w", err)
		}
		i := 0
		for rows.Next() {
			if err := rows.Scan(&txs[i].ID); err != nil {
				rows.Close()
				return fmt.Errorf("postgres: transaction ids: %w", err)
			}
			i++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: transaction ids: %w", err)
		}
		if i != len(txs) {
			return fmt.Errorf("postgres: transaction ids: got %d of %d", i, len(txs))
		}
	}
	b := &pgx.Batch{}

	// Balances: every changed account, and every account a request relied
	// on even if its net change is zero (adding 0 locks and reads it).
	// Existing accounts are locked in id order, then updated; new ones are
	// inserted in id order (adding to the row if another node created it
	// meanwhile). Every balance a request relied on must come back as the
	// batch computed it.
	want := map[string]int64{}
	var ids []string
	var deltas []int64
	var fresh [][]any
	for _, c := range t.Changes() {
		want[string(c.Account)] = c.Balance
		if c.New {
			fresh = append(fresh, []any{string(c.Account), string(c.Asset), c.Delta, ledger.AllowsNegative(c.Account)})
			continue
		}
		ids, deltas = append(ids, string(c.Account)), append(deltas, c.Delta)
	}
	for id := range t.watch {
		if _, ok := want[string(id)]; ok {
			continue
		}
		_, _, found, err := t.account(id)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		bal, err := t.Book.Balance(t.ctx, id)
		if err != nil {
			return err
		}
		want[string(id)] = bal
		ids, deltas = append(ids, string(id)), append(deltas, 0)
	}
	check := func(n int) func(rows pgx.Rows) error {
		return func(rows pgx.Rows) error {
			got := 0
			conflict := false
			for rows.Next() {
				var id string
				var bal int64
				if err := rows.Scan(&id, &bal); err != nil {
					return err
				}
				got++
				if t.watch[ledger.AccountID(id)] && bal != want[id] {
					conflict = true // another node moved it after this batch read it
				}
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("postgres: balances: %w", err)
			}
			if got != n {
				return fmt.Errorf("%w: an account of the batch holds another asset", ledger.ErrInvalidTransaction)
			}
			if conflict {
				return fmt.Errorf("%w: a balance the batch relied on changed", errConflict)
			}
			return nil
		}
	}
	if len(ids) > 0 {
		b.Queue("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids)
		b.Queue(`UPDATE accounts a SET balance = a.balance + u.delta
FROM unnest($1::text[], $2::bigint[]) AS u(id, delta) WHERE a.id = u.id
RETURNING a.id, a.balance`, ids, deltas).Query(check(len(ids)))
	}
	if len(fresh) > 0 {
		b.Queue(accountTable.insertSQL(), accountTable.arrays(fresh)...).Query(check(len(fresh)))
	}

	// Idempotency keys: lock every key the batch used (sorted, so nodes
	// cannot deadlock on them) — a node that stores a key holds its lock
	// until it commits — then check that the keys of failed requests are
	// still absent: if another node stored one, this batch answered from a
	// state that no longer holds, and it is retried (and replays).
	recs := t.IdempotencyRecords()
	saved := make(map[string]bool, len(recs))
	for _, r := range recs {
		saved[r.Key] = true
	}
	var keys, failed []string
	for k := range saved {
		keys = append(keys, k)
	}
	for k := range t.absentKeys {
		if !saved[k] {
			keys, failed = append(keys, k), append(failed, k)
		}
	}
	if len(keys) > 0 {
		b.Queue(`SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k) s ORDER BY h`, keys)
	}
	if len(failed) > 0 {
		b.Queue("SELECT key FROM idempotency WHERE key = ANY($1)", failed).Query(func(rows pgx.Rows) error {
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("postgres: idempotency: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("%w: a failed request's idempotency key was stored on another node", errConflict)
			}
			return nil
		})
	}
	if len(recs) > 0 {
		rows := make([][]any, len(recs))
		for i, r := range recs {
			rows[i] = []any{r.Key, r.Hash, int64(r.Status), r.Response, r.CreatedAt}
		}
		b.Queue(idemTable.insertSQL(), idemTable.arrays(rows)...).Query(func(res pgx.Rows) error {
			n := 0
			for res.Next() {
				n++
			}
			if err := res.Err(); err != nil {
				return fmt.Errorf("postgres: idempotency: %w", err)
			}
			if n != len(rows) {
				return fmt.Errorf("%w: an idempotency key was used on another node first", errConflict)
			}
			return nil
		})
	}

	if len(txs) > 0 {
		tr := make([][]any, 0, len(txs))
		var po [][]any
		for i := range txs {
			x := &txs[i]
			tr = append(tr, []any{x.ID, x.Kind, x.Ref, nullString(x.Actor), nullString(x.Counterparty), x.CreatedAt})
			for j, p := range x.Postings {
				po = append(po, []any{x.ID, int64(j), string(p.From), string(p.To), string(p.Asset), p.Amount})
			}
		}
		b.Queue(txTable.insertSQL(), txTable.arrays(tr)...)
		b.Queue(postingTable.insertSQL(), postingTable.arrays(po)...)
	}

	t.queueDomain(b)
	for _, fn := range t.updates {
		fn(b)
	}
	if b.Len() == 0 {
		return t.insertJobs()
	}
	if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
		if errors.Is(err, errConflict) || errors.Is(err, ledger.ErrInvalidTransaction) {
			return err
		}
		return fmt.Errorf("postgres: write batch: %w", err)
	}
	return t.insertJobs()
}

// touched returns the accounts a failed attempt changed or relied on: the
// next attempt locks them before its ops run.
func (t *Tx) touched() []ledger.AccountID {
	var out []ledger.AccountID
	for _, c := range t.Changes() {
		out = append(out, c.Account)
	}
	for id := range t.watch {
		out = append(out, id)
	}
	return out
}

// maxViolationRetries bounds the retries of a batch that failed on a unique
// or check constraint: another node may have got there first, but past a few
// tries it is this batch, and its ops are tried one by one.
const maxViolationRetries = 3

// ApplyBatch runs ops in one transaction, each isolated (a failed op's
// buffered writes are undone), writes the batch and commits once. It returns
// one error per op. A batch that meets another writer (see the package doc)
// is retried whole, a bounded number of times, with the accounts it touched
// locked first. If it still cannot be written or committed and it holds more
// than one op, every op is retried alone so that one bad op cannot fail the
// others; an op is only answered nil once it is committed. An op that kept
// conflicting gets an error wrapping ErrContention.
func (db *DB) ApplyBatch(ctx context.Context, ops []func(*Tx) error) []error {
	errs := make([]error, len(ops))
	lock := map[ledger.AccountID]bool{}
	var last error
	violations := 0
	for attempt := 1; attempt <= db.maxAttempts; attempt++ {
		clear(errs)
		var t *Tx
		now := db.now().UTC()
		ids := make([]ledger.AccountID, 0, len(lock))
		for id := range lock {
			ids = append(ids, id)
		}
		err := db.withTx(ctx, pgx.TxOptions{}, func(ptx pgx.Tx) error {
			t = db.newTx(ctx, ptx, now)
			if err := t.lockAccounts(ids); err != nil {
				return err
			}
			if err := t.prefetch(ops); err != nil {
				return err
			}
			for i, op := range ops {
				mark := t.Mark()
				if err := op(t); err != nil {
					t.Rollback(mark)
					errs[i] = err
				}
				if t.dbErr != nil {
					return t.dbErr
				}
			}
			return t.flush()
		})
		if err == nil {
			t.Committed()
			return errs
		}
		last = err
		retry, backoff := retryable(err)
		if !retry || ctx.Err() != nil {
			break
		}
		if !errors.Is(err, errConflict) && !backoff {
			if violations++; violations >= maxViolationRetries {
				break
			}
		}
		db.retries.Add(1)
		if t != nil {
			for _, id := range t.touched() {
				lock[id] = true
			}
		}
		if backoff {
			time.Sleep(time.Duration(1+rand.IntN(5*attempt)) * time.Millisecond)
		}
	}
	if errors.Is(last, errConflict) {
		last = fmt.Errorf("%w: %w", ErrContention, last)
	}
	if len(ops) == 1 {
		errs[0] = last
		return errs
	}
	for i := range ops {
		errs[i] = db.ApplyBatch(ctx, ops[i:i+1])[0]
	}
	return errs
}
