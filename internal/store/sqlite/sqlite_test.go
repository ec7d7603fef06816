package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func openTemp(t *testing.T, now func() time.Time) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "glint.db")
	db, err := sqlite.Open(path, sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func engine(t *testing.T, now func() time.Time) storetest.Engine[*sqlite.Tx] {
	db, path := openTemp(t, now)
	return storetest.Engine[*sqlite.Tx]{
		Apply: db.ApplyBatch, Snapshot: db.Snapshot, Read: db, Keys: db,
		// Exec goes through a connection of its own, as any other client
		// of the file would.
		Exec: func(ctx context.Context, query string) error {
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				return err
			}
			defer raw.Close()
			_, err = raw.ExecContext(ctx, query)
			return err
		},
		Jobs: func(record func([]ledger.Job)) {
			db.SetJobInserter(func(_ context.Context, _ *sql.Tx, js []ledger.Job) error {
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
	storetest.RunCashout(t, engine)
}

func TestTrustConformance(t *testing.T) {
	storetest.RunTrust(t, engine)
}

func TestBank(t *testing.T) {
	storetest.RunBank(t, engine)
}
