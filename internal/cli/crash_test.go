package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/store/storetest"
)

// The crash test: `kill -9` of `glint serve` every 1–3 s (seeded jitter) while
// clients send gifts (single and batch), coin purchases and withdrawals with
// their own idempotency keys, restarting the server on the same database each
// time. Clients resend whatever got no answer with the same key until it is
// answered, as a real client must, except a few requests they abandon on
// purpose after a lost answer. Afterwards the database must hold exactly the
// acknowledged requests plus, all or nothing, some of the abandoned ones;
// every wallet must equal what those requests say; `glint verify` must pass.
//
//	GLINT_CRASH_FOR   how long to kill and load (Go duration; default 15s)
//	GLINT_CRASH_SEED  the seed of every random choice (default: the clock; logged)
//
// scripts/crash-test.sh (`make crash-test`) runs it for a minute on both
// engines and prints the CRASH-SUMMARY lines.

// The fixture's numbers, from testdata/crash-economy.toml.
const (
	crashEconomy       = "testdata/crash-economy.toml"
	crashMilliPerCoin  = 500 // diamonds_per_coin = "0.5", in milli-diamonds
	crashViewers       = 30
	crashCreators      = 4
	crashClients       = 12
	crashMinKills      = 4
	crashAbandonChance = 0.2  // of a lost answer that may have reached the server
	crashImpatient     = 0.03 // of attempts made with a 1–30 ms timeout, so that some answers are lost without a kill
	crashSetupPackage  = 17500
)

var (
	crashGifts = []struct {
		id            string
		coins, weight int64
	}{{"rose", 1, 45}, {"lollipop", 10, 35}, {"concert", 500, 15}, {"galaxy", 1000, 5}}
	crashPackages = []int64{70, 700, 3500, 17500} // web USD
	// crashRefusals are the only refusals the load may meet: anything else
	// (a conflict, a validation error) is a fault of the test or of glint.
	crashRefusals = map[string]bool{"insufficient_funds": true, "insufficient_diamonds": true}
)

// TestCrashUnderLoad runs the crash test on SQLite and on PostgreSQL.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts real servers for GLINT_CRASH_FOR on each engine")
	}
	t.Parallel()
	dur := 15 * time.Second
	if s := os.Getenv("GLINT_CRASH_FOR"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("GLINT_CRASH_FOR=%q: want a positive Go duration", s)
		}
		dur = d
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("GLINT_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GLINT_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("crash test: GLINT_CRASH_FOR=%v GLINT_CRASH_SEED=%d", dur, seed)
	bin := glintBinary(t)
	economy, err := filepath.Abs(crashEconomy)
	if err != nil {
		t.Fatal(err)
	}
	for i, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var db string
			if engine == "sqlite" {
				db = filepath.Join(t.TempDir(), "crash.db")
			} else {
				db = storetest.PostgresDSN(t)
			}
			runCrash(t, crashConfig{engine: engine, bin: bin, db: db, economy: economy, dur: dur, seed: seed, stream: uint64(i)})
		})
	}
}

type crashConfig struct {
	engine, bin, db, economy string
	dur                      time.Duration
	seed, stream             uint64
}

func runCrash(t *testing.T, cfg crashConfig) {
	ctx := context.Background()
	t0 := time.Now()
	code, out, errOut := runGlint(t, cfg.bin, "keys", "create", "--scope", "admin", "--label", "crash", "--db", cfg.db)
	if code != 0 {
		t.Fatalf("keys create: exit %d %s", code, errOut)
	}
	srv := &crashServer{t: t, cfg: cfg, key: strings.TrimSpace(out), addr: crashFreeAddr(t), log: filepath.Join(t.TempDir(), "serve.log")}
	srv.start()
	t.Cleanup(srv.cleanup)

	rng := rand.New(rand.NewPCG(cfg.seed, cfg.stream<<32))
	l := newCrashLoad(srv, fmt.Sprintf("k%08x", rng.Uint32()))
	if err := l.setup(ctx); err != nil {
		t.Fatalf("setup: %v", err)
	}

	setupTook := time.Since(t0)

	// The load: clients send until told to stop, then finish what they
	// have in hand (resending until answered) against the last server.
	loadCtx, cancel := context.WithTimeout(ctx, cfg.dur+3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range crashClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.client(loadCtx, rand.New(rand.NewPCG(cfg.seed, cfg.stream<<32|uint64(i+1))), i)
		}()
	}

	// The killer: SIGKILL after 1–3 s of uptime, restart at once on the same
	// database, for cfg.dur and at least crashMinKills times.
	began := time.Now()
	kills := 0
	for {
		up := time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
		if left := cfg.dur - time.Since(began); kills >= crashMinKills && up > left {
			time.Sleep(max(left, 0))
			break
		}
		time.Sleep(up)
		srv.kill()
		kills++
		srv.start()
	}
	l.stop.Store(true)
	loaded := time.Since(began)
	wg.Wait()
	settled := time.Since(began) - loaded
	if err := loadCtx.Err(); err != nil {
		t.Fatalf("the clients could not get an answer for every request within %v of the end of the load: %v", 3*time.Minute, err)
	}

	// Checks while the last server runs: the ledger check and the viewers'
	// coins as the API reports them.
	c := newBenchClient(&benchTarget{base: srv.base(), adminKey: srv.key}, 16)
	st, body, err := c.do(ctx, http.MethodGet, "/v1/admin/ledger/check", "", nil)
	var lc struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if err != nil || st != 200 || json.Unmarshal(body, &lc) != nil || !lc.OK {
		t.Errorf("GET /v1/admin/ledger/check after the crashes: %d %s %v", st, body, err)
	}
	apiCoins, err := l.viewerCoins(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	// Sandbox payouts are paid by a job; give the ones still queued a moment.
	// Some stay requested (queued, or their job was running at a kill and
	// waits for River's rescuer, an hour later): the check accepts a
	// withdrawal in any state.
	waitForPayouts(ctx, t, cfg.db, l.run, 3*time.Second)
	if code := srv.stop(); code != 0 {
		t.Errorf("glint serve exited %d on SIGTERM after the crashes", code)
	}

	facts, err := readCrashFacts(ctx, cfg.db, l.run)
	if err != nil {
		t.Fatal(err)
	}
	res := checkCrash(l.keys(), facts)
	for v, coins := range apiCoins {
		if want := res.wantBalance[crashAccount(v, "coins")]; coins != want {
			res.problems = append(res.problems, fmt.Sprintf("GET /v1/users/%s/wallet says %d coins, the applied requests leave %d", v, coins, want))
		}
	}
	code, vout, verr := runGlint(t, cfg.bin, "verify", "--db", cfg.db)
	verdict := fmt.Sprintf("exit %d %s", code, strconv.Quote(strings.TrimSpace(vout)))
	if code != 0 {
		res.problems = append(res.problems, fmt.Sprintf("glint verify: exit %d\n%s%s", code, vout, verr))
	}

	s := &l.stats
	t.Logf("CRASH-SUMMARY %s: setup %.1fs, load %.1fs (+%.1fs to settle), checks %.1fs, %d kills (restart to ready: median %v, max %v), seed %d; sent: %d gifts (%d single, %d in %d batches), %d purchases (%d before the first kill), %d withdrawals; "+
		"acknowledged: %d gifts, %d purchases, %d withdrawals; refused: %d; resent: %d (lost answers: %d cut by a kill, %d client timeouts, %d refused connections, %d 503, %d other 5xx, %d other); "+
		"abandoned: %d (applied %d, not applied %d; %d after a kill: %d applied); "+
		"withdrawals: %s; payout jobs: %v; journal: %d gift, %d purchase, %d withdrawal.hold, %d withdrawal.paid, %d withdrawal.void transactions; verify: %s",
		cfg.engine, setupTook.Seconds(), loaded.Seconds(), settled.Seconds(), time.Since(began.Add(loaded+settled)).Seconds(), kills, median(srv.ready[1:]).Round(time.Millisecond), slices.Max(srv.ready[1:]).Round(time.Millisecond), cfg.seed,
		s.sent["gift"], s.singleGifts.Load(), s.sent["gift"]-s.singleGifts.Load(), s.batches.Load(), s.sent["purchase"], crashViewers, s.sent["withdrawal"],
		res.acked["gift"], res.acked["purchase"], res.acked["withdrawal"], res.refused, s.resent.Load(), s.lost["kill"], s.lost["timeout"], s.lost["refused"], s.lost["503"], s.lost["5xx"], s.lost["other"],
		res.abandoned, res.abandonedApplied, res.abandoned-res.abandonedApplied, res.abandonedAfterKill, res.abandonedAfterKillApplied,
		res.withdrawalStates, facts.payoutJobs, res.journal["gift"], res.journal["purchase"], res.journal["withdrawal.hold"], res.journal["withdrawal.paid"], res.journal["withdrawal.void"], verdict)

	if s.lost["kill"] == 0 || res.abandonedAfterKill == 0 {
		res.problems = append(res.problems, "no request in flight was cut by a kill, or none such was abandoned: the test did not test a crash")
	}
	if res.abandoned == 0 {
		res.problems = append(res.problems, "no request was abandoned: the all-or-nothing property was not tested")
	}
	for _, kind := range []string{"gift", "purchase", "withdrawal"} {
		if res.acked[kind] == 0 {
			res.problems = append(res.problems, "no "+kind+" was acknowledged")
		}
	}
	if kills < crashMinKills {
		res.problems = append(res.problems, fmt.Sprintf("%d kills, want at least %d", kills, crashMinKills))
	}
	if len(res.problems) > 0 {
		shown := res.problems
		if len(shown) > 30 {
			shown = append(shown[:30:30], fmt.Sprintf("… and %d more", len(res.problems)-30))
		}
		t.Errorf("after %d kills (seed %d):\n%s\nserver log (tail):\n%s", kills, cfg.seed, strings.Join(shown, "\n"), srv.tail(8<<10))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

// ---- the server ----

// crashServer is the `glint serve` process the test kills and restarts, on
// one address and one database; its logs go to one file across restarts.
type crashServer struct {
	t      *testing.T
	cfg    crashConfig
	key    string
	addr   string
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
	ready  []time.Duration // how long each start took to answer /readyz
}

func (s *crashServer) base() string { return "http://" + s.addr }

func crashFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start starts glint serve and waits until /readyz answers 200.
func (s *crashServer) start() {
	s.t.Helper()
	f, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "---- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.cfg.bin, "serve", "--addr", s.addr, "--db", s.cfg.db, "--economy", s.cfg.economy,
		"--log-level", "warn", "--payouts", "sandbox", "--sandbox-payments")
	cmd.Env = glintEnv()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	hc := &http.Client{Timeout: 2 * time.Second}
	began := time.Now()
	deadline := began.Add(60 * time.Second)
	for {
		resp, err := hc.Get(s.base() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.ready = append(s.ready, time.Since(began))
				return
			}
		}
		select {
		case <-exited:
			s.t.Fatalf("glint serve exited before it was ready (%v):\n%s", cmd.ProcessState, s.tail(4<<10))
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("glint serve was not ready on %s within 60 s:\n%s", s.addr, s.tail(4<<10))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL — no drain, no goodbye — and waits for the process.
func (s *crashServer) kill() {
	s.t.Helper()
	select {
	case <-s.exited:
		s.t.Fatalf("glint serve exited by itself (%v):\n%s", s.cmd.ProcessState, s.tail(8<<10))
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// stop sends SIGTERM and returns the exit code.
func (s *crashServer) stop() int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		s.t.Fatalf("glint serve still runs 60 s after SIGTERM:\n%s", s.tail(4<<10))
	}
	return s.cmd.ProcessState.ExitCode()
}

func (s *crashServer) cleanup() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// tail is the end of the server's log, at most n bytes.
func (s *crashServer) tail(n int) string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ---- the clients ----

// A crashKey is one idempotency key the clients sent: one gift, purchase or
// withdrawal, what it asked for and how it ended for its client.
type crashKey struct {
	key     string
	kind    string // "gift", "purchase" or "withdrawal"
	user    string // the sender, the buyer or the creator cashing out
	creator string // a gift's creator
	stream  string // a gift's stream
	gift    string // a gift's catalog id
	qty     int64
	pkg     string // a purchase's package id
	coins   int64  // a gift's price, a purchase's coins
	milli   int64  // the diamonds a gift gives or a withdrawal asks for, in milli-diamonds

	// Written by the client that owns the key, read after the load.
	state    crashState
	id       string // the answer's id (acknowledged)
	gotCoins int64  // the answer's coins (gifts, purchases)
	gotMilli int64  // the answer's diamonds (gifts, withdrawals)
	code     string // the error code (refused)
	// abandonedAfter is what lost the last answer of an abandoned key: a
	// "kill" or the client's own "timeout".
	abandonedAfter string
}

type crashState int

const (
	crashUnanswered crashState = iota
	crashAcked                 // a 2xx answer
	crashRefused               // a 4xx answer: nothing may have moved
	crashAbandoned             // no answer, and the client gave up on purpose
)

type crashStats struct {
	sent                 map[string]int64 // keys by kind, filled after the load
	singleGifts, batches atomic.Int64
	resent               atomic.Int64
	mu                   sync.Mutex
	lost                 map[string]int64 // attempts without an answer for every key, by why (see send)
}

func (s *crashStats) lose(why string) {
	s.mu.Lock()
	s.lost[why]++
	s.mu.Unlock()
}

type crashLoad struct {
	srv      *crashServer
	run      string
	http     *http.Client
	viewers  []string
	creators []string
	stop     atomic.Bool

	mu    sync.Mutex
	all   []*crashKey
	stats crashStats
}

func newCrashLoad(srv *crashServer, run string) *crashLoad {
	tr := &http.Transport{MaxIdleConnsPerHost: crashClients * 2, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
	l := &crashLoad{srv: srv, run: run, http: &http.Client{Transport: tr, Timeout: 5 * time.Second}, stats: crashStats{lost: map[string]int64{}}}
	for i := range crashViewers {
		l.viewers = append(l.viewers, fmt.Sprintf("%s-v%d", run, i))
	}
	for i := range crashCreators {
		l.creators = append(l.creators, fmt.Sprintf("%s-c%d", run, i))
	}
	return l
}

func (l *crashLoad) keys() []*crashKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.sent = map[string]int64{}
	for _, k := range l.all {
		l.stats.sent[k.kind]++
	}
	return l.all
}

func (l *crashLoad) track(ks ...*crashKey) {
	l.mu.Lock()
	l.all = append(l.all, ks...)
	l.mu.Unlock()
}

// setup creates the users (even creators are paid by PayPal through the
// sandbox provider, odd ones by bank transfer, which waits for finance),
// their streams, payout methods and verified identities, and buys each
// viewer a first package (a tracked purchase like any other).
func (l *crashLoad) setup(ctx context.Context) error {
	c := newBenchClient(&benchTarget{base: l.srv.base(), adminKey: l.srv.key}, 32)
	must := func(method, path, idem, body string, want int) func() error {
		return func() error {
			st, b, err := c.do(ctx, method, path, idem, []byte(body))
			if err != nil || st != want {
				return fmt.Errorf("%s %s: %d %s %v", method, path, st, b, err)
			}
			return nil
		}
	}
	var users, rest []func() error
	for _, v := range l.viewers {
		users = append(users, must(http.MethodPut, "/v1/users/"+v, "", `{"display_name":"Viewer `+v+`","country":"US","age_verified":true}`, 200))
		k := &crashKey{key: v + "-setup-buy", kind: "purchase", user: v, pkg: fmt.Sprintf("web-usd-%d", crashSetupPackage), coins: crashSetupPackage}
		l.track(k)
		rest = append(rest, func() error {
			st, b, err := c.do(ctx, http.MethodPost, "/v1/purchases", k.key, crashBody(k))
			if err != nil || st != 201 {
				return fmt.Errorf("setup purchase for %s: %d %s %v", v, st, b, err)
			}
			l.answer(k, st, b)
			return nil
		})
	}
	for i, cr := range l.creators {
		country, method := "US", `{"kind":"paypal","paypal_email":"`+cr+`@example.com"}`
		if i%2 == 1 {
			country, method = "DE", `{"kind":"bank","holder_name":"Max Mustermann","iban":"DE89 3704 0044 0532 0130 00"}`
		}
		users = append(users, must(http.MethodPut, "/v1/users/"+cr, "", `{"display_name":"Creator `+cr+`","country":"`+country+`","age_verified":true}`, 200))
		rest = append(rest,
			must(http.MethodPost, "/v1/streams", "", `{"id":"`+cr+`-live","creator_id":"`+cr+`","title":"crash"}`, 201),
			func() error {
				if err := must(http.MethodPut, "/v1/users/"+cr+"/payout-method", "", method, 200)(); err != nil {
					return err
				}
				return must(http.MethodPut, "/v1/users/"+cr+"/kyc", "", `{"status":"verified"}`, 200)()
			})
	}
	if err := parallel(ctx, 16, users); err != nil {
		return err
	}
	return parallel(ctx, 16, rest)
}

// client sends requests until the load stops: a single gift, a batch of
// gifts, a purchase or a withdrawal, each with fresh keys.
func (l *crashLoad) client(ctx context.Context, rng *rand.Rand, n int) {
	seq := 0
	next := func(kind string) *crashKey {
		seq++
		return &crashKey{key: fmt.Sprintf("%s-%s%d-%d", l.run, kind[:1], n, seq), kind: kind}
	}
	gift := func() *crashKey {
		k := next("gift")
		cr := rng.IntN(len(l.creators))
		k.user, k.creator, k.stream = l.viewers[rng.IntN(len(l.viewers))], l.creators[cr], l.creators[cr]+"-live"
		w := rng.Int64N(100)
		for _, g := range crashGifts {
			if w -= g.weight; w < 0 {
				k.gift, k.qty = g.id, 1+rng.Int64N(3)
				k.coins = g.coins * k.qty
				break
			}
		}
		k.milli = k.coins * crashMilliPerCoin
		return k
	}
	for !l.stop.Load() && ctx.Err() == nil {
		var ks []*crashKey
		batch := false
		switch r := rng.IntN(100); {
		case r < 50:
			ks = []*crashKey{gift()}
			l.stats.singleGifts.Add(1)
		case r < 60:
			batch = true
			for range 2 + rng.IntN(19) {
				ks = append(ks, gift())
			}
			l.stats.batches.Add(1)
		case r < 80:
			k := next("purchase")
			k.user = l.viewers[rng.IntN(len(l.viewers))]
			k.coins = crashPackages[rng.IntN(len(crashPackages))]
			k.pkg = fmt.Sprintf("web-usd-%d", k.coins)
			ks = []*crashKey{k}
		default:
			k := next("withdrawal")
			k.user = l.creators[rng.IntN(len(l.creators))]
			k.milli = 1000 + rng.Int64N(500_000) // 1 to 501 diamonds, to the thousandth
			ks = []*crashKey{k}
		}
		l.track(ks...)
		l.send(ctx, rng, ks, batch)
	}
}

// send sends one request until every key in it is answered, resending with
// the same keys after a lost answer (a transport error, a timeout, a 5xx or
// a 429), or until the client abandons it on purpose: only after a lost
// answer to a request that may have reached the server (a connection cut by
// a kill, or a timeout), with probability crashAbandonChance. A few attempts
// are made with a timeout of a few milliseconds, as an impatient client
// would: their requests may be applied after the client stopped listening,
// kill or no kill.
func (l *crashLoad) send(ctx context.Context, rng *rand.Rand, ks []*crashKey, batch bool) {
	for try := 0; ; try++ {
		if try > 0 {
			l.stats.resent.Add(1)
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if rng.Float64() < crashImpatient {
			actx, cancel = context.WithTimeout(ctx, time.Duration(1+rng.IntN(30))*time.Millisecond)
		}
		var st int
		var body []byte
		var err error
		if batch {
			st, body, err = l.post(actx, "/v1/gifts/batch", "", crashBatchBody(ks))
		} else {
			st, body, err = l.post(actx, crashPath(ks[0]), ks[0].key, crashBody(ks[0]))
		}
		cancel()
		// Why the answer is lost, if it is: "kill" (the connection was
		// reset or closed under the request), "timeout" (the client's own),
		// "refused" (no server listened: the request reached nobody),
		// "503", "5xx", or "other" (a 408 or 429, or gifts of a batch
		// answered 503). Only a kill or a timeout may leave a request
		// applied without an answer, so only those may be abandoned.
		why := ""
		switch {
		case err == nil:
			if ks = l.answerAll(ks, st, body, batch); len(ks) == 0 {
				return
			}
			why = "other"
			if st >= 500 {
				why = "5xx"
			}
			if st == 503 {
				why = "503"
			}
		case errors.Is(err, syscall.ECONNREFUSED):
			why = "refused"
		case actx.Err() != nil && ctx.Err() == nil || isNetTimeout(err):
			why = "timeout"
		default:
			why = "kill"
		}
		l.stats.lose(why)
		if (why == "kill" || why == "timeout") && ctx.Err() == nil && rng.Float64() < crashAbandonChance {
			for _, k := range ks {
				k.state, k.abandonedAfter = crashAbandoned, why
			}
			return
		}
		if ctx.Err() != nil {
			return // the test fails: these keys stay unanswered
		}
		time.Sleep(time.Duration(20+rng.IntN(180)) * time.Millisecond)
	}
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// answerAll records an answer and returns the keys still unanswered.
func (l *crashLoad) answerAll(ks []*crashKey, st int, body []byte, batch bool) []*crashKey {
	if !batch || st != 200 {
		if !crashAnswered(st) {
			return ks
		}
		for _, k := range ks {
			l.answer(k, st, body)
		}
		return nil
	}
	var br struct {
		Results []struct {
			Index  int             `json:"index"`
			Status int             `json:"status"`
			Gift   json.RawMessage `json:"gift"`
			Error  json.RawMessage `json:"error"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &br) != nil || len(br.Results) != len(ks) {
		return ks // unreadable: resend
	}
	var again []*crashKey
	for i, r := range br.Results {
		k := ks[i]
		if r.Index != i || !crashAnswered(r.Status) {
			again = append(again, k)
			continue
		}
		b := r.Gift
		if r.Status >= 400 {
			b = []byte(`{"error":` + string(r.Error) + `}`)
		}
		l.answer(k, r.Status, b)
	}
	return again
}

// crashAnswered tells an answer from a lost one: 2xx and 4xx are answers
// (except 408 and 429, which ask for a retry); 5xx is not.
func crashAnswered(st int) bool {
	return st >= 200 && st < 300 || st >= 400 && st < 500 && st != 408 && st != 429
}

// answer records the answer to one key.
func (l *crashLoad) answer(k *crashKey, st int, body []byte) {
	if st >= 400 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		k.state, k.code = crashRefused, fmt.Sprintf("%d %s", st, e.Error.Code)
		if e.Error.Code != "" && crashRefusals[e.Error.Code] {
			k.code = e.Error.Code
		}
		return
	}
	var a struct {
		ID       string `json:"id"`
		Coins    int64  `json:"coins"`
		Diamonds string `json:"diamonds"`
	}
	_ = json.Unmarshal(body, &a)
	k.state, k.id, k.gotCoins = crashAcked, a.ID, a.Coins
	if a.Diamonds != "" {
		k.gotMilli = diamondsMilli(a.Diamonds)
	}
}

// post sends one POST. The body is not rewindable on purpose, so that
// net/http never resends it by itself: every resend is the client's own.
func (l *crashLoad) post(ctx context.Context, path, idem string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.srv.base()+path, io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+l.srv.key)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

func crashPath(k *crashKey) string {
	switch k.kind {
	case "gift":
		return "/v1/streams/" + k.stream + "/gifts"
	case "purchase":
		return "/v1/purchases"
	default:
		return "/v1/users/" + k.user + "/withdrawals"
	}
}

func crashBody(k *crashKey) []byte {
	switch k.kind {
	case "gift":
		return fmt.Appendf(nil, `{"sender_id":%q,"gift_id":%q,"quantity":%d}`, k.user, k.gift, k.qty)
	case "purchase":
		return fmt.Appendf(nil, `{"user_id":%q,"package_id":%q,"provider":"sandbox"}`, k.user, k.pkg)
	default:
		return fmt.Appendf(nil, `{"diamonds":"%d.%03d"}`, k.milli/1000, k.milli%1000)
	}
}

func crashBatchBody(ks []*crashKey) []byte {
	var b bytes.Buffer
	b.WriteString(`{"gifts":[`)
	for i, k := range ks {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"stream_id":%q,"idempotency_key":%q,"sender_id":%q,"gift_id":%q,"quantity":%d}`, k.stream, k.key, k.user, k.gift, k.qty)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// viewerCoins reads every viewer's coins through the API.
func (l *crashLoad) viewerCoins(ctx context.Context, c *benchClient) (map[string]int64, error) {
	out := map[string]int64{}
	var mu sync.Mutex
	var jobs []func() error
	for _, v := range l.viewers {
		jobs = append(jobs, func() error {
			st, b, err := c.do(ctx, http.MethodGet, "/v1/users/"+v+"/wallet", "", nil)
			var w struct {
				Coins int64 `json:"coins"`
			}
			if err != nil || st != 200 || json.Unmarshal(b, &w) != nil {
				return fmt.Errorf("wallet of %s: %d %s %v", v, st, b, err)
			}
			mu.Lock()
			out[v] = w.Coins
			mu.Unlock()
			return nil
		})
	}
	return out, parallel(ctx, 16, jobs)
}
