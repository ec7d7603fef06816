package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresDSN returns the DSN of a fresh database on the PostgreSQL server
// named by GLINT_TEST_POSTGRES, dropped when the test ends. Without that
// variable the test skips — or fails when GLINT_REQUIRE_POSTGRES=1, as in
// CI, where a skipped PostgreSQL test would hide a missing server.
func PostgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GLINT_TEST_POSTGRES")
	if base == "" {
		msg := "GLINT_TEST_POSTGRES is not set: start a server with scripts/pg.sh (source it, then pg_start) or run scripts/test.sh"
		if os.Getenv("GLINT_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (GLINT_REQUIRE_POSTGRES=1: PostgreSQL tests may not skip)")
		}
		t.Skip(msg)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to GLINT_TEST_POSTGRES: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "glint_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("GLINT_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
