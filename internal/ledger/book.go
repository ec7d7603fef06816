package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/glint-economy/glint/internal/money"
)

// Reader is what a Book needs from the database, read inside the write
// transaction the Book belongs to.
type Reader interface {
	// Account returns the asset and stored balance of an account; found is
	// false when the account does not exist yet.
	Account(ctx context.Context, id AccountID) (asset money.Asset, balance int64, found bool, err error)
	// Idempotency returns the stored record for key, or nil when there is none.
	Idempotency(ctx context.Context, key string) (*IdempotencyRecord, error)
}

type bookAccount struct {
	asset   money.Asset
	base    int64 // balance stored in the database when the batch began
	delta   int64 // sum of this batch's postings
	existed bool
}

// Book is the in-memory state of one write batch: the transactions posted so
// far, the balance change of every account they touched (summed, so a hot
// account costs one update per batch), and the idempotency records to store.
// A Book is used by one goroutine, the batch writer.
type Book struct {
	r     Reader
	now   time.Time
	acct  map[AccountID]*bookAccount
	txs   []Transaction
	idem  []IdempotencyRecord
	undo  []func()
	post  []func()
	jobs  []Job
	cache map[string]any
}

// Job is background work (a payout, a webhook delivery) that a request
// enqueues with its ledger write: the engine inserts the batch's jobs in the
// same database transaction, so a job exists if and only if the write that
// asked for it committed. Kind names the job's worker; the value is stored
// as JSON.
type Job interface{ Kind() string }

// NewBook starts a batch over r; now is the batch's fixed clock reading.
func NewBook(r Reader, now time.Time) *Book {
	return &Book{r: r, now: now, acct: map[AccountID]*bookAccount{}}
}

// Now returns the batch's clock reading: every record of the batch carries it.
func (b *Book) Now() time.Time { return b.now }

func (b *Book) account(ctx context.Context, id AccountID) (*bookAccount, error) {
	if a, ok := b.acct[id]; ok {
		return a, nil
	}
	asset, bal, found, err := b.r.Account(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("ledger: read account %s: %w", id, err)
	}
	a := &bookAccount{asset: asset, base: bal, existed: found}
	b.acct[id] = a
	return a, nil
}

// Balance returns an account's balance including this batch's postings
// (0 for an account that does not exist yet).
func (b *Book) Balance(ctx context.Context, id AccountID) (int64, error) {
	a, err := b.account(ctx, id)
	if err != nil {
		return 0, err
	}
	return a.base + a.delta, nil
}

// Post validates t, checks that no account that must stay non-negative goes
// below zero, and adds t to the batch. On an error nothing is changed.
// Errors: a wrapped ErrInvalidTransaction, an *InsufficientFundsError, or a
// database read error.
func (b *Book) Post(ctx context.Context, t Transaction) error {
	if err := Validate(&t); err != nil {
		return err
	}
	change := map[AccountID]int64{}
	order := make([]AccountID, 0, 2*len(t.Postings))
	for _, p := range t.Postings {
		for _, id := range []AccountID{p.From, p.To} {
			a, err := b.account(ctx, id)
			if err != nil {
				return err
			}
			if a.existed || a.asset != "" {
				if a.asset != p.Asset {
					return fmt.Errorf("%w: account %s holds %s, not %s", ErrInvalidTransaction, id, a.asset, p.Asset)
				}
			}
			if _, seen := change[id]; !seen {
				order = append(order, id)
				change[id] = 0
			}
		}
		var err error
		if change[p.From], err = money.Sub(change[p.From], p.Amount); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidTransaction, p.From, err)
		}
		if change[p.To], err = money.Add(change[p.To], p.Amount); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidTransaction, p.To, err)
		}
	}
	for _, id := range order {
		a := b.acct[id]
		cur := a.base + a.delta
		next, err := money.Add(cur, change[id])
		if err != nil {
			return fmt.Errorf("%w: balance of %s: %v", ErrInvalidTransaction, id, err)
		}
		if next < 0 && !AllowsNegative(id) {
			asset := a.asset
			if asset == "" {
				asset = assetOf(t, id)
			}
			return &InsufficientFundsError{Account: id, Asset: asset, Have: cur, Need: -change[id]}
		}
	}
	// Apply: nothing below can fail.
	for _, id := range order {
		a := b.acct[id]
		d := change[id]
		prevAsset := a.asset
		if a.asset == "" {
			a.asset = assetOf(t, id)
		}
		a.delta += d
		b.undo = append(b.undo, func() { a.delta -= d; a.asset = prevAsset })
	}
	t.CreatedAt = b.now
	b.txs = append(b.txs, t)
	n := len(b.txs) - 1
	b.undo = append(b.undo, func() { b.txs = b.txs[:n] })
	return nil
}

func assetOf(t Transaction, id AccountID) money.Asset {
	for _, p := range t.Postings {
		if p.From == id || p.To == id {
			return p.Asset
		}
	}
	return ""
}

// Idempotency returns the record stored for key in this batch or in the
// database, or nil.
func (b *Book) Idempotency(ctx context.Context, key string) (*IdempotencyRecord, error) {
	for i := len(b.idem) - 1; i >= 0; i-- {
		if b.idem[i].Key == key {
			r := b.idem[i]
			return &r, nil
		}
	}
	rec, err := b.r.Idempotency(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("ledger: read idempotency key: %w", err)
	}
	return rec, nil
}

// SaveIdempotency stores the outcome of a request in the batch.
func (b *Book) SaveIdempotency(rec IdempotencyRecord) {
	rec.CreatedAt = b.now
	b.idem = append(b.idem, rec)
	n := len(b.idem) - 1
	b.undo = append(b.undo, func() { b.idem = b.idem[:n] })
}

// OnUndo registers fn to run if the current request is rolled back. Engines
// use it for their own buffered rows.
func (b *Book) OnUndo(fn func()) { b.undo = append(b.undo, fn) }

// AfterCommit registers fn to run once the batch has committed (events,
// notifications). It is discarded if the request is rolled back.
func (b *Book) AfterCommit(fn func()) {
	b.post = append(b.post, fn)
	n := len(b.post) - 1
	b.undo = append(b.undo, func() { b.post = b.post[:n] })
}

// Enqueue adds a job to the batch; it is undone with the request.
func (b *Book) Enqueue(j Job) {
	b.jobs = append(b.jobs, j)
	n := len(b.jobs) - 1
	b.undo = append(b.undo, func() { b.jobs = b.jobs[:n] })
}

// Jobs returns the jobs to insert with the batch.
func (b *Book) Jobs() []Job { return b.jobs }

// Mark returns a point the batch can be rolled back to.
func (b *Book) Mark() int { return len(b.undo) }

// Rollback undoes everything done since mark, newest first.
func (b *Book) Rollback(mark int) {
	for i := len(b.undo) - 1; i >= mark; i-- {
		b.undo[i]()
	}
	b.undo = b.undo[:mark]
}

// Transactions returns the batch's transactions, in posting order.
func (b *Book) Transactions() []Transaction { return b.txs }

// IdempotencyRecords returns the records to store.
func (b *Book) IdempotencyRecords() []IdempotencyRecord { return b.idem }

// Committed runs the after-commit functions; the engine calls it once the
// batch is durable.
func (b *Book) Committed() {
	for _, fn := range b.post {
		fn()
	}
}

// BalanceChange is the net change of one account in a batch.
type BalanceChange struct {
	Account AccountID
	Asset   money.Asset
	Delta   int64
	Balance int64 // the balance after the batch
	New     bool  // the account does not exist in the database yet
}

// Changes returns the net change of every account the batch touched, in
// account order (so engines lock and update rows in a stable order).
func (b *Book) Changes() []BalanceChange {
	out := make([]BalanceChange, 0, len(b.acct))
	for id, a := range b.acct {
		if a.delta == 0 && (a.existed || a.asset == "") {
			continue
		}
		out = append(out, BalanceChange{Account: id, Asset: a.asset, Delta: a.delta, Balance: a.base + a.delta, New: !a.existed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// The batch's read cache: engines keep the domain rows a batch has read or
// written (users, streams, streaks …) here, so that later requests of the
// batch see them without another query. Writes are undone with the request
// that made them; reads are not (they stay true for the batch).

// Cached returns the value cached under key.
func (b *Book) Cached(key string) (any, bool) {
	v, ok := b.cache[key]
	return v, ok
}

// Remember caches a value read from the database under key.
func (b *Book) Remember(key string, v any) {
	if b.cache == nil {
		b.cache = map[string]any{}
	}
	b.cache[key] = v
}

// SetCached caches a value the current request wrote; it is undone with the
// request.
func (b *Book) SetCached(key string, v any) {
	prev, had := b.Cached(key)
	b.Remember(key, v)
	b.undo = append(b.undo, func() {
		if had {
			b.cache[key] = prev
		} else {
			delete(b.cache, key)
		}
	})
}

// CachedLoad returns the value cached under key, or loads and caches it. A
// load that returns ErrNotFound is cached as not found too.
func CachedLoad[V any](b *Book, key string, load func() (V, error)) (V, error) {
	if v, ok := b.Cached(key); ok {
		if err, isErr := v.(error); isErr {
			var zero V
			return zero, err
		}
		return v.(V), nil
	}
	v, err := load()
	if errors.Is(err, ErrNotFound) {
		b.Remember(key, err)
		return v, err
	}
	if err != nil {
		return v, err
	}
	b.Remember(key, v)
	return v, nil
}
