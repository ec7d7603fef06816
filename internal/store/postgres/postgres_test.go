package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func testDSN(t *testing.T) string { return storetest.PostgresDSN(t) }

func open(t *testing.T, dsn string, now func() time.Time) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: now, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func engine(t *testing.T, now func() time.Time) storetest.Engine[*postgres.Tx] {
	db := open(t, testDSN(t), now)
	return storetest.Engine[*postgres.Tx]{
		Apply: db.ApplyBatch, Snapshot: db.Snapshot, Read: db, Keys: db,
		Exec: func(ctx context.Context, query string) error {
			_, err := db.Pool().Exec(ctx, query)
			return err
		},
		Jobs: func(record func([]ledger.Job)) {
			db.SetJobInserter(func(_ context.Context, _ pgx.Tx, js []ledger.Job) error {
				record(js)
				return nil
			})
		},
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, engine)
}

func TestCashoutConformance(t *testing.T) {
	t.Parallel()
	storetest.RunCashout(t, engine)
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	versions := make([]int64, 4)
	errs := make([]error, 4)
	for i := range versions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			versions[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i := range versions {
		if errs[i] != nil || versions[i] != versions[0] || versions[0] < 2 {
			t.Fatalf("node %d: version %d err %v (versions %v)", i, versions[i], errs[i], versions)
		}
	}
	db := open(t, dsn, nil)
	if err := db.SchemaCurrent(ctx); err != nil {
		t.Fatalf("schema current after migrate: %v", err)
	}
}

func TestSchemaOutdated(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(context.Background(), testDSN(t), postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SchemaCurrent(context.Background()); !errors.Is(err, postgres.ErrSchemaOutdated) {
		t.Fatalf("empty database: %v, want ErrSchemaOutdated", err)
	}
}

// TestTwoWritersOneDatabase runs two engines (two nodes, each with its own
// pool and batcher) on one database: a wallet debited from both never goes
// below zero and exactly what it can afford succeeds; a key used on both
// applies once.
func TestTwoWritersOneDatabase(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	ctx := context.Background()
	nodes := []*postgres.DB{open(t, dsn, nil), open(t, dsn, nil)}
	var batchers []*ledger.Batcher[*postgres.Tx]
	for _, db := range nodes {
		b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 32, MaxWait: time.Millisecond, Queue: 4096}, db.ApplyBatch)
		b.Start()
		t.Cleanup(b.Stop)
		batchers = append(batchers, b)
	}
	post := func(from, to ledger.AccountID, n int64) func(*postgres.Tx) error {
		return func(w *postgres.Tx) error {
			return w.Post(ctx, ledger.Transaction{Kind: "test", Ref: "r", Postings: []ledger.Posting{{From: from, To: to, Asset: money.Coin, Amount: n}}})
		}
	}
	const viewers = 8
	for v := range viewers {
		if err := batchers[0].Do(ctx, post(ledger.CoinsIssued, ledger.CoinsOf(fmt.Sprint("v", v)), 500)); err != nil {
			t.Fatal(err)
		}
	}
	// 8 viewers × 100 debits of 10 from 500 coins, spread over both nodes:
	// exactly 50 per viewer succeed.
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range viewers * 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := ledger.CoinsOf(fmt.Sprint("v", i%viewers))
			to := ledger.CoinsOf(fmt.Sprint("c", i%3))
			err := batchers[i%2].Do(ctx, post(v, to, 10))
			var ife *ledger.InsufficientFundsError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ife):
				refused.Add(1)
			default:
				t.Errorf("debit %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != viewers*50 || refused.Load() != viewers*50 {
		t.Fatalf("succeeded %d, refused %d; want %d each", ok.Load(), refused.Load(), viewers*50)
	}
	// One idempotency key through both nodes at once: one effect.
	var effects atomic.Int64
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := batchers[i%2].Do(ctx, func(w *postgres.Tx) error {
				_, body, _, err := ledger.Once(ctx, w, "shared-key", "h", func() (int, []byte, error) {
					if err := post(ledger.CoinsIssued, ledger.CoinsOf("buyer"), 70)(w); err != nil {
						return 0, nil, err
					}
					w.AfterCommit(func() { effects.Add(1) })
					return 201, []byte(fmt.Sprintf("node %d", i%2)), nil
				})
				bodies[i] = string(body)
				return err
			})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if effects.Load() != 1 {
		t.Fatalf("%d effects, want 1", effects.Load())
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("answers differ: %q", bodies)
		}
	}
	t.Logf("batches retried after meeting the other node: %d and %d", nodes[0].Retries(), nodes[1].Retries())
	s, err := nodes[1].Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatalf("ledger: %v", p)
	}
	for _, a := range s.Accounts {
		if a.ID == ledger.CoinsOf("buyer") && a.Balance != 70 {
			t.Fatalf("buyer holds %d, want 70", a.Balance)
		}
		if a.ID == ledger.CoinsOf("v0") && a.Balance != 0 {
			t.Fatalf("v0 holds %d, want 0", a.Balance)
		}
	}
}

// TestSameKeyInOneBatchCommitsOnce checks that a key used twice in one batch
// is answered from the batch itself, without retrying the batch.
func TestSameKeyInOneBatchCommitsOnce(t *testing.T) {
	t.Parallel()
	db := open(t, testDSN(t), nil)
	ctx := context.Background()
	op := func(w *postgres.Tx) error {
		_, _, _, err := ledger.Once(ctx, w, "k", "h", func() (int, []byte, error) {
			return 201, []byte("x"), w.Post(ctx, ledger.Transaction{Kind: "test", Ref: "r", Postings: []ledger.Posting{{From: ledger.CoinsIssued, To: ledger.CoinsOf("b"), Asset: money.Coin, Amount: 1}}})
		})
		return err
	}
	for i, err := range db.ApplyBatch(ctx, []func(*postgres.Tx) error{op, op}) {
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	if n := db.Retries(); n != 0 {
		t.Fatalf("the batch was retried %d times, want 0", n)
	}
}

func TestTrustConformance(t *testing.T) {
	t.Parallel()
	storetest.RunTrust(t, engine)
}

func TestBank(t *testing.T) {
	t.Parallel()
	storetest.RunBank(t, engine)
}
