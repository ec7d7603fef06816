package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/web"
)

// site is glint as `glint serve` wires it — the JSON API and the pages on
// one server — on a temporary SQLite file, with the real clock (the
// browser tests watch streaks and events in real time).
type site struct {
	t       testing.TB
	URL     string
	db      *sqlite.DB
	svc     *gifting.Service
	cash    *cashout.Service
	auth    *auth.Authenticator
	hub     *realtime.Hub
	admin   string // an admin API key
	service string // a service API key

	clock  clock // the database's clock: real time, or set back to seed history
	bought atomic.Int64

	mu      sync.Mutex
	errLogs []string
}

// clock is real time shifted by an offset (zero but while seeding the
// past: see site.at).
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// at runs fn with the database's clock set back to when.
func (s *site) at(when time.Time, fn func()) {
	s.clock.off.Store(int64(time.Until(when)))
	defer s.clock.off.Store(0)
	fn()
}

// errorLog collects what the server logs at ERROR: no test expects any.
type errorLog struct{ s *site }

func (l errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.s.mu.Lock()
	l.s.errLogs = append(l.s.errLogs, b.String())
	l.s.mu.Unlock()
	return nil
}
func (l errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l errorLog) WithGroup(string) slog.Handler      { return l }

const testSecret = "web-session-secret-for-tests-0123456789abcdef"

func newSite(t testing.TB) *site {
	t.Helper()
	ctx := context.Background()
	s := &site{t: t}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{Now: s.clock.Now})
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
	// Jobs (the payout of a withdrawal) are dropped: a withdrawal stays
	// requested, which is what the pages show.
	db.SetJobInserter(func(context.Context, *sql.Tx, []ledger.Job) error { return nil })
	econ := economy.Seed()
	hub := realtime.NewHub(realtime.Config{StreakIdleTimeout: econ.Gifting.StreakIdleTimeout.Duration, Heartbeat: time.Second})
	t.Cleanup(hub.Close)
	fx := money.NewLive(money.DefaultRates())
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: fx, Read: db, Boards: db, Providers: []gifting.PaymentProvider{payments.Sandbox{}}, Publish: hub.Publish,
		Write: func(ctx context.Context, op func(gifting.Tx) error) error {
			return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	cash, err := cashout.NewService(cashout.Config{
		Economy: econ, FX: fx, Read: db,
		Providers: []cashout.Provider{cashout.Sandbox{}, cashout.Manual{}},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox, cashout.MethodBank: cashout.ProviderManual},
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(auth.Config{Keys: db, TokenSecret: []byte("glint-user-token-secret-for-tests")})
	log := slog.New(errorLog{s})
	rec := audit.NewRecorder(audit.Config{Store: db, Logger: log, Registry: prometheus.NewRegistry()})
	rec.Start()
	t.Cleanup(rec.Stop)
	check := func(ctx context.Context) ([]ledger.Problem, error) {
		snap, err := db.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return ledger.Check(snap), nil
	}
	api := httpapi.New(httpapi.Config{
		Service: svc, Cashout: cash, Auth: authn, FX: fx, FXStore: db, Reports: db, Events: hub, Audit: rec, AuditStore: db,
		Logger: log, Registry: prometheus.NewRegistry(), Version: "test", Check: check,
	})
	pages, err := web.Handler(web.Config{
		Service: svc, Cashout: cash, Reports: db, Auth: authn, Keys: db, FX: fx, FXStore: db, Events: hub, Users: db,
		Check: check, Audit: rec, Secret: []byte(testSecret), Next: api, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages)
	t.Cleanup(srv.Close)
	s.URL, s.db, s.svc, s.cash, s.auth, s.hub = srv.URL, db, svc, cash, authn, hub
	s.admin = s.newKey(auth.ScopeAdmin)
	s.service = s.newKey(auth.ScopeService)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, l := range s.errLogs {
			t.Errorf("the server logged an error: %s", l)
		}
	})
	return s
}

func (s *site) newKey(scope string) string {
	s.t.Helper()
	secret, k, err := auth.NewAPIKey(scope, "test", time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.CreateAPIKey(context.Background(), k); err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// user creates an age-verified user.
func (s *site) user(id, name, country string) {
	s.t.Helper()
	if _, _, err := s.svc.PutUser(context.Background(), gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: name, Country: country, AgeVerified: true}); err != nil {
		s.t.Fatal(err)
	}
}

// buy gives a user coins: n purchases of the biggest web USD package
// (17,500 coins each).
func (s *site) buy(id string, n int) {
	s.t.Helper()
	for range n {
		key := gifting.Idem{Key: fmt.Sprintf("test|buy|%s|%d", id, s.bought.Add(1)), Hash: "h"}
		if _, _, err := s.svc.Purchase(context.Background(), key, gifting.PurchaseInput{UserID: id, PackageID: "web-usd-17500", Provider: "sandbox"}); err != nil {
			s.t.Fatal(err)
		}
	}
}

// live makes a creator go live with stream id.
func (s *site) live(creator, id, title string) {
	s.t.Helper()
	if _, _, err := s.svc.StartStream(context.Background(), gifting.Idem{}, gifting.StartStreamInput{ID: id, CreatorID: creator, Title: title}); err != nil {
		s.t.Fatal(err)
	}
}

// gift sends a gift through the service.
func (s *site) gift(stream, sender, gift string, qty int64) *gifting.GiftResult {
	s.t.Helper()
	r, _, err := s.svc.SendGift(context.Background(), gifting.Idem{}, gifting.SendGiftInput{StreamID: stream, SenderID: sender, GiftID: gift, Quantity: qty})
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// token mints a user token, as the platform does through the API.
func (s *site) token(user string) string {
	s.t.Helper()
	tok, _, err := s.auth.MintUserToken(user, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// client is an HTTP client with its own cookies that does not follow
// redirects.
func (s *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (s *site) get(c *http.Client, path string) page {
	s.t.Helper()
	res, err := c.Get(s.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (s *site) post(c *http.Client, path string, form url.Values) page {
	s.t.Helper()
	res, err := c.PostForm(s.URL+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of a rendered page.
func (s *site) csrf(p page) string {
	s.t.Helper()
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		s.t.Fatalf("no CSRF field in the page:\n%.2000s", p.Body)
	}
	return m[1]
}

// signIn signs a new client in with a credential and returns it.
func (s *site) signIn(cred string) *http.Client {
	s.t.Helper()
	c := s.client()
	p := s.get(c, "/login")
	res := s.post(c, "/login", url.Values{"csrf": {s.csrf(p)}, "credential": {cred}})
	if res.Status != http.StatusSeeOther {
		s.t.Fatalf("sign-in: %d\n%.2000s", res.Status, res.Body)
	}
	return c
}
