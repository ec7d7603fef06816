package realtime_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/realtime"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	h := newHub(t, realtime.Config{})
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	if m := next(t, ch); m.Type != "" || m.ID == "" || m.Data != nil || string(m.SSE()) != "id: "+m.ID+"\n\n" {
		t.Fatalf("a fresh subscription starts with its position, got %+v", m)
	}
	evs := []gifting.Event{
		giftEvent("s1", "v1", 10, "k1", 1), // gift, streak 1, top [v1]
		giftEvent("s1", "v2", 5, "", 0),    // gift, top [v1 v2]
		giftEvent("s1", "v1", 1, "k1", 2),  // gift, streak 2, top [v1=11 v2]
		giftEvent("s1", "v3", 7, "", 0),    // gift, top [v1 v3 v2]
		giftEvent("s1", "v4", 1, "", 0),    // gift: v4 is not in the top 3
		giftEvent("s2", "v1", 1, "", 0),    // another stream
		{StreamID: "s1", Type: "stream.ended", Data: gifting.Stream{ID: "s1", CreatorID: "c1", Status: gifting.StreamEnded}},
		{StreamID: "s1", Type: "unknown"},
	}
	for _, ev := range evs {
		h.Publish(ev)
	}
	ms := until(t, ch, func(m realtime.Message) bool { return m.Type == realtime.TypeStreamEnd })
	none(t, ch)
	checkIDs(t, ms)
	want := []string{"gift", "streak", "leaderboard", "gift", "leaderboard", "gift", "streak", "leaderboard", "gift", "leaderboard", "gift",
		"streak.end", "stream.end"}
	if d := cmp.Diff(want, types(ms)); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
	g := decode[map[string]any](t, ms[0])
	if _, ok := g["sender_coins_after"]; ok || g["id"] != giftID(evs[0]) || g["sender_id"] != "v1" || g["coins"] != 10.0 {
		t.Errorf("gift data %s", ms[0].Data)
	}
	if d := cmp.Diff(realtime.Streak{ComboID: "k1", SenderID: "v1", GiftID: "rose", Count: 2}, decode[realtime.Streak](t, ms[6])); d != "" {
		t.Errorf("streak (-want +got):\n%s", d)
	}
	if d := cmp.Diff(realtime.Leaderboard{Top: []gifting.Gifter{{UserID: "v1", Coins: 11, Gifts: 2}, {UserID: "v3", Coins: 7, Gifts: 1}, {UserID: "v2", Coins: 5, Gifts: 1}}},
		decode[realtime.Leaderboard](t, ms[9])); d != "" {
		t.Errorf("leaderboard (-want +got):\n%s", d)
	}
	if d := cmp.Diff(realtime.Streak{ComboID: "k1", SenderID: "v1", GiftID: "rose", Count: 2, Reason: realtime.EndStream}, decode[realtime.Streak](t, ms[11])); d != "" {
		t.Errorf("streak.end (-want +got):\n%s", d)
	}
	if st := decode[gifting.Stream](t, ms[12]); st.ID != "s1" || st.Status != gifting.StreamEnded {
		t.Errorf("stream.end data %s", ms[12].Data)
	}
	for _, m := range ms {
		if want := "id: " + m.ID + "\nevent: " + m.Type + "\ndata: " + string(m.Data) + "\n\n"; string(m.SSE()) != want {
			t.Errorf("frame %q, want %q", m.SSE(), want)
		}
	}
}

func TestSeedLeaderboard(t *testing.T) {
	t.Parallel()
	h := newHub(t, realtime.Config{})
	h.Publish(giftEvent("s1", "v1", 5, "", 0)) // seen before the seed: counted in it
	h.Seed("s1", []gifting.Gifter{{UserID: "v1", Coins: 5, Gifts: 1}, {UserID: "v2", Coins: 50, Gifts: 3}, {UserID: "v3", Coins: 20, Gifts: 2}})
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	next(t, ch)
	h.Publish(giftEvent("s1", "v4", 1, "", 0)) // not in the top 3: no leaderboard
	h.Publish(giftEvent("s1", "v1", 30, "", 0))
	ms := until(t, ch, func(m realtime.Message) bool { return m.Type == realtime.TypeLeaderboard })
	if d := cmp.Diff([]string{"gift", "gift", "leaderboard"}, types(ms)); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
	want := []gifting.Gifter{{UserID: "v2", Coins: 50, Gifts: 3}, {UserID: "v1", Coins: 35, Gifts: 2}, {UserID: "v3", Coins: 20, Gifts: 2}}
	if d := cmp.Diff(want, decode[realtime.Leaderboard](t, ms[2]).Top); d != "" {
		t.Errorf("leaderboard (-want +got):\n%s", d)
	}
}

// TestStreakEndOnce: whatever ends a streak, and however often, its
// streak.end is sent once.
func TestStreakEndOnce(t *testing.T) {
	t.Parallel()
	// Long enough that a loaded machine's scheduling delays (hundreds of
	// milliseconds under CI load) cannot reorder the steps below.
	const idle, grace = time.Second, 100 * time.Millisecond
	tests := []struct {
		name   string
		events func(h *realtime.Hub) // after a gift of combo k (count 1)
		reason string
		count  int64
	}{
		{"explicit", func(h *realtime.Hub) { h.Publish(comboEnded("s", "k", "v1", 1)) }, realtime.EndExplicit, 1},
		{"explicit twice", func(h *realtime.Hub) {
			h.Publish(comboEnded("s", "k", "v1", 1))
			h.Publish(comboEnded("s", "k", "v1", 1))
		}, realtime.EndExplicit, 1},
		{"idle", func(h *realtime.Hub) {}, realtime.EndIdle, 1},
		{"extended, then idle", func(h *realtime.Hub) {
			// Extended half a second before the first timer is due, then
			// sent again after it was due and half a second before the
			// second one is.
			time.Sleep(idle * 6 / 10)
			h.Publish(giftEvent("s", "v1", 1, "k", 3))
			time.Sleep(idle * 6 / 10) // the first timer would have fired by now
			h.Publish(giftEvent("s", "v1", 1, "k", 4))
		}, realtime.EndIdle, 4},
		{"explicit after idle", func(h *realtime.Hub) {
			time.Sleep(idle + grace + 50*time.Millisecond)
			h.Publish(comboEnded("s", "k", "v1", 1))
		}, realtime.EndIdle, 1},
		{"stream end, then explicit", func(h *realtime.Hub) {
			h.Publish(gifting.Event{StreamID: "s", Type: "stream.ended", Data: &gifting.Stream{ID: "s"}})
			h.Publish(comboEnded("s", "k", "v1", 1))
		}, realtime.EndStream, 1},
		{"explicit, then gift (published late)", func(h *realtime.Hub) {
			h.Publish(comboEnded("s", "k", "v1", 1))
			h.Publish(giftEvent("s", "v1", 1, "k", 2))
		}, realtime.EndExplicit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t, realtime.Config{StreakIdleTimeout: idle, StreakGrace: grace})
			ch, cancel := h.Subscribe("s", "")
			defer cancel()
			next(t, ch)
			h.Publish(giftEvent("s", "v1", 1, "k", 1))
			tt.events(h)
			end := until(t, ch, func(m realtime.Message) bool { return m.Type == realtime.TypeStreakEnd })
			if d := cmp.Diff(realtime.Streak{ComboID: "k", SenderID: "v1", GiftID: "rose", Count: tt.count, Reason: tt.reason},
				decode[realtime.Streak](t, end[len(end)-1])); d != "" {
				t.Errorf("streak.end (-want +got):\n%s", d)
			}
			// Long enough for any timer left to fire, then a marker: no
			// second end in between.
			time.Sleep(idle + grace + 50*time.Millisecond)
			h.Publish(comboEnded("s", "k", "v1", 9))
			marker := giftEvent("s", "v9", 1, "", 0)
			h.Publish(marker)
			rest := until(t, ch, isGift(giftID(marker)))
			if ends := ofType(rest, realtime.TypeStreakEnd); len(ends) > 0 {
				t.Errorf("a second streak.end: %s", ends[0].Data)
			}
			if st := ofType(append(end, rest...), realtime.TypeStreak); len(st) > 0 && decode[realtime.Streak](t, st[len(st)-1]).Count > tt.count {
				t.Errorf("streak progress after its end: %s", st[len(st)-1].Data)
			}
		})
	}
}

// TestResume: a subscriber that disconnects and comes back with the id of
// the last message it read gets every message after it, once.
func TestResume(t *testing.T) {
	t.Parallel()
	h := newHub(t, realtime.Config{})
	all, cancelAll := h.Subscribe("s1", "") // never disconnects: the reference
	defer cancelAll()
	next(t, all)
	ch, cancel := h.Subscribe("s1", "")
	next(t, ch)
	var events []gifting.Event
	for i := range 10 {
		events = append(events, giftEvent("s1", "v1", int64(i+1), "k", int64(i+1)))
	}
	for _, ev := range events[:5] {
		h.Publish(ev)
	}
	var seen []realtime.Message
	for range 4 { // disconnect mid-stream: what is still buffered is lost
		seen = append(seen, next(t, ch))
	}
	cancel()
	for _, ev := range events[5:] {
		h.Publish(ev)
	}
	ch, cancel = h.Subscribe("s1", seen[len(seen)-1].ID)
	defer cancel()
	// The last gift is followed by its streak and leaderboard messages.
	seen = append(seen, until(t, ch, isGift(giftID(events[9])))...)
	seen = append(seen, next(t, ch), next(t, ch))
	want := until(t, all, isGift(giftID(events[9])))
	want = append(want, next(t, all), next(t, all))
	checkIDs(t, seen)
	if d := cmp.Diff(want, seen, cmp.Comparer(func(a, b realtime.Message) bool {
		return a.ID == b.ID && a.Type == b.Type && bytes.Equal(a.Data, b.Data)
	})); d != "" {
		t.Errorf("resumed messages (-want +got):\n%s", d)
	}
	if n := len(ofType(seen, realtime.TypeGift)); n != 10 {
		t.Errorf("%d gifts, want 10", n)
	}
	// Resuming from the newest id replays nothing.
	ch2, cancel2 := h.Subscribe("s1", want[len(want)-1].ID)
	defer cancel2()
	none(t, ch2)
}

// TestReset: an id older than the window, from before the hub started, or
// not an id gets a reset carrying the head id, then live messages.
func TestReset(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	before := newHub(t, realtime.Config{Now: clk.Now})
	old, cancel := before.Subscribe("s1", "")
	restart := next(t, old).ID // an id of the node before it restarted
	cancel()
	clk.Advance(time.Second)

	h := newHub(t, realtime.Config{Now: clk.Now, Window: time.Minute})
	ref, cancel := h.Subscribe("s1", "")
	defer cancel()
	start := next(t, ref).ID
	h.Publish(giftEvent("s1", "v1", 1, "", 0))
	first := until(t, ref, func(m realtime.Message) bool { return m.Type == realtime.TypeLeaderboard }) // gift, leaderboard
	clk.Advance(2 * time.Minute)                                                                        // out of the window
	h.Publish(giftEvent("s1", "v1", 1, "", 0))
	second := until(t, ref, func(m realtime.Message) bool { return m.Type == realtime.TypeLeaderboard })
	head := second[1].ID

	for _, last := range []string{restart, start, first[0].ID, "abc", "-1"} {
		ch, cancel := h.Subscribe("s1", last)
		m := next(t, ch)
		if m.Type != realtime.TypeReset || m.ID != head || decode[realtime.Reset](t, m).Reason != realtime.ResetGap {
			t.Errorf("Last-Event-ID %q: got %s %s %s, want a gap reset at %s", last, m.ID, m.Type, m.Data, head)
		}
		none(t, ch)
		marker := giftEvent("s1", "v1", 0, "", 0)
		h.Publish(marker)
		if m := next(t, ch); !isGift(giftID(marker))(m) {
			t.Errorf("after the reset: %s %s", m.Type, m.Data)
		}
		cancel()
		head = next(t, ref).ID
	}
	// The last message evicted is as good as any kept: what follows it is
	// all in the log.
	clk.Advance(2 * time.Minute)
	h.Publish(giftEvent("s1", "v1", 0, "", 0))
	want := next(t, ref)
	ch, cancel := h.Subscribe("s1", head)
	defer cancel()
	if m := next(t, ch); m.ID != want.ID {
		t.Errorf("resume from the last evicted message: got %s %s, want %s", m.ID, m.Type, want.ID)
	}
}

func TestMaxEvents(t *testing.T) {
	t.Parallel()
	h := newHub(t, realtime.Config{MaxEvents: 3})
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	next(t, ch)
	var events []gifting.Event
	for range 6 {
		events = append(events, giftEvent("s1", "v1", 0, "", 0)) // 0 coins: only the first changes the leaderboard
		h.Publish(events[len(events)-1])
	}
	ms := until(t, ch, isGift(giftID(events[5]))) // g1 lb g2 g3 g4 g5 g6; g4 g5 g6 kept
	if d := cmp.Diff([]string{"gift", "leaderboard", "gift", "gift", "gift", "gift", "gift"}, types(ms)); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
	for i, m := range ms {
		sub, cancel := h.Subscribe("s1", m.ID)
		var got realtime.Message
		select {
		case got = <-sub:
		default:
		}
		cancel()
		switch {
		case i < 3: // before g3, the last evicted
			if got.Type != realtime.TypeReset {
				t.Errorf("resume from %d: got %s %s, want a reset", i, got.ID, got.Type)
			}
		case i < len(ms)-1:
			if got.ID != ms[i+1].ID {
				t.Errorf("resume from %d: got %s %s, want %s", i, got.ID, got.Type, ms[i+1].ID)
			}
		default:
			if got.ID != "" {
				t.Errorf("resume from the head: got %s %s", got.ID, got.Type)
			}
		}
	}
}

// TestSlowSubscriber: a subscriber that does not read does not hold up
// publishing; it is cut off with a reset and catches up from the log.
func TestSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := newHub(t, realtime.Config{Buffer: 4, MaxEvents: 10000})
	slow, cancelSlow := h.Subscribe("s1", "")
	defer cancelSlow()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			h.Publish(giftEvent("s1", "v1", 0, "", 0))
		}
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("publishing is blocked by a subscriber that does not read")
	}
	var slowGot []realtime.Message
	for m := range slow { // closed after the reset
		slowGot = append(slowGot, m)
	}
	// Its position, then Buffer messages, then the reset in the last slot.
	if len(slowGot) != 6 || slowGot[5].Type != realtime.TypeReset || slowGot[5].ID != "" || decode[realtime.Reset](t, slowGot[5]).Reason != realtime.ResetSlow {
		t.Fatalf("the slow subscriber got %q, want its position, 4 messages, then a reset without an id", types(slowGot))
	}
	if string(slowGot[5].SSE()) != "event: reset\ndata: {\"reason\":\"slow\"}\n\n" {
		t.Errorf("reset frame %q", slowGot[5].SSE())
	}
	// It comes back from the last id it got and misses nothing: it ends up
	// with what the log holds after its position.
	back, cancel := h.Subscribe("s1", slowGot[4].ID)
	defer cancel()
	caught := slowGot[1:5]
	for len(ofType(caught, realtime.TypeGift)) < 1000 {
		caught = append(caught, next(t, back))
	}
	none(t, back)
	all, cancel := h.Subscribe("s1", slowGot[0].ID)
	defer cancel()
	var want []realtime.Message
	for len(want) < len(caught) {
		want = append(want, next(t, all))
	}
	none(t, all)
	if d := cmp.Diff(types(want), types(caught)); d != "" || caught[len(caught)-1].ID != want[len(want)-1].ID {
		t.Errorf("caught up (-want +got):\n%s", d)
	}
	checkIDs(t, caught)
}

func TestClose(t *testing.T) {
	t.Parallel()
	h := realtime.NewHub(realtime.Config{StreakIdleTimeout: 10 * time.Millisecond})
	ch, _ := h.Subscribe("s1", "")
	next(t, ch)
	h.Publish(giftEvent("s1", "v1", 1, "k", 1)) // an idle timer running
	h.Close()
	h.Close()
	for range ch {
	}
	h.Publish(giftEvent("s1", "v1", 1, "", 0))
	ch, cancel := h.Subscribe("s1", "")
	if _, ok := <-ch; ok {
		t.Error("Subscribe after Close returned an open channel")
	}
	cancel()
	time.Sleep(30 * time.Millisecond) // the timer, had it survived, would have fired
}

// TestIDs: ids increase even when the clock stands still, and sort as
// strings.
func TestIDs(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h := newHub(t, realtime.Config{Now: clk.Now})
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	first := next(t, ch)
	var ms []realtime.Message
	for range 50 {
		h.Publish(giftEvent("s1", "v1", 0, "", 0))
		h.Publish(giftEvent("s2", "v1", 0, "", 0))
	}
	for len(ofType(ms, realtime.TypeGift)) < 50 {
		ms = append(ms, next(t, ch))
	}
	checkIDs(t, append([]realtime.Message{first}, ms...))
	if !strings.HasPrefix(first.ID, "1772366400") {
		t.Errorf("ids are Unix nanoseconds: %s", first.ID)
	}
}
