package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// copyService is a gifting.Service over db, as serve wires it.
func copyService(t *testing.T, db store) *gifting.Service {
	t.Helper()
	w, err := startWriter(db, ledger.BatcherConfig{MaxBatch: 16, Queue: 256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.stop)
	return gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: money.NewLive(money.DefaultRates()), Write: w.write, WriteMany: w.writeMany, Read: db,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}}, Boards: db,
	})
}

// seedHistory gives a SQLite installation real history: users, purchases,
// streams (one ended), gifts with streaks, a catalog price change, a batch,
// idempotency records, an API key and a setting.
func seedHistory(t *testing.T, path string) (giftKey gifting.Idem, giftIn gifting.SendGiftInput, first *gifting.GiftResult) {
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
	svc := copyService(t, db)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.SyncCatalog(ctx)
	must(err)
	for _, id := range []string{"c1", "c2", "v1", "v2", "v3"} {
		_, _, err := svc.PutUser(ctx, gifting.Idem{Key: "put-" + id, Hash: "h"}, gifting.PutUserInput{ID: id, DisplayName: "User " + id, Country: "DE", AgeVerified: true})
		must(err)
	}
	for _, v := range []string{"v1", "v2", "v3"} {
		_, _, err := svc.Purchase(ctx, gifting.Idem{Key: "buy-" + v, Hash: "h"}, gifting.PurchaseInput{UserID: v, PackageID: "web-usd-350"})
		must(err)
	}
	for _, c := range []string{"c1", "c2"} {
		_, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s-" + c, CreatorID: c, Title: "Live " + c})
		must(err)
	}
	_, _, err = svc.SetGoal(ctx, gifting.Idem{}, gifting.SetGoalInput{StreamID: "s-c1", Kind: gifting.GoalCoins, Target: 1000})
	must(err)
	giftKey = gifting.Idem{Key: "gift-1", Hash: "h"}
	giftIn = gifting.SendGiftInput{StreamID: "s-c1", SenderID: "v1", GiftID: "rose", Quantity: 3, ComboID: "combo-1"}
	first, _, err = svc.SendGift(ctx, giftKey, giftIn)
	must(err)
	for i, v := range []string{"v2", "v3", "v1", "v2"} {
		_, _, err := svc.SendGift(ctx, gifting.Idem{Key: fmt.Sprint("g", i), Hash: "h"}, gifting.SendGiftInput{StreamID: "s-c" + fmt.Sprint(1+i%2), SenderID: v, GiftID: "love-bang", Quantity: 1})
		must(err)
	}
	// The leaderboards hold these gifts; the ones below wait for a fold.
	must(svc.SyncBoards(ctx))
	_, _, err = svc.PutGift(ctx, gifting.Idem{}, gifting.PutGiftInput{ID: "rose", Name: "Rose", Coins: 2, Streakable: true, Actor: "admin"})
	must(err)
	var batch []gifting.BatchGift
	for i := range 5 {
		batch = append(batch, gifting.BatchGift{Idem: gifting.Idem{Key: fmt.Sprint("b", i), Hash: "h"}, Input: gifting.SendGiftInput{StreamID: "s-c1", SenderID: "v3", GiftID: "rose", Quantity: 1, ComboID: "combo-2"}})
	}
	for _, r := range svc.SendGifts(ctx, batch) {
		must(r.Err)
	}
	_, _, err = svc.EndStream(ctx, gifting.Idem{}, "s-c2", "c2")
	must(err)
	_, k, err := auth.NewAPIKey(auth.ScopeAdmin, "ops", time.Now())
	must(err)
	must(db.CreateAPIKey(ctx, k))
	_, err = db.Setting(ctx, "user_token_secret", func() (string, error) { return "s3cret", nil })
	must(err)
	return giftKey, giftIn, first
}

func TestCopyRoundTrip(t *testing.T) {
	t.Parallel()
	dsn := multinodeDSN(t)
	path := filepath.Join(t.TempDir(), "glint.db")
	key, in, first := seedHistory(t, path)
	ctx := context.Background()

	var out, errOut bytes.Buffer
	if code := Run(ctx, []string{"copy", "--from", "sqlite:" + path, "--to", dsn}, &out, &errOut); code != 0 {
		t.Fatalf("glint copy: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "checked: ledger OK on the target") {
		t.Fatalf("copy output:\n%s", out.String())
	}

	src, err := openStore(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := openStore(ctx, dsn, false)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	same := func(what string, a, b any, errA, errB error) {
		t.Helper()
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v", what, errA, errB)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%s differs (-sqlite +postgres):\n%s", what, diff)
		}
	}
	s1, e1 := src.Snapshot(ctx)
	s2, e2 := dst.Snapshot(ctx)
	same("snapshot", s1, s2, e1, e2)
	for _, id := range []string{"c1", "c2", "v1", "v2", "v3"} {
		a, e1 := src.User(ctx, id)
		b, e2 := dst.User(ctx, id)
		same("user "+id, a, b, e1, e2)
		ha, e1 := src.History(ctx, id, gifting.HistoryFilter{Limit: 100})
		hb, e2 := dst.History(ctx, id, gifting.HistoryFilter{Limit: 100})
		same("history of "+id, ha, hb, e1, e2)
	}
	for _, id := range []string{"s-c1", "s-c2"} {
		a, e1 := src.Stream(ctx, id)
		b, e2 := dst.Stream(ctx, id)
		same("stream "+id, a, b, e1, e2)
		ta, e1 := src.StreamTotals(ctx, id)
		tb, e2 := dst.StreamTotals(ctx, id)
		same("totals of "+id, ta, tb, e1, e2)
		ga, e1 := src.TopGifters(ctx, id, 10)
		gb, e2 := dst.TopGifters(ctx, id, 10)
		same("top gifters of "+id, ga, gb, e1, e2)
	}
	ca, e1 := src.Catalog(ctx)
	cb, e2 := dst.Catalog(ctx)
	same("catalog", ca, cb, e1, e2)
	for _, c := range []string{"combo-1", "combo-2"} {
		a, e1 := src.Combo(ctx, "s-c1", c)
		b, e2 := dst.Combo(ctx, "s-c1", c)
		same(c, a, b, e1, e2)
	}
	ka, e1 := src.ListAPIKeys(ctx)
	kb, e2 := dst.ListAPIKeys(ctx)
	same("api keys", ka, kb, e1, e2)
	va, e1 := src.Setting(ctx, "user_token_secret", nil)
	vb, e2 := dst.Setting(ctx, "user_token_secret", nil)
	same("setting", va, vb, e1, e2)
	// The fold goes on where the source's stopped: fold both, and each
	// gift is counted once on either side.
	for _, db := range []store{src, dst} {
		if _, _, err := db.FoldBoards(ctx, 10000); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"c1", "c2"} {
		a, e1 := src.CreatorGifters(ctx, c, "all", 10)
		b, e2 := dst.CreatorGifters(ctx, c, "all", 10)
		same("gifters of "+c, a, b, e1, e2)
	}
	y, w := time.Now().UTC().ISOWeek()
	wa, e1 := src.TopCreators(ctx, fmt.Sprintf("%04d-W%02d", y, w), 10)
	wb, e2 := dst.TopCreators(ctx, fmt.Sprintf("%04d-W%02d", y, w), 10)
	same("creators of the week", wa, wb, e1, e2)
	for _, v := range []string{"v1", "v2", "v3"} {
		a, e1 := src.UserSpend(ctx, v)
		b, e2 := dst.UserSpend(ctx, v)
		same("coins spent by "+v, a, b, e1, e2)
	}
	ga, e1 := src.StreamGoal(ctx, "s-c1")
	gb, e2 := dst.StreamGoal(ctx, "s-c1")
	same("goal", ga, gb, e1, e2)
	if ga == nil || ga.Progress == 0 || len(wa) == 0 {
		t.Errorf("nothing to compare: goal %+v, creators %+v", ga, wa)
	}
	// c1: v1 3 roses and a love bang, v2 a love bang (folded before the
	// copy); v3 5 roses at 2 coins (folded after it, on either side).
	c1 := []gifting.Gifter{{UserID: "v1", Coins: 28, Gifts: 2}, {UserID: "v2", Coins: 25, Gifts: 1}, {UserID: "v3", Coins: 10, Gifts: 5}}
	if g, err := dst.CreatorGifters(ctx, "c1", "all", 10); err != nil || !cmp.Equal(c1, g) {
		t.Errorf("c1's gifters on the copy: %+v %v, want %+v", g, err, c1)
	}

	// The copy is live: an idempotency key replays its first answer, and new
	// writes take transaction ids after the copied ones.
	svc := copyService(t, dst)
	again, replay, err := svc.SendGift(ctx, key, in)
	if err != nil || !replay {
		t.Fatalf("replay on the copy: %v (replay %v)", err, replay)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Fatalf("replayed answer (-first +copy):\n%s", diff)
	}
	g, _, err := svc.SendGift(ctx, gifting.Idem{Key: "after-copy", Hash: "h"}, gifting.SendGiftInput{StreamID: "s-c1", SenderID: "v2", GiftID: "rose", Quantity: 1})
	if err != nil || g.Coins != 2 {
		t.Fatalf("gift on the copy at the new price: %+v %v", g, err)
	}
	var maxSrc int64
	for id := range sourceTxIDs(t, ctx, src) {
		maxSrc = max(maxSrc, id)
	}
	h, err := dst.History(ctx, "v2", gifting.HistoryFilter{Limit: 1})
	if err != nil || len(h) != 1 || h[0].Ref != g.ID || h[0].TxID <= maxSrc {
		t.Fatalf("new transaction %+v (%v), want an id after %d", h, err, maxSrc)
	}
	if code := Run(ctx, []string{"verify", "--db", dsn}, &out, &errOut); code != 0 {
		t.Fatalf("verify the copy: exit %d\n%s", code, out.String())
	}

	// A target with data is refused without --force, emptied with it.
	out.Reset()
	errOut.Reset()
	if code := Run(ctx, []string{"copy", "--from", "sqlite:" + path, "--to", dsn}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "--force") {
		t.Fatalf("copy onto a non-empty target: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := Run(ctx, []string{"copy", "--from", "sqlite:" + path, "--to", dsn, "--force"}, &out, &errOut); code != 0 {
		t.Fatalf("copy --force: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	s3, err := dst.Snapshot(ctx)
	same("snapshot after copy --force", s1, s3, nil, err)
}

// sourceTxIDs returns the ids of every transaction in the users' histories.
func sourceTxIDs(t *testing.T, ctx context.Context, db store) map[int64]bool {
	t.Helper()
	ids := map[int64]bool{}
	for _, id := range []string{"c1", "c2", "v1", "v2", "v3"} {
		h, err := db.History(ctx, id, gifting.HistoryFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h {
			ids[e.TxID] = true
		}
	}
	return ids
}
