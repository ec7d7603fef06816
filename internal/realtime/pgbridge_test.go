package realtime_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/storetest"
)

// pgNode is one glint node on a shared PostgreSQL database: its own pool,
// writer, service, hub and bridge.
type pgNode struct {
	svc    *gifting.Service
	hub    *realtime.Hub
	bridge *realtime.PGBridge
}

func newPGNode(t *testing.T, dsn string, econ *economy.Economy, cfg realtime.Config) *pgNode {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hub := newHub(t, cfg)
	svc := newService(t, econ, db, db.ApplyBatch, hub.Publish)
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	b := realtime.NewPGBridge(realtime.BridgeConfig{Pool: db.Pool(), Hub: hub, Logger: log, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		KeepAlive: 50 * time.Millisecond}) // pinged between the gifts of the test
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return &pgNode{svc: svc, hub: hub, bridge: b}
}

// testLog writes a bridge's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// notification is a payload of the glint_events channel as the test reads it.
type notification struct {
	Node string          `json:"node"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// listenAll records every notification on the channel until the test ends.
func listenAll(t *testing.T, dsn string) func() []notification {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+realtime.Channel); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []notification
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			var v notification
			if err := json.Unmarshal([]byte(n.Payload), &v); err != nil {
				t.Errorf("payload %s: %v", n.Payload, err)
			}
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = conn.Close(context.Background())
	})
	return func() []notification {
		mu.Lock()
		defer mu.Unlock()
		return append([]notification(nil), got...)
	}
}

// TestPGBridge: two nodes with their hubs and bridges on one database. A
// gift sent on node A reaches a viewer on node B once; a streak extended on
// both nodes ends once, by the timer of the node that saw its last gift;
// after the listening connections drop, the nodes reset their viewers and
// carry on.
func TestPGBridge(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	econ := fastStreaks(t)
	cfg := realtime.Config{StreakIdleTimeout: econ.Gifting.StreakIdleTimeout.Duration, StreakGrace: 50 * time.Millisecond}
	a := newPGNode(t, dsn, econ, cfg)
	b := newPGNode(t, dsn, econ, cfg)
	notes := listenAll(t, dsn)
	liveStream(t, a.svc, "s1")
	onA, cancel := a.hub.Subscribe("s1", "")
	defer cancel()
	onB, cancel := b.hub.Subscribe("s1", "")
	defer cancel()
	next(t, onA)
	next(t, onB)

	t.Run("a gift reaches the other node once", func(t *testing.T) {
		g := send(t, a.svc, "s1", "v1", "rose", 3, "")
		count := func(ms []realtime.Message) int {
			n := 0
			for _, m := range ofType(ms, realtime.TypeGift) {
				if decode[realtime.Gift](t, m).ID == g.ID {
					n++
				}
			}
			return n
		}
		// Node B gets it through the database; then a later gift of node A
		// (notifications keep their order) shows it came once. Node A's
		// own notification comes back to it before node B's next gift.
		onBGot := until(t, onB, isGift(g.ID))
		fromA := send(t, a.svc, "s1", "v2", "rose", 1, "")
		onBGot = append(onBGot, until(t, onB, isGift(fromA.ID))...)
		fromB := send(t, b.svc, "s1", "v2", "rose", 1, "")
		onAGot := until(t, onA, isGift(fromB.ID))
		for name, ms := range map[string][]realtime.Message{"A": onAGot, "B": onBGot} {
			if n := count(ms); n != 1 {
				t.Errorf("node %s: the gift came %d times: %v", name, n, types(ms))
			}
			checkIDs(t, ms)
		}
	})

	t.Run("a streak across nodes ends once", func(t *testing.T) {
		send(t, a.svc, "s1", "v1", "rose", 1, "k")
		send(t, b.svc, "s1", "v1", "rose", 1, "k") // B's timer runs now; A's stops
		want := realtime.Streak{ComboID: "k", SenderID: "v1", GiftID: "rose", Count: 2, Reason: realtime.EndIdle}
		for name, ch := range map[string]<-chan realtime.Message{"A": onA, "B": onB} {
			ms := until(t, ch, func(m realtime.Message) bool { return m.Type == realtime.TypeStreakEnd })
			if got := decode[realtime.Streak](t, ms[len(ms)-1]); got != want {
				t.Errorf("node %s: streak.end %+v, want %+v", name, got, want)
			}
		}
		// An explicit end after the idle one, and time for any other
		// timer: no second end anywhere.
		endCombo(t, a.svc, "s1", "k")
		time.Sleep(cfg.StreakIdleTimeout + cfg.StreakGrace + 100*time.Millisecond)
		marker := send(t, a.svc, "s1", "v2", "rose", 1, "")
		for name, ch := range map[string]<-chan realtime.Message{"A": onA, "B": onB} {
			if ends := ofType(until(t, ch, isGift(marker.ID)), realtime.TypeStreakEnd); len(ends) > 0 {
				t.Errorf("node %s: a second streak.end %s", name, ends[0].Data)
			}
		}
		var idle []notification
		for _, n := range notes() {
			if n.Type == "streak.idle" {
				idle = append(idle, n)
			}
		}
		if len(idle) != 1 || idle[0].Node != b.bridge.Node() {
			t.Errorf("idle ends sent: %+v, want one from node B (%s)", idle, b.bridge.Node())
		}
	})

	t.Run("the listening connections drop", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'glint-events' AND datname = current_database()`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("terminated %d listening connections: %v", n, err)
		}
		// Each node tells its viewers they may have missed events once it
		// listens again; then events flow again.
		for name, ch := range map[string]<-chan realtime.Message{"A": onA, "B": onB} {
			ms := until(t, ch, func(m realtime.Message) bool { return m.Type == realtime.TypeReset })
			if m := ms[len(ms)-1]; m.ID == "" || decode[realtime.Reset](t, m).Reason != realtime.ResetMissed {
				t.Fatalf("node %s: reset %s %s, want one with an id, for missed events", name, m.ID, m.Data)
			}
		}
		g := send(t, a.svc, "s1", "v1", "rose", 1, "")
		until(t, onB, isGift(g.ID))
	})
}
