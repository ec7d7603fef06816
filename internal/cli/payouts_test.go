package cli

import (
	"context"
	"database/sql"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/jobs"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// seedWithdrawal makes a SQLite installation with one manual (bank)
// withdrawal of 20,000 diamonds waiting, and returns its id.
func seedWithdrawal(t *testing.T, path string) string {
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
	if _, err := attachJobs(db, jobs.Config{InsertOnly: true}); err != nil {
		t.Fatal(err)
	}
	svc := copyService(t, db)
	w, err := startWriter(db, ledger.BatcherConfig{MaxBatch: 16, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer w.stop()
	cash, err := cashout.NewService(cashout.Config{Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Write: w.cashout, Read: db, Notify: true,
		Providers: []cashout.Provider{cashout.Manual{}}, PayWith: map[string]string{cashout.MethodBank: cashout.ProviderManual}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.SyncCatalog(ctx)
	must(err)
	for _, id := range []string{"c1", "v1"} {
		_, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: id, Country: "US", AgeVerified: true})
		must(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		_, _, err := svc.Purchase(ctx, gifting.Idem{Key: k, Hash: k}, gifting.PurchaseInput{UserID: "v1", PackageID: economy.PackageID("web", "USD", 17500)})
		must(err)
	}
	_, _, err = svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1"})
	must(err)
	_, _, err = svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rocket", Quantity: 2})
	must(err)
	_, _, err = cash.PutMethod(ctx, gifting.Idem{}, "c1", cashout.Method{Kind: cashout.MethodBank, HolderName: "Cee One", IBAN: "GB82 WEST 1234 5698 7654 32"})
	must(err)
	wd, _, err := cash.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: "c1", Diamonds: "20000"})
	must(err)
	return wd.ID
}

func TestPayoutsCommands(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "glint.db")
	id := seedWithdrawal(t, path)

	code, out, errOut := run(t, "payouts", "list", "--db", path, "--status", "requested")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Bank GB82 **** 5432") || !strings.Contains(out, "50.00 USD") {
		t.Fatalf("list: %d\n%s\n%s", code, out, errOut)
	}
	batch := filepath.Join(t.TempDir(), "batch.csv")
	if code, _, errOut := run(t, "payouts", "export", "--db", path, "--out", batch); code != 0 || !strings.Contains(errOut, "exported 1 payouts") {
		t.Fatalf("export: %d %s", code, errOut)
	}
	f, err := os.Open(batch)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != id || rows[1][4] != "50.00" || rows[1][5] != "USD" || rows[1][9] != "GB82WEST12345698765432" {
		t.Fatalf("batch file: %v %v", rows, err)
	}
	if st, err := os.Stat(batch); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the batch holds bank details: mode %v, want 0600", st.Mode())
	}
	// A second export has nothing left; the file is not overwritten.
	if code, _, _ := run(t, "payouts", "export", "--db", path, "--out", batch); code == 0 {
		t.Fatal("export over an existing file succeeded")
	}
	if code, out, errOut := run(t, "payouts", "mark", id, "paid", "--ref", "FPS-77", "--db", path); code != 0 || !strings.Contains(out, "paid") {
		t.Fatalf("mark paid: %d\n%s\n%s", code, out, errOut)
	}
	// The hold resolves once: failing it now is refused, and nothing moves.
	if code, _, errOut := run(t, "payouts", "mark", id, "failed", "--db", path); code == 0 || !strings.Contains(errOut, "withdrawal_resolved") {
		t.Fatalf("mark failed after paid: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "payouts", "mark", id, "maybe", "--db", path); code == 0 || !strings.Contains(errOut, "want paid, failed or returned") {
		t.Fatalf("bad status: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, "verify", "--db", path); code != 0 {
		t.Fatalf("verify: %s %s", out, errOut)
	}
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bal, err := db.Balances(context.Background(), []ledger.AccountID{ledger.DiamondsRedeemed, ledger.PayoutsExternal("manual", "USD"), ledger.UserAccount("c1", ledger.PurposeDiamondsWithdrawing)})
	if err != nil || bal[ledger.DiamondsRedeemed] != 20000000 || bal[ledger.PayoutsExternal("manual", "USD")] != 5000 || bal[ledger.UserAccount("c1", ledger.PurposeDiamondsWithdrawing)] != 0 {
		t.Fatalf("books after mark paid: %v %v", bal, err)
	}
	w, err := db.Withdrawal(context.Background(), id)
	if err != nil || w.Status != cashout.StatusPaid || w.ProviderRef != "FPS-77" {
		t.Fatalf("withdrawal: %+v %v", w, err)
	}
}

// TestReportCommand prints the books of an installation with a paid
// withdrawal, then catches a tampered withdrawal row.
func TestReportCommand(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "glint.db")
	id := seedWithdrawal(t, path)
	if code, _, errOut := run(t, "payouts", "mark", id, "paid", "--db", path); code != 0 {
		t.Fatalf("mark: %s", errOut)
	}
	code, out, errOut := run(t, "report", "--db", path)
	if code != 0 || !strings.Contains(out, "50.00") {
		t.Fatalf("report: %d\n%s\n%s", code, out, errOut)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("UPDATE withdrawals SET commission = commission + 1 WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "report", "--db", path)
	if code == 0 || !strings.Contains(errOut, "does not reconcile") {
		t.Fatalf("a tampered commission: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestUsersCommands bans a creator with a withdrawal waiting (it is
// cancelled, the diamonds come back), then lifts the ban.
func TestUsersCommands(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "glint.db")
	id := seedWithdrawal(t, path)
	if code, _, _ := run(t, "users", "ban", "c1", "--db", path); code == 0 {
		t.Fatal("a ban without --reason succeeded")
	}
	code, out, errOut := run(t, "users", "ban", "c1", "--reason", "chargeback ring", "--db", path)
	if code != 0 || !strings.Contains(out, `"status": "banned"`) || !strings.Contains(errOut, "cancelled 1 requested withdrawal") {
		t.Fatalf("ban: %d\n%s\n%s", code, out, errOut)
	}
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Withdrawal(context.Background(), id)
	bal, _ := db.Balances(context.Background(), []ledger.AccountID{ledger.UserAccount("c1", ledger.PurposeDiamondsAvailable)})
	db.Close()
	if err != nil || w.Status != cashout.StatusCancelled || bal[ledger.UserAccount("c1", ledger.PurposeDiamondsAvailable)] != 20000000 {
		t.Fatalf("after the ban: %+v %v, available %v", w, err, bal)
	}
	if code, out, errOut := run(t, "users", "unban", "c1", "--reason", "appeal upheld", "--db", path); code != 0 || !strings.Contains(out, `"status": "active"`) {
		t.Fatalf("unban: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "users", "unban", "c1", "--reason", "again", "--db", path); code == 0 || !strings.Contains(errOut, "status_unchanged") {
		t.Fatalf("unban twice: %d %s", code, errOut)
	}
}
