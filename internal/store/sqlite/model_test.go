package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/store/storetest"
)

// TestModel runs the model-based test of the economy on SQLite (see
// storetest.RunModel). It runs 25 random sequences by default; run it
// longer with
//
//	go test -count=1 -timeout 60m -run TestModel ./internal/store/sqlite -rapid.checks=2000
//
// (-rapid.steps=N changes the average length of a sequence, 100 by
// default; -rapid.seed=N replays one run).
func TestModel(t *testing.T) {
	t.Parallel()
	storetest.RunModel(t, modelEngines(t), 25)
}

// modelEngines migrates one database, then gives every sequence a copy
// of it, closed and removed when the sequence ends.
func modelEngines(t *testing.T) storetest.ModelOpen[*sqlite.Tx] {
	dir := t.TempDir()
	template := filepath.Join(dir, "template.db")
	db, err := sqlite.Open(template, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	return func(now func() time.Time) (storetest.Engine[*sqlite.Tx], func(), error) {
		path := filepath.Join(dir, fmt.Sprintf("seq-%d.db", n.Add(1)))
		if err := copyFile(template, path); err != nil {
			return storetest.Engine[*sqlite.Tx]{}, nil, err
		}
		db, err := sqlite.Open(path, sqlite.Options{Now: now})
		if err != nil {
			return storetest.Engine[*sqlite.Tx]{}, nil, err
		}
		closeDB := func() {
			db.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
		if err := db.SchemaCurrent(context.Background()); err != nil {
			closeDB()
			return storetest.Engine[*sqlite.Tx]{}, nil, err
		}
		return storetest.Engine[*sqlite.Tx]{
			Apply: db.ApplyBatch, Snapshot: db.Snapshot, Read: db, Keys: db,
			Jobs: func(record func([]ledger.Job)) {
				db.SetJobInserter(func(_ context.Context, _ *sql.Tx, js []ledger.Job) error {
					record(js)
					return nil
				})
			},
		}, closeDB, nil
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
