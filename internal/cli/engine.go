package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// store is what the commands need from a storage engine, whichever it is:
// *sqlite.DB (a file) or *postgres.DB (a postgres:// DSN). The write path is
// engine-typed and started by startWriter.
type store interface {
	gifting.Reader
	gifting.BoardFolder
	fx.Store
	audit.Store
	cashout.ReportReader
	Withdrawal(ctx context.Context, id string) (*cashout.Withdrawal, error)
	Withdrawals(ctx context.Context, f cashout.WithdrawalFilter) ([]*cashout.Withdrawal, error)
	Profile(ctx context.Context, userID string) (*cashout.Profile, error)
	NewAccountCoins(ctx context.Context, creatorID string, since, accountsSince time.Time) (int64, error)
	auth.KeyStore
	CreateAPIKey(ctx context.Context, k auth.APIKey) error
	ListAPIKeys(ctx context.Context) ([]auth.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	Setting(ctx context.Context, key string, gen func() (string, error)) (string, error)
	Ping(ctx context.Context) error
	Migrate(ctx context.Context) (int64, error)
	SchemaCurrent(ctx context.Context) error
	Snapshot(ctx context.Context) (ledger.Snapshot, error)
	Close() error
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// openStore opens the database --db names: PostgreSQL for a postgres:// or
// postgresql:// DSN, else a SQLite file (created if missing unless
// mustExist). It does not migrate.
func openStore(ctx context.Context, db string, mustExist bool) (store, error) {
	if postgres.IsDSN(db) {
		return postgres.Open(ctx, db, postgres.Options{})
	}
	if mustExist {
		if _, err := os.Stat(db); err != nil {
			return nil, fmt.Errorf("open %s: %w", db, err)
		}
	}
	return sqlite.Open(db, sqlite.Options{})
}

// dbName is --db as it may be printed (a DSN without its password).
func dbName(db string) string {
	if postgres.IsDSN(db) {
		return postgres.Redact(db)
	}
	return db
}

// writer is an engine's batcher (the single writer of this node) seen
// through the gifting use cases.
type writer struct {
	write     gifting.WriteFunc
	writeMany gifting.WriteManyFunc
	cashout   cashout.WriteFunc
	pending   func() int
	stop      func()
}

// startWriter starts group commit over db's engine: ledger.NewBatcher with
// the engine's ApplyBatch.
func startWriter(db store, cfg ledger.BatcherConfig) (writer, error) {
	switch d := db.(type) {
	case *sqlite.DB:
		return newWriter(cfg, d.ApplyBatch), nil
	case *postgres.DB:
		return newWriter(cfg, d.ApplyBatch), nil
	}
	return writer{}, errors.New("cli: unknown storage engine")
}

func newWriter[T cashout.Tx](cfg ledger.BatcherConfig, apply ledger.ApplyFunc[T]) writer {
	b := ledger.NewBatcher(cfg, apply)
	b.Start()
	return writer{
		write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(t T) error { return op(t) })
		},
		writeMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(T) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(t T) error { return op(t) }
			}
			return b.DoMany(ctx, wrapped)
		},
		cashout: func(ctx context.Context, op func(cashout.Tx) error) error {
			return b.Do(ctx, func(t T) error { return op(t) })
		},
		pending: b.Pending,
		stop:    b.Stop,
	}
}
