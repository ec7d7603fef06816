package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/glint-economy/glint/internal/audit"
)

// AuditEngine is an engine's audit store on a fresh, migrated database, and
// a way to run one SQL statement on that database (as any other client
// would) to check that the table refuses UPDATE and DELETE.
type AuditEngine struct {
	Store audit.Store
	Exec  func(ctx context.Context, query string) error
}

// OpenAudit returns a fresh AuditEngine; it registers its own cleanup.
type OpenAudit func(t *testing.T) AuditEngine

// RunAudit runs the audit-log part of the conformance suite: entries come
// back as written, newest first; each filter; cursor paging; page limits;
// concurrent appends; and the table's refusal of UPDATE and DELETE.
func RunAudit(t *testing.T, open OpenAudit) {
	t.Run("RoundTrip", func(t *testing.T) { t.Parallel(); testAuditRoundTrip(t, open(t)) })
	t.Run("Filters", func(t *testing.T) { t.Parallel(); testAuditFilters(t, open(t)) })
	t.Run("CursorPaging", func(t *testing.T) { t.Parallel(); testAuditPaging(t, open(t)) })
	t.Run("PageLimits", func(t *testing.T) { t.Parallel(); testAuditLimits(t, open(t)) })
	t.Run("ConcurrentAppends", func(t *testing.T) { t.Parallel(); testAuditConcurrent(t, open(t)) })
	t.Run("AppendOnly", func(t *testing.T) { t.Parallel(); testAuditAppendOnly(t, open(t)) })
}

var auditT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// auditEntry is a gift request at t0 + i seconds.
func auditEntry(i int) audit.Entry {
	return audit.Entry{
		At: auditT0.Add(time.Duration(i) * time.Second), Actor: "user:v1", Scope: audit.ScopeUser, Action: "send-gift",
		Method: "POST", Path: "/v1/streams/s1/gifts", Target: "s1", IP: "203.0.113.7", IdempotencyKey: fmt.Sprintf("k%d", i),
		Status: 201, Outcome: audit.OutcomeOK, LatencyMicros: int64(100 + i),
	}
}

func mustAppendAudit(t *testing.T, st audit.Store, es ...audit.Entry) {
	t.Helper()
	if err := st.AppendAudit(context.Background(), es); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func mustAudit(t *testing.T, st audit.Store, f audit.Filter) []audit.Entry {
	t.Helper()
	es, err := st.Audit(context.Background(), f)
	if err != nil {
		t.Fatalf("Audit(%+v): %v", f, err)
	}
	return es
}

// auditKeys returns the idempotency keys of entries, which the tests make unique.
func auditKeys(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.IdempotencyKey
	}
	return out
}

func testAuditRoundTrip(t *testing.T, e AuditEngine) {
	if got := mustAudit(t, e.Store, audit.Filter{}); len(got) != 0 {
		t.Fatalf("empty log: got %d entries", len(got))
	}
	mustAppendAudit(t, e.Store) // nothing: not an error
	a := auditEntry(0)
	b := audit.Entry{
		At: auditT0.Add(1500 * time.Microsecond), Actor: "key:0123456789ab", Scope: audit.ScopeAdmin, Action: "admin-put-gift",
		Method: "PUT", Path: "/v1/admin/gifts/rosé-🌹", Target: "rosé-🌹", IP: "2001:db8::1",
		Status: 422, Outcome: "invalid_diamond_rate", LatencyMicros: 1 << 40,
	}
	c := audit.Entry{At: auditT0.Add(2 * time.Second), Actor: audit.Anonymous, Scope: audit.ScopeNone, Action: "unmatched",
		Method: "DELETE", Path: "/nowhere", IP: "192.0.2.1", Status: 404, Outcome: "not_found"}
	mustAppendAudit(t, e.Store, a, b)
	mustAppendAudit(t, e.Store, c)
	got := mustAudit(t, e.Store, audit.Filter{})
	want := []audit.Entry{c, b, a}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(audit.Entry{}, "ID")); d != "" {
		t.Fatalf("entries (-want +got):\n%s", d)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID >= got[i-1].ID {
			t.Fatalf("ids not decreasing, newest first: %d then %d", got[i-1].ID, got[i].ID)
		}
	}
	if got[2].ID <= 0 {
		t.Fatalf("first id %d, want > 0", got[2].ID)
	}
	for _, g := range got {
		if g.At.Location() != time.UTC {
			t.Errorf("entry %d: At in %v, want UTC", g.ID, g.At.Location())
		}
	}
}

func testAuditFilters(t *testing.T, e AuditEngine) {
	var all []audit.Entry
	for i := range 12 {
		en := auditEntry(i)
		switch i % 4 {
		case 1:
			en.Actor, en.Scope, en.Action, en.Target, en.Path = "key:admin1", audit.ScopeAdmin, "admin-retire-gift", "rose", "/v1/admin/gifts/rose/retire"
		case 2:
			en.Status, en.Outcome = 422, "insufficient_funds"
		case 3:
			en.Target, en.Path = "s2", "/v1/streams/s2/gifts"
		}
		all = append(all, en)
	}
	mustAppendAudit(t, e.Store, all...)
	// pick returns the keys, newest first, of the entries keep selects.
	pick := func(keep func(i int, en audit.Entry) bool) []string {
		var out []string
		for i := len(all) - 1; i >= 0; i-- {
			if keep(i, all[i]) {
				out = append(out, all[i].IdempotencyKey)
			}
		}
		return out
	}
	at := func(i int) time.Time { return auditT0.Add(time.Duration(i) * time.Second) }
	for _, tc := range []struct {
		name string
		f    audit.Filter
		keep func(i int, en audit.Entry) bool
	}{
		{"none", audit.Filter{}, func(int, audit.Entry) bool { return true }},
		{"actor", audit.Filter{Actor: "key:admin1"}, func(i int, _ audit.Entry) bool { return i%4 == 1 }},
		{"action", audit.Filter{Action: "send-gift"}, func(i int, _ audit.Entry) bool { return i%4 != 1 }},
		{"target", audit.Filter{Target: "s2"}, func(i int, _ audit.Entry) bool { return i%4 == 3 }},
		{"outcome", audit.Filter{Outcome: "insufficient_funds"}, func(i int, _ audit.Entry) bool { return i%4 == 2 }},
		{"from inclusive", audit.Filter{From: at(5)}, func(i int, _ audit.Entry) bool { return i >= 5 }},
		{"to exclusive", audit.Filter{To: at(5)}, func(i int, _ audit.Entry) bool { return i < 5 }},
		{"from and to", audit.Filter{From: at(3), To: at(7)}, func(i int, _ audit.Entry) bool { return i >= 3 && i < 7 }},
		{"from within a second", audit.Filter{From: at(4).Add(time.Microsecond)}, func(i int, _ audit.Entry) bool { return i >= 5 }},
		{"combined", audit.Filter{Action: "send-gift", Target: "s1", From: at(2)}, func(i int, _ audit.Entry) bool { return i >= 2 && (i%4 == 0 || i%4 == 2) }},
		{"nothing", audit.Filter{Actor: "user:nobody"}, func(int, audit.Entry) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := auditKeys(mustAudit(t, e.Store, tc.f))
			if d := cmp.Diff(pick(tc.keep), got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Audit(%+v) (-want +got):\n%s", tc.f, d)
			}
		})
	}
}

func testAuditPaging(t *testing.T, e AuditEngine) {
	var all []audit.Entry
	for i := range 25 {
		en := auditEntry(i)
		if i%2 == 1 {
			en.Actor = "user:v2"
		}
		all = append(all, en)
	}
	mustAppendAudit(t, e.Store, all[:10]...)
	mustAppendAudit(t, e.Store, all[10:]...)
	for _, tc := range []struct {
		name  string
		f     audit.Filter
		pages []int
	}{
		{"all", audit.Filter{Limit: 10}, []int{10, 10, 5}},
		{"exact pages", audit.Filter{Limit: 5}, []int{5, 5, 5, 5, 5, 0}},
		{"filtered", audit.Filter{Actor: "user:v2", Limit: 5}, []int{5, 5, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := mustAudit(t, e.Store, audit.Filter{Actor: tc.f.Actor})
			var got []audit.Entry
			var sizes []int
			f := tc.f
			for range 10 {
				page := mustAudit(t, e.Store, f)
				sizes = append(sizes, len(page))
				got = append(got, page...)
				if len(page) < f.Limit {
					break
				}
				f.Before = page[len(page)-1].ID
			}
			if d := cmp.Diff(tc.pages, sizes); d != "" {
				t.Errorf("page sizes (-want +got):\n%s", d)
			}
			if d := cmp.Diff(whole, got); d != "" {
				t.Errorf("the pages put together are not the whole log (-whole +pages):\n%s", d)
			}
		})
	}
}

func testAuditLimits(t *testing.T, e AuditEngine) {
	es := make([]audit.Entry, audit.MaxLimit+5)
	for i := range es {
		es[i] = auditEntry(i)
	}
	mustAppendAudit(t, e.Store, es...)
	for _, tc := range []struct{ limit, want int }{{0, audit.DefaultLimit}, {-1, audit.DefaultLimit}, {1, 1}, {audit.MaxLimit + 1, audit.MaxLimit}} {
		if got := len(mustAudit(t, e.Store, audit.Filter{Limit: tc.limit})); got != tc.want {
			t.Errorf("Limit %d: %d entries, want %d", tc.limit, got, tc.want)
		}
	}
}

func testAuditConcurrent(t *testing.T, e AuditEngine) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				en := auditEntry(i)
				en.IdempotencyKey = fmt.Sprintf("w%d-%d", w, i)
				if err := e.Store.AppendAudit(context.Background(), []audit.Entry{en, en}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("AppendAudit: %v", err)
	}
	got := mustAudit(t, e.Store, audit.Filter{Limit: audit.MaxLimit})
	if len(got) != 2*writers*each {
		t.Fatalf("%d entries, want %d", len(got), 2*writers*each)
	}
	// Ids are unique; a writer's appends, one after the other, get
	// increasing ids (concurrent writers' ids may interleave).
	seen := map[int64]bool{}
	last := map[string]string{} // writer → key of its entry seen last (newest first)
	for _, g := range got {
		if seen[g.ID] {
			t.Fatalf("id %d twice", g.ID)
		}
		seen[g.ID] = true
		var w, i int
		if _, err := fmt.Sscanf(g.IdempotencyKey, "w%d-%d", &w, &i); err != nil {
			t.Fatalf("key %q: %v", g.IdempotencyKey, err)
		}
		wk := fmt.Sprint(w)
		if prev, ok := last[wk]; ok {
			var pi int
			fmt.Sscanf(prev, "w%d-%d", &w, &pi)
			if i > pi {
				t.Fatalf("writer %s: entry %d has a higher id than its later entry %d", wk, i, pi)
			}
		}
		last[wk] = g.IdempotencyKey
	}
}

func testAuditAppendOnly(t *testing.T, e AuditEngine) {
	ctx := context.Background()
	mustAppendAudit(t, e.Store, auditEntry(0), auditEntry(1))
	before := mustAudit(t, e.Store, audit.Filter{})
	if e.Exec == nil {
		t.Fatal("the engine gives no Exec: the suite cannot check that the log refuses edits")
	}
	for _, q := range []string{
		"UPDATE audit_log SET outcome = 'ok', status = 200",
		"UPDATE audit_log SET actor = 'user:someone-else' WHERE id = (SELECT MAX(id) FROM audit_log)",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)",
	} {
		if err := e.Exec(ctx, q); err == nil {
			t.Errorf("%s: succeeded, want the audit log to refuse it", q)
		}
	}
	if d := cmp.Diff(before, mustAudit(t, e.Store, audit.Filter{})); d != "" {
		t.Fatalf("the log changed after refused edits (-before +after):\n%s", d)
	}
	// Appending still works after the refusals.
	mustAppendAudit(t, e.Store, auditEntry(2))
	if got := len(mustAudit(t, e.Store, audit.Filter{})); got != 3 {
		t.Fatalf("%d entries after one more append, want 3", got)
	}
}
