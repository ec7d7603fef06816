package realtime_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// sqliteNode is glint on a SQLite file, its service publishing into a hub.
func sqliteNode(t *testing.T, econ *economy.Economy, cfg realtime.Config) (*gifting.Service, *realtime.Hub) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	hub := newHub(t, cfg)
	return newService(t, econ, db, db.ApplyBatch, hub.Publish), hub
}

// TestCommittedGiftsOnly: every committed gift is an event, a refused one
// is none — alone or in a batch.
func TestCommittedGiftsOnly(t *testing.T) {
	t.Parallel()
	svc, hub := sqliteNode(t, economy.Seed(), realtime.Config{})
	liveStream(t, svc, "s1")
	ch, cancel := hub.Subscribe("s1", "")
	defer cancel()
	next(t, ch)
	ctx := context.Background()

	var want []string
	want = append(want, send(t, svc, "s1", "v1", "rose", 5, "").ID)
	_, _, err := svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v3", GiftID: "rose", Quantity: 1})
	var ge *gifting.Error
	if !errors.As(err, &ge) || ge.Code != "insufficient_funds" {
		t.Fatalf("a gift from a viewer without coins: %v", err)
	}
	res := svc.SendGifts(ctx, []gifting.BatchGift{
		{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v2", GiftID: "rose", Quantity: 2}},
		{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v3", GiftID: "rose", Quantity: 1}},   // refused
		{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "galaxy", Quantity: 1}}, // refused: 1000 coins
		{Input: gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "panda", Quantity: 1}},
	})
	for i, r := range res {
		if (r.Err == nil) != (i == 0 || i == 3) {
			t.Fatalf("batch gift %d: %+v", i, r)
		}
		if r.Err == nil {
			want = append(want, r.Gift.ID)
		}
	}
	last := send(t, svc, "s1", "v2", "rose", 1, "")
	want = append(want, last.ID)

	ms := until(t, ch, isGift(last.ID))
	ms = append(ms, next(t, ch)) // v2's coins changed the top 3
	var got []string
	for _, m := range ofType(ms, realtime.TypeGift) {
		g := decode[realtime.Gift](t, m)
		got = append(got, g.ID)
		if g.StreamID != "s1" || g.CreatorID != "c1" || g.Coins <= 0 {
			t.Errorf("gift data %s", m.Data)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("gift events (-want +got):\n%s", d)
	}
	checkIDs(t, ms)
	lb := ofType(ms, realtime.TypeLeaderboard)
	top := decode[realtime.Leaderboard](t, lb[len(lb)-1]).Top
	read, err := svc.Leaderboard(ctx, "s1", 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(read, top); d != "" {
		t.Errorf("the last leaderboard differs from the read API's (-read +events):\n%s", d)
	}
}

// TestStreakEnds: through the real service, each streak ends once, be it
// explicitly (twice), by idling past the economy's streak_idle_timeout, or
// explicitly after idling.
func TestStreakEnds(t *testing.T) {
	t.Parallel()
	econ := fastStreaks(t)
	svc, hub := sqliteNode(t, econ, realtime.Config{StreakIdleTimeout: econ.Gifting.StreakIdleTimeout.Duration, StreakGrace: 50 * time.Millisecond})
	liveStream(t, svc, "s1")
	ch, cancel := hub.Subscribe("s1", "")
	defer cancel()
	next(t, ch)
	ctx := context.Background()

	// Explicit, then again (the service ignores the second; so would the hub).
	send(t, svc, "s1", "v1", "rose", 1, "a")
	send(t, svc, "s1", "v1", "rose", 2, "a")
	endCombo(t, svc, "s1", "a")
	endCombo(t, svc, "s1", "a")
	// Idle: b ends by itself; c is extended in time, then idles.
	send(t, svc, "s1", "v2", "rose", 1, "b")
	send(t, svc, "s1", "v1", "panda", 1, "c")
	time.Sleep(100 * time.Millisecond)
	send(t, svc, "s1", "v1", "panda", 1, "c")
	var ms []realtime.Message
	ends := map[string]realtime.Streak{}
	for len(ends) < 3 {
		m := next(t, ch)
		ms = append(ms, m)
		if m.Type == realtime.TypeStreakEnd {
			s := decode[realtime.Streak](t, m)
			if _, dup := ends[s.ComboID]; dup {
				t.Fatalf("a second streak.end for %s", s.ComboID)
			}
			ends[s.ComboID] = s
		}
	}
	want := map[string]realtime.Streak{
		"a": {ComboID: "a", SenderID: "v1", GiftID: "rose", Count: 3, Reason: realtime.EndExplicit},
		"b": {ComboID: "b", SenderID: "v2", GiftID: "rose", Count: 1, Reason: realtime.EndIdle},
		"c": {ComboID: "c", SenderID: "v1", GiftID: "panda", Count: 2, Reason: realtime.EndIdle},
	}
	if d := cmp.Diff(want, ends); d != "" {
		t.Errorf("streak ends (-want +got):\n%s", d)
	}
	var counts []int64
	for _, m := range ofType(ms, realtime.TypeStreak) {
		if s := decode[realtime.Streak](t, m); s.ComboID == "a" {
			counts = append(counts, s.Count)
		}
	}
	if d := cmp.Diff([]int64{1, 3}, counts); d != "" {
		t.Errorf("streak a's progress (-want +got):\n%s", d)
	}
	// Explicit after idle: the service ends b (it was only idle), the hub
	// sends nothing; a gift to the idle c is refused, so no event either.
	endCombo(t, svc, "s1", "b")
	if _, _, err := svc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "v1", GiftID: "panda", Quantity: 1, ComboID: "c"}); err == nil {
		t.Fatal("a gift extended a streak idle past its timeout")
	}
	if v, err := svc.GetCombo(ctx, "s1", "b"); err != nil || !v.Ended {
		t.Fatalf("combo b: %+v, %v", v, err)
	}
	marker := send(t, svc, "s1", "v2", "rose", 1, "")
	rest := until(t, ch, isGift(marker.ID))
	if got := types(rest); len(ofType(rest, realtime.TypeStreakEnd)) > 0 || len(ofType(rest, realtime.TypeGift)) != 1 {
		t.Errorf("after every streak ended: %v", got)
	}
}
