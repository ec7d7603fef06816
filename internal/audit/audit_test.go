package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// openDB returns a fresh, migrated SQLite database.
func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// watchedStore is the real database, seen by a test: it notes the size of
// every write, can hold the first write until released, and can refuse
// entries of one actor.
type watchedStore struct {
	audit.Store
	refuse string // an Actor whose entries are refused

	mu      sync.Mutex
	batches []int
	hold    chan struct{} // the first write waits until it is closed
	held    chan struct{} // closed when the first write is waiting
	once    sync.Once
}

func (s *watchedStore) AppendAudit(ctx context.Context, es []audit.Entry) error {
	if s.hold != nil {
		first := false
		s.once.Do(func() { first = true })
		if first {
			close(s.held)
			<-s.hold
		}
	}
	for _, e := range es {
		if s.refuse != "" && e.Actor == s.refuse {
			return errors.New("refused")
		}
	}
	if err := s.Store.AppendAudit(ctx, es); err != nil {
		return err
	}
	s.mu.Lock()
	s.batches = append(s.batches, len(es))
	s.mu.Unlock()
	return nil
}

func (s *watchedStore) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batches...)
}

func holding(db audit.Store) *watchedStore {
	return &watchedStore{Store: db, hold: make(chan struct{}), held: make(chan struct{})}
}

func entry(i int) audit.Entry {
	return audit.Entry{At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Actor: "user:v1", Scope: audit.ScopeUser, Action: "send-gift",
		Method: "POST", Path: "/v1/streams/s1/gifts", Target: "s1", IP: "203.0.113.7", IdempotencyKey: fmt.Sprintf("k%d", i),
		Status: 201, Outcome: audit.OutcomeOK}
}

// stored returns the idempotency keys of every stored entry, oldest first.
func stored(t *testing.T, db audit.Store) []string {
	t.Helper()
	var out []string
	f := audit.Filter{Limit: audit.MaxLimit}
	for {
		es, err := db.Audit(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out = append([]string{e.IdempotencyKey}, out...)
		}
		if len(es) < f.Limit {
			return out
		}
		f.Before = es[len(es)-1].ID
	}
}

func mustRecord(t *testing.T, r *audit.Recorder, e audit.Entry) {
	t.Helper()
	if err := r.Record(context.Background(), e); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

// TestConcurrentRecordsAllStored: 1000 concurrent Record calls, then Stop:
// 1000 rows, none twice.
func TestConcurrentRecordsAllStored(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := audit.NewRecorder(audit.Config{Store: db, Buffer: 64, MaxBatch: 32})
	r.Start()
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Record(context.Background(), entry(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	r.Stop()
	got := stored(t, db)
	if len(got) != 1000 {
		t.Fatalf("%d rows, want 1000", len(got))
	}
	seen := map[string]bool{}
	for _, k := range got {
		if seen[k] {
			t.Fatalf("%s stored twice", k)
		}
		seen[k] = true
	}
}

// TestBatches: what queues while a write runs goes in the next writes, at
// most MaxBatch entries each, in the order recorded.
func TestBatches(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := holding(db)
	r := audit.NewRecorder(audit.Config{Store: st, Buffer: 1000, MaxBatch: 100})
	r.Start()
	mustRecord(t, r, entry(0))
	<-st.held // the writer holds entry 0
	for i := 1; i <= 250; i++ {
		mustRecord(t, r, entry(i))
	}
	close(st.hold)
	r.Stop()
	if d := cmp.Diff([]int{1, 100, 100, 50}, st.sizes()); d != "" {
		t.Errorf("batch sizes (-want +got):\n%s", d)
	}
	want := make([]string, 251)
	for i := range want {
		want[i] = fmt.Sprintf("k%d", i)
	}
	if d := cmp.Diff(want, stored(t, db)); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
}

// TestStopDrains: Stop returns once every buffered entry is stored.
func TestStopDrains(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := holding(db)
	r := audit.NewRecorder(audit.Config{Store: st, Buffer: 500, MaxBatch: 7})
	r.Start()
	mustRecord(t, r, entry(0))
	<-st.held
	for i := 1; i < 300; i++ {
		mustRecord(t, r, entry(i))
	}
	stopped := make(chan struct{})
	go func() { r.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the writer still held entries")
	case <-time.After(20 * time.Millisecond):
	}
	close(st.hold)
	<-stopped
	if got := len(stored(t, db)); got != 300 {
		t.Fatalf("%d rows after Stop, want 300", got)
	}
	// After Stop, Record writes the entry itself.
	mustRecord(t, r, entry(300))
	if got := len(stored(t, db)); got != 301 {
		t.Fatalf("%d rows after a Record after Stop, want 301", got)
	}
	r.Stop() // twice: a no-op
}

// TestFullBufferWritesItself: with the buffer full, Record does not drop
// the entry: once it may wait no longer (here its ctx has ended; otherwise
// after FullWait) it writes the entry itself.
func TestFullBufferWritesItself(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := holding(db)
	r := audit.NewRecorder(audit.Config{Store: st, Buffer: 2, MaxBatch: 10, FullWait: time.Hour})
	r.Start()
	mustRecord(t, r, entry(0))
	<-st.held
	mustRecord(t, r, entry(1))
	mustRecord(t, r, entry(2)) // the buffer is full
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Record(ctx, entry(3)); err != nil {
		t.Fatalf("Record with a full buffer: %v", err)
	}
	if d := cmp.Diff([]string{"k3"}, stored(t, db)); d != "" {
		t.Fatalf("stored while the writer is held (-want +got):\n%s", d)
	}
	close(st.hold)
	r.Stop()
	if got := len(stored(t, db)); got != 4 {
		t.Fatalf("%d rows, want 4", got)
	}
}

// TestFullBufferWaits: a full buffer that frees up within FullWait takes
// the entry.
func TestFullBufferWaits(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := holding(db)
	r := audit.NewRecorder(audit.Config{Store: st, Buffer: 1, MaxBatch: 10, FullWait: time.Hour})
	r.Start()
	mustRecord(t, r, entry(0))
	<-st.held
	mustRecord(t, r, entry(1)) // full
	done := make(chan error)
	go func() { done <- r.Record(context.Background(), entry(2)) }()
	close(st.hold) // the writer takes entry 1: room for entry 2
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if got := len(stored(t, db)); got != 3 {
		t.Fatalf("%d rows, want 3", got)
	}
	for _, n := range st.sizes() {
		if n == 0 {
			t.Fatal("an empty write")
		}
	}
}

// TestNotStarted: before Start, Record writes the entry itself.
func TestNotStarted(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := audit.NewRecorder(audit.Config{Store: db})
	mustRecord(t, r, entry(0))
	if got := len(stored(t, db)); got != 1 {
		t.Fatalf("%d rows, want 1", got)
	}
	r.Stop()
}

// TestRefusedEntryLogged: an entry the store refuses does not take the rest
// of its batch with it, and is logged at ERROR with its fields.
func TestRefusedEntryLogged(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := holding(db)
	st.refuse = "user:poison"
	var logs syncBuffer
	r := audit.NewRecorder(audit.Config{Store: st, MaxBatch: 10, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	r.Start()
	mustRecord(t, r, entry(0))
	<-st.held
	for i := 1; i <= 5; i++ {
		e := entry(i)
		if i == 3 {
			e.Actor = "user:poison"
		}
		mustRecord(t, r, e)
	}
	close(st.hold)
	r.Stop()
	if d := cmp.Diff([]string{"k0", "k1", "k2", "k4", "k5"}, stored(t, db)); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
	l := logs.String()
	for _, want := range []string{`"level":"ERROR"`, `"msg":"audit entry not stored"`, `"actor":"user:poison"`, `"idempotency_key":"k3"`, `"path":"/v1/streams/s1/gifts"`} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %s:\n%s", want, l)
		}
	}
	// A direct write that fails returns the error, and logs the entry too.
	e := entry(6)
	e.Actor = "user:poison"
	if err := r.Record(context.Background(), e); err == nil {
		t.Error("Record of a refused entry after Stop: no error")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestCleaned: text both engines can store (valid UTF-8, no NUL), cut to
// length at a rune boundary; At to the microsecond, in UTC.
func TestCleaned(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	r := audit.NewRecorder(audit.Config{Store: db})
	e := entry(0)
	e.Path = "/v1/x\x00y\xff" + strings.Repeat("é", 400)
	e.At = time.Date(2026, 3, 1, 13, 0, 0, 1234567, time.FixedZone("CET", 3600))
	mustRecord(t, r, e)
	es, err := db.Audit(context.Background(), audit.Filter{})
	if err != nil || len(es) != 1 {
		t.Fatalf("%v %v", es, err)
	}
	p := es[0].Path
	if !utf8.ValidString(p) || strings.ContainsRune(p, 0) || len(p) > 512 || !strings.HasPrefix(p, "/v1/x\uFFFDy\uFFFDé") {
		t.Errorf("path stored as %q (%d bytes)", p, len(p))
	}
	if want := time.Date(2026, 3, 1, 12, 0, 0, 1234000, time.UTC); !es[0].At.Equal(want) || es[0].At.Location() != time.UTC {
		t.Errorf("At %v, want %v", es[0].At, want)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := audit.ParseTrustedProxies([]string{"10.0.0.0/8", " 192.0.2.1 ", "", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	trusting := audit.NewRecorder(audit.Config{Store: openDB(t), TrustedProxies: proxies})
	none := audit.NewRecorder(audit.Config{Store: openDB(t)})
	for _, tc := range []struct {
		name   string
		r      *audit.Recorder
		remote string
		xff    []string
		want   string
	}{
		{"peer", trusting, "203.0.113.9:4711", nil, "203.0.113.9"},
		{"no proxies: header ignored", none, "10.1.1.1:80", []string{"198.51.100.1"}, "10.1.1.1"},
		{"untrusted peer: header ignored", trusting, "203.0.113.9:4711", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer", trusting, "10.1.1.1:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"rightmost untrusted hop", trusting, "10.1.1.1:80", []string{"6.6.6.6, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"several header lines", trusting, "192.0.2.1:80", []string{"6.6.6.6", "198.51.100.1", "10.2.2.2"}, "198.51.100.1"},
		{"every hop trusted", trusting, "10.1.1.1:80", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"malformed hop stops the walk", trusting, "10.1.1.1:80", []string{"198.51.100.1, garbage, 10.2.2.2"}, "10.2.2.2"},
		{"hop with a port", trusting, "10.1.1.1:80", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"ipv6 peer", trusting, "[2001:db8::5]:443", []string{"[2001:db9::1]:1"}, "2001:db9::1"},
		{"ipv4-mapped peer", trusting, "[::ffff:10.1.1.1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"peer without port", none, "198.51.100.7", nil, "198.51.100.7"},
		{"unparsable peer", none, "pipe", nil, "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.ClientIP(tc.remote, tc.xff); got != tc.want {
				t.Errorf("ClientIP(%q, %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	got, err := audit.ParseTrustedProxies([]string{"10.0.0.1", "10.9.9.9/8", "::ffff:192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range []string{"10.0.0.300", "10.0.0.0/33", "example.com"} {
		if _, err := audit.ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
