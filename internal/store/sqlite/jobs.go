package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/glint-economy/glint/internal/ledger"
)

// JobInserter inserts a batch's jobs inside its write transaction.
type JobInserter func(ctx context.Context, tx *sql.Tx, jobs []ledger.Job) error

// errNoJobInserter refuses a batch that enqueued jobs no one would run.
var errNoJobInserter = errors.New("sqlite: a request enqueued a job but no job runner is attached")

// SetJobInserter attaches the job runner's inserter; call it before the
// first batch. Batches that enqueue jobs fail without one.
func (db *DB) SetJobInserter(fn JobInserter) { db.jobs = fn }

// WriteDB is the single write connection, for the job runner (River), which
// must share it: SQLite allows one writer at a time.
func (db *DB) WriteDB() *sql.DB { return db.write }

func (t *Tx) insertJobs() error {
	jobs := t.Jobs()
	if len(jobs) == 0 {
		return nil
	}
	if t.db.jobs == nil {
		return errNoJobInserter
	}
	if err := t.db.jobs(t.ctx, t.tx, jobs); err != nil {
		return fmt.Errorf("sqlite: insert jobs: %w", err)
	}
	return nil
}

// migrateRiver applies the job runner's own migrations (River's tables).
func (db *DB) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(db.write), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
