package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// newEventsHarness is a harness whose service publishes into a hub served
// at GET /v1/streams/{id}/events. Unlike newHarness it runs on real time
// (streaks idle out on the hub's timers and in the store alike).
func newEventsHarness(t *testing.T, econ *economy.Economy, cfg realtime.Config) (*harness, *realtime.Hub) {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, world: &world{clock: &clock{now: time.Now()}, client: &http.Client{Timeout: 30 * time.Second},
		tokens: map[string]string{}, minted: map[string]time.Time{}, watched: map[string]bool{}}}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	batcher := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 128, Queue: 1024}, db.ApplyBatch)
	batcher.Start()
	t.Cleanup(batcher.Stop)
	hub := realtime.NewHub(cfg)
	fx := money.NewLive(money.DefaultRates())
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: fx, Read: db, Providers: []gifting.PaymentProvider{payments.Sandbox{}}, Publish: hub.Publish,
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	authn := auth.New(auth.Config{Keys: db, TokenSecret: []byte(tokenSecret)})
	h.db, h.auth, h.batcher = db, authn, batcher
	h.admin, _ = h.newKey(auth.ScopeAdmin)
	h.service, h.serviceKeyID = h.newKey(auth.ScopeService)
	h.api = httpapi.New(httpapi.Config{Service: svc, Auth: authn, FX: fx, Registry: prometheus.NewRegistry(), Version: "test",
		RateLimits: &httpapi.RateLimits{}, Logger: slog.New(errorLog{h.world}), Events: hub})
	srv := httptest.NewServer(h.api)
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close) // first: it ends the open streams, so srv.Close does not wait on them
	h.URL = srv.URL
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, l := range h.errLogs {
			t.Errorf("the server logged an error (a 500): %s", l)
		}
	})
	return h, hub
}

// sse is one thing read from an event stream: an event (its id, type and
// data; a block with only an id has an empty Event), or a comment.
type sse struct {
	ID, Event, Data, Comment string
}

// eventStream is an open GET …/events.
type eventStream struct {
	res  *http.Response
	msgs chan sse
	err  error // why msgs closed
}

// openEvents opens the event stream of a stream as the credential as (see
// harness.authorization), sending headers (name, value pairs).
func (h *harness) openEvents(base, path, as string, headers ...string) *eventStream {
	h.t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if a := h.authorization(as); a != "" {
		req.Header.Set("Authorization", a)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{}).Do(req) // no timeout: it streams
	if err != nil {
		h.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		h.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	es := &eventStream{res: res, msgs: make(chan sse, 1024)}
	h.t.Cleanup(es.close)
	go func() {
		defer close(es.msgs)
		r := bufio.NewReader(res.Body)
		var cur sse
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				es.err = err
				return
			}
			line = strings.TrimSuffix(line, "\n")
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "":
				if line == "" {
					if cur != (sse{}) {
						es.msgs <- cur
					}
					cur = sse{}
				} else {
					es.msgs <- sse{Comment: value}
				}
			case "id":
				cur.ID = value
			case "event":
				cur.Event = value
			case "data":
				cur.Data = value
			}
		}
	}()
	return es
}

func (es *eventStream) close() { es.res.Body.Close() }

// next returns the next event (skipping comments), failing after 5 s.
func (es *eventStream) next(t testing.TB) sse {
	t.Helper()
	for {
		select {
		case m, ok := <-es.msgs:
			if !ok {
				t.Fatalf("the event stream ended: %v", es.err)
			}
			if m.Comment == "" {
				return m
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event in time")
		}
	}
}

// until reads events up to and including the first that stop accepts.
func (es *eventStream) until(t testing.TB, stop func(sse) bool) []sse {
	t.Helper()
	var out []sse
	for {
		m := es.next(t)
		out = append(out, m)
		if stop(m) {
			return out
		}
	}
}

func giftIs(id string) func(sse) bool {
	return func(m sse) bool {
		var g realtime.Gift
		return m.Event == realtime.TypeGift && json.Unmarshal([]byte(m.Data), &g) == nil && g.ID == id
	}
}

// sendGift sends a gift that must be committed and returns its id.
func (h *harness) sendGift(stream, sender, gift string, qty int, combo string) string {
	h.t.Helper()
	r := h.gift(stream, sender, gift, qty, combo, fmt.Sprintf("g-%d", time.Now().UnixNano()))
	if r.Status != http.StatusCreated {
		h.t.Fatalf("gift: %s", r)
	}
	return r.json(h.t)["id"].(string)
}

// eventsStream makes creator c1 go live in stream s1, with viewers v1 (70
// coins) and v2 (none).
func (h *harness) eventsStream() {
	h.t.Helper()
	h.putUser("c1", "Creator", "US", true)
	h.putUser("v1", "Viewer", "US", true)
	h.putUser("v2", "Broke", "US", true)
	h.buy("v1", "web-usd-70")
	h.goLive("c1", "s1")
}

func TestStreamEventsRefusals(t *testing.T) {
	t.Parallel()
	h, _ := newEventsHarness(t, economy.Seed(), realtime.Config{})
	h.eventsStream()
	for _, tt := range []struct {
		name, path, as string
		status         int
		code           string
	}{
		{"no credentials", "/v1/streams/s1/events", "", 401, "unauthorized"},
		{"bad credentials", "/v1/streams/s1/events", "raw:Bearer nope", 401, "unauthorized"},
		{"no such stream", "/v1/streams/nope/events", "user:v1", 404, "stream_not_found"},
		{"wrong method", "/v1/streams/s1/events", "user:v1", 405, "method_not_allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if tt.status == 405 {
				method = "POST"
			}
			r := h.with(t).do(method, tt.path, tt.as, "")
			if r.Status != tt.status || r.errorCode() != tt.code || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("got %s (%s), want %d %s", r, r.Header.Get("Content-Type"), tt.status, tt.code)
			}
			if tt.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("a 401 without WWW-Authenticate")
			}
		})
	}
}

// TestStreamEvents: any authenticated caller watches; every committed gift
// is an event, a refused one none; a client that reconnects with the id of
// the last event it saw (header or query) gets every event after it, once.
func TestStreamEvents(t *testing.T) {
	t.Parallel()
	h, _ := newEventsHarness(t, economy.Seed(), realtime.Config{})
	h.eventsStream()
	es := h.openEvents(h.URL, "/v1/streams/s1/events", "user:v2")
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := es.res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if pos := es.next(t); pos.ID == "" || pos.Event != "" || pos.Data != "" {
		t.Fatalf("the stream starts with its position, got %+v", pos)
	}
	g1 := h.sendGift("s1", "v1", "rose", 5, "k")
	if r := h.gift("s1", "v2", "rose", 1, "", "refused"); r.Status != http.StatusUnprocessableEntity || r.errorCode() != "insufficient_funds" {
		t.Fatalf("a gift without coins: %s", r)
	}
	g2 := h.sendGift("s1", "v1", "rose", 1, "k")
	first := es.until(t, giftIs(g2))
	var evs []string
	for _, m := range first {
		evs = append(evs, m.Event)
	}
	if d := cmp.Diff([]string{"gift", "streak", "leaderboard", "gift"}, evs); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if !giftIs(g1)(first[0]) || strings.Contains(first[0].Data, "sender_coins_after") {
		t.Errorf("first event %+v", first[0])
	}
	es.close() // disconnect before the rest of g2's events

	// Gifts while away, then back with Last-Event-ID: the header, or the
	// query parameter for EventSource polyfills that cannot set it.
	g3 := h.sendGift("s1", "v1", "rose", 1, "k")
	g4 := h.sendGift("s1", "v1", "rose", 1, "k")
	ref := h.openEvents(h.URL, "/v1/streams/s1/events?last_event_id="+first[0].ID, "service")
	want := ref.until(t, giftIs(g4))
	for _, how := range []string{"header", "query"} {
		t.Run(how, func(t *testing.T) {
			var back *eventStream
			if how == "header" {
				back = h.openEvents(h.URL, "/v1/streams/s1/events", "user:v1", "Last-Event-ID", first[len(first)-1].ID)
			} else {
				back = h.openEvents(h.URL, "/v1/streams/s1/events?last_event_id="+first[len(first)-1].ID, "user:v1")
			}
			got := append(first, back.until(t, giftIs(g4))...)
			if d := cmp.Diff(want, got[1:]); d != "" {
				t.Errorf("events after reconnecting (-want +got):\n%s", d)
			}
			var ids []string
			seen := map[string]bool{}
			for _, m := range got {
				if seen[m.ID] || (len(ids) > 0 && m.ID <= ids[len(ids)-1]) {
					t.Errorf("id %s repeated or out of order after %v", m.ID, ids)
				}
				seen[m.ID] = true
				ids = append(ids, m.ID)
			}
			if n := len(ofEvent(got, realtime.TypeGift)); n != 4 {
				t.Errorf("%d gifts, want 4 (%s %s %s %s)", n, g1, g2, g3, g4)
			}
		})
	}
	// From an id the node never issued (too old): a reset, then live.
	old := h.openEvents(h.URL, "/v1/streams/s1/events", "user:v1", "Last-Event-ID", "1")
	if m := old.next(t); m.Event != realtime.TypeReset || m.ID == "" || m.Data != `{"reason":"gap"}` {
		t.Errorf("from a lost id: %+v", m)
	}
}

func ofEvent(ms []sse, typ string) []sse {
	var out []sse
	for _, m := range ms {
		if m.Event == typ {
			out = append(out, m)
		}
	}
	return out
}

// TestStreamEventsStreaks: an idle streak ends once on the stream, also
// when it is then ended explicitly.
func TestStreamEventsStreaks(t *testing.T) {
	t.Parallel()
	seed := economy.SeedFile()
	econ, err := economy.Parse(bytes.Replace(seed, []byte(`streak_idle_timeout = "5s"`), []byte(`streak_idle_timeout = "200ms"`), 1))
	if err != nil || econ.Gifting.StreakIdleTimeout.Duration != 200*time.Millisecond {
		t.Fatalf("economy: %v", err)
	}
	h, _ := newEventsHarness(t, econ, realtime.Config{StreakIdleTimeout: econ.Gifting.StreakIdleTimeout.Duration, StreakGrace: 50 * time.Millisecond})
	h.eventsStream()
	es := h.openEvents(h.URL, "/v1/streams/s1/events", "user:v2")
	es.next(t)
	h.sendGift("s1", "v1", "rose", 1, "k")
	h.sendGift("s1", "v1", "rose", 2, "k")
	ms := es.until(t, func(m sse) bool { return m.Event == realtime.TypeStreakEnd })
	if end := ms[len(ms)-1]; end.Data != `{"combo_id":"k","sender_id":"v1","gift_id":"rose","count":3,"reason":"idle"}` {
		t.Errorf("streak.end %s", end.Data)
	}
	h.must(http.StatusOK, "POST", "/v1/streams/s1/combos/k/end", "user:v1", "")
	marker := h.sendGift("s1", "v1", "tiktok", 1, "")
	if ends := ofEvent(es.until(t, giftIs(marker)), realtime.TypeStreakEnd); len(ends) > 0 {
		t.Errorf("a second streak.end: %s", ends[0].Data)
	}
	h.must(http.StatusOK, "POST", "/v1/streams/s1/end", "user:c1", "")
	if m := es.until(t, func(m sse) bool { return m.Event == realtime.TypeStreamEnd }); !strings.Contains(m[len(m)-1].Data, `"status":"ended"`) {
		t.Errorf("stream.end %s", m[len(m)-1].Data)
	}
}

// TestStreamEventsHeartbeat: an idle stream gets ": ping" comments; closing
// the hub (server shutdown) ends the response.
func TestStreamEventsHeartbeat(t *testing.T) {
	t.Parallel()
	h, hub := newEventsHarness(t, economy.Seed(), realtime.Config{Heartbeat: 20 * time.Millisecond})
	h.eventsStream()
	es := h.openEvents(h.URL, "/v1/streams/s1/events", "user:v2")
	for pings := 0; pings < 3; {
		select {
		case m, ok := <-es.msgs:
			if !ok {
				t.Fatalf("the stream ended: %v", es.err)
			}
			if m.Comment == "ping" {
				pings++
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat")
		}
	}
	hub.Close()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-es.msgs:
			if !ok {
				if !errors.Is(es.err, io.EOF) {
					t.Errorf("the stream ended with %v, want EOF", es.err)
				}
				return
			}
		case <-deadline:
			t.Fatal("the stream outlived the hub")
		}
	}
}

// TestStreamEventsOutlivesWriteTimeout: a server's ReadTimeout and
// WriteTimeout (1 s here) do not cut a stream that lasts 3 s.
func TestStreamEventsOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	h, _ := newEventsHarness(t, economy.Seed(), realtime.Config{Heartbeat: 200 * time.Millisecond})
	h.eventsStream()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.api, ReadTimeout: time.Second, WriteTimeout: time.Second, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	es := h.openEvents("http://"+ln.Addr().String(), "/v1/streams/s1/events", "user:v2")
	start := time.Now()
	es.next(t)
	var id string
	got := false
	for time.Since(start) < 3*time.Second {
		select {
		case m, ok := <-es.msgs:
			if !ok {
				t.Fatalf("the stream ended after %v: %v", time.Since(start).Round(time.Millisecond), es.err)
			}
			switch {
			case m.Comment == "ping":
			case id != "" && giftIs(id)(m):
				got = true
			case id == "" || m.Event == "":
				t.Fatalf("unexpected %+v", m)
			}
		case <-time.After(3*time.Second - time.Since(start)):
		}
		if id == "" && time.Since(start) > 2500*time.Millisecond {
			id = h.sendGift("s1", "v1", "rose", 1, "")
		}
	}
	if !got {
		es.until(t, giftIs(id))
	}
}

// TestStreamEventsShutdown: with the hub's Close registered with
// RegisterOnShutdown (as glint serve does), a graceful shutdown ends open
// streams instead of waiting for its deadline.
func TestStreamEventsShutdown(t *testing.T) {
	t.Parallel()
	h, hub := newEventsHarness(t, economy.Seed(), realtime.Config{})
	h.eventsStream()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.api, WriteTimeout: time.Minute}
	srv.RegisterOnShutdown(hub.Close)
	go func() { _ = srv.Serve(ln) }()
	es := h.openEvents("http://"+ln.Addr().String(), "/v1/streams/s1/events", "user:v2")
	es.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v after %v", err, time.Since(start))
	}
	for range es.msgs {
	}
	if !errors.Is(es.err, io.EOF) {
		t.Errorf("the stream ended with %v, want EOF", es.err)
	}
}
