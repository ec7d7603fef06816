package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/storetest"
)

// TestModel runs the model-based test of the economy on PostgreSQL (see
// storetest.RunModel). It runs 8 random sequences by default; run it
// longer with
//
//	go test -count=1 -timeout 60m -run TestModel ./internal/store/postgres -rapid.checks=300
//
// (-rapid.steps=N changes the average length of a sequence, 100 by
// default; -rapid.seed=N replays one run).
func TestModel(t *testing.T) {
	t.Parallel()
	storetest.RunModel(t, modelEngines(t), 8)
}

// modelEngines migrates one database and gives every sequence a copy of
// it (CREATE DATABASE … TEMPLATE), dropped when the sequence ends.
func modelEngines(t *testing.T) storetest.ModelOpen[*postgres.Tx] {
	template := testDSN(t) // fails, or skips, without a server
	db, err := postgres.Open(context.Background(), template, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close() // a template may have no other connection
	tu, err := url.Parse(template)
	if err != nil {
		t.Fatal(err)
	}
	templateName := strings.TrimPrefix(tu.Path, "/")
	base := os.Getenv("GLINT_TEST_POSTGRES")
	var n atomic.Int64
	admin := func(ctx context.Context, sql string) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, sql)
		return err
	}
	return func(now func() time.Time) (storetest.Engine[*postgres.Tx], func(), error) {
		ctx := context.Background()
		name := fmt.Sprintf("%s_seq%d", templateName, n.Add(1))
		if err := admin(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateName); err != nil {
			return storetest.Engine[*postgres.Tx]{}, nil, fmt.Errorf("create database: %w", err)
		}
		drop := func() {
			if err := admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Logf("drop database %s: %v", name, err)
			}
		}
		u := *tu
		u.Path = "/" + name
		db, err := postgres.Open(ctx, u.String(), postgres.Options{Now: now, MaxConns: 4})
		if err != nil {
			drop()
			return storetest.Engine[*postgres.Tx]{}, nil, err
		}
		closeDB := func() {
			db.Close()
			drop()
		}
		if err := db.SchemaCurrent(ctx); err != nil {
			closeDB()
			return storetest.Engine[*postgres.Tx]{}, nil, err
		}
		return storetest.Engine[*postgres.Tx]{
			Apply: db.ApplyBatch, Snapshot: db.Snapshot, Read: db, Keys: db,
			Jobs: func(record func([]ledger.Job)) {
				db.SetJobInserter(func(_ context.Context, _ pgx.Tx, js []ledger.Job) error {
					record(js)
					return nil
				})
			},
		}, closeDB, nil
	}
}
