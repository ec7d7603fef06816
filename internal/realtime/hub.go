// Package realtime fans the events of live streams out to the viewers
// watching them; httpapi serves them as Server-Sent Events at
// GET /v1/streams/{stream_id}/events.
//
// A Hub turns gifting's events (published after commit, so a refused gift
// never shows) into the messages viewers want:
//
//   - gift: a committed gift (the sender's remaining coins are left out);
//   - streak: a streak's running count, when a gift extends it;
//   - streak.end: a streak ended — exactly once per streak, whether it was
//     ended explicitly (POST …/combos/{id}/end), idled past the economy's
//     streak_idle_timeout (a timer in the hub), or its stream ended;
//   - leaderboard: the stream's top 3 gifters, when a gift changes them;
//   - stream.end: the stream ended;
//   - reset: the viewer may have missed messages: read the stream again
//     (GET /v1/streams/{id}) and carry on.
//
// Per stream the hub keeps a log of its messages for a window (5 minutes, at
// most MaxEvents messages), so a viewer who reconnects with the id of the
// last message it saw gets everything after it, without gaps or repeats,
// then live messages. A viewer whose id is older than the log gets a reset.
// A viewer that falls more than Buffer messages behind is not waited for:
// its channel ends with a reset that carries no id, so it reconnects from
// its last id and catches up from the log.
//
// # Message ids
//
// An id is the hub's clock in Unix nanoseconds when the message was logged,
// raised to one more than the previous id when the clock has not moved on
// (or went back), so ids are strictly increasing on a node, across all its
// streams. Written in decimal they have 19 digits (until the year 2286):
// they sort as numbers and as strings. A restarted node issues ids from its
// clock again, above every id it issued before unless the clock went back
// across the restart; its log starts empty, and an id from before the start
// gets a reset (the node does not know what it missed).
//
// Ids are a node's own. Behind a load balancer, a viewer that reconnects to
// another node is answered as if its id were a time: it may see a few
// messages again, or miss the few that were in flight between the nodes.
// Sticky sessions make resumption exact.
//
// # Streak ends
//
// A streak's idle timer runs on the node that logged its last gift: it fires
// StreakIdleTimeout (plus StreakGrace) after that gift was published. The
// hub remembers every streak it ended (for ComboMemory), and ends a streak
// it already ended never again: an explicit end after an idle end, two
// explicit ends, or a remote node's end of a streak ended here are dropped.
// A gift that extends a streak the hub already ended (committed in time,
// published after the idle end fired) is sent as a gift with no streak
// message. A hub that never saw a streak's gifts (it started later) sends
// the streak.end of an explicit end, but runs no timer for it.
//
// # Leaderboard
//
// The top 3 come from a per-stream ranking the hub keeps in memory from the
// gift events it sees (and the other nodes' through PGBridge). It is
// approximate: a hub knows nothing of the gifts sent before it started
// until the read API is used — Seed raises the ranking to the database's
// top gifters, and httpapi seeds it with the stream it reads before every
// subscription. Reversals (refunds, chargebacks) do not lower it.
package realtime

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
)

// Message types.
const (
	TypeGift        = "gift"
	TypeStreak      = "streak"
	TypeStreakEnd   = "streak.end"
	TypeLeaderboard = "leaderboard"
	TypeStreamEnd   = "stream.end"
	TypeGoal        = "goal"
	TypeReset       = "reset"
)

// Reasons of reset messages.
const (
	// ResetGap: the id the viewer resumed from is older than the log (or
	// not a number); what came after it is gone.
	ResetGap = "gap"
	// ResetSlow: the viewer fell behind and was cut off; reconnecting with
	// the last id seen replays what it missed, if still in the log.
	ResetSlow = "slow"
	// ResetMissed: this node may have missed other nodes' events (its
	// listen connection dropped, or a notification was lost or too large).
	ResetMissed = "missed"
)

// Reasons a streak ended.
const (
	EndExplicit = "ended"
	EndIdle     = "idle"
	EndStream   = "stream_ended"
)

// Message is one message of a stream. A Message with an empty Type carries
// only a position (ID): the SSE frame "id: …" with no data, which sets the
// client's Last-Event-ID without dispatching an event.
type Message struct {
	ID   string          // "" for a reset that keeps the client's position
	Type string          // TypeGift, …; "" for a position
	Data json.RawMessage // JSON; nil for a position
	n    int64           // ID as a number
	sse  []byte
}

// SSE returns the message as a Server-Sent Events frame: "id:", "event:" and
// "data:" lines (the data is one line of JSON) and a blank line.
func (m Message) SSE() []byte {
	if m.sse != nil {
		return m.sse
	}
	return frame(m.ID, m.Type, m.Data)
}

func frame(id, typ string, data []byte) []byte {
	b := make([]byte, 0, len(id)+len(typ)+len(data)+24)
	if id != "" {
		b = append(append(append(b, "id: "...), id...), '\n')
	}
	if typ != "" {
		b = append(append(append(b, "event: "...), typ...), '\n')
	}
	if data != nil {
		b = append(append(append(b, "data: "...), data...), '\n')
	}
	return append(b, '\n')
}

func newMessage(n int64, typ string, data []byte) Message {
	m := Message{Type: typ, Data: data, n: n}
	if n != 0 {
		m.ID = formatID(n)
	}
	m.sse = frame(m.ID, m.Type, m.Data)
	return m
}

func formatID(n int64) string { return strconv.FormatInt(n, 10) }

// Gift is the data of a gift message: gifting.GiftResult without the
// sender's remaining coins, which are nobody else's business.
type Gift struct {
	ID        string             `json:"id"`
	StreamID  string             `json:"stream_id"`
	SenderID  string             `json:"sender_id"`
	CreatorID string             `json:"creator_id"`
	GiftID    string             `json:"gift_id"`
	Quantity  int64              `json:"quantity"`
	Coins     int64              `json:"coins"`
	Diamonds  string             `json:"diamonds"`
	Combo     *gifting.ComboInfo `json:"combo,omitempty"`
	// SenderLevel is the sender's gifter level after the gift (1–50).
	SenderLevel int       `json:"sender_level,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Streak is the data of streak and streak.end messages.
type Streak struct {
	ComboID  string `json:"combo_id"`
	SenderID string `json:"sender_id"`
	GiftID   string `json:"gift_id"`
	Count    int64  `json:"count"`
	// Reason is why a streak ended (streak.end only): EndExplicit, EndIdle
	// or EndStream.
	Reason string `json:"reason,omitempty"`
}

// Leaderboard is the data of leaderboard messages: at most 3 gifters, most
// coins first.
type Leaderboard struct {
	Top []gifting.Gifter `json:"top"`
}

// Reset is the data of reset messages.
type Reset struct {
	Reason string `json:"reason"`
}

// Config configures a Hub. Zero values take the defaults.
type Config struct {
	// StreakIdleTimeout ends a streak no gift extended for this long: the
	// economy's gifting.streak_idle_timeout. Zero runs no idle timers
	// (streaks then end explicitly or with their stream).
	StreakIdleTimeout time.Duration
	// StreakGrace is added to StreakIdleTimeout before an idle end fires, so
	// a gift committed just in time but published a little later still
	// extends the streak (default 250ms).
	StreakGrace time.Duration
	// Window is how long messages are kept for replay (default 5 minutes).
	Window time.Duration
	// MaxEvents is the most messages kept per stream (default 1000).
	MaxEvents int
	// Buffer is how many messages a subscriber may fall behind before it is
	// cut off with a reset (default 256).
	Buffer int
	// Heartbeat is how often an SSE response writes a ": ping" comment
	// (default 15s); the hub only keeps it for the HTTP handler.
	Heartbeat time.Duration
	// ComboMemory is how long the hub remembers a streak after its last gift
	// or its end, to send its end once (default 1 hour).
	ComboMemory time.Duration
	// Now is the clock of ids and of the window (time.Now when nil). Timers
	// run on real time.
	Now func() time.Time
}

// Hub keeps the recent messages of every stream and hands them to
// subscribers. It is safe for concurrent use.
type Hub struct {
	cfg    Config
	start  int64
	lastID atomic.Int64
	relay  atomic.Pointer[relayFunc]

	mu      sync.Mutex
	streams map[string]*stream
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// relayFunc hands a local event to the other nodes (PGBridge); it must not
// block. It is called with the stream's lock held, so the other nodes get a
// stream's events in the order they happened here.
type relayFunc func(streamID, typ string, data json.RawMessage)

// Relayed event types (see PGBridge): gifting's, plus the idle end of a
// streak whose timer ran here.
const (
	relayGift       = "gift"
	relayComboEnded = "combo.ended"
	relayStreamEnd  = "stream.ended"
	relayIdle       = "streak.idle"
	relayGoal       = "goal"
)

type stream struct {
	id      string
	mu      sync.Mutex
	dead    bool // removed from the hub: look it up again
	log     []Message
	horizon int64 // every message after this id is in log
	subs    map[*subscriber]struct{}
	combos  map[string]*combo
	rank    map[string]*gifting.Gifter
	top     []gifting.Gifter
}

type subscriber struct {
	ch chan Message
}

type combo struct {
	sender, gift string
	count        int64
	last         time.Time // last gift or end, by the hub's clock
	ended        bool
	timer        *time.Timer
	gen          uint64 // which timer may end it
}

func (c *combo) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.gen++
}

// NewHub returns a Hub; Close stops it.
func NewHub(cfg Config) *Hub {
	if cfg.StreakIdleTimeout < 0 {
		cfg.StreakIdleTimeout = 0
	}
	if cfg.StreakGrace <= 0 {
		cfg.StreakGrace = 250 * time.Millisecond
	}
	if cfg.Window <= 0 {
		cfg.Window = 5 * time.Minute
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = 1000
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.ComboMemory <= 0 {
		cfg.ComboMemory = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{cfg: cfg, streams: map[string]*stream{}, stop: make(chan struct{}), done: make(chan struct{})}
	h.start = h.nextID(cfg.Now())
	go h.janitor()
	return h
}

// Heartbeat returns how often an SSE response should write a comment.
func (h *Hub) Heartbeat() time.Duration { return h.cfg.Heartbeat }

// Close ends every subscription (their channels close) and stops the idle
// timers; afterwards Publish does nothing and Subscribe returns a closed
// channel. Close is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	streams := h.streams
	h.streams = map[string]*stream{}
	h.mu.Unlock()
	close(h.stop)
	<-h.done
	for _, s := range streams {
		s.mu.Lock()
		s.dead = true
		for sub := range s.subs {
			close(sub.ch)
		}
		s.subs = nil
		for _, c := range s.combos {
			c.stopTimer()
		}
		s.mu.Unlock()
	}
}

func (h *Hub) setRelay(fn relayFunc) {
	if fn == nil {
		h.relay.Store(nil)
		return
	}
	h.relay.Store(&fn)
}

func (h *Hub) forward(streamID, typ string, data json.RawMessage) {
	if fn := h.relay.Load(); fn != nil {
		(*fn)(streamID, typ, data)
	}
}

// nextID returns the id of a new message: now in Unix nanoseconds, or one
// more than the last id if that is larger.
func (h *Hub) nextID(now time.Time) int64 {
	n := now.UnixNano()
	for {
		last := h.lastID.Load()
		id := max(n, last+1)
		if h.lastID.CompareAndSwap(last, id) {
			return id
		}
	}
}

// with runs fn on the stream's state, locked, creating it if needed. It
// reports false when the hub is closed.
func (h *Hub) with(id string, fn func(s *stream)) bool {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return false
		}
		s := h.streams[id]
		if s == nil {
			// A new state knows every message of the stream since the hub
			// started, and — if an older state was dropped — since the
			// dropped one's last message left the window.
			floor := h.cfg.Now().Add(-h.cfg.Window).UnixNano()
			s = &stream{id: id, horizon: max(h.start, floor), subs: map[*subscriber]struct{}{},
				combos: map[string]*combo{}, rank: map[string]*gifting.Gifter{}}
			h.streams[id] = s
		}
		h.mu.Unlock()
		s.mu.Lock()
		if s.dead {
			s.mu.Unlock()
			continue
		}
		fn(s)
		s.mu.Unlock()
		return true
	}
}

// find runs fn on the stream's state, locked, if it exists.
func (h *Hub) find(id string, fn func(s *stream)) {
	h.mu.Lock()
	s := h.streams[id]
	h.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dead {
		fn(s)
	}
}

// head is the id of the stream's last message, or its horizon.
func (s *stream) head() int64 {
	if len(s.log) > 0 {
		return s.log[len(s.log)-1].n
	}
	return s.horizon
}

// trim drops the messages older than the window or beyond the most kept.
func (s *stream) trim(now time.Time, window time.Duration, most int) {
	cut := now.Add(-window).UnixNano()
	i := 0
	for i < len(s.log) && (s.log[i].n <= cut || len(s.log)-i > most) {
		i++
	}
	if i > 0 {
		s.horizon = s.log[i-1].n
		clear(s.log[:i])
		s.log = s.log[i:]
	}
}

// append logs a message and hands it to every subscriber. A subscriber with
// one free slot left in its channel gets a reset in it and is closed.
func (h *Hub) append(s *stream, now time.Time, typ string, v any) {
	var data []byte
	switch v := v.(type) {
	case json.RawMessage:
		data = v
	default:
		data = mustJSON(v)
	}
	m := newMessage(h.nextID(now), typ, data)
	s.log = append(s.log, m)
	s.trim(now, h.cfg.Window, h.cfg.MaxEvents)
	for sub := range s.subs {
		if len(sub.ch) >= cap(sub.ch)-1 {
			// Only this goroutine (holding the lock) sends, so the slot
			// cannot fill meanwhile.
			sub.ch <- slowReset
			close(sub.ch)
			delete(s.subs, sub)
			continue
		}
		sub.ch <- m
	}
}

var slowReset = newMessage(0, TypeReset, mustJSON(Reset{Reason: ResetSlow}))

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// The hub's own types always marshal.
		panic("realtime: " + err.Error())
	}
	return b
}

// Subscribe returns the messages of a stream after lastEventID, then its
// live messages, and a cancel func that ends the subscription (and closes
// the channel). With an empty lastEventID the first message is a position
// (the stream's head), then live messages follow. When lastEventID is older
// than the log (or not an id), the first message is a reset carrying the
// head's id. The channel closes after a reset with reason ResetSlow when the
// subscriber falls behind, and when the hub closes.
func (h *Hub) Subscribe(streamID, lastEventID string) (<-chan Message, func()) {
	var sub *subscriber
	ok := h.with(streamID, func(s *stream) {
		s.trim(h.cfg.Now(), h.cfg.Window, h.cfg.MaxEvents)
		var first []Message
		head := s.head()
		if lastEventID == "" {
			first = []Message{newMessage(head, "", nil)}
		} else if n, err := strconv.ParseInt(lastEventID, 10, 64); err != nil || n < s.horizon {
			first = []Message{newMessage(head, TypeReset, mustJSON(Reset{Reason: ResetGap}))}
		} else {
			i, _ := slices.BinarySearchFunc(s.log, n, func(m Message, n int64) int {
				if m.n <= n {
					return -1
				}
				return 1
			})
			first = s.log[i:]
		}
		sub = &subscriber{ch: make(chan Message, len(first)+h.cfg.Buffer+1)}
		for _, m := range first {
			sub.ch <- m
		}
		s.subs[sub] = struct{}{}
	})
	if !ok {
		ch := make(chan Message)
		close(ch)
		return ch, func() {}
	}
	return sub.ch, sync.OnceFunc(func() {
		h.find(streamID, func(s *stream) {
			if _, ok := s.subs[sub]; ok {
				delete(s.subs, sub)
				close(sub.ch)
			}
		})
	})
}

// Publish turns a gifting event ("gift", "combo.ended", "stream.ended") into
// the stream's messages, and hands it to the other nodes when a PGBridge is
// running. Other event types are ignored. It never blocks on subscribers;
// use it as gifting.Config.Publish.
func (h *Hub) Publish(ev gifting.Event) {
	switch ev.Type {
	case "gift":
		var r *gifting.GiftResult
		switch d := ev.Data.(type) {
		case *gifting.GiftResult:
			r = d
		case gifting.GiftResult:
			r = &d
		}
		if r != nil {
			g := giftOf(r)
			h.gift(ev.StreamID, &g, true)
		}
	case "combo.ended":
		var v *gifting.ComboView
		switch d := ev.Data.(type) {
		case *gifting.ComboView:
			v = d
		case gifting.ComboView:
			v = &d
		}
		if v != nil {
			h.comboEnded(ev.StreamID, Streak{ComboID: v.ComboID, SenderID: v.SenderID, GiftID: v.GiftID, Count: v.Count}, true)
		}
	case "stream.ended":
		var st *gifting.Stream
		switch d := ev.Data.(type) {
		case *gifting.Stream:
			st = d
		case gifting.Stream:
			st = &d
		}
		if st != nil {
			h.streamEnded(ev.StreamID, st, true)
		}
	case "goal":
		data, err := json.Marshal(ev.Data)
		if err == nil {
			h.goal(ev.StreamID, data, true)
		}
	}
}

// goal passes a stream goal's progress through as it is.
func (h *Hub) goal(streamID string, data json.RawMessage, local bool) {
	h.with(streamID, func(s *stream) {
		h.append(s, h.cfg.Now(), TypeGoal, data)
		if local {
			h.forward(streamID, relayGoal, data)
		}
	})
}

func giftOf(r *gifting.GiftResult) Gift {
	return Gift{ID: r.ID, StreamID: r.StreamID, SenderID: r.SenderID, CreatorID: r.CreatorID, GiftID: r.GiftID, Quantity: r.Quantity,
		Coins: r.Coins, Diamonds: r.Diamonds, Combo: r.Combo, SenderLevel: r.SenderLevel, CreatedAt: r.CreatedAt}
}

// applyRemote applies another node's event (see PGBridge).
func (h *Hub) applyRemote(streamID, typ string, data json.RawMessage) error {
	switch typ {
	case relayGift:
		var g Gift
		if err := json.Unmarshal(data, &g); err != nil {
			return err
		}
		h.gift(streamID, &g, false)
	case relayComboEnded, relayIdle:
		var v Streak
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		if typ == relayIdle {
			h.streakIdle(streamID, v)
		} else {
			h.comboEnded(streamID, v, false)
		}
	case relayGoal:
		h.goal(streamID, data, false)
	case relayStreamEnd:
		var st gifting.Stream
		if err := json.Unmarshal(data, &st); err != nil {
			return err
		}
		h.streamEnded(streamID, &st, false)
	}
	return nil
}

func (h *Hub) gift(streamID string, g *Gift, local bool) {
	h.with(streamID, func(s *stream) {
		now := h.cfg.Now()
		data := json.RawMessage(mustJSON(g))
		h.append(s, now, TypeGift, data)
		if g.Combo != nil {
			h.extendStreak(s, now, g, local)
		}
		h.rankGift(s, now, g)
		if local {
			h.forward(streamID, relayGift, data)
		}
	})
}

// extendStreak sends a streak's new count and, on the node that saw the
// gift, (re)arms its idle timer; a node that sees another node's gift stops
// its own timer: the other node's runs.
func (h *Hub) extendStreak(s *stream, now time.Time, g *Gift, local bool) {
	id := g.Combo.ID
	c := s.combos[id]
	if c == nil {
		c = &combo{sender: g.SenderID, gift: g.GiftID}
		s.combos[id] = c
	}
	c.last = now
	if c.ended || g.Combo.Count <= c.count {
		// Ended here already (its end is sent once), or an older gift of
		// the streak arriving late from another node.
		return
	}
	c.count = g.Combo.Count
	h.append(s, now, TypeStreak, Streak{ComboID: id, SenderID: c.sender, GiftID: c.gift, Count: c.count})
	c.stopTimer()
	if local && h.cfg.StreakIdleTimeout > 0 {
		gen, streamID := c.gen, s.id
		c.timer = time.AfterFunc(h.cfg.StreakIdleTimeout+h.cfg.StreakGrace, func() { h.idle(streamID, id, gen) })
	}
}

// idle ends a streak whose timer fired, unless a gift or an end came first.
func (h *Hub) idle(streamID, comboID string, gen uint64) {
	h.find(streamID, func(s *stream) {
		c := s.combos[comboID]
		if c == nil || c.ended || c.gen != gen {
			return
		}
		c.timer = nil
		v := h.endStreak(s, h.cfg.Now(), comboID, c, EndIdle)
		h.forward(streamID, relayIdle, mustJSON(v))
	})
}

// endStreak marks a streak ended and sends its streak.end.
func (h *Hub) endStreak(s *stream, now time.Time, id string, c *combo, reason string) Streak {
	c.stopTimer()
	c.ended, c.last = true, now
	v := Streak{ComboID: id, SenderID: c.sender, GiftID: c.gift, Count: c.count, Reason: reason}
	h.append(s, now, TypeStreakEnd, v)
	return v
}

// comboEnded applies an explicit end: the streak's end, unless it ended here
// already.
func (h *Hub) comboEnded(streamID string, v Streak, local bool) {
	h.with(streamID, func(s *stream) {
		h.knownEnd(s, v, EndExplicit)
		if local {
			h.forward(streamID, relayComboEnded, mustJSON(Streak{ComboID: v.ComboID, SenderID: v.SenderID, GiftID: v.GiftID, Count: v.Count}))
		}
	})
}

// streakIdle applies another node's idle end.
func (h *Hub) streakIdle(streamID string, v Streak) {
	h.with(streamID, func(s *stream) { h.knownEnd(s, v, EndIdle) })
}

func (h *Hub) knownEnd(s *stream, v Streak, reason string) {
	now := h.cfg.Now()
	c := s.combos[v.ComboID]
	if c == nil {
		c = &combo{sender: v.SenderID, gift: v.GiftID}
		s.combos[v.ComboID] = c
	}
	if c.ended {
		return
	}
	c.count = max(c.count, v.Count)
	h.endStreak(s, now, v.ComboID, c, reason)
}

// streamEnded ends the stream's open streaks, then sends stream.end.
func (h *Hub) streamEnded(streamID string, st *gifting.Stream, local bool) {
	h.with(streamID, func(s *stream) {
		now := h.cfg.Now()
		ids := make([]string, 0, len(s.combos))
		for id, c := range s.combos {
			if !c.ended {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			h.endStreak(s, now, id, s.combos[id], EndStream)
		}
		data := json.RawMessage(mustJSON(st))
		h.append(s, now, TypeStreamEnd, data)
		if local {
			h.forward(streamID, relayStreamEnd, data)
		}
	})
}

// topN is how many gifters leaderboard messages carry.
const topN = 3

// rankGift adds a gift to the stream's ranking and sends the top 3 when
// they changed (who, in which order, or their coins).
func (h *Hub) rankGift(s *stream, now time.Time, g *Gift) {
	r := s.rank[g.SenderID]
	if r == nil {
		r = &gifting.Gifter{UserID: g.SenderID}
		s.rank[g.SenderID] = r
	}
	if r.Coins > 1<<62 || g.Coins > 1<<62 {
		return // approximate anyway; never overflow
	}
	r.Coins += g.Coins
	r.Gifts++
	// Totals only grow, so the new top 3 is the old one with this gifter's
	// new total, re-ranked.
	top := slices.DeleteFunc(slices.Clone(s.top), func(x gifting.Gifter) bool { return x.UserID == r.UserID })
	top = rankTop(append(top, *r))
	if !sameTop(top, s.top) {
		s.top = top
		h.append(s, now, TypeLeaderboard, Leaderboard{Top: top})
	}
}

// rankTop sorts gifters as the read API does (most coins, then user id)
// and keeps the first topN.
func rankTop(gs []gifting.Gifter) []gifting.Gifter {
	slices.SortFunc(gs, func(a, b gifting.Gifter) int {
		if a.Coins != b.Coins {
			if a.Coins > b.Coins {
				return -1
			}
			return 1
		}
		if a.UserID < b.UserID {
			return -1
		}
		if a.UserID > b.UserID {
			return 1
		}
		return 0
	})
	return gs[:min(len(gs), topN)]
}

func sameTop(a, b []gifting.Gifter) bool {
	return slices.EqualFunc(a, b, func(x, y gifting.Gifter) bool { return x.UserID == y.UserID && x.Coins == y.Coins })
}

// Seed raises a stream's ranking to top (the database's top gifters, as the
// read API returns them): each gifter's totals become the larger of what
// the hub counted and what the database holds. It sends nothing; the next
// gift that changes the top 3 does.
func (h *Hub) Seed(streamID string, top []gifting.Gifter) {
	h.with(streamID, func(s *stream) {
		for _, g := range top {
			r := s.rank[g.UserID]
			if r == nil {
				r = &gifting.Gifter{UserID: g.UserID}
				s.rank[g.UserID] = r
			}
			r.Coins, r.Gifts = max(r.Coins, g.Coins), max(r.Gifts, g.Gifts)
		}
		all := make([]gifting.Gifter, 0, len(s.rank))
		for _, r := range s.rank {
			all = append(all, *r)
		}
		s.top = slices.Clone(rankTop(all))
	})
}

// resetAll sends a reset (logged, with an id) to every stream the hub
// holds: it may have missed other nodes' events.
func (h *Hub) resetAll(reason string) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.streams))
	for id := range h.streams {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		h.resetStream(id, reason)
	}
}

// resetStream sends a reset (logged, with an id) to a stream the hub holds.
func (h *Hub) resetStream(streamID, reason string) {
	h.find(streamID, func(s *stream) { h.append(s, h.cfg.Now(), TypeReset, Reset{Reason: reason}) })
}

// janitor drops what the window no longer covers: old messages, streaks
// forgotten after ComboMemory, and the state of streams nobody watches and
// nothing happened in.
func (h *Hub) janitor() {
	defer close(h.done)
	t := time.NewTicker(max(min(h.cfg.Window/2, 30*time.Second), 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.sweep()
		}
	}
}

func (h *Hub) sweep() {
	now := h.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, s := range h.streams {
		s.mu.Lock()
		s.trim(now, h.cfg.Window, h.cfg.MaxEvents)
		for cid, c := range s.combos {
			if c.timer == nil && now.Sub(c.last) > h.cfg.ComboMemory {
				delete(s.combos, cid)
			}
		}
		if len(s.subs) == 0 && len(s.log) == 0 && len(s.combos) == 0 {
			s.dead = true
			delete(h.streams, id)
		}
		s.mu.Unlock()
	}
}
