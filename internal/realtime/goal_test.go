package realtime

import (
	"strings"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
)

// A stream goal's progress reaches subscribers as a goal event, and a
// gift's event carries the sender's level.
func TestGoalAndLevelPassThrough(t *testing.T) {
	h := NewHub(Config{StreakIdleTimeout: time.Minute})
	defer h.Close()
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	h.Publish(gifting.Event{StreamID: "s1", Type: "goal", Data: map[string]any{"kind": "coins", "target": 1000, "progress": 250, "reached": false}})
	h.Publish(gifting.Event{StreamID: "s1", Type: "gift", Data: &gifting.GiftResult{ID: "g1", StreamID: "s1", SenderID: "v1", CreatorID: "c1", GiftID: "rose", Quantity: 1, Coins: 1, Diamonds: "0.5", SenderLevel: 7}})
	want := map[string]string{TypeGoal: `"progress":250`, TypeGift: `"sender_level":7`}
	deadline := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case m := <-ch:
			if frag, ok := want[m.Type]; ok {
				if !strings.Contains(string(m.Data), frag) {
					t.Fatalf("%s event %s lacks %s", m.Type, m.Data, frag)
				}
				delete(want, m.Type)
			}
		case <-deadline:
			t.Fatalf("events not received: %v", want)
		}
	}
}
