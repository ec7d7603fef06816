package cli

import (
	"bufio"
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
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/glint-economy/glint/internal/money"
)

func init() { extraCommands = append(extraCommands, newBenchCmd) }

// benchFlags configure `glint bench`.
type benchFlags struct {
	target, adminKey  string
	db                string
	scenarios         string
	viewers, creators int
	clients           int
	duration, warmup  time.Duration
	batchSize         int
	coinsPerViewer    int64
	walletReaders     int
	baseline          bool
	noBatch           bool
	asJSON            bool
	cpuProfile        string
	server            serveFlags
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test glint over real HTTP and check that no money was lost or duplicated",
		Long: `bench creates viewers with coins and live creators, then sends gifts with many
concurrent clients for a while and reports gifts/s and latency percentiles.
Scenarios: uniform (gifts spread over every creator), hot (every gift to one
creator), batch (POST /v1/gifts/batch). After each run it checks the ledger
invariants and that every acknowledged gift moved money exactly once.

Without --target it starts a glint server in this process on a fresh database
(--db, default a temporary file). --baseline also runs each scenario against a
--no-batch server in the same run, for the group-commit ratio.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			return runBench(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "URL of a running glint (default: start one in this process)")
	fl.StringVar(&f.adminKey, "admin-key", "", "admin API key of --target")
	fl.StringVar(&f.db, "db", "", "database of the in-process server (default: a temporary SQLite file per run)")
	fl.StringVar(&f.scenarios, "scenario", "uniform,hot,batch", "comma-separated scenarios: uniform, hot, batch")
	fl.IntVar(&f.viewers, "viewers", 1000, "viewers (senders)")
	fl.IntVar(&f.creators, "creators", 50, "live creators")
	fl.IntVar(&f.clients, "clients", 256, "concurrent HTTP clients")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "how long each scenario sends gifts")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "load before measuring starts")
	fl.IntVar(&f.batchSize, "batch-size", 100, "gifts per request in the batch scenario")
	fl.Int64Var(&f.coinsPerViewer, "coins", 70000, "coins each viewer starts with (bought in the largest web package)")
	fl.IntVar(&f.walletReaders, "wallet-readers", 4, "clients reading wallets during the load, ~100 reads/s each (read latency under write load)")
	fl.BoolVar(&f.baseline, "baseline", false, "also run each scenario on a --no-batch server, for the group-commit ratio")
	fl.BoolVar(&f.noBatch, "no-batch", false, "run the in-process server with one transaction per request")
	fl.BoolVar(&f.asJSON, "json", false, "print results as JSON")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (loader and in-process server) to this file")
	fl.IntVar(&f.server.maxBatch, "batch-max", 2048, "in-process server: group commit batch size")
	fl.DurationVar(&f.server.batchWait, "batch-wait", 0, "in-process server: group commit wait")
	fl.IntVar(&f.server.queue, "queue", 8192, "in-process server: write queue bound")
	return cmd
}

// BenchResult is the outcome of one scenario run.
type BenchResult struct {
	Scenario    string  `json:"scenario"`
	Server      string  `json:"server"` // "group-commit", "no-batch" or the target URL
	Clients     int     `json:"clients"`
	Seconds     float64 `json:"seconds"`
	Gifts       int64   `json:"gifts"` // acknowledged gifts
	GiftsPerSec float64 `json:"gifts_per_sec"`
	Requests    int64   `json:"requests"`
	P50ms       float64 `json:"p50_ms"`
	P95ms       float64 `json:"p95_ms"`
	P99ms       float64 `json:"p99_ms"`
	Maxms       float64 `json:"max_ms"`
	WalletReads int64   `json:"wallet_reads"` // wallet reads made during the load
	WalletP50ms float64 `json:"wallet_p50_ms"`
	WalletP99ms float64 `json:"wallet_p99_ms"`
	Refused     int64   `json:"refused"`    // 4xx answers (e.g. insufficient funds)
	Overloaded  int64   `json:"overloaded"` // 503 answers
	Errors      int64   `json:"errors"`     // transport errors (after retries) and 5xx other than 503
	Retries     int64   `json:"retries"`    // requests resent with the same keys after a transport error
	Check       string  `json:"check"`      // "ok" or what failed
}

func runBench(ctx context.Context, f benchFlags, stdout, stderr io.Writer) error {
	scenarios := strings.Split(f.scenarios, ",")
	for _, s := range scenarios {
		if s != "uniform" && s != "hot" && s != "batch" {
			return fmt.Errorf("unknown scenario %q (uniform, hot, batch)", s)
		}
	}
	if f.viewers < 1 || f.creators < 1 || f.clients < 1 || f.batchSize < 1 || f.duration <= 0 {
		return errors.New("--viewers, --creators, --clients, --batch-size and --duration must be positive")
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	var results []BenchResult
	failed := false
	modes := []bool{f.noBatch}
	if f.baseline && f.target == "" {
		modes = []bool{false, true}
	}
	for _, sc := range scenarios {
		for _, noBatch := range modes {
			r, err := benchOnce(ctx, f, sc, noBatch, stderr)
			if err != nil {
				return err
			}
			if r.Check != "ok" {
				failed = true
			}
			results = append(results, r)
		}
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "scenario\tserver\tclients\tgifts/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\twallet p99 ms\tgifts\trefused\t503\terrors\tcheck\t")
		for _, r := range results {
			fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%d\t%d\t%d\t%d\t%s\t\n", r.Scenario, r.Server, r.Clients, r.GiftsPerSec,
				r.P50ms, r.P95ms, r.P99ms, r.Maxms, r.WalletP99ms, r.Gifts, r.Refused, r.Overloaded, r.Errors, shortCheck(r.Check))
		}
		w.Flush()
		for _, r := range results {
			if r.Check != "ok" {
				fmt.Fprintf(stdout, "%s/%s: %s\n", r.Scenario, r.Server, r.Check)
			}
		}
		byKey := map[string]float64{}
		for _, r := range results {
			byKey[r.Scenario+"/"+r.Server] = r.GiftsPerSec
		}
		for _, sc := range scenarios {
			if nb := byKey[sc+"/no-batch"]; nb > 0 && byKey[sc+"/group-commit"] > 0 {
				fmt.Fprintf(stdout, "%s: group commit is %.1f× the --no-batch baseline\n", sc, byKey[sc+"/group-commit"]/nb)
			}
		}
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

// benchTarget is a server under test.
type benchTarget struct {
	base     string
	adminKey string
	name     string
	dbPath   string // in-process server only: its database, for the journal check
	stop     func()
}

func startInProcess(ctx context.Context, f benchFlags, noBatch bool, stderr io.Writer) (*benchTarget, error) {
	sf := f.server
	sf.addr = "127.0.0.1:0"
	sf.logLevel = "error"
	// Room for every gift the clients can have in flight: the bench measures
	// throughput, not the queue bound (which has its own test).
	sf.queue = max(sf.queue, 2*f.clients*max(f.batchSize, 1))
	sf.maxBatchGifts = max(f.batchSize, 500)
	sf.noBatch = noBatch
	sf.sandbox = true // setup buys coins through the sandbox provider
	var cleanup []func()
	sf.db = f.db
	if sf.db == "" {
		dir, err := os.MkdirTemp("", "glint-bench-")
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		sf.db = filepath.Join(dir, "bench.db")
	}
	// An admin key, created in the database before the server starts.
	var keyOut, keyErr bytes.Buffer
	if code := Run(ctx, []string{"keys", "create", "--scope", "admin", "--label", "bench", "--db", sf.db}, &keyOut, &keyErr); code != 0 {
		return nil, fmt.Errorf("bench: create admin key: %s", keyErr.String())
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(sctx, sf, io.Discard, stderr, ready) }()
	select {
	case addr := <-ready:
		name := "group-commit"
		if noBatch {
			name = "no-batch"
		}
		return &benchTarget{base: "http://" + addr, adminKey: strings.TrimSpace(keyOut.String()), name: name, dbPath: sf.db, stop: func() {
			cancel()
			<-done
			for _, c := range cleanup {
				c()
			}
		}}, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("bench: server: %w", err)
	}
}

func benchOnce(ctx context.Context, f benchFlags, scenario string, noBatch bool, stderr io.Writer) (BenchResult, error) {
	var t *benchTarget
	if f.target != "" {
		if f.adminKey == "" {
			return BenchResult{}, errors.New("--target needs --admin-key")
		}
		t = &benchTarget{base: strings.TrimSuffix(f.target, "/"), adminKey: f.adminKey, name: f.target, stop: func() {}}
	} else {
		var err error
		if t, err = startInProcess(ctx, f, noBatch, stderr); err != nil {
			return BenchResult{}, err
		}
	}
	defer t.stop()
	c := newBenchClient(t, f.clients)
	run := fmt.Sprintf("b%x", rand.Uint32())
	fx, err := c.setup(ctx, run, f)
	if err != nil {
		return BenchResult{}, err
	}
	res := c.load(ctx, fx, scenario, f, stderr)
	res.Server = t.name
	if err := c.settle(ctx, fx, scenario, time.Minute); err != nil {
		res.Check = "FAILED: " + err.Error()
		return res, nil
	}
	res.Check = c.check(ctx, fx, t)
	return res, nil
}

// ---- the client side ----

type benchClient struct {
	t    *benchTarget
	http *http.Client
}

func newBenchClient(t *benchTarget, clients int) *benchClient {
	tr := &http.Transport{
		MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: 0,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}
	return &benchClient{t: t, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

func (c *benchClient) do(ctx context.Context, method, path, idemKey string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.t.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.t.adminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// fixture is what setup created.
type fixture struct {
	run      string
	viewers  []string
	creators []string
	streams  []string
	coins    map[string]int64 // viewer → coins after setup
	giftID   string
	acked    []acked      // filled by load
	failed   []pendingReq // requests load could not get an answer for
}

func (c *benchClient) setup(ctx context.Context, run string, f benchFlags) (*fixture, error) {
	fx := &fixture{run: run, coins: map[string]int64{}, giftID: "rose"}
	// the largest web USD package
	st, body, err := c.do(ctx, http.MethodGet, "/v1/catalog/packages?channel=web&currency=USD", "", nil)
	if err != nil || st != 200 {
		return nil, fmt.Errorf("bench: list packages: %d %s %v", st, body, err)
	}
	var pk struct {
		Items []struct {
			ID    string `json:"id"`
			Coins int64  `json:"coins"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &pk); err != nil || len(pk.Items) == 0 {
		return nil, fmt.Errorf("bench: packages: %v", err)
	}
	big := pk.Items[len(pk.Items)-1]
	buys := int((f.coinsPerViewer + big.Coins - 1) / big.Coins)
	for i := 0; i < f.viewers; i++ {
		fx.viewers = append(fx.viewers, fmt.Sprintf("%s-v%d", run, i))
	}
	for i := 0; i < f.creators; i++ {
		fx.creators = append(fx.creators, fmt.Sprintf("%s-c%d", run, i))
	}
	var jobs []func() error
	for _, u := range append(append([]string{}, fx.viewers...), fx.creators...) {
		jobs = append(jobs, func() error {
			st, b, err := c.do(ctx, http.MethodPut, "/v1/users/"+u, "", []byte(`{"display_name":"bench `+u+`","country":"US","age_verified":true}`))
			if err != nil || st != 200 {
				return fmt.Errorf("bench: create user %s: %d %s %v", u, st, b, err)
			}
			return nil
		})
	}
	if err := parallel(ctx, 32, jobs); err != nil {
		return nil, err
	}
	jobs = jobs[:0]
	for _, v := range fx.viewers {
		fx.coins[v] = int64(buys) * big.Coins
		for k := 0; k < buys; k++ {
			jobs = append(jobs, func() error {
				st, b, err := c.do(ctx, http.MethodPost, "/v1/purchases", fmt.Sprintf("%s-buy-%d", v, k), []byte(`{"user_id":"`+v+`","package_id":"`+big.ID+`","provider":"sandbox"}`))
				if err != nil || st != 201 {
					return fmt.Errorf("bench: buy coins for %s: %d %s %v", v, st, b, err)
				}
				return nil
			})
		}
	}
	for _, cr := range fx.creators {
		fx.streams = append(fx.streams, cr+"-live")
		jobs = append(jobs, func() error {
			st, b, err := c.do(ctx, http.MethodPost, "/v1/streams", "", []byte(`{"id":"`+cr+`-live","creator_id":"`+cr+`","title":"bench"}`))
			if err != nil || st != 201 {
				return fmt.Errorf("bench: go live %s: %d %s %v", cr, st, b, err)
			}
			return nil
		})
	}
	if err := parallel(ctx, 32, jobs); err != nil {
		return nil, err
	}
	return fx, nil
}

func parallel(ctx context.Context, n int, jobs []func() error) error {
	var g errgroup.Group
	g.SetLimit(n)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		g.Go(j)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// acked is an acknowledged gift.
type acked struct {
	id      string
	viewer  int
	creator int
	coins   int64
	milli   int64
}

// maxRetries is how many times the bench resends a request that failed in
// transport (same idempotency keys) before counting it as an error.
const maxRetries = 5

type worker struct {
	failed  []pendingReq // requests that failed in transport after retries
	retries int64
	lat     []int64 // microseconds, measured phase only
	acks    []acked
	reqs    int64
	refused int64
	over    int64
	errs    int64
}

func (c *benchClient) load(ctx context.Context, fx *fixture, scenario string, f benchFlags, stderr io.Writer) BenchResult {
	workers := make([]*worker, f.clients)
	var sent atomic.Int64
	var measuring atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wk := &worker{}
		workers[w] = wk
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			rc := &rawConn{}
			defer rc.close()
			seq := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := 1
				if scenario == "batch" {
					n = f.batchSize
				}
				items := make([]benchItem, n)
				for i := range items {
					seq++
					cr := 0
					if scenario != "hot" {
						cr = rng.IntN(len(fx.streams))
					}
					items[i] = benchItem{v: rng.IntN(len(fx.viewers)), c: cr, key: fmt.Sprintf("%s-%s-%d-%d", fx.run, scenario, w, seq)}
				}
				var buf bytes.Buffer
				var path, idemKey string
				if scenario == "batch" {
					path = "/v1/gifts/batch"
					buf.WriteString(`{"gifts":[`)
					for i, it := range items {
						if i > 0 {
							buf.WriteByte(',')
						}
						fmt.Fprintf(&buf, `{"stream_id":"%s","sender_id":"%s","gift_id":"%s","quantity":1,"idempotency_key":"%s"}`, fx.streams[it.c], fx.viewers[it.v], fx.giftID, it.key)
					}
					buf.WriteString(`]}`)
				} else {
					it := items[0]
					path, idemKey = "/v1/streams/"+fx.streams[it.c]+"/gifts", it.key
					fmt.Fprintf(&buf, `{"sender_id":"%s","gift_id":"%s","quantity":1}`, fx.viewers[it.v], fx.giftID)
				}
				start := time.Now()
				st, body, err := c.rawDo(rc, path, idemKey, buf.Bytes())
				// A request that timed out or lost its connection may still
				// have committed: retry it with the same idempotency keys, as
				// a real client must, so that its answer is the first one.
				for try := 0; err != nil && try < maxRetries && ctx.Err() == nil; try++ {
					wk.retries++
					time.Sleep(100 * time.Millisecond)
					st, body, err = c.rawDo(rc, path, idemKey, buf.Bytes())
				}
				el := time.Since(start)
				meas := measuring.Load()
				if meas {
					wk.reqs++
					wk.lat = append(wk.lat, el.Microseconds())
				}
				if err != nil {
					wk.errs++
					wk.failed = append(wk.failed, pendingReq{path: path, idemKey: idemKey, body: buf.Bytes(), items: items})
					if ctx.Err() != nil {
						return
					}
					continue
				}
				acks, refused, over, bad := recordAnswer(st, body, items, scenario)
				wk.acks = append(wk.acks, acks...)
				sent.Add(int64(len(acks)))
				wk.refused += refused
				wk.over += over
				wk.errs += bad
				if over > 0 {
					time.Sleep(5 * time.Millisecond) // back off, as a client told Retry-After would
				}
			}
		}(w)
	}
	// A few readers fetch wallets while the gifts flow: read latency under
	// write load.
	var walletLat [][]int64
	var rwg sync.WaitGroup
	for r := 0; r < f.walletReaders; r++ {
		walletLat = append(walletLat, nil)
		rwg.Add(1)
		go func(r int) {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(10 * time.Millisecond) // ~100 reads/s per reader: a realistic read load
				v := fx.viewers[rng.IntN(len(fx.viewers))]
				start := time.Now()
				st, _, err := c.do(ctx, http.MethodGet, "/v1/users/"+v+"/wallet", "", nil)
				if err == nil && st == 200 && measuring.Load() {
					walletLat[r] = append(walletLat[r], time.Since(start).Microseconds())
				}
			}
		}(r)
	}
	tty := isTerminal(stderr)
	time.Sleep(f.warmup)
	measuring.Store(true)
	startCount := sent.Load()
	start := time.Now()
	tick := time.NewTicker(time.Second)
	deadline := time.After(f.duration)
loop:
	for {
		select {
		case <-deadline:
			break loop
		case <-ctx.Done():
			break loop
		case <-tick.C:
			if tty {
				el := time.Since(start).Seconds()
				fmt.Fprintf(stderr, "\r%-8s %5.1fs  %9.0f gifts/s ", scenario, el, float64(sent.Load()-startCount)/el)
			}
		}
	}
	measuring.Store(false)
	elapsed := time.Since(start)
	gifts := sent.Load() - startCount
	tick.Stop()
	close(stop)
	wg.Wait()
	rwg.Wait()
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	var lat []int64
	r := BenchResult{Scenario: scenario, Clients: f.clients, Seconds: elapsed.Seconds(), Gifts: gifts}
	var all []acked
	for _, wk := range workers {
		lat = append(lat, wk.lat...)
		all = append(all, wk.acks...)
		r.Requests += wk.reqs
		r.Refused += wk.refused
		r.Overloaded += wk.over
		r.Errors += wk.errs
		r.Retries += wk.retries
		fx.failed = append(fx.failed, wk.failed...)
	}
	r.GiftsPerSec = float64(gifts) / elapsed.Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return float64(lat[i]) / 1000
	}
	r.P50ms, r.P95ms, r.P99ms = pct(0.50), pct(0.95), pct(0.99)
	var wl []int64
	for _, l := range walletLat {
		wl = append(wl, l...)
	}
	slices.Sort(wl)
	if len(wl) > 0 {
		r.WalletReads = int64(len(wl))
		r.WalletP50ms = float64(wl[len(wl)/2]) / 1000
		r.WalletP99ms = float64(wl[int(0.99*float64(len(wl)-1))]) / 1000
	}
	if len(lat) > 0 {
		r.Maxms = float64(lat[len(lat)-1]) / 1000
	}
	fx.acked = append(fx.acked, all...)
	return r
}

// diamondsMilli reads a diamond amount of an answer in milli-diamonds; a
// malformed one is -1, which no wallet check can match.
func diamondsMilli(s string) int64 {
	m, err := money.ParseAsset(s, money.Diamond)
	if err != nil {
		return -1
	}
	return m
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// check verifies a finished run: the ledger invariants, that every viewer's
// and creator's wallet moved by exactly the acknowledged gifts, and (for an
// in-process SQLite server) that every acknowledged gift is in the journal
// exactly once. It returns "ok" or what failed.
func (c *benchClient) check(ctx context.Context, fx *fixture, t *benchTarget) string {
	var problems []string
	st, body, err := c.do(ctx, http.MethodGet, "/v1/admin/ledger/check", "", nil)
	var lc struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if err != nil || st != 200 || json.Unmarshal(body, &lc) != nil {
		problems = append(problems, fmt.Sprintf("ledger check: %d %v", st, err))
	} else if !lc.OK {
		problems = append(problems, "ledger: "+strings.Join(lc.Problems, "; "))
	}
	wallets := map[string]walletState{}
	var mu sync.Mutex
	var jobs []func() error
	for _, u := range append(append([]string{}, fx.viewers...), fx.creators...) {
		jobs = append(jobs, func() error {
			st, b, err := c.do(ctx, http.MethodGet, "/v1/users/"+u+"/wallet", "", nil)
			if err != nil || st != 200 {
				return fmt.Errorf("wallet %s: %d %v", u, st, err)
			}
			var w struct {
				Coins    int64 `json:"coins"`
				Diamonds struct {
					Pending   string `json:"pending"`
					Available string `json:"available"`
				} `json:"diamonds"`
			}
			if err := json.Unmarshal(b, &w); err != nil {
				return err
			}
			mu.Lock()
			wallets[u] = walletState{coins: w.Coins, milli: diamondsMilli(w.Diamonds.Pending) + diamondsMilli(w.Diamonds.Available)}
			mu.Unlock()
			return nil
		})
	}
	if err := parallel(ctx, 32, jobs); err != nil {
		problems = append(problems, err.Error())
	} else if err := checkWallets(fx, wallets); err != nil {
		problems = append(problems, err.Error())
	}
	if t.dbPath != "" {
		refs, err := giftRefCounts(ctx, t.dbPath, fx.run)
		if err != nil {
			problems = append(problems, err.Error())
		} else if err := checkExactlyOnce(fx.acked, refs); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return "ok"
	}
	return "FAILED: " + strings.Join(problems, "; ")
}

type walletState struct{ coins, milli int64 }

// checkWallets compares every wallet with what the acknowledged gifts say
// it must hold: a lost gift or a duplicated one shows as a difference.
func checkWallets(fx *fixture, got map[string]walletState) error {
	wantCoins := map[string]int64{}
	wantMilli := map[string]int64{}
	for v, c := range fx.coins {
		wantCoins[v] = c
	}
	for _, a := range fx.acked {
		wantCoins[fx.viewers[a.viewer]] -= a.coins
		wantMilli[fx.creators[a.creator]] += a.milli
	}
	var bad []string
	for _, v := range fx.viewers {
		if got[v].coins != wantCoins[v] {
			bad = append(bad, fmt.Sprintf("viewer %s holds %d coins, acknowledged gifts leave %d", v, got[v].coins, wantCoins[v]))
		}
	}
	for _, cr := range fx.creators {
		if got[cr].milli != wantMilli[cr] {
			bad = append(bad, fmt.Sprintf("creator %s holds %d milli-diamonds, acknowledged gifts give %d", cr, got[cr].milli, wantMilli[cr]))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("… and %d more", len(bad)-5))
		}
		return fmt.Errorf("money moved differently from the acknowledged gifts: %s", strings.Join(bad, "; "))
	}
	return nil
}

// checkExactlyOnce checks that every acknowledged gift has exactly one
// journal transaction and that the journal holds no gift of this run that was
// not acknowledged. refs counts gift transactions by gift id.
func checkExactlyOnce(acks []acked, refs map[string]int) error {
	seen := map[string]bool{}
	var missing, dup int
	for _, a := range acks {
		if seen[a.id] {
			dup++
			continue
		}
		seen[a.id] = true
		switch n := refs[a.id]; {
		case n == 0:
			missing++
		case n > 1:
			dup++
		}
	}
	extra := 0
	for id := range refs {
		if !seen[id] {
			extra++
		}
	}
	if missing > 0 || dup > 0 || extra > 0 {
		return fmt.Errorf("journal: %d acknowledged gifts missing, %d duplicated, %d unacknowledged gifts committed", missing, dup, extra)
	}
	return nil
}

// giftRefCounts counts the gift transactions of one bench run (senders
// named "<run>-v…") in the in-process server's database, either engine.
func giftRefCounts(ctx context.Context, db, run string) (map[string]int, error) {
	s, err := openStore(ctx, db, true)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c, ok := s.(interface {
		GiftRefCounts(ctx context.Context, senderPrefix string) (map[string]int, error)
	})
	if !ok {
		return nil, fmt.Errorf("bench: %s cannot count gift transactions", dbName(db))
	}
	return c.GiftRefCounts(ctx, run+"-v")
}

func shortCheck(c string) string {
	if c == "ok" {
		return c
	}
	return "FAILED (below)"
}

// benchItem is one gift of a request: viewer and creator indexes, and its
// idempotency key.
type benchItem struct {
	v, c int
	key  string
}

// pendingReq is a request the load could not get an answer for (the server
// was down or too slow): it may or may not have been applied.
type pendingReq struct {
	path, idemKey string
	body          []byte
	items         []benchItem
}

// recordAnswer reads the answer to a gift request: the acknowledged gifts,
// and how many gifts were refused (4xx), overloaded (503) or bad.
func recordAnswer(st int, body []byte, items []benchItem, scenario string) (acks []acked, refused, over, bad int64) {
	type giftAnswer struct {
		ID       string `json:"id"`
		Coins    int64  `json:"coins"`
		Diamonds string `json:"diamonds"`
	}
	switch {
	case st == 201 && scenario != "batch":
		var g giftAnswer
		if json.Unmarshal(body, &g) != nil || g.ID == "" {
			return nil, 0, 0, 1
		}
		it := items[0]
		return []acked{{id: g.ID, viewer: it.v, creator: it.c, coins: g.Coins, milli: diamondsMilli(g.Diamonds)}}, 0, 0, 0
	case st == 200 && scenario == "batch":
		var br struct {
			Results []struct {
				Index  int         `json:"index"`
				Status int         `json:"status"`
				Gift   *giftAnswer `json:"gift"`
			} `json:"results"`
		}
		if json.Unmarshal(body, &br) != nil {
			return nil, 0, 0, 1
		}
		for _, r := range br.Results {
			switch {
			case r.Status == 201 && r.Gift != nil && r.Index >= 0 && r.Index < len(items):
				it := items[r.Index]
				acks = append(acks, acked{id: r.Gift.ID, viewer: it.v, creator: it.c, coins: r.Gift.Coins, milli: diamondsMilli(r.Gift.Diamonds)})
			case r.Status == 503:
				over++
			case r.Status >= 400 && r.Status < 500:
				refused++
			default:
				bad++
			}
		}
		return acks, refused, over, bad
	case st == 503:
		return nil, 0, 1, 0
	case st >= 400 && st < 500:
		return nil, 1, 0, 0
	}
	return nil, 0, 0, 1
}

// settle resends, with the same idempotency keys, every request the load got
// no answer for, until each is answered: a gift that was applied before a
// crash replays its first answer, one that was not is applied now (or
// refused). Afterwards the acknowledged gifts are every gift the server
// applied, and the checks are exact. It gives up after timeout.
func (c *benchClient) settle(ctx context.Context, fx *fixture, scenario string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pending := fx.failed
	fx.failed = nil
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d requests still unanswered after %v", len(pending), timeout)
		}
		var again []pendingReq
		for _, p := range pending {
			st, body, err := c.do(ctx, http.MethodPost, p.path, p.idemKey, p.body)
			if err != nil || st == 503 {
				again = append(again, p)
				continue
			}
			acks, _, over, _ := recordAnswer(st, body, p.items, scenario)
			fx.acked = append(fx.acked, acks...)
			if over > 0 { // some gifts of a batch were refused as overloaded: resend the request
				again = append(again, p)
			}
		}
		pending = again
		if len(pending) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	// A resent batch replays the gifts it had already acknowledged: count
	// each gift once.
	seen := make(map[string]bool, len(fx.acked))
	uniq := fx.acked[:0]
	for _, a := range fx.acked {
		if !seen[a.id] {
			seen[a.id] = true
			uniq = append(uniq, a)
		}
	}
	fx.acked = uniq
	return nil
}

// rawConn is one worker's keep-alive HTTP/1.1 connection. The load loop
// writes its requests by hand and reads answers with http.ReadResponse:
// real HTTP over loopback, without http.Client's per-request goroutine
// hand-offs, so that the load generator leaves the shared CPU to the server.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (r *rawConn) close() {
	if r.c != nil {
		r.c.Close()
		r.c = nil
	}
}

// rawDo POSTs body to path on the worker's connection (dialled on demand;
// dropped on any error, so the next call redials).
func (c *benchClient) rawDo(r *rawConn, path, idemKey string, body []byte) (int, []byte, error) {
	if r.c == nil {
		host := strings.TrimPrefix(strings.TrimPrefix(c.t.base, "http://"), "https://")
		conn, err := net.DialTimeout("tcp", host, 5*time.Second)
		if err != nil {
			return 0, nil, err
		}
		r.c, r.br, r.bw = conn, bufio.NewReaderSize(conn, 64<<10), bufio.NewWriterSize(conn, 16<<10)
	}
	_ = r.c.SetDeadline(time.Now().Add(2 * time.Minute))
	fmt.Fprintf(r.bw, "POST %s HTTP/1.1\r\nHost: glint\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, c.t.adminKey, len(body))
	if idemKey != "" {
		fmt.Fprintf(r.bw, "Idempotency-Key: %s\r\n", idemKey)
	}
	r.bw.WriteString("\r\n")
	r.bw.Write(body)
	if err := r.bw.Flush(); err != nil {
		r.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		r.close()
		return 0, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		r.close()
	}
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}
