package realtime_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/glint-economy/glint/internal/realtime"
)

// drain returns the messages ch holds now.
func drain(ch <-chan realtime.Message) []realtime.Message {
	var out []realtime.Message
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, m)
		default:
			return out
		}
	}
}

// FuzzSubscribe checks the Last-Event-ID a reconnecting viewer sends (the
// SSE routes of the API and the pages pass it to Subscribe as received),
// after any number of gifts in a stream whose log keeps 8 messages: no id
// gives a position; an id that is not a number, or older than the log,
// gives a reset; any other id gives exactly the logged messages after it,
// in order, none twice and none skipped; and resuming from a message still
// in the log is never a reset.
func FuzzSubscribe(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "abc", "1e3", "+1", "0001", " 1", "1 ", "٣", "9223372036854775807", "9223372036854775808", "\x00"} {
		f.Add(uint8(5), s, uint8(0))
	}
	// Resume from a logged message: an odd pick is an index into the log.
	for _, c := range [][2]uint8{{12, 3}, {12, 19}, {12, 21}, {12, 23}, {3, 1}, {3, 3}, {3, 5}, {1, 1}} {
		f.Add(c[0], "", c[1])
	}
	f.Fuzz(func(t *testing.T, gifts uint8, lastID string, pick uint8) {
		const keep = 8
		h := realtime.NewHub(realtime.Config{MaxEvents: keep})
		defer h.Close()
		all, cancel := h.Subscribe("s1", "")
		defer cancel()
		for i := range int(gifts % 13) {
			h.Publish(giftEvent("s1", "v1", int64(1+i), "", 0))
		}
		log := drain(all)
		if len(log) == 0 || log[0].Type != "" {
			t.Fatalf("the first message of a new subscription is %+v, not a position", log)
		}
		head, log := log[0], log[1:]
		checkIDs(t, log)
		if len(log) > 0 && lastID == "" && pick%2 == 1 {
			// Resume from a message the fuzzer picks (by its id).
			lastID = log[int(pick)%len(log)].ID
		}

		ch, stop := h.Subscribe("s1", lastID)
		got := drain(ch)
		stop()
		if len(got) == 0 && lastID == "" {
			t.Fatal("no position")
		}
		switch {
		case lastID == "":
			want := head.ID
			if len(log) > 0 {
				want = log[len(log)-1].ID
			}
			if len(got) != 1 || got[0].Type != "" || got[0].ID != want {
				t.Fatalf("no Last-Event-ID: %+v, want a position at %s", got, want)
			}
			return
		case len(got) == 1 && got[0].Type == realtime.TypeReset:
			n, err := strconv.ParseInt(lastID, 10, 64)
			kept := len(log) - min(len(log), keep-1) // the index of the oldest message resumable for sure
			if err == nil && slices.ContainsFunc(log[kept:], func(m realtime.Message) bool { return m.ID == strconv.FormatInt(n, 10) }) {
				t.Fatalf("resuming from %q, still in the log, is a reset", lastID)
			}
			return
		}
		n, err := strconv.ParseInt(lastID, 10, 64)
		if err != nil {
			t.Fatalf("Last-Event-ID %q, not a number, replays %d messages", lastID, len(got))
		}
		var want []string
		for _, m := range log {
			if id, _ := strconv.ParseInt(m.ID, 10, 64); id > n {
				want = append(want, m.ID)
			}
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("Last-Event-ID %q: replayed %v, want %v", lastID, ids, want)
		}
	})
}
