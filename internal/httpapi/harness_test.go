package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/payments/stripe"
	"github.com/glint-economy/glint/internal/payouts/paypal"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Platform JWT settings of every harness: a platform may sign its own user
// tokens (HS256 here) instead of asking glint to mint them.
const (
	platformSecret   = "platform-hs256-secret-for-tests"
	platformIssuer   = "https://platform.example"
	platformAudience = "glint"
	tokenSecret      = "glint-user-token-secret-for-tests"
)

// epoch is where every harness clock starts, so timestamps in answers are
// deterministic.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is the one clock of a harness: the store (transaction times, combo
// timeouts), the service and the authenticator (token expiry, key cache)
// all read it. It only moves when a test advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is the real router on a temp SQLite file, served over HTTP, as
// seen by one test or subtest: with(t) gives a subtest its own view, so
// helpers fail the test that called them.
type harness struct {
	t testing.TB
	*world
}

func (h *harness) with(t testing.TB) *harness { return &harness{t: t, world: h.world} }

// world is what the views of a harness share.
type world struct {
	URL     string
	db      *sqlite.DB
	api     *httpapi.Server
	auth    *auth.Authenticator
	batcher *ledger.Batcher[*sqlite.Tx]
	cash    *cashout.Service
	clock   *clock
	client  *http.Client

	admin, service string // API key secrets
	serviceKeyID   string

	mu     sync.Mutex
	tokens map[string]string
	// minted is when each user token was minted (they last 15 minutes).
	minted map[string]time.Time
	// watched are GET paths whose answers are part of state(): every user
	// and stream the helpers create, plus ids that must never come to exist.
	watched map[string]bool
	errLogs []string
	jobs    []ledger.Job      // enqueued by committed batches
	vars    map[string]string // {name} in a row's path, set by earlier rows
}

// fakePayPal is a PayPal API that hands out tokens and confirms every
// webhook signature (the provider's own tests cover the refusals); it
// returns the base URL.
func fakePayPal(t testing.TB) string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":32400}`)
	})
	mux.HandleFunc("POST /v1/notifications/verify-webhook-signature", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"verification_status":"SUCCESS"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

const stripeSecret = "whsec_glint_test"

// fakeStripe answers Stripe's Checkout Session creation; it returns the
// base URL.
func fakeStripe(t testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/checkout/sessions" || r.ParseForm() != nil {
			http.Error(w, `{"error":{"type":"invalid_request_error","message":"unexpected"}}`, http.StatusNotFound)
			return
		}
		id := "cs_test_" + r.PostForm.Get("client_reference_id")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"object":"checkout.session","url":"https://checkout.stripe.com/c/pay/%s","payment_status":"unpaid","status":"open","mode":"payment"}`, id, id)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// stripeDelivery signs a Stripe event body the way Stripe does, at the
// harness's time, and returns the header to send.
func (h *harness) stripeDelivery(body string) []string {
	return []string{"Stripe-Signature", stripe.SignForTest(stripeSecret, h.clock.Now(), []byte(body))}
}

// expand replaces {name} in path with the harness's variables.
func (h *harness) expand(path string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range h.vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// set records a variable for later rows' paths.
func (h *harness) set(name, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.vars == nil {
		h.vars = map[string]string{}
	}
	h.vars[name] = value
}

// errorLog records what the server logs at ERROR: an unknown error that
// became a 500. No test expects one.
type errorLog struct{ h *world }

func (l errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.h.mu.Lock()
	l.h.errLogs = append(l.h.errLogs, b.String())
	l.h.mu.Unlock()
	return nil
}
func (l errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l errorLog) WithGroup(string) slog.Handler      { return l }

// newHarness builds glint the way `glint serve` wires it, on a fresh
// database, with an admin and a service key.
func newHarness(t testing.TB, opts ...func(*httpapi.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: epoch}
	h := &harness{t: t, world: &world{clock: clk, client: &http.Client{Timeout: 30 * time.Second}, tokens: map[string]string{}, minted: map[string]time.Time{}, watched: map[string]bool{}}}

	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{Now: clk.Now})
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
	write := func(ctx context.Context, op func(gifting.Tx) error) error {
		return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
	}
	writeMany := func(ctx context.Context, ops []func(gifting.Tx) error) []error {
		wrapped := make([]func(*sqlite.Tx) error, len(ops))
		for i, op := range ops {
			wrapped[i] = func(tx *sqlite.Tx) error { return op(tx) }
		}
		return batcher.DoMany(ctx, wrapped)
	}
	fx := money.NewLive(money.DefaultRates())
	sp, err := stripe.New(stripe.Config{SecretKey: "sk_test_glint", WebhookSecrets: []string{stripeSecret}, SuccessURL: "https://glint.example/paid",
		BackendURL: fakeStripe(t), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := gifting.NewService(gifting.Config{
		Economy: economy.Seed(), FX: fx, Write: write, WriteMany: writeMany, Read: db,
		Providers: []gifting.PaymentProvider{payments.Sandbox{}, sp}, Now: clk.Now, Boards: db,
	})
	if _, err := svc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	// Cash-out as serve wires it; the jobs its requests enqueue are kept
	// (the payout job is run by the tests through Process).
	db.SetJobInserter(func(_ context.Context, _ *sql.Tx, js []ledger.Job) error {
		h.mu.Lock()
		h.jobs = append(h.jobs, js...)
		h.mu.Unlock()
		return nil
	})
	pp, err := paypal.New(paypal.Config{BaseURL: fakePayPal(t), ClientID: "id", ClientSecret: "secret", WebhookID: "WH-1"})
	if err != nil {
		t.Fatal(err)
	}
	cash, err := cashout.NewService(cashout.Config{
		Economy: svc.Economy(), FX: fx, Read: db, Now: clk.Now, Notify: true,
		Providers: []cashout.Provider{cashout.Sandbox{}, cashout.Manual{}, pp},
		PayWith:   map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox, cashout.MethodBank: cashout.ProviderManual},
		Write: func(ctx context.Context, op func(cashout.Tx) error) error {
			return batcher.Do(ctx, func(tx *sqlite.Tx) error { return op(tx) })
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.cash = cash
	authn := auth.New(auth.Config{
		Keys: db, TokenSecret: []byte(tokenSecret), Now: clk.Now,
		PlatformHS256: []byte(platformSecret), Issuer: platformIssuer, Audience: platformAudience,
	})
	h.db, h.auth, h.batcher = db, authn, batcher
	h.admin, _ = h.newKey(auth.ScopeAdmin)
	h.service, h.serviceKeyID = h.newKey(auth.ScopeService)

	cfg := httpapi.Config{
		Service: svc, Cashout: cash, Reports: db, Stripe: sp, Auth: authn, FX: fx, Registry: prometheus.NewRegistry(), Version: "test",
		RateLimits: &httpapi.RateLimits{}, // off: the tables fire requests back to back
		Logger:     slog.New(errorLog{h.world}),
		Ready:      func(ctx context.Context) error { return db.Ping(ctx) },
		Check: func(ctx context.Context) ([]ledger.Problem, error) {
			s, err := db.Snapshot(ctx)
			if err != nil {
				return nil, err
			}
			return ledger.Check(s), nil
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.api = httpapi.New(cfg)

	srv := httptest.NewServer(h.api)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, l := range h.errLogs {
			t.Errorf("the server logged an error (a 500): %s", l)
		}
	})
	return h
}

// newKey creates an API key in the database and returns its secret and id.
func (h *harness) newKey(scope string) (secret, id string) {
	h.t.Helper()
	secret, k, err := auth.NewAPIKey(scope, "test", h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.CreateAPIKey(context.Background(), k); err != nil {
		h.t.Fatal(err)
	}
	return secret, k.ID
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// json decodes the body into a generic value, numbers kept as json.Number.
func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// errorCode returns error.code of an error answer, "" otherwise.
func (r *response) errorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// authorization turns a credential name into an Authorization header value:
// "" none, "admin", "service", "user:<id>" (a token minted for id),
// "token:<name>" (a token kept with keepToken), or "raw:<header value>".
func (h *harness) authorization(as string) string {
	h.t.Helper()
	switch {
	case as == "":
		return ""
	case as == "admin":
		return "Bearer " + h.admin
	case as == "service":
		return "Bearer " + h.service
	case strings.HasPrefix(as, "user:"):
		return "Bearer " + h.token(strings.TrimPrefix(as, "user:"))
	case strings.HasPrefix(as, "token:"):
		h.mu.Lock()
		defer h.mu.Unlock()
		return "Bearer " + h.tokens["#"+strings.TrimPrefix(as, "token:")]
	case strings.HasPrefix(as, "raw:"):
		return strings.TrimPrefix(as, "raw:")
	}
	h.t.Fatalf("unknown credential %q", as)
	return ""
}

// keepToken names a token for the credential "token:<name>".
func (h *harness) keepToken(name, tok string) {
	h.mu.Lock()
	h.tokens["#"+name] = tok
	h.mu.Unlock()
}

// token returns a user token for id, minted through the API, again when
// the clock has moved past its lifetime.
func (h *harness) token(id string) string {
	h.t.Helper()
	h.mu.Lock()
	tok, ok := h.tokens[id]
	fresh := h.clock.Now().Sub(h.minted[id]) < 10*time.Minute
	h.mu.Unlock()
	if ok && fresh {
		return tok
	}
	r := h.do("POST", "/v1/users/"+id+"/tokens", "service", "", "")
	if r.Status != http.StatusOK {
		h.t.Fatalf("mint token for %s: %s", id, r)
	}
	tok = r.json(h.t)["token"].(string)
	h.mu.Lock()
	h.tokens[id], h.minted[id] = tok, h.clock.Now()
	h.mu.Unlock()
	return tok
}

// do sends one request. headers are name, value pairs. A JSON content type
// is set whenever there is a body, unless headers set another.
func (h *harness) do(method, path, as, body string, headers ...string) *response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a := h.authorization(as); a != "" {
		req.Header.Set("Authorization", a)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// must sends a request that has to answer want.
func (h *harness) must(want int, method, path, as, body string, headers ...string) *response {
	h.t.Helper()
	r := h.do(method, path, as, body, headers...)
	if r.Status != want {
		h.t.Fatalf("%s %s: want %d, got %s", method, path, want, r)
	}
	return r
}

func (h *harness) watch(paths ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range paths {
		h.watched[p] = true
	}
}

// putUser creates a user through the API.
func (h *harness) putUser(id, name, country string, ageVerified bool) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"display_name": name, "country": country, "age_verified": ageVerified})
	h.must(http.StatusOK, "PUT", "/v1/users/"+id, "service", string(body))
	h.watch("/v1/users/"+id, "/v1/users/"+id+"/wallet", "/v1/users/"+id+"/transactions?limit=200")
}

// buy buys a coin package for user.
func (h *harness) buy(user, pkg string) {
	h.t.Helper()
	h.must(http.StatusCreated, "POST", "/v1/purchases", "service", fmt.Sprintf(`{"user_id":%q,"package_id":%q}`, user, pkg),
		"Idempotency-Key", "buy-"+user+"-"+pkg+"-"+fmt.Sprint(time.Now().UnixNano()))
}

// goLive starts stream id of creator.
func (h *harness) goLive(creator, id string) {
	h.t.Helper()
	h.must(http.StatusCreated, "POST", "/v1/streams", "service", fmt.Sprintf(`{"id":%q,"creator_id":%q,"title":"live"}`, id, creator))
	h.watch("/v1/streams/"+id, "/v1/streams/"+id+"/leaderboard?limit=100")
}

// gift sends a gift as the sender and returns the answer.
func (h *harness) gift(stream, sender, gift string, qty int, combo, key string) *response {
	h.t.Helper()
	body := fmt.Sprintf(`{"sender_id":%q,"gift_id":%q,"quantity":%d`, sender, gift, qty)
	if combo != "" {
		body += fmt.Sprintf(`,"combo_id":%q`, combo)
		h.watch("/v1/streams/" + stream + "/combos/" + combo)
	}
	body += "}"
	return h.do("POST", "/v1/streams/"+stream+"/gifts", "user:"+sender, body, "Idempotency-Key", key)
}

// coins returns a user's coins.
func (h *harness) coins(user string) int64 {
	h.t.Helper()
	var w gifting.Wallet
	if err := json.Unmarshal(h.must(http.StatusOK, "GET", "/v1/users/"+user+"/wallet", "service", "").Body, &w); err != nil {
		h.t.Fatal(err)
	}
	return w.Coins
}

// available returns a user's available diamonds.
func (h *harness) available(user string) string {
	h.t.Helper()
	var w gifting.Wallet
	if err := json.Unmarshal(h.must(http.StatusOK, "GET", "/v1/users/"+user+"/wallet", "service", "").Body, &w); err != nil {
		h.t.Fatal(err)
	}
	return w.Diamonds.Available
}

// ledgerOK asserts GET /v1/admin/ledger/check finds no problem.
func (h *harness) ledgerOK() {
	h.t.Helper()
	r := h.must(http.StatusOK, "GET", "/v1/admin/ledger/check", "admin", "")
	if !bytes.Equal(bytes.TrimSpace(r.Body), []byte(`{"ok":true,"problems":[]}`)) {
		h.t.Fatalf("ledger check: %s", r.Body)
	}
}

// state is everything a refused request must leave as it was: every
// account's balance and postings, and the answers of the watched reads
// (profiles, wallets, histories, streams, leaderboards, combos, catalog).
type state struct {
	Accounts map[string][2]int64 // balance, sum of postings
	Reads    map[string]string
}

func (h *harness) state() state {
	h.t.Helper()
	snap, err := h.db.Snapshot(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	s := state{Accounts: map[string][2]int64{}, Reads: map[string]string{}}
	for _, a := range snap.Accounts {
		s.Accounts[string(a.ID)] = [2]int64{a.Balance, a.PostingsSum}
	}
	h.mu.Lock()
	paths := make([]string, 0, len(h.watched)+1)
	for p := range h.watched {
		paths = append(paths, p)
	}
	h.mu.Unlock()
	paths = append(paths, "/v1/catalog/gifts")
	sort.Strings(paths)
	for _, p := range paths {
		r := h.do("GET", p, "admin", "")
		s.Reads[p] = r.String()
	}
	return s
}

// unchanged fails the test if the state moved since before.
func (h *harness) unchanged(before state, what string) {
	h.t.Helper()
	if d := cmp.Diff(before, h.state()); d != "" {
		h.t.Errorf("%s changed the state (-before +after):\n%s", what, d)
	}
}

// ---- JSON subsets ----

// subsetDiff reports where got does not contain want. Objects: every key of
// want must be in got, recursively. Arrays: same length, element by element.
// A string of want ending in "…" matches any string with that prefix; an
// array of want whose last element is "…" matches an array starting with
// the elements before it.
func subsetDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %s", path, show(got))}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, subsetDiff(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an array, got %s", path, show(got))}
		}
		open := len(w) > 0 && w[len(w)-1] == "…"
		if open {
			w = w[:len(w)-1]
		}
		if len(g) < len(w) || (!open && len(g) != len(w)) {
			return []string{fmt.Sprintf("%s: want %d elements, got %d: %s", path, len(w), len(g), show(got))}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case string:
		g, ok := got.(string)
		if ok && strings.HasSuffix(w, "…") && strings.HasPrefix(g, strings.TrimSuffix(w, "…")) {
			return nil
		}
		if !ok || g != w {
			return []string{fmt.Sprintf("%s: want %q, got %s", path, w, show(got))}
		}
		return nil
	default:
		if show(want) != show(got) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got))}
		}
		return nil
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeJSON(b []byte) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// wantSubset fails the test unless the answer contains the JSON want.
func wantSubset(t testing.TB, r *response, want string) {
	t.Helper()
	w, err := decodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	g, err := decodeJSON(r.Body)
	if err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.Body)
	}
	if d := subsetDiff("$", w, g); len(d) > 0 {
		t.Errorf("answer %s\ndoes not match %s:\n  %s", r.Body, want, strings.Join(d, "\n  "))
	}
}

// ---- golden files ----

var maskers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"([gps])_[0-9a-f]{24}"`), `"${1}_<id>"`},
	{regexp.MustCompile(`"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"`), `"<token>"`},
}

// golden compares a JSON answer, with ids and tokens masked and indented,
// to testdata/<name>.json; -update rewrites the file.
func golden(t testing.TB, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, body)
	}
	got := buf.Bytes()
	for _, m := range maskers {
		got = m.re.ReplaceAll(got, []byte(m.with))
	}
	got = append(got, '\n')
	file := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got); run with -update if the change is intended:\n%s", file, d)
	}
}
