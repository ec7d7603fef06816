package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func openTemp(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func engine(t *testing.T) storetest.Engine[*sqlite.Tx] {
	db := openTemp(t)
	return storetest.Engine[*sqlite.Tx]{Apply: db.ApplyBatch, Snapshot: db.Snapshot}
}

func TestConformanceLedger(t *testing.T) {
	t.Parallel()
	storetest.RunLedger(t, engine)
}
