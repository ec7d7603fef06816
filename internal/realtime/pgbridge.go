package realtime

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the PostgreSQL notification channel PGBridge uses.
const Channel = "glint_events"

// maxPayload is the largest notification PostgreSQL accepts (shorter than
// 8000 bytes in the default build).
const maxPayload = 7999

// envelope is one notification: an event of a node, numbered per node.
type envelope struct {
	Node   string          `json:"node"`
	Seq    uint64          `json:"seq"`
	Stream string          `json:"stream"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data,omitempty"`
	// Dropped marks a reference to an event too large for a notification:
	// the receivers send the stream a reset.
	Dropped bool `json:"dropped,omitempty"`
}

// BridgeConfig configures a PGBridge.
type BridgeConfig struct {
	// Pool is the node's pool: notifications are sent through it, and the
	// listening connection (one of its own, outside the pool) is made from
	// its configuration.
	Pool *pgxpool.Pool
	Hub  *Hub
	// Logger receives connection losses and dropped events (slog.Default
	// when nil).
	Logger *slog.Logger
	// Node names this node in its notifications (random when empty); it
	// must differ between the nodes.
	Node string
	// Queue is how many events may wait to be sent (default 8192); beyond
	// it events are dropped, and the other nodes, seeing a gap in this
	// node's numbering, send their viewers a reset.
	Queue int
	// MinBackoff and MaxBackoff bound the wait between attempts to
	// reconnect the listening connection (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
	// KeepAlive is how long the listening connection may stay quiet before
	// it is pinged (default 30s), so a connection the network dropped
	// without a word is found and replaced.
	KeepAlive time.Duration
}

// PGBridge carries stream events between glint nodes sharing a PostgreSQL
// database. Every event the local hub publishes (gifts, explicit streak
// ends, stream ends, and the idle ends of streaks whose timer ran here) is
// sent with pg_notify('glint_events', payload), in order, batched into one
// statement when they queue up; a dedicated connection LISTENs and feeds the
// other nodes' events into the local hub, skipping the node's own.
//
// The payload is JSON: the node id, a per-node sequence number, the stream,
// the event type and its data. A payload over PostgreSQL's 8000-byte limit
// is sent as a reference without its data (no glint event comes near it:
// ids are at most 128 characters): the receivers send that stream's viewers
// a reset. A receiver that sees a gap in a node's sequence (an event dropped
// because the queue was full, or a failed NOTIFY) resets every stream it
// holds, as it does after its listening connection dropped and came back:
// it reconnects with exponential backoff and jitter, and what was sent
// meanwhile is lost. Notifications are best effort, like the events
// themselves; the ledger is the truth.
type PGBridge struct {
	hub     *Hub
	pool    *pgxpool.Pool
	log     *slog.Logger
	node    string
	backoff [2]time.Duration
	alive   time.Duration

	mu      sync.Mutex // orders seq with the queue
	seq     uint64
	out     chan string
	dropped int // events dropped since the queue was last found full

	peers map[string]uint64 // last seq per node; the receiver's own

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// NewPGBridge returns a bridge; Start runs it.
func NewPGBridge(c BridgeConfig) *PGBridge {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Node == "" {
		var b [8]byte
		_, _ = crand.Read(b[:])
		c.Node = hex.EncodeToString(b[:])
	}
	if c.Queue <= 0 {
		c.Queue = 8192
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(c.MinBackoff, 10*time.Second)
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 30 * time.Second
	}
	return &PGBridge{hub: c.Hub, pool: c.Pool, log: c.Logger, node: c.Node, backoff: [2]time.Duration{c.MinBackoff, c.MaxBackoff}, alive: c.KeepAlive,
		out: make(chan string, c.Queue), peers: map[string]uint64{}}
}

// Node returns the node id the bridge sends.
func (b *PGBridge) Node() string { return b.node }

// Start connects the listening connection and LISTENs (so once it returns,
// no other node's event is missed), then relays the hub's events until
// Stop. Errors: the connection's.
func (b *PGBridge) Start(ctx context.Context) error {
	conn, err := b.listen(ctx)
	if err != nil {
		return err
	}
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	b.hub.setRelay(b.enqueue)
	b.wg.Add(2)
	go b.send(run)
	go b.receive(run, conn)
	return nil
}

// Stop stops relaying, sends the events still queued (for up to 5 seconds)
// and closes the listening connection. Call it before closing the pool.
func (b *PGBridge) Stop() {
	b.once.Do(func() {
		b.hub.setRelay(nil)
		if b.cancel != nil {
			b.cancel()
		}
		b.wg.Wait()
	})
}

func (b *PGBridge) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := b.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "glint-events"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("realtime: connect to listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("realtime: listen: %w", err)
	}
	return conn, nil
}

// enqueue is the hub's relay: it numbers the event and queues it, never
// waiting.
func (b *PGBridge) enqueue(streamID, typ string, data json.RawMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	p := encodeEnvelope(envelope{Node: b.node, Seq: b.seq, Stream: streamID, Type: typ, Data: data})
	select {
	case b.out <- p:
		if b.dropped > 0 {
			b.log.Warn("realtime: the notification queue was full; events dropped", slog.Int("events", b.dropped))
			b.dropped = 0
		}
	default:
		// Logged once the queue has room again, not once per event.
		b.dropped++
	}
}

// encodeEnvelope returns e as a payload, or a reference to it without its
// data when it would be over PostgreSQL's limit.
func encodeEnvelope(e envelope) string {
	p := mustJSON(e)
	if len(p) > maxPayload {
		e.Data, e.Dropped = nil, true
		p = mustJSON(e)
	}
	return string(p)
}

const notifySQL = "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p"

// send sends the queued events, as many as are waiting in one statement.
func (b *PGBridge) send(ctx context.Context) {
	defer b.wg.Done()
	batch := make([]string, 0, 256)
	for {
		select {
		case p := <-b.out:
			batch = append(batch[:0], p)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for {
				batch = b.drain(batch[:0])
				if len(batch) == 0 {
					return
				}
				b.notify(fctx, batch)
			}
		}
		batch = b.drain(batch)
		b.notify(ctx, batch)
	}
}

// drain adds the waiting events to batch, up to its capacity.
func (b *PGBridge) drain(batch []string) []string {
	for len(batch) < cap(batch) {
		select {
		case p := <-b.out:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (b *PGBridge) notify(ctx context.Context, batch []string) {
	var err error
	for range 2 {
		if _, err = b.pool.Exec(ctx, notifySQL, Channel, batch); err == nil {
			// A retry after an error that hid a success repeats the
			// events: receivers skip a sequence number they have seen.
			return
		}
		if ctx.Err() != nil {
			break
		}
	}
	b.log.Warn("realtime: notify the other nodes", slog.Int("events", len(batch)), slog.String("error", err.Error()))
}

// receive feeds the other nodes' events into the hub, reconnecting when the
// listening connection drops.
func (b *PGBridge) receive(ctx context.Context, conn *pgx.Conn) {
	defer b.wg.Done()
	for {
		err := b.wait(ctx, conn)
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("realtime: the listening connection dropped; reconnecting", slog.String("error", err.Error()))
		if conn = b.reconnect(ctx); conn == nil {
			return
		}
		// What the other nodes sent meanwhile is lost.
		clear(b.peers)
		b.hub.resetAll(ResetMissed)
		b.log.Info("realtime: listening again")
	}
}

// wait applies notifications until the connection fails; a connection
// quiet for KeepAlive is pinged.
func (b *PGBridge) wait(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, b.alive)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			b.handle(n.Payload)
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// A timeout leaves a pgx connection usable.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// reconnect connects again, waiting longer after each failure; nil when ctx
// ends first.
func (b *PGBridge) reconnect(ctx context.Context) *pgx.Conn {
	delay := b.backoff[0]
	for {
		// Full jitter in [delay/2, delay): nodes that lost the database
		// together do not come back in step.
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		conn, err := b.listen(ctx)
		if err == nil {
			return conn
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		b.log.Warn("realtime: reconnect the listening connection", slog.String("error", err.Error()), slog.Duration("next_in", min(2*delay, b.backoff[1])))
		delay = min(2*delay, b.backoff[1])
	}
}

// handle applies one notification.
func (b *PGBridge) handle(payload string) {
	var e envelope
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		b.log.Warn("realtime: a notification is not an event", slog.String("error", err.Error()))
		return
	}
	if e.Node == b.node || e.Node == "" {
		return
	}
	last, known := b.peers[e.Node]
	if known && e.Seq <= last {
		return // a repeat
	}
	if len(b.peers) >= 1024 {
		clear(b.peers) // nodes restarted many times: forget them
	}
	b.peers[e.Node] = e.Seq
	if known && e.Seq != last+1 {
		b.hub.resetAll(ResetMissed)
	}
	if e.Dropped {
		b.hub.resetStream(e.Stream, ResetMissed)
		return
	}
	if err := b.hub.applyRemote(e.Stream, e.Type, e.Data); err != nil {
		b.log.Warn("realtime: a remote event does not decode", slog.String("type", e.Type), slog.String("error", err.Error()))
	}
}
