// Package sqlite is glint's embedded storage engine: modernc.org/sqlite in WAL
// mode with synchronous=FULL (an acknowledged write survives power loss), a
// read pool, and a single write connection used only by the batch writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/glint-economy/glint/internal/ledger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaOutdated is returned by Open when the database needs `glint migrate`.
var ErrSchemaOutdated = errors.New("database schema is older than this glint: run `glint migrate`")

// DB is an open glint database file.
type DB struct {
	path  string
	read  *sql.DB
	write *sql.DB
	now   func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on the write connection
	jobs  JobInserter

	// failed is the last write transaction that failed to begin, write or
	// commit (a full disk, an I/O error); Ping clears it once its probe
	// write commits. (A transaction that commits without writing a page, as
	// a batch of replays does, proves nothing.)
	failed atomic.Pointer[writeFailure]
}

// writeFailure is a write transaction that failed.
type writeFailure struct {
	at  time.Time
	err error
}

// writeHoldDown is how long after a failed write Ping says not ready without
// trying a write. On a full disk the last few bytes of room take a one-page
// probe but not a batch: without the pause readiness would flicker while
// every real write fails.
const writeHoldDown = time.Second

// Options configure Open.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ReadConns is the size of the read pool (default 8).
	ReadConns int
}

func dsn(path string, write bool) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)", "cache_size(-65536)", "temp_store(MEMORY)", "wal_autocheckpoint(4000)"} {
		q.Add("_pragma", p)
	}
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path. It does not migrate;
// call Migrate, or check with SchemaCurrent.
func Open(path string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 8
	}
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	return &DB{path: path, read: r, write: w, now: opts.Now, stmts: map[string]*sql.Stmt{}}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, s := range db.stmts {
		s.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.mu.Unlock()
	return errors.Join(db.read.Close(), db.write.Close())
}

// Path returns the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers (readiness). After a write
// transaction failed (a full disk, an I/O error) it also writes: for a
// second after the failure it fails at once, then it rewrites the header's
// user_version with its own value — a page written and synced, nothing
// changed. So a node whose writes fail is not ready until the database takes
// a write again, and is ready again as soon as it does, with no other
// traffic needed. Its error is the read's, the failed write's or the probe's.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	f := db.failed.Load()
	if f == nil {
		return nil
	}
	if ago := time.Since(f.at); ago < writeHoldDown {
		return fmt.Errorf("sqlite: a write failed %v ago: %w", ago.Round(time.Millisecond), f.err)
	}
	err := db.withWriteTx(ctx, func(tx *sql.Tx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: writes fail: %w", err)
	}
	db.failed.CompareAndSwap(f, nil) // unless a write failed meanwhile
	return nil
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db.write, sub)
}

// Migrate applies every pending migration and returns the schema version.
func (db *DB) Migrate(ctx context.Context) (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := db.migrateRiver(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: migrate jobs: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// SchemaCurrent returns ErrSchemaOutdated when migrations are pending.
func (db *DB) SchemaCurrent(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if pending {
		return ErrSchemaOutdated
	}
	return nil
}

// prepareWriter prepares, on the write connection and outside any
// transaction, the statements the batch writer uses: the fixed queries and a
// multi-row INSERT of 1, 2, 4 … maxRowsPerInsert rows for every table. It runs
// before the first batch (the write pool has one connection, so nothing can be
// prepared on it while a batch holds it).
func (db *DB) prepareWriter(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if len(db.stmts) > 0 {
		return nil
	}
	queries := append([]string(nil), writerQueries...)
	for _, t := range insertTables {
		for n := 1; n <= maxRowsPerInsert; n *= 2 {
			queries = append(queries, insertSQL(t, n))
		}
	}
	for n := 1; n <= maxRowsPerInsert; n *= 2 {
		queries = append(queries, updateBalancesSQL(n), updateStreamsSQL(n))
	}
	stmts := map[string]*sql.Stmt{}
	for _, q := range queries {
		s, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range stmts {
				s.Close()
			}
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		stmts[q] = s
	}
	db.stmts = stmts
	return nil
}

// withWriteTx is the one place that begins a write transaction (BEGIN
// IMMEDIATE through the DSN). fn's error rolls back; otherwise it commits.
// A failure is remembered for Ping.
func (db *DB) withWriteTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			db.failed.Store(&writeFailure{at: time.Now(), err: err})
		}
	}()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// micros stores times as unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// placeholders returns "(?,?,?),(?,?,?)…" for n rows of cols columns.
func placeholders(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

var (
	_ ledger.Reader = (*bookReader)(nil)
	_ ledger.Writer = (*Tx)(nil)
)
