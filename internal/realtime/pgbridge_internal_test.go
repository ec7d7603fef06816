package realtime

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeEnvelope(t *testing.T) {
	t.Parallel()
	small := encodeEnvelope(envelope{Node: "n", Seq: 1, Stream: "s1", Type: relayGift, Data: json.RawMessage(`{"id":"g_1"}`)})
	if small != `{"node":"n","seq":1,"stream":"s1","type":"gift","data":{"id":"g_1"}}` {
		t.Errorf("payload %s", small)
	}
	big := json.RawMessage(`{"title":"` + strings.Repeat("x", maxPayload) + `"}`)
	ref := encodeEnvelope(envelope{Node: "n", Seq: 2, Stream: "s1", Type: relayStreamEnd, Data: big})
	if ref != `{"node":"n","seq":2,"stream":"s1","type":"stream.ended","dropped":true}` {
		t.Errorf("a payload over the limit is sent as %s", ref)
	}
}

// TestHandle: the receiving side skips its own node's events and repeats,
// and resets when a node's sequence has a gap or an event was too large.
func TestHandle(t *testing.T) {
	t.Parallel()
	h := NewHub(Config{})
	defer h.Close()
	b := NewPGBridge(BridgeConfig{Hub: h, Node: "me", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ch, cancel := h.Subscribe("s1", "")
	defer cancel()
	<-ch
	gift := func(node string, seq uint64, id string) string {
		return encodeEnvelope(envelope{Node: node, Seq: seq, Stream: "s1", Type: relayGift, Data: mustJSON(Gift{ID: id, StreamID: "s1", SenderID: "v1"})})
	}
	for _, p := range []string{
		gift("other", 1, "g1"),
		gift("me", 1, "mine"),  // own: already applied locally
		gift("other", 1, "g1"), // a repeat
		gift("other", 3, "g3"), // 2 is lost
		encodeEnvelope(envelope{Node: "other", Seq: 4, Stream: "s1", Type: relayStreamEnd, Data: json.RawMessage(`"` + strings.Repeat("x", 8000) + `"`)}),
		"not json",
	} {
		b.handle(p)
	}
	var got []string
	for len(got) < 5 {
		select {
		case m := <-ch:
			s := m.Type
			if m.Type == TypeGift {
				var g Gift
				_ = json.Unmarshal(m.Data, &g)
				s += " " + g.ID
			}
			if m.Type == TypeReset {
				s += " " + string(m.Data)
			}
			got = append(got, s)
		case <-time.After(time.Second):
			t.Fatalf("got %v", got)
		}
	}
	want := []string{"gift g1", "leaderboard", `reset {"reason":"missed"}`, "gift g3", `reset {"reason":"missed"}`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("messages (-want +got):\n%s", d)
	}
	select {
	case m := <-ch:
		t.Errorf("unexpected %s %s", m.Type, m.Data)
	default:
	}
}
