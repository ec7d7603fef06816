// Package jobs runs glint's background work on River (riverqueue), on both
// storage engines: paying withdrawals, delivering signed webhooks to the
// platform, refreshing FX rates. Jobs are inserted by the storage engine in
// the same transaction as the ledger write that asks for them (see
// ledger.Book.Enqueue), so a job exists if and only if its write committed.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/webhooks"
)

// Config says what the runner does.
type Config struct {
	// Cashout pays withdrawals (the payout job).
	Cashout *cashout.Service
	// Webhooks delivers events to the platform; nil when no URL is set.
	Webhooks *webhooks.Sender
	// RefreshFX refreshes the FX table; nil when no source is configured.
	// It runs at start and then every FXEvery (default 24 h).
	RefreshFX func(ctx context.Context) error
	FXEvery   time.Duration
	Logger    *slog.Logger
	// Workers is how many jobs run at once (default 4).
	Workers int
	// Poll is how often a runner looks for new jobs (default 200 ms on
	// SQLite, which has no LISTEN; PostgreSQL is notified at once).
	Poll time.Duration
	// InsertOnly builds a runner that inserts jobs but works none (for
	// one-shot commands such as `glint payouts mark`).
	InsertOnly bool
	// Periodic is recurring upkeep (releasing pending diamonds, forfeiting
	// terminated accounts), each run by one node at a time.
	Periodic []Periodic
}

// Periodic is a recurring job: Run every Every, from start.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// PeriodicJob runs the Periodic of its name.
type PeriodicJob struct {
	Name string `json:"name"`
}

// Kind implements river.JobArgs.
func (PeriodicJob) Kind() string { return "periodic" }

type periodicWorker struct {
	river.WorkerDefaults[PeriodicJob]
	runs map[string]func(ctx context.Context) error
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicJob]) error {
	run, ok := w.runs[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("no periodic job %q on this node", job.Args.Name))
	}
	return run(ctx)
}

// Runner is a River client attached to a storage engine.
type Runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// AttachSQLite builds a runner over a SQLite database and attaches its job
// inserter to the engine. River shares the engine's single write
// connection (SQLite has one writer).
func AttachSQLite(db *sqlite.DB, cfg Config) (Runner, error) {
	c, err := newClient(riversqlite.New(db.WriteDB()), cfg, 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	db.SetJobInserter(func(ctx context.Context, tx *sql.Tx, js []ledger.Job) error { return insert(ctx, c, tx, js) })
	return c, nil
}

// AttachPostgres builds a runner over a PostgreSQL database and attaches its
// job inserter to the engine.
func AttachPostgres(db *postgres.DB, cfg Config) (Runner, error) {
	c, err := newClient(riverpgxv5.New(db.Pool()), cfg, time.Second)
	if err != nil {
		return nil, err
	}
	db.SetJobInserter(func(ctx context.Context, tx pgx.Tx, js []ledger.Job) error { return insert(ctx, c, tx, js) })
	return c, nil
}

func insert[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, js []ledger.Job) error {
	params := make([]river.InsertManyParams, len(js))
	for i, j := range js {
		params[i] = river.InsertManyParams{Args: j}
	}
	_, err := c.InsertManyTx(ctx, tx, params)
	return err
}

func newClient[TTx any](driver riverdriver.Driver[TTx], cfg Config, poll time.Duration) (*river.Client[TTx], error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Poll > 0 {
		poll = cfg.Poll
	}
	if cfg.FXEvery <= 0 {
		cfg.FXEvery = 24 * time.Hour
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &payoutWorker{svc: cfg.Cashout, log: cfg.Logger})
	river.AddWorker(workers, &notifyWorker{sender: cfg.Webhooks})
	river.AddWorker(workers, &fxWorker{refresh: cfg.RefreshFX})
	runs := map[string]func(ctx context.Context) error{}
	for _, p := range cfg.Periodic {
		runs[p.Name] = p.Run
	}
	river.AddWorker(workers, &periodicWorker{runs: runs})
	rc := &river.Config{
		Workers:           workers,
		Logger:            cfg.Logger.With("component", "jobs"),
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		MaxAttempts:       20,
		// A job that was running when its node died (kill -9, a crash) is
		// retried once it is older than this; River's default is an hour,
		// which held a creator's payout (and the periodic jobs, unique
		// while running) that long after a crash. Every job stops at
		// JobTimeout, so nothing alive is taken over, and every job is
		// safe to run again (the payout's provider call is idempotent by
		// withdrawal id).
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
	}
	if !cfg.InsertOnly {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if cfg.RefreshFX != nil {
			rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.FXEvery),
				func() (river.JobArgs, *river.InsertOpts) { return FXRefreshJob{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
		}
		for _, p := range cfg.Periodic {
			args := PeriodicJob{Name: p.Name}
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
				func() (river.JobArgs, *river.InsertOpts) {
					return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
				}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return c, nil
}

// payoutWorker pays a withdrawal. An error is retried by River with
// exponential backoff, up to MaxAttempts; the provider's idempotency on the
// withdrawal id makes each retry safe.
type payoutWorker struct {
	river.WorkerDefaults[cashout.PayoutJob]
	svc *cashout.Service
	log *slog.Logger
}

func (w *payoutWorker) Work(ctx context.Context, job *river.Job[cashout.PayoutJob]) error {
	if w.svc == nil {
		return errors.New("jobs: no cash-out service")
	}
	got, err := w.svc.Process(ctx, job.Args.WithdrawalID)
	if err != nil {
		w.log.Warn("payout attempt failed", "withdrawal", job.Args.WithdrawalID, "attempt", job.Attempt, "err", err)
		return err
	}
	w.log.Info("payout", "withdrawal", got.ID, "status", got.Status)
	return nil
}

// notifyWorker delivers a webhook. A permanent refusal (a 4xx from the
// platform) cancels the job; anything else is retried.
type notifyWorker struct {
	river.WorkerDefaults[cashout.NotifyJob]
	sender *webhooks.Sender
}

func (w *notifyWorker) Work(ctx context.Context, job *river.Job[cashout.NotifyJob]) error {
	if w.sender == nil {
		return nil // no --webhook-url: events are not delivered anywhere
	}
	err := w.sender.Send(ctx, webhooks.Event{ID: job.Args.EventID, Type: job.Args.Type, CreatedAt: job.Args.CreatedAt, Data: job.Args.Data})
	if errors.Is(err, webhooks.ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

// FXRefreshJob refreshes the FX table from its configured source.
type FXRefreshJob struct{}

// Kind implements river.JobArgs.
func (FXRefreshJob) Kind() string { return "fx_refresh" }

type fxWorker struct {
	river.WorkerDefaults[FXRefreshJob]
	refresh func(ctx context.Context) error
}

func (w *fxWorker) Work(ctx context.Context, _ *river.Job[FXRefreshJob]) error {
	if w.refresh == nil {
		return river.JobCancel(errors.New("no FX source is configured"))
	}
	return w.refresh(ctx)
}
