package ledger

import (
	"context"
	"errors"
	"runtime/pprof"
	"sync"
	"time"
)

// ErrOverloaded is returned by Batcher.Do when the queue is full: the caller
// should retry later (HTTP 503 with Retry-After).
var ErrOverloaded = errors.New("ledger: write queue is full")

// ErrContention is returned (wrapped) by an engine for a write that kept
// conflicting with other nodes' writes after its retries: the caller should
// retry later (HTTP 503 with Retry-After). Nothing was applied.
var ErrContention = errors.New("ledger: the write kept conflicting with other nodes")

// ErrStopped is returned by Batcher.Do after Stop.
var ErrStopped = errors.New("ledger: writer is stopped")

// ApplyFunc runs ops in one database transaction, each op isolated (a failed
// op's writes are undone, the others proceed), commits once, and returns one
// error per op. If the commit itself fails, every op's error is non-nil.
type ApplyFunc[T any] func(ctx context.Context, ops []func(T) error) []error

// BatcherConfig tunes group commit.
type BatcherConfig struct {
	MaxBatch int           // most requests per transaction; 1 disables batching
	MaxWait  time.Duration // how long the writer waits to fill a batch once it has one request
	Queue    int           // requests that may wait; beyond it Do returns ErrOverloaded
	// Observe, when set, is told the size and duration of every batch.
	Observe func(size int, d time.Duration)
}

type request[T any] struct {
	op   func(T) error
	done chan error
}

// Batcher is the single writer of glint: every ledger write goes through it.
// Requests queue; one goroutine takes up to MaxBatch of them, applies them in
// one transaction through ApplyFunc, and answers each.
type Batcher[T any] struct {
	cfg   BatcherConfig
	apply ApplyFunc[T]
	queue chan *request[T]

	mu      sync.RWMutex
	stopped bool
	wg      sync.WaitGroup
}

// NewBatcher returns a Batcher; call Start before Do.
func NewBatcher[T any](cfg BatcherConfig, apply ApplyFunc[T]) *Batcher[T] {
	if cfg.MaxBatch < 1 {
		cfg.MaxBatch = 1
	}
	if cfg.Queue < cfg.MaxBatch {
		cfg.Queue = cfg.MaxBatch
	}
	return &Batcher[T]{cfg: cfg, apply: apply, queue: make(chan *request[T], cfg.Queue)}
}

// Start runs the writer until Stop.
func (b *Batcher[T]) Start() {
	b.wg.Add(1)
	go pprof.Do(context.Background(), pprof.Labels("glint", "writer"), func(context.Context) { b.run() })
}

// Stop refuses new requests, answers every accepted one, and returns when
// the writer has finished.
func (b *Batcher[T]) Stop() {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Do queues op and waits for its answer: nil once its writes are committed,
// or the op's own error, or a commit error. It returns ErrOverloaded at once
// when the queue is full and ErrStopped after Stop. A caller whose ctx ends
// while waiting gets ctx.Err(), but the op may still commit.
func (b *Batcher[T]) Do(ctx context.Context, op func(T) error) error {
	return b.DoMany(ctx, []func(T) error{op})[0]
}

// Pending returns the number of queued requests.
func (b *Batcher[T]) Pending() int { return len(b.queue) }

func (b *Batcher[T]) run() {
	defer b.wg.Done()
	batch := make([]*request[T], 0, b.cfg.MaxBatch)
	ops := make([]func(T) error, 0, b.cfg.MaxBatch)
	var timer *time.Timer
	for {
		first, ok := <-b.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		open := true
		// Take whatever is already queued, then wait up to MaxWait for more.
	fill:
		for len(batch) < b.cfg.MaxBatch {
			select {
			case r, ok := <-b.queue:
				if !ok {
					open = false
					break fill
				}
				batch = append(batch, r)
				continue
			default:
			}
			if b.cfg.MaxWait <= 0 {
				break
			}
			if timer == nil {
				timer = time.NewTimer(b.cfg.MaxWait)
			} else {
				timer.Reset(b.cfg.MaxWait)
			}
			select {
			case r, ok := <-b.queue:
				timer.Stop()
				if !ok {
					open = false
					break fill
				}
				batch = append(batch, r)
			case <-timer.C:
				break fill
			}
		}
		ops = ops[:0]
		for _, r := range batch {
			ops = append(ops, r.op)
		}
		// The writer's context is never cancelled: an accepted request is
		// always answered with the truth about its commit.
		start := time.Now()
		errs := b.apply(context.Background(), ops)
		if b.cfg.Observe != nil {
			b.cfg.Observe(len(ops), time.Since(start))
		}
		for i, r := range batch {
			r.done <- errs[i]
		}
		if !open {
			// Drain what is left after Stop closed the queue.
			for r := range b.queue {
				r.done <- b.apply(context.Background(), []func(T) error{r.op})[0]
			}
			return
		}
	}
}

// DoMany queues ops together and waits for all of them; it returns one
// error per op. Ops that do not fit in the queue get ErrOverloaded.
func (b *Batcher[T]) DoMany(ctx context.Context, ops []func(T) error) []error {
	errs := make([]error, len(ops))
	reqs := make([]*request[T], len(ops))
	b.mu.RLock()
	if b.stopped {
		b.mu.RUnlock()
		for i := range errs {
			errs[i] = ErrStopped
		}
		return errs
	}
	for i, op := range ops {
		r := &request[T]{op: op, done: make(chan error, 1)}
		select {
		case b.queue <- r:
			reqs[i] = r
		default:
			errs[i] = ErrOverloaded
		}
	}
	b.mu.RUnlock()
	for i, r := range reqs {
		if r == nil {
			continue
		}
		select {
		case errs[i] = <-r.done:
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	return errs
}
