package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/realtime"
)

// wait is how long a test waits for a message that must come.
const wait = 5 * time.Second

// next returns the next message of ch, failing the test if none comes in
// time or the channel closes.
func next(t testing.TB, ch <-chan realtime.Message) realtime.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return m
	case <-time.After(wait):
		t.Fatal("no message in time")
	}
	return realtime.Message{}
}

// until reads messages up to and including the first that stop accepts.
func until(t testing.TB, ch <-chan realtime.Message, stop func(realtime.Message) bool) []realtime.Message {
	t.Helper()
	var out []realtime.Message
	for {
		m := next(t, ch)
		out = append(out, m)
		if stop(m) {
			return out
		}
	}
}

// isGift matches the gift message of gift record id.
func isGift(id string) func(realtime.Message) bool {
	return func(m realtime.Message) bool {
		if m.Type != realtime.TypeGift {
			return false
		}
		var g realtime.Gift
		return json.Unmarshal(m.Data, &g) == nil && g.ID == id
	}
}

// none fails the test if ch holds a message now.
func none(t testing.TB, ch <-chan realtime.Message) {
	t.Helper()
	select {
	case m := <-ch:
		t.Fatalf("unexpected message %s %s", m.Type, m.Data)
	default:
	}
}

func decode[T any](t testing.TB, m realtime.Message) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(m.Data, &v); err != nil {
		t.Fatalf("%s data %s: %v", m.Type, m.Data, err)
	}
	return v
}

// ofType keeps the messages of type typ.
func ofType(ms []realtime.Message, typ string) []realtime.Message {
	var out []realtime.Message
	for _, m := range ms {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

// types lists the types of ms.
func types(ms []realtime.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Type
	}
	return out
}

// checkIDs fails unless the ids of ms are 19-digit numbers, strictly
// increasing, in string order too.
func checkIDs(t testing.TB, ms []realtime.Message) {
	t.Helper()
	var last string
	for _, m := range ms {
		if _, err := strconv.ParseInt(m.ID, 10, 64); err != nil || len(m.ID) != 19 {
			t.Fatalf("id %q is not a 19-digit number", m.ID)
		}
		if last != "" && m.ID <= last {
			t.Fatalf("id %s after %s", m.ID, last)
		}
		last = m.ID
	}
}

// ---- events without a database ----

var giftSeq atomic.Int64

// giftEvent is the event gifting publishes for a committed gift.
func giftEvent(stream, sender string, coins int64, combo string, count int64) gifting.Event {
	r := &gifting.GiftResult{ID: fmt.Sprintf("g_%d", giftSeq.Add(1)), StreamID: stream, SenderID: sender, CreatorID: "c1", GiftID: "rose",
		Quantity: 1, Coins: coins, Diamonds: "0.5", SenderCoinsAfter: 99, CreatedAt: time.Now()}
	if combo != "" {
		r.Combo = &gifting.ComboInfo{ID: combo, Count: count}
	}
	return gifting.Event{StreamID: stream, Type: "gift", Data: r}
}

func comboEnded(stream, combo, sender string, count int64) gifting.Event {
	return gifting.Event{StreamID: stream, Type: "combo.ended", Data: &gifting.ComboView{StreamID: stream, ComboID: combo, SenderID: sender, GiftID: "rose", Count: count, Ended: true}}
}

func giftID(ev gifting.Event) string { return ev.Data.(*gifting.GiftResult).ID }

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newHub(t testing.TB, cfg realtime.Config) *realtime.Hub {
	h := realtime.NewHub(cfg)
	t.Cleanup(h.Close)
	return h
}

// ---- a real gifting service ----

// fastStreaks is the seed economy with streaks ending after 200ms idle.
func fastStreaks(t testing.TB) *economy.Economy {
	t.Helper()
	seed := economy.SeedFile()
	old := []byte(`streak_idle_timeout = "5s"`)
	if !bytes.Contains(seed, old) {
		t.Fatalf("the seed economy has no line %s", old)
	}
	e, err := economy.Parse(bytes.Replace(seed, old, []byte(`streak_idle_timeout = "200ms"`), 1))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newService wires a gifting service over a store's batch writer, as
// glint serve does, publishing into publish.
func newService[T gifting.Tx](t testing.TB, econ *economy.Economy, read gifting.Reader, apply ledger.ApplyFunc[T], publish func(gifting.Event)) *gifting.Service {
	t.Helper()
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 1024}, apply)
	b.Start()
	t.Cleanup(b.Stop)
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: money.NewLive(money.DefaultRates()), Read: read, Publish: publish,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}},
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(tx T) error { return op(tx) })
		},
		WriteMany: func(ctx context.Context, ops []func(gifting.Tx) error) []error {
			wrapped := make([]func(T) error, len(ops))
			for i, op := range ops {
				wrapped[i] = func(tx T) error { return op(tx) }
			}
			return b.DoMany(ctx, wrapped)
		},
	})
	if _, err := svc.SyncCatalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

// liveStream creates creator c1, viewers v1 and v2 with 70 coins each and
// v3 with none, and starts stream id.
func liveStream(t testing.TB, svc *gifting.Service, id string) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []string{"c1", "v1", "v2", "v3"} {
		if _, _, err := svc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: u, DisplayName: u, Country: "US", AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"v1", "v2"} {
		if _, _, err := svc.Purchase(ctx, gifting.Idem{}, gifting.PurchaseInput{UserID: u, PackageID: "web-usd-70"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := svc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: id, CreatorID: "c1"}); err != nil {
		t.Fatal(err)
	}
}

// send sends a gift that must be committed and returns its id.
func send(t testing.TB, svc *gifting.Service, stream, sender, gift string, qty int64, combo string) *gifting.GiftResult {
	t.Helper()
	r, _, err := svc.SendGift(context.Background(), gifting.Idem{}, gifting.SendGiftInput{StreamID: stream, SenderID: sender, GiftID: gift, Quantity: qty, ComboID: combo})
	if err != nil {
		t.Fatalf("gift %s×%d from %s: %v", gift, qty, sender, err)
	}
	return r
}

// endCombo ends a streak explicitly.
func endCombo(t testing.TB, svc *gifting.Service, stream, combo string) {
	t.Helper()
	if _, _, err := svc.EndCombo(context.Background(), gifting.Idem{}, stream, combo, ""); err != nil {
		t.Fatal(err)
	}
}
