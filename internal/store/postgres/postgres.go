// Package postgres is glint's PostgreSQL storage engine (pgx and pgxpool),
// for production and for several glint nodes sharing one database.
//
// It implements the same seam as the SQLite engine: a *Tx is one write batch
// (a ledger.Book plus the gifting rows it buffers) and implements gifting.Tx;
// a *DB reads committed data and implements gifting.Reader and
// auth.KeyStore. ApplyBatch has the SQLite contract: each op isolated, one
// commit, ops retried one by one if the batch fails, an op answered nil only
// once committed.
//
// Several nodes write at once, each with its own batcher, so correctness
// rests on the database and never on a node's memory or on the isolation
// level (transactions run at READ COMMITTED):
//
//   - a batch reads balances without locks and decides; at flush one
//     statement upserts every changed account in sorted id order (locking the
//     rows in that order, so batches of different nodes cannot deadlock on
//     them) and returns the new balances. Every account a request debited or
//     read must come back at exactly the balance the batch computed; if not,
//     another node moved it in between and the whole batch is retried, this
//     time with those accounts locked (SELECT … FOR UPDATE, sorted) before any
//     op runs. The CHECK (negative_ok OR balance >= 0) is the backstop.
//   - idempotency keys are a primary key; the batch inserts its records with
//     ON CONFLICT DO NOTHING, which waits for a concurrent inserter of the same
//     key on another node. A key taken by someone else is a conflict: the batch
//     is retried and the request then replays the first answer.
//   - streaks, stream ends and catalog versions are written with a check of
//     the state they were read in (or a unique key); a mismatch is a conflict.
//   - serialization failures (40001), deadlocks (40P01), unique and check
//     violations and the conflicts above are retried for the whole batch, a
//     bounded number of times, rolling back under context.WithoutCancel.
//
// Writes are set-based: every table gets one statement per batch over unnest
// arrays, and the statements of a flush are sent in one pipeline. Reads are
// too: before its ops run, an attempt learns what they will read (a dry run
// that never touches the database) and reads it ahead in one pipeline of
// set-based queries, a cache of that attempt only (prefetch.go).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/glint-economy/glint/internal/ledger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaOutdated is returned by SchemaCurrent when the database needs
// `glint migrate`.
var ErrSchemaOutdated = errors.New("database schema is older than this glint: run `glint migrate`")

// IsDSN reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a SQLite file.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns dsn without its password, for logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// DB is a pool of connections to a glint PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	dsn  string
	now  func() time.Time
	// maxAttempts bounds the retries of a batch.
	maxAttempts int
	retries     atomic.Int64
	// pointReads counts the one-row reads batches made that the prefetch
	// did not foresee (for the tests).
	pointReads atomic.Int64
	jobs       JobInserter
}

// Retries returns how many times a batch was tried again after meeting
// another writer (a metric of contention between nodes).
func (db *DB) Retries() int64 { return db.retries.Load() }

// Options configure Open.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxConns is the size of the pool; the DSN's pool_max_conns, else 16.
	MaxConns int32
	// MaxAttempts bounds how often a batch is tried when it meets another
	// writer (default 10).
	MaxAttempts int
}

// Open connects to the database named by dsn (postgres://…). It does not
// migrate; call Migrate, or check with SchemaCurrent. Errors are wrapped
// connection errors.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "glint"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect %s: %w", Redact(dsn), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect %s: %w", Redact(dsn), err)
	}
	return &DB{pool: pool, dsn: dsn, now: opts.Now, maxAttempts: opts.MaxAttempts}, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool (for tools such as glint copy and tests).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// migrationLockID is the advisory lock `glint migrate` holds, so that nodes
// starting together migrate once: hashtext('glint migrate').
const migrationLockID int64 = 0x676c696e74 // "glint"

// advisoryLocker is a goose.SessionLocker that waits on
// pg_advisory_lock (rather than polling) for the duration of a migration.
type advisoryLocker struct{ id int64 }

func (l advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", l.id); err != nil {
		return fmt.Errorf("postgres: take the migration lock: %w", err)
	}
	return nil
}

func (l advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.id); err != nil {
		return fmt.Errorf("postgres: release the migration lock: %w", err)
	}
	return nil
}

// provider returns a goose provider over a database/sql view of the pool,
// and a function closing that view.
func (db *DB) provider(locked bool) (*goose.Provider, func(), error) {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	var opts []goose.ProviderOption
	if locked {
		opts = append(opts, goose.WithSessionLocker(advisoryLocker{id: migrationLockID}))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub, opts...)
	if err != nil {
		sqlDB.Close()
		return nil, nil, err
	}
	return p, func() { sqlDB.Close() }, nil
}

// Migrate applies every pending migration under a PostgreSQL advisory lock
// (nodes starting together migrate once; the others wait for it) and returns
// the schema version.
func (db *DB) Migrate(ctx context.Context) (int64, error) {
	p, done, err := db.provider(true)
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	defer done()
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := db.migrateRiver(ctx); err != nil {
		return 0, fmt.Errorf("postgres: migrate jobs: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	return v, nil
}

// SchemaCurrent returns ErrSchemaOutdated when migrations are pending.
func (db *DB) SchemaCurrent(ctx context.Context) error {
	p, done, err := db.provider(false)
	if err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	defer done()
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	if pending {
		return ErrSchemaOutdated
	}
	return nil
}

// withTx is the one place that begins a transaction (READ COMMITTED; the
// engine's correctness comes from row locks and checks, not from the
// isolation level). fn's error, or a failed commit, rolls back under a
// context that is never cancelled.
func (db *DB) withTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) (err error) {
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// errConflict is a batch that met another writer: what it read is no longer
// true. The batch is retried.
var errConflict = errors.New("postgres: concurrent write conflict")

// ErrContention is returned for an op that still met other writers after
// every retry; it wraps ledger.ErrContention, so the API answers 503 with
// Retry-After and the client retries with the same idempotency key.
var ErrContention = fmt.Errorf("postgres: %w", ledger.ErrContention)

// retryable classifies an error of a batch attempt: whether the whole batch
// should be tried again, and whether to back off first.
func retryable(err error) (retry, backoff bool) {
	if errors.Is(err, errConflict) {
		return true, false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization failure, deadlock
			return true, true
		case "23505", "23514": // unique, check: another node got there first
			return true, false
		}
	}
	return false, false
}

var _ ledger.Reader = (*bookReader)(nil)
