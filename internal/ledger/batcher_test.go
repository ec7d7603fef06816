package ledger_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
)

// fakeStore applies ops to an in-memory counter, one "transaction" per
// batch, and can be held to simulate a slow disk.
type fakeStore struct {
	mu      sync.Mutex
	applied map[int]bool
	hold    chan struct{}
	batches atomic.Int64
	inFirst atomic.Int64 // size of the first batch, known before it is held
}

type fakeTx struct{ s *fakeStore }

func (s *fakeStore) apply(_ context.Context, ops []func(*fakeTx) error) []error {
	s.inFirst.CompareAndSwap(0, int64(len(ops)))
	if s.hold != nil {
		<-s.hold
	}
	s.batches.Add(1)
	errs := make([]error, len(ops))
	for i, op := range ops {
		errs[i] = op(&fakeTx{s})
	}
	return errs
}

func TestBatcherSaturationAnswers503AndLosesNothing(t *testing.T) {
	t.Parallel()
	s := &fakeStore{applied: map[int]bool{}, hold: make(chan struct{})}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 4, Queue: 8}, s.apply)
	b.Start()
	defer b.Stop()

	const n = 64
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.Do(context.Background(), func(tx *fakeTx) error {
				tx.s.mu.Lock()
				defer tx.s.mu.Unlock()
				if tx.s.applied[i] {
					return errors.New("applied twice")
				}
				tx.s.applied[i] = true
				return nil
			})
		}()
	}
	// Wait until the queue is full and the rest were refused.
	deadline := time.Now().Add(5 * time.Second)
	for b.Pending() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(s.hold) // the disk is back
	wg.Wait()

	var ok, overloaded int
	for i, err := range results {
		switch {
		case err == nil:
			ok++
			if !s.applied[i] {
				t.Errorf("request %d was acknowledged but not applied", i)
			}
		case errors.Is(err, ledger.ErrOverloaded):
			overloaded++
			if s.applied[i] {
				t.Errorf("request %d was refused as overloaded but applied", i)
			}
		default:
			t.Errorf("request %d: %v", i, err)
		}
	}
	if overloaded == 0 {
		t.Fatal("a saturated queue refused nothing")
	}
	if ok+overloaded != n || ok != len(s.applied) {
		t.Fatalf("ok %d + overloaded %d != %d, applied %d", ok, overloaded, n, len(s.applied))
	}
	// The queue bound holds: at most Queue waiting plus one batch in the writer.
	if ok > 8+4 {
		t.Fatalf("%d requests were accepted; the bound is 8 queued + 4 in the writer", ok)
	}
}

func TestBatcherStopDrainsEveryAcceptedRequest(t *testing.T) {
	t.Parallel()
	s := &fakeStore{applied: map[int]bool{}}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 16, Queue: 4096}, func(ctx context.Context, ops []func(*fakeTx) error) []error {
		time.Sleep(200 * time.Microsecond) // a commit
		return s.apply(ctx, ops)
	})
	b.Start()
	const n = 2000
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.Do(context.Background(), func(tx *fakeTx) error {
				tx.s.mu.Lock()
				tx.s.applied[i] = true
				tx.s.mu.Unlock()
				return nil
			})
		}()
		if i == n/2 {
			go b.Stop()
		}
	}
	wg.Wait()
	b.Stop()
	var ok, stopped int
	for i, err := range results {
		switch {
		case err == nil:
			ok++
			if !s.applied[i] {
				t.Errorf("request %d acknowledged but not applied", i)
			}
		case errors.Is(err, ledger.ErrStopped):
			stopped++
			if s.applied[i] {
				t.Errorf("request %d refused after stop but applied", i)
			}
		default:
			t.Errorf("request %d: %v", i, err)
		}
	}
	if ok != len(s.applied) || ok+stopped != n {
		t.Fatalf("ok %d stopped %d applied %d", ok, stopped, len(s.applied))
	}
	if ok == 0 {
		t.Fatal("nothing was applied before stop")
	}
}

func TestBatcherGroupsRequests(t *testing.T) {
	t.Parallel()
	s := &fakeStore{applied: map[int]bool{}, hold: make(chan struct{})}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 100, Queue: 1000}, s.apply)
	b.Start()
	defer b.Stop()
	var wg sync.WaitGroup
	for i := 0; i < 201; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Do(context.Background(), func(*fakeTx) error { return nil })
		}()
	}
	// Wait until every request is either in the held first batch or queued.
	deadline := time.Now().Add(10 * time.Second)
	for int64(b.Pending())+s.inFirst.Load() < 201 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests queued, %d in the writer", b.Pending(), s.inFirst.Load())
		}
		time.Sleep(time.Millisecond)
	}
	close(s.hold)
	wg.Wait()
	// 201 requests: the first batch may hold 1, then batches of up to 100.
	if got := s.batches.Load(); got > 4 {
		t.Fatalf("201 queued requests took %d transactions; group commit should need at most 4", got)
	}
}
