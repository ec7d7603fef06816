package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// seedLedger writes a few real transactions into a fresh database file.
func seedLedger(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	post := func(from, to ledger.AccountID, asset money.Asset, n int64) func(*sqlite.Tx) error {
		return func(tx *sqlite.Tx) error {
			return tx.Post(ctx, ledger.Transaction{Kind: "test", Ref: "r", Postings: []ledger.Posting{{From: from, To: to, Asset: asset, Amount: n}}})
		}
	}
	errs := db.ApplyBatch(ctx, []func(*sqlite.Tx) error{
		post(ledger.CoinsIssued, ledger.CoinsOf("v1"), money.Coin, 350),
		post(ledger.CoinsOf("v1"), ledger.CoinsSpent, money.Coin, 10),
		post(ledger.DiamondsIssued, ledger.UserAccount("c1", ledger.PurposeDiamondsAvailable), money.Diamond, 5000),
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "glint.db")
	seedLedger(t, path)

	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"verify", "--db", path}, &out, &errOut); code != 0 {
		t.Fatalf("verify on a sound ledger: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "ledger OK") {
		t.Fatalf("verify output: %q", out.String())
	}

	// Edit the journal behind the ledger's back: the triggers refuse, so
	// drop one first, as an attacker with file access would.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE postings SET amount = amount + 1 WHERE tx_id = 2"); err == nil {
		t.Fatal("the append-only trigger let an UPDATE of postings through")
	}
	if _, err := raw.Exec("DROP TRIGGER postings_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE postings SET amount = amount + 1 WHERE tx_id = 2"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	out.Reset()
	errOut.Reset()
	code := Run(context.Background(), []string{"verify", "--db", path}, &out, &errOut)
	if code != 1 {
		t.Fatalf("verify on an edited journal: exit %d, want 1\n%s", code, out.String())
	}
	for _, want := range []string{"balance=postings", "user:v1:coins", "append-only"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestVerifyMissingFile(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"verify", "--db", filepath.Join(t.TempDir(), "nope.db")}, &out, &errOut); code == 0 {
		t.Fatal("verify of a missing file succeeded")
	}
}
