// Package audit is glint's append-only audit log: who did what, when, from
// where, with which idempotency key, and how it ended, for every admin action
// and every request that changes state (every money-moving request is one).
//
// An Entry holds no request or response body, no credential (API key, token,
// Authorization header), no e-mail and no bank detail: only the caller's id,
// the operation, the path, the target id from the path, the client address,
// the Idempotency-Key, the status and the error code of the answer.
//
// A Recorder buffers entries and writes them in batches from one goroutine,
// so recording costs a request a channel send. It never drops an entry: when
// the buffer is full, Record waits up to Config.FullWait for room, then
// writes the entry itself, synchronously. An entry the store refuses is
// logged at ERROR with all its fields, so the log keeps what the table could
// not. Entries still in the buffer when the process dies (not a graceful
// Stop) are lost: the journal of the ledger, not this log, is the record of
// money.
//
// The Store is the storage engine (both engines' *DB); the table refuses
// UPDATE and DELETE.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Scopes of an Entry: the kind of caller.
const (
	ScopeAdmin   = "admin"   // an admin API key
	ScopeService = "service" // a service API key
	ScopeUser    = "user"    // an end user's token
	ScopeNone    = "none"    // no credentials, credentials refused, or not checked (no route)
)

// Anonymous is the Actor of a request without valid credentials, or to a
// path no route serves (its credentials are not checked).
const Anonymous = "anonymous"

// OutcomeOK is the Outcome of a request answered 1xx, 2xx or 3xx; any other
// answer's Outcome is its error code ("insufficient_funds").
const OutcomeOK = "ok"

// Limits of a page of Audit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Longest stored fields, in bytes; Record cuts longer values (at a rune
// boundary).
const (
	maxShort = 128 // actor, scope, action, method, target, ip, outcome
	maxPath  = 512
	maxKey   = 255 // the Idempotency-Key header's own maximum
)

// Entry is one audited request.
type Entry struct {
	// ID is given by the store, increasing in the order entries are
	// written; 0 before.
	ID int64 `json:"id"`
	// At is when the request arrived.
	At time.Time `json:"at"`
	// Actor is the caller: "key:<key id>", "user:<user id>" or "anonymous".
	Actor string `json:"actor"`
	// Scope is the kind of caller: ScopeAdmin, ScopeService, ScopeUser or
	// ScopeNone.
	Scope string `json:"scope"`
	// Action is the operation id ("send-gift", "admin-put-gift"), or
	// "unmatched" for a path no route serves.
	Action string `json:"action"`
	Method string `json:"method"`
	// Path is the URL path, without the query string.
	Path string `json:"path"`
	// Target is the withdrawal, gift, stream or user id of the path (the
	// first of these the route has), or the currency of an FX route; "" when
	// the path names none.
	Target string `json:"target,omitempty"`
	// IP is the client's address: the peer's, or the one the trusted
	// proxies forwarded (Recorder.ClientIP).
	IP             string `json:"ip"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	Status         int    `json:"status"`
	// Outcome is OutcomeOK, or the error code of the answer.
	Outcome       string `json:"outcome"`
	LatencyMicros int64  `json:"latency_micros"`
}

// Filter selects entries; zero fields select all. Entries come newest (the
// highest ID) first.
type Filter struct {
	Actor, Action, Target, Outcome string
	// From and To bound At: From ≤ At < To.
	From, To time.Time
	// Before, when > 0, selects entries whose ID is below it: the ID of the
	// last entry of the previous page.
	Before int64
	// Limit is the most entries returned: DefaultLimit when ≤ 0, at most
	// MaxLimit.
	Limit int
}

// PageLimit returns the number of entries a page of f holds at most.
func (f Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	}
	return f.Limit
}

// Store keeps the audit log: both storage engines' *DB.
type Store interface {
	// AppendAudit stores entries, all or none, in order; their ID fields
	// are ignored. It returns the database's error.
	AppendAudit(ctx context.Context, entries []Entry) error
	// Audit returns the entries f selects, highest ID first, at most
	// f.PageLimit() of them; none and no error when nothing matches.
	Audit(ctx context.Context, f Filter) ([]Entry, error)
}

// Config configures a Recorder.
type Config struct {
	// Store keeps the entries. Required.
	Store Store
	// Logger receives the entries that could not be stored; slog.Default
	// when nil.
	Logger *slog.Logger
	// Buffer is how many entries may wait for the writer (default 16384).
	Buffer int
	// MaxBatch is the most entries per write (default 2048).
	MaxBatch int
	// Linger is how long the writer waits to fill a batch (default 50 ms).
	Linger time.Duration
	// FullWait is how long Record waits for room in a full buffer before
	// it writes the entry itself (default 1 s).
	FullWait time.Duration
	// WriteTimeout bounds one write to the store (default 10 s).
	WriteTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (ParseTrustedProxies); none by default.
	TrustedProxies []netip.Prefix
	// Registry, when set, receives the recorder's metrics.
	Registry prometheus.Registerer
	// Now is the clock of Entry.At; time.Now when nil.
	Now func() time.Time
}

// Recorder buffers entries and writes them in batches from one goroutine.
type Recorder struct {
	cfg   Config
	log   *slog.Logger
	queue chan Entry

	mu      sync.RWMutex
	started bool
	stopped bool
	wg      sync.WaitGroup

	written, failed, direct prometheus.Counter
}

// NewRecorder returns a Recorder; call Start to write in the background.
// Until Start, and after Stop, Record writes each entry itself. It panics
// without a Store, or when Registry already holds its metrics.
func NewRecorder(cfg Config) *Recorder {
	if cfg.Store == nil {
		panic("audit: NewRecorder needs a Store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 16384
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 50 * time.Millisecond
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 2048
	}
	if cfg.FullWait <= 0 {
		cfg.FullWait = time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Recorder{cfg: cfg, log: cfg.Logger, queue: make(chan Entry, cfg.Buffer)}
	entries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "glint_audit_entries_total", Help: "Audit entries by result: written, or failed (logged at ERROR instead).",
	}, []string{"result"})
	r.written, r.failed = entries.WithLabelValues("written"), entries.WithLabelValues("failed")
	r.direct = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "glint_audit_direct_writes_total", Help: "Audit entries a request wrote itself because the buffer stayed full.",
	})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(entries, r.direct, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "glint_audit_queue_depth", Help: "Audit entries waiting for the writer.",
		}, func() float64 { return float64(len(r.queue)) }))
	}
	return r
}

// Now returns the time of the recorder's clock (Config.Now).
func (r *Recorder) Now() time.Time { return r.cfg.Now() }

// Start runs the writer until Stop. Calling it twice is a no-op.
func (r *Recorder) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return
	}
	r.started = true
	r.wg.Add(1)
	go pprof.Do(context.Background(), pprof.Labels("glint", "audit"), func(context.Context) { r.run() })
}

// Stop writes every buffered entry and returns when the writer has finished.
// Entries recorded after Stop are written by Record itself.
func (r *Recorder) Stop() {
	r.mu.Lock()
	if r.started && !r.stopped {
		close(r.queue)
	}
	r.stopped = true
	r.mu.Unlock()
	r.wg.Wait()
}

// Record queues e for the writer, cleaning its text fields (valid UTF-8, no
// NUL byte, cut to their maximum length). When the buffer is full it waits
// up to Config.FullWait for room, then writes e itself; so it does before
// Start and after Stop. It returns an error only for an entry it wrote
// itself that the store refused — that entry is logged at ERROR, and the
// error is for callers that want to act on it. ctx bounds the wait, not the
// write: a request that ends does not lose its entry.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	e = clean(e)
	r.mu.RLock()
	if r.started && !r.stopped {
		select {
		case r.queue <- e:
			r.mu.RUnlock()
			return nil
		default:
		}
		t := time.NewTimer(r.cfg.FullWait)
		select {
		case r.queue <- e:
			t.Stop()
			r.mu.RUnlock()
			return nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		r.direct.Inc()
	}
	r.mu.RUnlock()
	return r.write(context.WithoutCancel(ctx), []Entry{e})
}

func (r *Recorder) run() {
	defer r.wg.Done()
	batch := make([]Entry, 0, r.cfg.MaxBatch)
	for {
		first, ok := <-r.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		// Linger a moment for more: on SQLite every write is a commit on
		// the ledger's single write connection, so fewer, larger batches
		// leave it to the gifts.
		linger := time.NewTimer(r.cfg.Linger)
	fill:
		for len(batch) < r.cfg.MaxBatch {
			select {
			case e, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, e)
			case <-linger.C:
				break fill
			}
		}
		linger.Stop()
		_ = r.write(context.Background(), batch)
	}
}

// write stores entries in one write; when that fails, one by one, so that
// one entry the store refuses does not take the others with it. Each entry
// still refused is logged at ERROR with its fields; the last error is
// returned.
func (r *Recorder) write(ctx context.Context, entries []Entry) error {
	err := r.append(ctx, entries)
	if err == nil {
		r.written.Add(float64(len(entries)))
		return nil
	}
	if len(entries) > 1 {
		err = nil
		for _, e := range entries {
			if e1 := r.append(ctx, []Entry{e}); e1 != nil {
				r.lost(ctx, e, e1)
				err = e1
			} else {
				r.written.Inc()
			}
		}
		return err
	}
	r.lost(ctx, entries[0], err)
	return err
}

func (r *Recorder) append(ctx context.Context, entries []Entry) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.WriteTimeout)
	defer cancel()
	if err := r.cfg.Store.AppendAudit(ctx, entries); err != nil {
		return fmt.Errorf("audit: append %d entries: %w", len(entries), err)
	}
	return nil
}

// lost logs an entry the store refused: the log keeps it instead.
func (r *Recorder) lost(ctx context.Context, e Entry, err error) {
	r.failed.Inc()
	r.log.ErrorContext(ctx, "audit entry not stored", slog.String("error", err.Error()),
		slog.Time("at", e.At), slog.String("actor", e.Actor), slog.String("scope", e.Scope),
		slog.String("action", e.Action), slog.String("method", e.Method), slog.String("path", e.Path),
		slog.String("target", e.Target), slog.String("ip", e.IP), slog.String("idempotency_key", e.IdempotencyKey),
		slog.Int("status", e.Status), slog.String("outcome", e.Outcome), slog.Int64("latency_micros", e.LatencyMicros))
}

// clean makes every text field storable by both engines (PostgreSQL's text
// refuses invalid UTF-8 and NUL) and cuts it to its maximum length, and
// keeps At to the microsecond both engines store.
func clean(e Entry) Entry {
	e.At = e.At.Truncate(time.Microsecond).UTC()
	e.Actor = clip(e.Actor, maxShort)
	e.Scope = clip(e.Scope, maxShort)
	e.Action = clip(e.Action, maxShort)
	e.Method = clip(e.Method, maxShort)
	e.Path = clip(e.Path, maxPath)
	e.Target = clip(e.Target, maxShort)
	e.IP = clip(e.IP, maxShort)
	e.IdempotencyKey = clip(e.IdempotencyKey, maxKey)
	e.Outcome = clip(e.Outcome, maxShort)
	return e
}

func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// ParseTrustedProxies parses proxy addresses, each an IP ("10.0.0.1") or a
// CIDR prefix ("10.0.0.0/8"), for Config.TrustedProxies. Empty strings are
// skipped. It returns an error naming the first entry it cannot parse.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("audit: trusted proxy %q: %w", s, err)
			}
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				// Peers are compared unmapped (parseHost), as single
				// addresses are listed: ::ffff:10.0.0.0/104 is 10.0.0.0/8.
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("audit: trusted proxy %q: %w", s, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ClientIP returns the client's address of a request: the peer's
// (remoteAddr, "ip:port"), unless the peer is a trusted proxy, in which case
// X-Forwarded-For (every header line given, in order) is read from the right:
// the first address that is not a trusted proxy is the client. When every
// hop is trusted, the leftmost one is; a malformed hop stops the walk at the
// hop before it. With no trusted proxies configured, the header is ignored.
func (r *Recorder) ClientIP(remoteAddr string, forwardedFor []string) string {
	peer, ok := parseHost(remoteAddr)
	if !ok {
		return remoteAddr
	}
	if !r.trusted(peer) || len(forwardedFor) == 0 {
		return peer.String()
	}
	var hops []string
	for _, line := range forwardedFor {
		for _, h := range strings.Split(line, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHost(hops[i])
		if !ok {
			break
		}
		client = a
		if !r.trusted(a) {
			break
		}
	}
	return client.String()
}

func (r *Recorder) trusted(a netip.Addr) bool {
	for _, p := range r.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost parses "ip", "ip:port" or "[ipv6]:port".
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
