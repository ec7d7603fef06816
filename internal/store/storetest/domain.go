package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
)

// Clock is a settable clock for the engines and the service under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// RunDomain runs the domain part of the conformance suite: gifting.Service
// over the engine, through a batcher as glint serve wires it.
func RunDomain[T gifting.Tx](t *testing.T, open Open[T]) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d *domain[T])
	}{
		{"Users", testUsers[T]},
		{"PurchasesAndWallet", testPurchases[T]},
		{"GiftsAndBalances", testGifts[T]},
		{"Streaks", testStreaks[T]},
		{"StreaksInOneBatch", testStreaksInBatch[T]},
		{"StreamsOneLivePerCreator", testStreams[T]},
		{"StreamTotalsAndTopGifters", testStreamTotals[T]},
		{"CatalogVersions", testCatalog[T]},
		{"IdempotencyReplayAndConflict", testGiftIdempotency[T]},
		{"ContendedOverdraftThroughService", testServiceOverdraft[T]},
		{"HistoryPaging", testHistory[T]},
		{"KeysAndSettings", testKeys[T]},
		{"DailySpendCap", testDailySpendCap[T]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDomain(t, open))
		})
	}
}

// domain is a gifting.Service over a fresh engine, with a settable clock.
type domain[T gifting.Tx] struct {
	e     Engine[T]
	svc   *gifting.Service
	clock *Clock
	econ  *economy.Economy
	batch *ledger.Batcher[T]
}

// start is the clock's first reading: whole seconds, so that stored times
// (microseconds) compare equal.
var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newDomain[T gifting.Tx](t *testing.T, open Open[T]) *domain[T] {
	t.Helper()
	return newDomainWith(t, open, economy.Seed())
}

// newDomainWith is newDomain under another economy and with more payment
// providers than the sandbox.
func newDomainWith[T gifting.Tx](t *testing.T, open Open[T], econ *economy.Economy, providers ...gifting.PaymentProvider) *domain[T] {
	t.Helper()
	clock := NewClock(start)
	e := open(t, clock.Now)
	if e.Read == nil || e.Keys == nil {
		t.Fatal("the engine gives no Read or Keys: the domain suite needs both")
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 4096}, e.Apply)
	b.Start()
	t.Cleanup(b.Stop)
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: money.NewLive(money.DefaultRates()), Read: e.Read, Now: clock.Now, Boards: folderOf(e.Read),
		Providers: append([]gifting.PaymentProvider{payments.Sandbox{}}, providers...),
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(w T) error { return op(w) })
		},
		// A batch of gifts is one ApplyBatch: the in-batch paths are tested.
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(T) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(w T) error { return op(w) }
			}
			return e.Apply(ctx, wrapped)
		},
	})
	if _, err := svc.SyncCatalog(context.Background()); err != nil {
		t.Fatalf("sync catalog: %v", err)
	}
	return &domain[T]{e: e, svc: svc, clock: clock, econ: econ, batch: b}
}

var ctx = context.Background()

func code(err error) string {
	var ge *gifting.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	if err == nil {
		return ""
	}
	return "error: " + err.Error()
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("%s: error %q, want %q", what, got, want)
	}
}

func (d *domain[T]) user(t *testing.T, id string) {
	t.Helper()
	if _, _, err := d.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: "User " + id, Country: "US", AgeVerified: true}); err != nil {
		t.Fatalf("put user %s: %v", id, err)
	}
}

// buy buys the web package of coins (a seed package size) for id.
func (d *domain[T]) buy(t *testing.T, id string, coins int64) *gifting.Purchase {
	t.Helper()
	p, _, err := d.svc.Purchase(ctx, gifting.Idem{Key: "buy:" + id + ":" + d.clock.Now().String() + strconv.FormatInt(coins, 10) + fmt.Sprint(time.Now().UnixNano()), Hash: "h"},
		gifting.PurchaseInput{UserID: id, PackageID: economy.PackageID("web", "USD", coins)})
	if err != nil {
		t.Fatalf("buy %d coins for %s: %v", coins, id, err)
	}
	return p
}

func (d *domain[T]) live(t *testing.T, streamID, creator string) {
	t.Helper()
	if _, _, err := d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: streamID, CreatorID: creator, Title: "live"}); err != nil {
		t.Fatalf("start stream %s: %v", streamID, err)
	}
}

func (d *domain[T]) gift(stream, sender, gift string, qty int64, combo string) (*gifting.GiftResult, error) {
	r, _, err := d.svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: stream, SenderID: sender, GiftID: gift, Quantity: qty, ComboID: combo})
	return r, err
}

func (d *domain[T]) wallet(t *testing.T, id string) *gifting.Wallet {
	t.Helper()
	w, err := d.svc.Wallet(ctx, id)
	if err != nil {
		t.Fatalf("wallet of %s: %v", id, err)
	}
	return w
}

func (d *domain[T]) clean(t *testing.T) {
	t.Helper()
	mustClean(t, d.e)
}

func testUsers[T gifting.Tx](t *testing.T, d *domain[T]) {
	u, replay, err := d.svc.PutUser(ctx, gifting.Idem{Key: "u1", Hash: "a"}, gifting.PutUserInput{ID: "v1", DisplayName: "Viewer One", Country: "de", AgeVerified: true})
	if err != nil || replay {
		t.Fatalf("create: %v (replay %v)", err, replay)
	}
	want := &gifting.User{ID: "v1", DisplayName: "Viewer One", Country: "DE", AgeVerified: true, Status: gifting.UserActive, CreatedAt: start, UpdatedAt: start}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Fatalf("created user (-want +got):\n%s", diff)
	}
	got, err := d.svc.GetUser(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stored user (-want +got):\n%s", diff)
	}
	// The same key and body replays; the same key with another body conflicts.
	u2, replay, err := d.svc.PutUser(ctx, gifting.Idem{Key: "u1", Hash: "a"}, gifting.PutUserInput{ID: "v1", DisplayName: "Viewer One", Country: "de", AgeVerified: true})
	if err != nil || !replay || !cmp.Equal(u, u2) {
		t.Fatalf("replay: %+v replay=%v err=%v", u2, replay, err)
	}
	_, _, err = d.svc.PutUser(ctx, gifting.Idem{Key: "u1", Hash: "b"}, gifting.PutUserInput{ID: "v1", DisplayName: "Other", AgeVerified: true})
	wantCode(t, "reused key", err, "idempotency_conflict")

	d.clock.Advance(time.Minute)
	if _, _, err := d.svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: "v1", DisplayName: "Renamed", Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	got, err = d.svc.GetUser(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	want = &gifting.User{ID: "v1", DisplayName: "Renamed", Country: "FR", Status: gifting.UserActive, CreatedAt: start, UpdatedAt: start.Add(time.Minute)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("updated user (-want +got):\n%s", diff)
	}
	_, err = d.svc.GetUser(ctx, "nobody")
	wantCode(t, "unknown user", err, "user_not_found")
	_, err = d.svc.Wallet(ctx, "nobody")
	wantCode(t, "unknown wallet", err, "user_not_found")
	w := d.wallet(t, "v1")
	if w.Coins != 0 || w.Diamonds.Available != "0" {
		t.Fatalf("new wallet %+v, want empty", w)
	}
}

func testPurchases[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "v1")
	pkg, ok := d.econ.FindPackage(economy.PackageID("web", "USD", 350))
	if !ok {
		t.Fatal("seed has no web-usd-350")
	}
	key := gifting.Idem{Key: "p1", Hash: "x"}
	p, replay, err := d.svc.Purchase(ctx, key, gifting.PurchaseInput{UserID: "v1", PackageID: pkg.ID})
	if err != nil || replay {
		t.Fatalf("purchase: %v (replay %v)", err, replay)
	}
	if p.Status != gifting.PurchaseCompleted || p.Coins != 350 || p.Price.Value != "4.99" || p.Price.Currency != "USD" || !p.CreatedAt.Equal(start) {
		t.Fatalf("purchase %+v", p)
	}
	p2, replay, err := d.svc.Purchase(ctx, key, gifting.PurchaseInput{UserID: "v1", PackageID: pkg.ID})
	// PriceUnits is not part of the stored answer (json:"-").
	if err != nil || !replay || !cmp.Equal(p, p2, cmpopts.IgnoreFields(gifting.Purchase{}, "PriceUnits")) {
		t.Fatalf("replay: %+v replay=%v err=%v, want %+v", p2, replay, err, p)
	}
	_, _, err = d.svc.Purchase(ctx, gifting.Idem{Key: "p1", Hash: "other"}, gifting.PurchaseInput{UserID: "v1", PackageID: pkg.ID})
	wantCode(t, "reused key", err, "idempotency_conflict")
	if w := d.wallet(t, "v1"); w.Coins != 350 {
		t.Fatalf("coins %d after one purchase and a replay, want 350", w.Coins)
	}
	d.buy(t, "v1", 70)
	if w := d.wallet(t, "v1"); w.Coins != 420 {
		t.Fatalf("coins %d, want 420", w.Coins)
	}
	_, _, err = d.svc.Purchase(ctx, gifting.Idem{Key: "p2", Hash: "x"}, gifting.PurchaseInput{UserID: "nobody", PackageID: pkg.ID})
	wantCode(t, "unknown buyer", err, "user_not_found")
	s := mustClean(t, d.e)
	cash := balances(s)[ledger.ProviderCash("sandbox", "USD")]
	if cash != 499+99 {
		t.Fatalf("sandbox cash %d cents, want %d", cash, 499+99)
	}
}

func testGifts[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "v1")
	d.buy(t, "v1", 350)
	d.live(t, "s1", "c1")

	r, err := d.gift("s1", "v1", "rose", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	want := &gifting.GiftResult{ID: r.ID, StreamID: "s1", SenderID: "v1", CreatorID: "c1", GiftID: "rose", Quantity: 10, Coins: 10, Diamonds: "5",
		SenderCoinsAfter: 340, SenderLevel: 1, CatalogVersion: r.CatalogVersion, CreatedAt: start}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Fatalf("gift (-want +got):\n%s", diff)
	}
	// One Rose is half a diamond: exact, in milli-diamonds.
	if _, err := d.gift("s1", "v1", "rose", 1, ""); err != nil {
		t.Fatal(err)
	}
	if w := d.wallet(t, "c1"); w.Diamonds.Available != "5.5" || w.Coins != 0 {
		t.Fatalf("creator wallet %+v, want 5.5 diamonds available", w.Diamonds)
	}
	if w := d.wallet(t, "v1"); w.Coins != 339 {
		t.Fatalf("viewer coins %d, want 339", w.Coins)
	}

	_, err = d.gift("s1", "v1", "galaxy", 1, "")
	wantCode(t, "too expensive", err, "insufficient_funds")
	var ge *gifting.Error
	if errors.As(err, &ge) && (fmt.Sprint(ge.Details["have"]) != "339" || fmt.Sprint(ge.Details["need"]) != "1000") {
		t.Fatalf("insufficient funds details %v, want have 339 need 1000", ge.Details)
	}
	_, err = d.gift("s1", "c1", "rose", 1, "")
	wantCode(t, "self gift", err, "self_gift")
	_, err = d.gift("s1", "v1", "no-such-gift", 1, "")
	wantCode(t, "unknown gift", err, "gift_not_found")
	_, err = d.gift("s404", "v1", "rose", 1, "")
	wantCode(t, "unknown stream", err, "stream_not_found")
	_, err = d.gift("s1", "ghost", "rose", 1, "")
	wantCode(t, "unknown sender", err, "user_not_found")
	if w := d.wallet(t, "v1"); w.Coins != 339 {
		t.Fatalf("refused gifts moved coins: %d, want 339", w.Coins)
	}
	d.clean(t)
}

func testStreaks[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "v1")
	d.user(t, "v2")
	d.buy(t, "v1", 350)
	d.buy(t, "v2", 70)
	d.live(t, "s1", "c1")
	for i := int64(1); i <= 3; i++ {
		r, err := d.gift("s1", "v1", "rose", 2, "c9")
		if err != nil {
			t.Fatal(err)
		}
		if r.Combo == nil || r.Combo.ID != "c9" || r.Combo.Count != 2*i {
			t.Fatalf("tap %d: combo %+v, want count %d", i, r.Combo, 2*i)
		}
		d.clock.Advance(time.Second)
	}
	c, err := d.svc.GetCombo(ctx, "s1", "c9")
	if err != nil {
		t.Fatal(err)
	}
	if c.Count != 6 || c.SenderID != "v1" || c.GiftID != "rose" || c.Ended || !c.LastAt.Equal(start.Add(2*time.Second)) {
		t.Fatalf("combo %+v", c)
	}
	_, err = d.gift("s1", "v2", "rose", 1, "c9")
	wantCode(t, "another sender's combo", err, "combo_mismatch")
	_, err = d.gift("s1", "v1", "tiktok", 1, "c9")
	wantCode(t, "another gift in the combo", err, "combo_mismatch")
	_, err = d.gift("s1", "v1", "galaxy", 1, "c10")
	wantCode(t, "expensive gift in a combo", err, "not_streakable")

	// Idle past the streak timeout: the combo has ended.
	d.clock.Advance(d.econ.Gifting.StreakIdleTimeout.Duration + time.Second)
	_, err = d.gift("s1", "v1", "rose", 1, "c9")
	wantCode(t, "idle combo", err, "combo_ended")

	// Ended explicitly.
	if _, err := d.gift("s1", "v2", "rose", 1, "c11"); err != nil {
		t.Fatal(err)
	}
	v, _, err := d.svc.EndCombo(ctx, gifting.Idem{}, "s1", "c11", "v2")
	if err != nil || !v.Ended || v.Count != 1 {
		t.Fatalf("end combo: %+v %v", v, err)
	}
	_, err = d.gift("s1", "v2", "rose", 1, "c11")
	wantCode(t, "ended combo", err, "combo_ended")
	if c, err := d.svc.GetCombo(ctx, "s1", "c11"); err != nil || !c.Ended {
		t.Fatalf("stored ended combo: %+v %v", c, err)
	}
	_, err = d.svc.GetCombo(ctx, "s1", "nope")
	wantCode(t, "unknown combo", err, "combo_not_found")
	d.clean(t)
}

func testStreaksInBatch[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "v1")
	d.user(t, "v2")
	d.buy(t, "v1", 350)
	d.live(t, "s1", "c1")
	if _, err := d.gift("s1", "v1", "rose", 1, "cb"); err != nil {
		t.Fatal(err)
	}
	var gifts []gifting.BatchGift
	for i := range 5 {
		gifts = append(gifts, gifting.BatchGift{Idem: gifting.Idem{Key: fmt.Sprintf("b%d", i), Hash: "h"}, Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 1, ComboID: "cb"}})
	}
	// A poor sender in the same batch fails alone; its combo is not created.
	gifts = append(gifts, gifting.BatchGift{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v2", GiftID: "rose", Quantity: 1, ComboID: "poor"}})
	res := d.svc.SendGifts(ctx, gifts)
	for i := range 5 {
		if res[i].Err != nil || res[i].Gift.Combo.Count != int64(i+2) {
			t.Fatalf("batch gift %d: %+v", i, res[i])
		}
	}
	wantCode(t, "poor sender in a batch", res[5].Err, "insufficient_funds")
	c, err := d.svc.GetCombo(ctx, "s1", "cb")
	if err != nil || c.Count != 6 {
		t.Fatalf("combo after the batch: %+v %v, want count 6", c, err)
	}
	if _, err := d.svc.GetCombo(ctx, "s1", "poor"); code(err) != "combo_not_found" {
		t.Fatalf("failed gift left a combo: %v", err)
	}
	// The batch replays as a whole: nothing moves twice.
	again := d.svc.SendGifts(ctx, gifts[:5])
	for i := range again {
		if again[i].Err != nil || !again[i].Replay || !cmp.Equal(again[i].Gift, res[i].Gift) {
			t.Fatalf("replayed batch gift %d: %+v", i, again[i])
		}
	}
	if w := d.wallet(t, "v1"); w.Coins != 344 {
		t.Fatalf("coins %d, want 344", w.Coins)
	}
	tot, err := d.svc.GetStream(ctx, "s1")
	if err != nil || tot.Totals.Gifts != 6 || tot.Totals.Coins != 6 || tot.Totals.Diamonds != "3" {
		t.Fatalf("stream totals %+v %v", tot.Totals, err)
	}
	d.clean(t)
}

func testStreams[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "c2")
	d.user(t, "v1")
	d.buy(t, "v1", 70)
	v, _, err := d.svc.StartStream(ctx, gifting.Idem{Key: "go-live", Hash: "1"}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1", Title: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != gifting.StreamLive || v.CreatorID != "c1" || !v.StartedAt.Equal(start) || v.EndedAt != nil {
		t.Fatalf("started %+v", v.Stream)
	}
	_, _, err = d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s2", CreatorID: "c1"})
	wantCode(t, "second live stream", err, "stream_already_live")
	_, _, err = d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "c2"})
	wantCode(t, "stream id taken", err, "stream_exists")
	_, _, err = d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s9", CreatorID: "nobody"})
	wantCode(t, "unknown creator", err, "user_not_found")
	if _, _, err := d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s3", CreatorID: "c2"}); err != nil {
		t.Fatalf("another creator goes live: %v", err)
	}
	// A replay of go-live answers the first result even though c1 is live.
	v2, replay, err := d.svc.StartStream(ctx, gifting.Idem{Key: "go-live", Hash: "1"}, gifting.StartStreamInput{ID: "s1", CreatorID: "c1", Title: "Hello"})
	if err != nil || !replay || v2.ID != "s1" {
		t.Fatalf("replayed go-live: %+v %v %v", v2, replay, err)
	}

	d.clock.Advance(time.Hour)
	_, _, err = d.svc.EndStream(ctx, gifting.Idem{}, "s1", "c2")
	wantCode(t, "someone else ends it", err, "forbidden")
	ended, _, err := d.svc.EndStream(ctx, gifting.Idem{}, "s1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if ended.Status != gifting.StreamEnded || ended.EndedAt == nil || !ended.EndedAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("ended %+v", ended.Stream)
	}
	_, _, err = d.svc.EndStream(ctx, gifting.Idem{}, "s1", "")
	wantCode(t, "end twice", err, "stream_not_live")
	_, err = d.gift("s1", "v1", "rose", 1, "")
	wantCode(t, "gift to an ended stream", err, "stream_not_live")
	// Now c1 may go live again.
	if _, _, err := d.svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s2", CreatorID: "c1"}); err != nil {
		t.Fatalf("go live after the end: %v", err)
	}
	got, err := d.svc.GetStream(ctx, "s1")
	if err != nil || got.Status != gifting.StreamEnded || got.EndedAt == nil || !got.EndedAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("stored ended stream %+v %v", got, err)
	}
	_, err = d.svc.GetStream(ctx, "s404")
	wantCode(t, "unknown stream", err, "stream_not_found")
	_, _, err = d.svc.EndStream(ctx, gifting.Idem{}, "s404", "")
	wantCode(t, "end unknown stream", err, "stream_not_found")
}

func testStreamTotals[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	for _, v := range []string{"v1", "v2", "v3"} {
		d.user(t, v)
		d.buy(t, v, 350)
	}
	d.live(t, "s1", "c1")
	sends := []struct {
		sender, gift string
		qty          int64
	}{{"v1", "rose", 10}, {"v2", "love-bang", 1}, {"v3", "lollipop", 1}, {"v1", "rose", 1}, {"v2", "rose", 3}}
	for _, s := range sends {
		if _, err := d.gift("s1", s.sender, s.gift, s.qty, ""); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
	}
	v, err := d.svc.GetStream(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := gifting.StreamTotals{Gifts: 5, Coins: 11 + 28 + 10, Diamonds: "24.5", UniqueGifters: 3, Milli: 24500}
	if diff := cmp.Diff(want, v.Totals); diff != "" {
		t.Fatalf("totals (-want +got):\n%s", diff)
	}
	wantTop := []gifting.Gifter{{UserID: "v2", Coins: 28, Gifts: 2}, {UserID: "v1", Coins: 11, Gifts: 2}, {UserID: "v3", Coins: 10, Gifts: 1}}
	if diff := cmp.Diff(wantTop, v.TopGifters); diff != "" {
		t.Fatalf("top gifters (-want +got):\n%s", diff)
	}
	top, err := d.svc.Leaderboard(ctx, "s1", 2)
	if err != nil || !cmp.Equal(wantTop[:2], top) {
		t.Fatalf("leaderboard of 2: %+v %v", top, err)
	}
	if w := d.wallet(t, "c1"); w.Diamonds.Available != "24.5" {
		t.Fatalf("creator diamonds %s, want 24.5", w.Diamonds.Available)
	}
	d.live(t, "s2", "v1")
	if v, err := d.svc.GetStream(ctx, "s2"); err != nil || v.Totals.Gifts != 0 || v.Totals.Diamonds != "0" || len(v.TopGifters) != 0 {
		t.Fatalf("new stream %+v %v", v, err)
	}
	d.clean(t)
}

func testCatalog[T gifting.Tx](t *testing.T, d *domain[T]) {
	cat, err := d.svc.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) != len(d.econ.Gifts) {
		t.Fatalf("catalog has %d gifts, the economy %d", len(cat), len(d.econ.Gifts))
	}
	versions := map[int64]bool{}
	for i, g := range cat {
		if versions[g.Version] || g.Version < 1 || !g.Active {
			t.Fatalf("catalog entry %+v: versions must be distinct and positive", g)
		}
		versions[g.Version] = true
		if i > 0 && (cat[i-1].Coins > g.Coins || cat[i-1].Coins == g.Coins && cat[i-1].ID > g.ID) {
			t.Fatalf("catalog not ordered by coins, id: %s before %s", cat[i-1].ID, g.ID)
		}
	}
	if added, err := d.svc.SyncCatalog(ctx); err != nil || added != 0 {
		t.Fatalf("second sync added %d (%v), want 0", added, err)
	}

	d.user(t, "c1")
	d.user(t, "v1")
	d.buy(t, "v1", 350)
	d.live(t, "s1", "c1")
	before, err := d.gift("s1", "v1", "rose", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(time.Second)
	g, _, err := d.svc.PutGift(ctx, gifting.Idem{}, gifting.PutGiftInput{ID: "rose", Name: "Rose", Coins: 2, Streakable: true, Actor: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Version <= before.CatalogVersion || g.Coins != 2 {
		t.Fatalf("new version %+v, want > %d at 2 coins", g, before.CatalogVersion)
	}
	// No change: no new version.
	same, _, err := d.svc.PutGift(ctx, gifting.Idem{}, gifting.PutGiftInput{ID: "rose", Name: "Rose", Coins: 2, Streakable: true, Actor: "admin"})
	if err != nil || same.Version != g.Version {
		t.Fatalf("unchanged gift got version %d (%v), want %d", same.Version, err, g.Version)
	}
	d.clock.Advance(time.Second)
	after, err := d.gift("s1", "v1", "rose", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if after.Coins != 20 || after.Diamonds != "10" || after.CatalogVersion != g.Version {
		t.Fatalf("gift after the price change %+v, want 20 coins at version %d", after, g.Version)
	}
	// The gift sent before the change keeps its price in the history.
	page, err := d.svc.History(ctx, "v1", gifting.HistoryFilter{Kinds: []string{gifting.HistoryGiftSent}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Ref != after.ID || page.Items[0].Coins != -20 || page.Items[1].Ref != before.ID || page.Items[1].Coins != -10 {
		t.Fatalf("history %+v, want the old gift at -10 and the new at -20", page.Items)
	}
	// A new gift, a retired gift, a restored gift.
	if _, _, err := d.svc.PutGift(ctx, gifting.Idem{}, gifting.PutGiftInput{ID: "star", Name: "Star", Coins: 7, DiamondRate: "1", Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	r, err := d.gift("s1", "v1", "star", 1, "")
	if err != nil || r.Diamonds != "7" {
		t.Fatalf("star at its own rate: %+v %v, want 7 diamonds", r, err)
	}
	if _, _, err := d.svc.SetGiftActive(ctx, gifting.Idem{}, "star", false, "admin"); err != nil {
		t.Fatal(err)
	}
	_, err = d.gift("s1", "v1", "star", 1, "")
	wantCode(t, "retired gift", err, "gift_retired")
	if _, _, err := d.svc.SetGiftActive(ctx, gifting.Idem{}, "star", true, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.gift("s1", "v1", "star", 1, ""); err != nil {
		t.Fatalf("restored gift: %v", err)
	}
	_, _, err = d.svc.SetGiftActive(ctx, gifting.Idem{}, "nope", false, "admin")
	wantCode(t, "retire unknown gift", err, "gift_not_found")
	cat, err = d.svc.Catalog(ctx)
	if err != nil || len(cat) != len(d.econ.Gifts)+1 {
		t.Fatalf("catalog after adding star: %d gifts (%v)", len(cat), err)
	}
	for _, c := range cat {
		if c.ID == "rose" && (c.Coins != 2 || c.Version != g.Version) {
			t.Fatalf("current rose %+v", c)
		}
	}
	d.clean(t)
}

func testGiftIdempotency[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "v1")
	d.live(t, "s1", "c1")
	in := gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 5}
	// A failed request stores nothing: the same key works once it can.
	_, _, err := d.svc.SendGift(ctx, gifting.Idem{Key: "k", Hash: "h"}, in)
	wantCode(t, "no coins yet", err, "insufficient_funds")
	d.buy(t, "v1", 70)
	first, replay, err := d.svc.SendGift(ctx, gifting.Idem{Key: "k", Hash: "h"}, in)
	if err != nil || replay {
		t.Fatalf("first: %v replay=%v", err, replay)
	}
	d.clock.Advance(time.Minute)
	again, replay, err := d.svc.SendGift(ctx, gifting.Idem{Key: "k", Hash: "h"}, in)
	if err != nil || !replay {
		t.Fatalf("replay: %v replay=%v", err, replay)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Fatalf("replayed answer differs (-first +replay):\n%s", diff)
	}
	_, _, err = d.svc.SendGift(ctx, gifting.Idem{Key: "k", Hash: "other"}, in)
	wantCode(t, "reused key", err, "idempotency_conflict")
	if w := d.wallet(t, "v1"); w.Coins != 65 {
		t.Fatalf("coins %d, want 65 (one effect)", w.Coins)
	}
	// Concurrent requests with one key: one effect, identical answers.
	var wg sync.WaitGroup
	answers := make([]*gifting.GiftResult, 20)
	var firsts atomic.Int64
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, rep, err := d.svc.SendGift(ctx, gifting.Idem{Key: "k2", Hash: "h"}, in)
			if err != nil {
				t.Errorf("concurrent %d: %v", i, err)
				return
			}
			if !rep {
				firsts.Add(1)
			}
			answers[i] = r
		}()
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Fatalf("%d requests ran, want 1", firsts.Load())
	}
	for i := range answers {
		if !cmp.Equal(answers[i], answers[0]) {
			t.Fatalf("answer %d differs: %+v vs %+v", i, answers[i], answers[0])
		}
	}
	if w := d.wallet(t, "v1"); w.Coins != 60 {
		t.Fatalf("coins %d, want 60", w.Coins)
	}
	d.clean(t)
}

func testServiceOverdraft[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "v1")
	d.live(t, "s1", "c1")
	d.buy(t, "v1", 350)
	d.buy(t, "v1", 70)
	d.buy(t, "v1", 70) // 490 coins
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := d.svc.SendGift(ctx, gifting.Idem{Key: fmt.Sprintf("o%d", i), Hash: "h"}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "lollipop", Quantity: 1})
			switch code(err) {
			case "":
				ok.Add(1)
			case "insufficient_funds":
				refused.Add(1)
			default:
				t.Errorf("gift %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 49 || refused.Load() != 51 {
		t.Fatalf("%d sent, %d refused; want 49 and 51", ok.Load(), refused.Load())
	}
	if w := d.wallet(t, "v1"); w.Coins != 0 {
		t.Fatalf("coins %d, want 0", w.Coins)
	}
	d.clean(t)
}

func testHistory[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.user(t, "c1")
	d.user(t, "c2")
	d.user(t, "v1")
	d.live(t, "s1", "c1")
	d.live(t, "s2", "c2")
	purchase := d.buy(t, "v1", 350) // at start
	var sent []string
	for i := range 7 {
		d.clock.Advance(time.Minute) // gift i at start + (i+1) minutes
		stream := []string{"s1", "s2"}[i%2]
		r, err := d.gift(stream, "v1", "rose", int64(i+1), "")
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, r.ID)
	}
	// Paging: newest first, no duplicates, the cursor ends on the last page.
	var refs []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		p, err := d.svc.History(ctx, "v1", gifting.HistoryFilter{Limit: 3}, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) > 3 {
			t.Fatalf("page of %d items, limit 3", len(p.Items))
		}
		for _, it := range p.Items {
			refs = append(refs, it.Ref)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	want := []string{sent[6], sent[5], sent[4], sent[3], sent[2], sent[1], sent[0], purchase.ID}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Fatalf("paged history (-want +got):\n%s", diff)
	}
	// Kinds.
	p, err := d.svc.History(ctx, "v1", gifting.HistoryFilter{Kinds: []string{gifting.HistoryPurchase}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Kind != gifting.HistoryPurchase || p.Items[0].Coins != 350 || p.Items[0].Money == nil || p.Items[0].Money.Value != "4.99" || !p.Items[0].CreatedAt.Equal(start) {
		t.Fatalf("purchases %+v", p.Items)
	}
	p, err = d.svc.History(ctx, "c1", gifting.HistoryFilter{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 4 {
		t.Fatalf("c1 received %d gifts, want 4", len(p.Items))
	}
	for _, it := range p.Items {
		if it.Kind != gifting.HistoryGiftReceived || it.Counterparty != "v1" || it.Coins != 0 || it.Diamonds == "0" {
			t.Fatalf("received item %+v", it)
		}
	}
	if p.Items[0].Ref != sent[6] || p.Items[0].Diamonds != "3.5" {
		t.Fatalf("newest received %+v, want %s with 3.5 diamonds", p.Items[0], sent[6])
	}
	p, err = d.svc.History(ctx, "c1", gifting.HistoryFilter{Kinds: []string{gifting.HistoryGiftSent, gifting.HistoryPurchase}}, "")
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("c1 sent nothing: %+v %v", p, err)
	}
	// Time window [start+2m, start+5m): gifts 1, 2, 3.
	p, err = d.svc.History(ctx, "v1", gifting.HistoryFilter{From: start.Add(2 * time.Minute), To: start.Add(5 * time.Minute)}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range p.Items {
		got = append(got, it.Ref)
		if it.Kind != gifting.HistoryGiftSent || it.Counterparty == "" {
			t.Fatalf("windowed item %+v", it)
		}
	}
	if diff := cmp.Diff([]string{sent[3], sent[2], sent[1]}, got); diff != "" {
		t.Fatalf("time window (-want +got):\n%s", diff)
	}
	_, err = d.svc.History(ctx, "v1", gifting.HistoryFilter{}, "not-a-cursor")
	wantCode(t, "bad cursor", err, "invalid_request")
	_, err = d.svc.History(ctx, "nobody", gifting.HistoryFilter{}, "")
	wantCode(t, "unknown user", err, "user_not_found")
}

func testKeys[T gifting.Tx](t *testing.T, d *domain[T]) {
	ks := d.e.Keys
	_, k1, err := auth.NewAPIKey(auth.ScopeAdmin, "first", start)
	if err != nil {
		t.Fatal(err)
	}
	_, k2, err := auth.NewAPIKey(auth.ScopeService, "second", start.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []auth.APIKey{k1, k2} {
		if err := ks.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := ks.CreateAPIKey(ctx, k1); err == nil {
		t.Fatal("a key was stored twice")
	}
	got, err := ks.APIKeyByHash(ctx, k1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&k1, got); diff != "" {
		t.Fatalf("key by hash (-want +got):\n%s", diff)
	}
	if _, err := ks.APIKeyByHash(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown hash: %v, want auth.ErrNotFound", err)
	}
	list, err := ks.ListAPIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]auth.APIKey{k2, k1}, list); diff != "" {
		t.Fatalf("keys, newest first (-want +got):\n%s", diff)
	}
	d.clock.Advance(time.Hour)
	if err := ks.RevokeAPIKey(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	if err := ks.RevokeAPIKey(ctx, k1.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoke twice: %v, want auth.ErrNotFound", err)
	}
	if err := ks.RevokeAPIKey(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoke unknown: %v, want auth.ErrNotFound", err)
	}
	got, err = ks.APIKeyByHash(ctx, k1.Hash)
	if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("revoked key %+v %v", got, err)
	}

	calls := 0
	gen := func(v string) func() (string, error) {
		return func() (string, error) { calls++; return v, nil }
	}
	if v, err := ks.Setting(ctx, "secret", gen("first")); err != nil || v != "first" {
		t.Fatalf("setting: %q %v", v, err)
	}
	if v, err := ks.Setting(ctx, "secret", gen("second")); err != nil || v != "first" || calls != 1 {
		t.Fatalf("setting again: %q %v (gen called %d times), want the first value", v, err, calls)
	}
	boom := errors.New("boom")
	if _, err := ks.Setting(ctx, "other", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("failing generator: %v", err)
	}
	// Settings are shared: concurrent first callers all get one value.
	var wg sync.WaitGroup
	vals := make([]string, 8)
	for i := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := ks.Setting(ctx, "race", func() (string, error) { return strconv.Itoa(i), nil })
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		}()
	}
	wg.Wait()
	for _, v := range vals {
		if v != vals[0] {
			t.Fatalf("concurrent settings disagree: %v", vals)
		}
	}
}

// testDailySpendCap: a viewer cannot spend more coins on gifts in one UTC
// day than the economy's cap — alone, or within one batch — and a new day
// starts afresh.
func testDailySpendCap[T gifting.Tx](t *testing.T, d *domain[T]) {
	d.econ.Viewers.DailySpendCap = 100
	d.user(t, "v1")
	d.user(t, "c1")
	d.buy(t, "v1", 350)
	d.live(t, "s1", "c1")
	if _, err := d.gift("s1", "v1", "rose", 60, ""); err != nil {
		t.Fatal(err)
	}
	_, err := d.gift("s1", "v1", "rose", 50, "")
	wantCode(t, "a gift past the daily cap", err, "daily_spend_cap")
	var ge *gifting.Error
	if errors.As(err, &ge) && (ge.Details["spent"] != int64(60) || ge.Details["need"] != int64(50) || ge.Details["cap"] != int64(100)) {
		t.Fatalf("details %v, want spent 60, need 50, cap 100", ge.Details)
	}
	if _, err := d.gift("s1", "v1", "rose", 40, ""); err != nil {
		t.Fatalf("a gift up to the cap: %v", err)
	}
	_, err = d.gift("s1", "v1", "rose", 1, "")
	wantCode(t, "one coin past the cap", err, "daily_spend_cap")

	// The next day, within one batch: the second gift sees the first.
	d.clock.Advance(24 * time.Hour)
	res := d.svc.SendGifts(ctx, []gifting.BatchGift{
		{Idem: gifting.Idem{Key: "cap-1", Hash: "a"}, Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 70}},
		{Idem: gifting.Idem{Key: "cap-2", Hash: "b"}, Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 40}},
		{Idem: gifting.Idem{Key: "cap-3", Hash: "c"}, Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "rose", Quantity: 30}},
	})
	if res[0].Err != nil || res[2].Err != nil {
		t.Fatalf("gifts within the new day's cap: %v, %v", res[0].Err, res[2].Err)
	}
	wantCode(t, "the batch's second gift past the cap", res[1].Err, "daily_spend_cap")
	if w := d.wallet(t, "v1"); w.Coins != 350-60-40-70-30 {
		t.Fatalf("v1 has %d coins, want %d: exactly the allowed gifts moved", w.Coins, 350-60-40-70-30)
	}
	d.clean(t)
}
