package cli

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

func TestCheckExactlyOnce(t *testing.T) {
	t.Parallel()
	acks := []acked{{id: "g1"}, {id: "g2"}, {id: "g3"}}
	cases := []struct {
		name string
		refs map[string]int
		want string
	}{
		{"exact", map[string]int{"g1": 1, "g2": 1, "g3": 1}, ""},
		{"duplicate", map[string]int{"g1": 1, "g2": 2, "g3": 1}, "1 duplicated"},
		{"lost", map[string]int{"g1": 1, "g3": 1}, "1 acknowledged gifts missing"},
		{"unacknowledged", map[string]int{"g1": 1, "g2": 1, "g3": 1, "g4": 1}, "1 unacknowledged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkExactlyOnce(acks, c.refs)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestBenchCatchesInjectedDuplicate runs a short real bench against an
// in-process server, checks it passes, then posts one acknowledged gift a
// second time behind the API's back: the bench's check must fail.
func TestBenchCatchesInjectedDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := benchFlags{viewers: 5, creators: 2, clients: 4, duration: 300 * time.Millisecond, batchSize: 5, coinsPerViewer: 17500,
		db: t.TempDir() + "/bench.db"}
	f.server = serveFlags{maxBatch: 64, queue: 1024}
	tg, err := startInProcess(ctx, f, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	c := newBenchClient(tg, f.clients)
	fx, err := c.setup(ctx, "t1", f)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"uniform", "batch"} {
		r := c.load(ctx, fx, sc, f, io.Discard)
		if r.Gifts == 0 || r.Errors != 0 {
			t.Fatalf("%s: %+v", sc, r)
		}
		if got := c.check(ctx, fx, tg); got != "ok" {
			t.Fatalf("%s: clean run fails its check: %s", sc, got)
		}
	}

	// Inject a duplicate of one acknowledged gift directly into the journal.
	dup := fx.acked[0]
	db, err := sqlite.Open(tg.dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	errs := db.ApplyBatch(ctx, []func(*sqlite.Tx) error{func(tx *sqlite.Tx) error {
		return tx.Post(ctx, ledger.Transaction{Kind: "gift", Ref: dup.id, Actor: fx.viewers[dup.viewer], Counterparty: fx.creators[dup.creator], Postings: []ledger.Posting{
			{From: ledger.CoinsOf(fx.viewers[dup.viewer]), To: ledger.CoinsSpent, Asset: money.Coin, Amount: dup.coins},
			{From: ledger.DiamondsIssued, To: ledger.UserAccount(fx.creators[dup.creator], ledger.PurposeDiamondsAvailable), Asset: money.Diamond, Amount: dup.milli},
		}})
	}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	got := c.check(ctx, fx, tg)
	if !strings.HasPrefix(got, "FAILED") || !strings.Contains(got, "1 duplicated") || !strings.Contains(got, "money moved differently") {
		t.Fatalf("check after an injected duplicate = %q, want a failure naming the duplicate and the wallet difference", got)
	}
}
