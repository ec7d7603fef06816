// Package storetest is the conformance suite every storage engine passes:
// the same tests, run against SQLite and PostgreSQL. Run runs all of it: the
// ledger part (RunLedger: random transfers against a model, contended
// overdraft, concurrent idempotency, batch isolation, invalid transactions,
// the append-only journal) and the domain part (RunDomain: gifting.Service
// driven over the engine — users, purchases, gifts and streaks, streams,
// catalog versions, idempotency, history paging, API keys and settings).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Engine is what the suite needs from a storage engine, for a fresh, migrated
// database. T is the engine's write-batch type.
type Engine[T ledger.Writer] struct {
	Apply    ledger.ApplyFunc[T]
	Snapshot func(ctx context.Context) (ledger.Snapshot, error)
	// Read reads committed domain data (the domain suite needs it).
	Read gifting.Reader
	// Keys stores API keys and settings (the domain suite needs it).
	Keys KeyStore
	// Exec runs one SQL statement on the database; the suite uses it to
	// check that the journal refuses UPDATE and DELETE.
	Exec func(ctx context.Context, query string) error
	// Jobs attaches a job inserter that hands each committed batch's jobs
	// to record (the cash-out suite needs it).
	Jobs func(record func([]ledger.Job))
}

// KeyStore is the API-key and settings part of an engine.
type KeyStore interface {
	auth.KeyStore
	CreateAPIKey(ctx context.Context, k auth.APIKey) error
	ListAPIKeys(ctx context.Context) ([]auth.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	Setting(ctx context.Context, key string, gen func() (string, error)) (string, error)
}

// Open returns a fresh engine for one test, whose clock is now (time.Now
// when nil); it registers its own cleanup.
type Open[T ledger.Writer] func(t *testing.T, now func() time.Time) Engine[T]

// Run runs the whole conformance suite: the ledger part and the domain part.
func Run[T gifting.Tx](t *testing.T, open Open[T]) {
	t.Run("Ledger", func(t *testing.T) { RunLedger(t, open) })
	t.Run("Domain", func(t *testing.T) { RunDomain(t, open) })
}

// RunLedger runs the ledger part of the conformance suite.
func RunLedger[T ledger.Writer](t *testing.T, open Open[T]) {
	t.Run("PropertyRandomTransfers", func(t *testing.T) { t.Parallel(); testProperty(t, open(t, nil)) })
	t.Run("ContendedOverdraft", func(t *testing.T) { t.Parallel(); testOverdraft(t, open(t, nil)) })
	t.Run("IdempotencyConcurrent", func(t *testing.T) { t.Parallel(); testIdempotency(t, open(t, nil)) })
	t.Run("BatchIsolatesFailures", func(t *testing.T) { t.Parallel(); testBatchIsolation(t, open(t, nil)) })
	t.Run("RejectsInvalidTransactions", func(t *testing.T) { t.Parallel(); testInvalid(t, open(t, nil)) })
	t.Run("JournalAppendOnly", func(t *testing.T) { t.Parallel(); testAppendOnly(t, open(t, nil)) })
	t.Run("IdempotencyTwiceInOneBatch", func(t *testing.T) { t.Parallel(); testIdempotencyInBatch(t, open(t, nil)) })
}

func transfer(from, to ledger.AccountID, asset money.Asset, amount int64) ledger.Transaction {
	return ledger.Transaction{Kind: "test", Ref: "t", Postings: []ledger.Posting{{From: from, To: to, Asset: asset, Amount: amount}}}
}

func mustClean[T ledger.Writer](t *testing.T, e Engine[T]) ledger.Snapshot {
	t.Helper()
	s, err := e.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatalf("ledger invariants broken: %v", p)
	}
	return s
}

func balances(s ledger.Snapshot) map[ledger.AccountID]int64 {
	out := map[ledger.AccountID]int64{}
	for _, a := range s.Accounts {
		out[a.ID] = a.Balance
	}
	return out
}

func testProperty[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const users = 12
	model := map[ledger.AccountID]int64{}
	acct := func(i int) ledger.AccountID { return ledger.CoinsOf(fmt.Sprintf("u%d", i)) }
	for round := 0; round < 40; round++ {
		n := 1 + rng.IntN(100)
		ops := make([]func(T) error, n)
		type move struct {
			from, to ledger.AccountID
			amount   int64
		}
		moves := make([]move, n)
		for i := range ops {
			var m move
			if rng.IntN(4) == 0 {
				m = move{ledger.CoinsIssued, acct(rng.IntN(users)), 1 + rng.Int64N(1000)}
			} else {
				a, b := rng.IntN(users), rng.IntN(users-1)
				if b >= a {
					b++
				}
				m = move{acct(a), acct(b), 1 + rng.Int64N(400)}
			}
			moves[i] = m
			ops[i] = func(w T) error { return w.Post(ctx, transfer(m.from, m.to, money.Coin, m.amount)) }
		}
		errs := e.Apply(ctx, ops)
		for i, err := range errs {
			m := moves[i]
			want := model[m.from]-m.amount >= 0 || ledger.AllowsNegative(m.from)
			var ife *ledger.InsufficientFundsError
			switch {
			case err == nil && want:
				model[m.from] -= m.amount
				model[m.to] += m.amount
			case errors.As(err, &ife) && !want:
				if ife.Have != model[m.from] {
					t.Fatalf("round %d op %d: InsufficientFunds.Have = %d, model has %d", round, i, ife.Have, model[m.from])
				}
			default:
				t.Fatalf("round %d op %d (%v): err = %v, model says success=%v", round, i, m, err, want)
			}
		}
		s := mustClean(t, e)
		got := balances(s)
		for id, want := range model {
			if got[id] != want {
				t.Fatalf("round %d: %s = %d, model %d", round, id, got[id], want)
			}
		}
	}
}

func testOverdraft[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	viewer := ledger.CoinsOf("viewer")
	if errs := e.Apply(ctx, []func(T) error{func(w T) error { return w.Post(ctx, transfer(ledger.CoinsIssued, viewer, money.Coin, 500)) }}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 16, Queue: 1000}, e.Apply)
	b.Start()
	defer b.Stop()
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.Do(ctx, func(w T) error { return w.Post(ctx, transfer(viewer, ledger.CoinsSpent, money.Coin, 10)) })
			var ife *ledger.InsufficientFundsError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ife):
				refused.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 50 || refused.Load() != 50 {
		t.Fatalf("succeeded %d, refused %d; want 50 and 50", ok.Load(), refused.Load())
	}
	if got := balances(mustClean(t, e))[viewer]; got != 0 {
		t.Fatalf("viewer balance %d, want 0", got)
	}
}

func testIdempotency[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 8, Queue: 100}, e.Apply)
	b.Start()
	defer b.Stop()
	to := ledger.CoinsOf("buyer")
	var effects atomic.Int64
	request := func(amount int64) (int, []byte, bool, error) {
		var status int
		var body []byte
		var replay bool
		err := b.Do(ctx, func(w T) error {
			var err error
			status, body, replay, err = ledger.Once(ctx, w, "k1", ledger.HashRequest([]byte(fmt.Sprint(amount))), func() (int, []byte, error) {
				if err := w.Post(ctx, transfer(ledger.CoinsIssued, to, money.Coin, amount)); err != nil {
					return 0, nil, err
				}
				w.AfterCommit(func() { effects.Add(1) })
				bal, err := w.Balance(ctx, to)
				return 201, []byte(fmt.Sprintf(`{"balance":%d}`, bal)), err
			})
			return err
		})
		return status, body, replay, err
	}
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	replays := make([]bool, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body, replay, err := request(70)
			if err != nil || status != 201 {
				t.Errorf("request %d: status %d err %v", i, status, err)
			}
			bodies[i], replays[i] = string(body), replay
		}()
	}
	wg.Wait()
	firsts := 0
	for i := range 20 {
		if bodies[i] != `{"balance":70}` {
			t.Errorf("response %d = %s, want the first response", i, bodies[i])
		}
		if !replays[i] {
			firsts++
		}
	}
	if firsts != 1 || effects.Load() != 1 {
		t.Fatalf("%d requests executed, %d effects; want exactly 1", firsts, effects.Load())
	}
	if _, _, _, err := request(350); !errors.Is(err, ledger.ErrIdempotencyConflict) {
		t.Fatalf("same key, other body: err = %v, want ErrIdempotencyConflict", err)
	}
	if got := balances(mustClean(t, e))[to]; got != 70 {
		t.Fatalf("balance %d, want 70 (one effect)", got)
	}
}

func testBatchIsolation[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	a, c := ledger.CoinsOf("a"), ledger.CoinsOf("c")
	ops := []func(T) error{
		func(w T) error { return w.Post(ctx, transfer(ledger.CoinsIssued, a, money.Coin, 100)) },
		func(w T) error { return w.Post(ctx, transfer(a, c, money.Coin, 60)) },
		func(w T) error { return w.Post(ctx, transfer(a, c, money.Coin, 60)) }, // fails: 40 left
		func(w T) error {
			if err := w.Post(ctx, transfer(a, c, money.Coin, 10)); err != nil {
				return err
			}
			return errors.New("domain rule failed after posting") // must undo its posting
		},
		func(w T) error { return w.Post(ctx, transfer(a, c, money.Coin, 40)) },
	}
	errs := e.Apply(ctx, ops)
	var ife *ledger.InsufficientFundsError
	if errs[0] != nil || errs[1] != nil || !errors.As(errs[2], &ife) || errs[3] == nil || errs[4] != nil {
		t.Fatalf("errors = %v", errs)
	}
	if ife.Have != 40 || ife.Need != 60 {
		t.Fatalf("insufficient funds detail: have %d need %d, want 40 and 60", ife.Have, ife.Need)
	}
	bal := balances(mustClean(t, e))
	if bal[a] != 0 || bal[c] != 100 {
		t.Fatalf("a=%d c=%d, want 0 and 100", bal[a], bal[c])
	}
}

func testInvalid[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	a := ledger.CoinsOf("a")
	cases := []ledger.Transaction{
		transfer(ledger.CoinsIssued, a, money.Coin, 0),
		transfer(ledger.CoinsIssued, a, money.Coin, -5),
		transfer(a, a, money.Coin, 1),
		transfer(ledger.CoinsIssued, a, "XXX", 1),
		{Kind: "empty"},
	}
	for i, tr := range cases {
		errs := e.Apply(ctx, []func(T) error{func(w T) error { return w.Post(ctx, tr) }})
		if !errors.Is(errs[0], ledger.ErrInvalidTransaction) {
			t.Errorf("case %d: err = %v, want ErrInvalidTransaction", i, errs[0])
		}
	}
	// An account keeps its asset.
	errs := e.Apply(ctx, []func(T) error{
		func(w T) error { return w.Post(ctx, transfer(ledger.CoinsIssued, a, money.Coin, 5)) },
		func(w T) error { return w.Post(ctx, transfer(ledger.DiamondsIssued, a, money.Diamond, 5)) },
	})
	if errs[0] != nil || !errors.Is(errs[1], ledger.ErrInvalidTransaction) {
		t.Fatalf("asset mismatch: errs = %v", errs)
	}
	mustClean(t, e)
}

func testAppendOnly[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	a := ledger.CoinsOf("a")
	if errs := e.Apply(ctx, []func(T) error{func(w T) error { return w.Post(ctx, transfer(ledger.CoinsIssued, a, money.Coin, 7)) }}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if s := mustClean(t, e); !s.AppendOnlyGuard {
		t.Fatal("snapshot: append-only guard missing")
	}
	if e.Exec == nil {
		t.Skip("engine gives no Exec")
	}
	for _, q := range []string{
		"UPDATE transactions SET kind = 'edited'",
		"DELETE FROM transactions",
		"UPDATE postings SET amount = amount + 1",
		"DELETE FROM postings",
	} {
		if err := e.Exec(ctx, q); err == nil {
			t.Errorf("%s: succeeded, want the journal to refuse it", q)
		}
	}
	if got := balances(mustClean(t, e))[a]; got != 7 {
		t.Fatalf("balance %d after refused edits, want 7", got)
	}
}

// testIdempotencyInBatch sends one key twice in one batch: the second
// request replays the first, which the batch has not committed yet.
func testIdempotencyInBatch[T ledger.Writer](t *testing.T, e Engine[T]) {
	ctx := context.Background()
	to := ledger.CoinsOf("buyer")
	replays := make([]bool, 3)
	op := func(i int) func(T) error {
		return func(w T) error {
			_, _, replay, err := ledger.Once(ctx, w, "same", "h", func() (int, []byte, error) {
				return 201, []byte("first"), w.Post(ctx, transfer(ledger.CoinsIssued, to, money.Coin, 5))
			})
			replays[i] = replay
			return err
		}
	}
	errs := e.Apply(ctx, []func(T) error{op(0), op(1), op(2)})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if replays[0] || !replays[1] || !replays[2] {
		t.Fatalf("replays %v, want the first to run and the others to replay", replays)
	}
	if got := balances(mustClean(t, e))[to]; got != 5 {
		t.Fatalf("balance %d, want 5 (one effect)", got)
	}
}
