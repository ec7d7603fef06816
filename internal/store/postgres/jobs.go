package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/glint-economy/glint/internal/ledger"
)

// JobInserter inserts a batch's jobs inside its transaction.
type JobInserter func(ctx context.Context, tx pgx.Tx, jobs []ledger.Job) error

// errNoJobInserter refuses a batch that enqueued jobs no one would run.
var errNoJobInserter = errors.New("postgres: a request enqueued a job but no job runner is attached")

// SetJobInserter attaches the job runner's inserter; call it before the
// first batch. Batches that enqueue jobs fail without one.
func (db *DB) SetJobInserter(fn JobInserter) { db.jobs = fn }

func (t *Tx) insertJobs() error {
	jobs := t.Jobs()
	if len(jobs) == 0 {
		return nil
	}
	if t.db.jobs == nil {
		return errNoJobInserter
	}
	if err := t.db.jobs(t.ctx, t.tx, jobs); err != nil {
		return fmt.Errorf("postgres: insert jobs: %w", err)
	}
	return nil
}

// riverLockID is the advisory lock nodes take around River's migrations.
const riverLockID = migrationLockID + 1

// migrateRiver applies the job runner's own migrations (River's tables),
// under an advisory lock so that nodes starting together migrate once.
func (db *DB) migrateRiver(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", riverLockID); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverLockID) // also released with the session
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
