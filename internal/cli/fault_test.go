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
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The fault tests break what glint stands on — the disk under SQLite, the
// PostgreSQL server — while clients send gifts and purchases with
// idempotency keys and resend whatever got no 2xx, as they must. They prove
// DESIGN §6 "disk full or database down": no 2xx for anything not committed,
// errors are a prompt 5xx with a JSON body (never a hang), /readyz says
// not ready while the fault lasts, and glint recovers on its own — without a
// restart — once the fault clears; then every acknowledged request is in
// the database exactly once (checked through the API, in the database and
// with `glint verify`).

// faultAnswerBound is how long any request may take to be answered, fault
// or not: a request without an answer by then is a hang.
const faultAnswerBound = 10 * time.Second

// requireRootFaults skips a test that needs root (mount, another user's
// server) — or fails it when GLINT_REQUIRE_ROOT_FAULTS=1, as in CI.
func requireRootFaults(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("GLINT_REQUIRE_ROOT_FAULTS") == "1" {
		t.Fatalf("%s needs root, and GLINT_REQUIRE_ROOT_FAULTS=1", why)
	}
	t.Skipf("%s needs root (CI runs it as root with GLINT_REQUIRE_ROOT_FAULTS=1)", why)
}

// faultSkip skips for a missing prerequisite, or fails when one of the
// require variables is set.
func faultSkip(t *testing.T, msg string, require ...string) {
	t.Helper()
	for _, v := range require {
		if os.Getenv(v) == "1" {
			t.Fatalf("%s, and %s=1", msg, v)
		}
	}
	t.Skip(msg)
}

// TestDiskFull puts the SQLite database on a small tmpfs and fills it with a
// ballast file in the middle of the load, then deletes the ballast.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs and runs a real server")
	}
	requireRootFaults(t, "mounting a tmpfs")
	t.Parallel()
	bin := glintBinary(t)
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Room for the schema, the set-up and the WAL, which about a second of
	// load brings to its auto-checkpoint size (4000 pages, 16 MB); SQLite
	// then reuses it from its start, so writes go on for a moment after the
	// disk is full, until they reach its end.
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		faultSkip(t, fmt.Sprintf("mount -t tmpfs: %v %s", err, out), "GLINT_REQUIRE_ROOT_FAULTS")
	}
	t.Cleanup(func() { // after the server's cleanup (registered later) killed it
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	db := filepath.Join(dir, "glint.db")
	code, out, errOut := runGlint(t, bin, "keys", "create", "--scope", "admin", "--db", db)
	if code != 0 {
		t.Fatalf("keys create: %d %s", code, errOut)
	}
	p := startGlint(t, bin, db)
	r := newFaultRun(t, p.URL, strings.TrimSpace(out), "disk")
	r.setup()

	ballast := filepath.Join(dir, "ballast")
	var filled int64
	r.exercise("disk full", func() {
		if fi, err := os.Stat(db + "-wal"); err == nil {
			t.Logf("the WAL is %d frames long when the ballast goes in", fi.Size()/4120)
		}
		var err error
		if filled, err = fillDisk(ballast); err != nil {
			t.Fatalf("ballast: %v", err)
		}
		t.Logf("ballast of %d MiB written: the tmpfs is full", filled>>20)
	}, func() {
		if err := os.Remove(ballast); err != nil {
			t.Fatal(err)
		}
	})
	r.verify(db)
	if t.Failed() {
		t.Logf("glint serve log (tail):\n%s", faultTail(p.logs(), 40))
	}
	if code := p.stop(); code != 0 {
		t.Errorf("glint serve exited %d after SIGTERM:\n%s", code, faultTail(p.logs(), 40))
	}
	code, out, errOut = runGlint(t, bin, "verify", "--db", db)
	if code != 0 {
		t.Fatalf("glint verify: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("glint verify: %s", strings.TrimSpace(out))
}

// fillDisk writes zeros to path until the file system is full.
func fillDisk(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// TestPostgresRestart runs glint on a PostgreSQL server of its own, stops
// that server (immediate: a crash, no goodbye to the clients) in the middle
// of the load and starts it again on the same port.
func TestPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL and a real server")
	}
	t.Parallel()
	pg := startOwnPostgres(t)
	bin := glintBinary(t)
	code, out, errOut := runGlint(t, bin, "keys", "create", "--scope", "admin", "--db", pg.dsn)
	if code != 0 {
		t.Fatalf("keys create: %d %s", code, errOut)
	}
	p := startGlint(t, bin, pg.dsn)
	r := newFaultRun(t, p.URL, strings.TrimSpace(out), "pg")
	r.strict = true // nothing can commit while the server is stopped
	r.setup()
	r.exercise("PostgreSQL down", func() {
		if err := pg.ctl("-m", "immediate", "-w", "stop"); err != nil {
			t.Fatalf("pg_ctl stop: %v", err)
		}
	}, func() {
		if err := pg.start(); err != nil {
			t.Fatalf("pg_ctl start: %v", err)
		}
	})
	r.verify(pg.dsn)
	if t.Failed() {
		t.Logf("glint serve log (tail):\n%s", faultTail(p.logs(), 40))
	}
	if code := p.stop(); code != 0 {
		t.Errorf("glint serve exited %d after SIGTERM:\n%s", code, faultTail(p.logs(), 40))
	}
	code, out, errOut = runGlint(t, bin, "verify", "--db", pg.dsn)
	if code != 0 {
		t.Fatalf("glint verify: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("glint verify: %s", strings.TrimSpace(out))
}

// ownPostgres is a PostgreSQL cluster started by one test, which may stop
// and restart it (scripts/pg.sh's settings: fsync and synchronous_commit on).
type ownPostgres struct {
	bin    string
	dir    string
	port   int
	asUser string // "postgres" when the test runs as root (initdb refuses root)
	dsn    string
}

func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	require := []string{"GLINT_REQUIRE_POSTGRES", "GLINT_REQUIRE_ROOT_FAULTS"}
	bin := os.Getenv("PG_BIN")
	if bin == "" {
		bin = "/usr/lib/postgresql/15/bin"
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		faultSkip(t, fmt.Sprintf("PostgreSQL binaries not found in %s (set PG_BIN, or run scripts/pg.sh once to install them)", bin), require...)
	}
	pg := &ownPostgres{bin: bin}
	if os.Geteuid() == 0 {
		// initdb refuses root: the cluster belongs to the postgres user,
		// in a directory it can reach.
		u, err := user.Lookup("postgres")
		if err != nil {
			faultSkip(t, "no postgres user to run PostgreSQL as root (scripts/pg.sh creates it)", require...)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		dir, err := os.MkdirTemp("/tmp", "glint-fault-pg-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.dir, pg.asUser = dir, "postgres"
	} else {
		pg.dir = t.TempDir()
	}
	if err := os.Chmod(pg.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := pg.command("initdb", "-D", pg.dir+"/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&pool_max_conns=8", pg.port)
	if err := pg.start(); err != nil {
		t.Fatalf("PostgreSQL did not start: %v", err)
	}
	t.Cleanup(func() { _ = pg.ctl("-m", "immediate", "-w", "stop") })
	return pg
}

func (pg *ownPostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", pg.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *ownPostgres) ctl(args ...string) error {
	out, err := pg.command("pg_ctl", append([]string{"-D", pg.dir + "/data"}, args...)...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(pg.dir + "/server.log")
		return fmt.Errorf("pg_ctl %s: %v\n%s\nserver.log (tail):\n%s", strings.Join(args, " "), err, out, faultTail(string(log), 20))
	}
	return nil
}

// start starts the cluster on its port and waits until it accepts
// connections.
func (pg *ownPostgres) start() error {
	return pg.ctl("-l", pg.dir+"/server.log", "-w", "-t", "60", "start", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on -c synchronous_commit=on -c max_connections=100", pg.port, pg.dir))
}

func faultTail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// ---- the load and its checks, shared by both tests ----

// Phases of a fault run, as seen by the clients.
const (
	phaseBefore   = iota // normal load
	phaseFault           // the fault is in place
	phaseClearing        // the fault is gone, /readyz has not said 200 yet
	phaseAfter           // /readyz said 200 again
	phases
)

var phaseNames = [phases]string{"before", "fault", "clearing", "after"}

// faultOp is one client request: a gift or a purchase with its own
// idempotency key, resent as it is until it gets a 2xx.
type faultOp struct {
	purchase bool
	viewer   int
	creator  int
	key      string
	path     string
	body     []byte
	first    int // the phase it was first sent in
}

// faultAck is an acknowledged op and what its answer said.
type faultAck struct {
	op    *faultOp
	id    string
	coins int64 // coins bought (purchase) or spent (gift)
	milli int64 // milli-diamonds a gift gave its creator
}

type faultRun struct {
	t       *testing.T
	base    string
	key     string
	run     string
	http    *http.Client
	workers int

	viewers, creators, streams []string
	setupBuys                  map[string][]string // viewer → ids of its set-up purchases
	setupCoins                 map[string]int64

	phase atomic.Int32
	// strict: no request sent and answered while the fault is fully in
	// place (between inject and clear) may get a 2xx. Not so for a full
	// disk, where SQLite goes on writing into the WAL's reused frames.
	strict bool
	down   atomic.Bool

	mu         sync.Mutex
	acks       []faultAck
	attempts   [phases]int
	ok         [phases]int
	statuses   [phases]map[int]int // non-2xx answers by status
	maxLatency [phases]time.Duration
	transport  []string // transport errors (a hang past faultAnswerBound, a dropped connection)
	bad        []string // answers that break the rules
	unresolved int      // ops still without a 2xx when the run ended
	resentOK   int      // ops acknowledged after one or more 5xx
	sentDown   int      // requests sent and answered while the fault was fully in place (strict runs)
	clearedAt  time.Time
	firstOK    time.Time // the first 2xx after the fault was cleared

	ready struct {
		samples   [phases]int
		notReady  [phases]int
		unready   time.Time // first non-200 after the fault was put in place
		flaps     int       // 200s during the fault after the first non-200
		recovered time.Time // first 200 after the fault was cleared
	}
}

func newFaultRun(t *testing.T, base, key, name string) *faultRun {
	tr := &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}
	r := &faultRun{t: t, base: base, key: key, run: fmt.Sprintf("%s%x", name, rand.Uint32()), workers: 8,
		http: &http.Client{Transport: tr, Timeout: faultAnswerBound}, setupBuys: map[string][]string{}, setupCoins: map[string]int64{}}
	for i := range r.statuses {
		r.statuses[i] = map[int]int{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return r
}

func (r *faultRun) do(method, path, idem string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, r.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func (r *faultRun) must(method, path, idem, body string, want int) []byte {
	r.t.Helper()
	st, _, b, err := r.do(method, path, idem, []byte(body))
	if err != nil || st != want {
		r.t.Fatalf("%s %s: %d %s %v, want %d", method, path, st, b, err, want)
	}
	return b
}

// setup creates 8 viewers with 7,000 coins each and 2 live creators.
func (r *faultRun) setup() {
	r.t.Helper()
	for i := range 8 {
		r.viewers = append(r.viewers, fmt.Sprintf("%s-v%d", r.run, i))
	}
	for i := range 2 {
		r.creators = append(r.creators, fmt.Sprintf("%s-c%d", r.run, i))
		r.streams = append(r.streams, fmt.Sprintf("%s-s%d", r.run, i))
	}
	for _, u := range append(slices.Clone(r.viewers), r.creators...) {
		r.must(http.MethodPut, "/v1/users/"+u, "", `{"display_name":"fault `+u+`","country":"US","age_verified":true}`, http.StatusOK)
	}
	for _, v := range r.viewers {
		b := r.must(http.MethodPost, "/v1/purchases", v+"-setup", `{"user_id":"`+v+`","package_id":"web-usd-7000","provider":"sandbox"}`, http.StatusCreated)
		var p struct {
			ID    string `json:"id"`
			Coins int64  `json:"coins"`
		}
		if err := json.Unmarshal(b, &p); err != nil || p.ID == "" || p.Coins != 7000 {
			r.t.Fatalf("set-up purchase: %s", b)
		}
		r.setupBuys[v] = append(r.setupBuys[v], p.ID)
		r.setupCoins[v] = p.Coins
	}
	for i, cr := range r.creators {
		r.must(http.MethodPost, "/v1/streams", "", `{"id":"`+r.streams[i]+`","creator_id":"`+cr+`","title":"fault"}`, http.StatusCreated)
	}
}

// newOp makes a gift of a rose (1 coin), or one time in six a purchase of
// 70 coins, by a random viewer.
func (r *faultRun) newOp(rng *rand.Rand, w, seq int) *faultOp {
	op := &faultOp{viewer: rng.IntN(len(r.viewers)), creator: rng.IntN(len(r.creators)),
		key: fmt.Sprintf("%s-%d-%d", r.run, w, seq), first: int(r.phase.Load())}
	v := r.viewers[op.viewer]
	if rng.IntN(6) == 0 {
		op.purchase = true
		op.path = "/v1/purchases"
		op.body = []byte(`{"user_id":"` + v + `","package_id":"web-usd-70","provider":"sandbox"}`)
	} else {
		op.path = "/v1/streams/" + r.streams[op.creator] + "/gifts"
		op.body = []byte(`{"sender_id":"` + v + `","gift_id":"rose","quantity":1}`)
	}
	return op
}

// send sends op until it is acknowledged, resending with the same key after
// every 5xx; it gives up (op unresolved) when giveUp is closed.
func (r *faultRun) send(op *faultOp, giveUp <-chan struct{}) {
	for try := 0; ; try++ {
		start := time.Now()
		sentDown := r.down.Load()
		st, hdr, body, err := r.do(http.MethodPost, op.path, op.key, op.body)
		el := time.Since(start)
		ph := int(r.phase.Load())
		whileDown := sentDown && r.down.Load()
		r.mu.Lock()
		r.attempts[ph]++
		r.maxLatency[ph] = max(r.maxLatency[ph], el)
		if whileDown {
			r.sentDown++
		}
		switch {
		case err != nil:
			r.transport = append(r.transport, fmt.Sprintf("%s (%s, after %v): %v", op.path, phaseNames[ph], el.Round(time.Millisecond), err))
		case st == http.StatusCreated:
			r.ok[ph]++
			if whileDown {
				r.bad = append(r.bad, fmt.Sprintf("%s: 201 while the database was down: %s", op.path, body))
			}
			if try > 0 {
				r.resentOK++
			}
			if !r.clearedAt.IsZero() && r.firstOK.IsZero() {
				r.firstOK = time.Now()
			}
			var a struct {
				ID       string `json:"id"`
				Coins    int64  `json:"coins"`
				Diamonds string `json:"diamonds"`
				Status   string `json:"status"`
			}
			if json.Unmarshal(body, &a) != nil || a.ID == "" || a.Coins <= 0 || (op.purchase && a.Status != "completed") {
				r.bad = append(r.bad, fmt.Sprintf("%s answered 201 %s", op.path, body))
			}
			ack := faultAck{op: op, id: a.ID, coins: a.Coins}
			if !op.purchase {
				ack.milli = diamondsMilli(a.Diamonds)
			}
			r.acks = append(r.acks, ack)
			r.mu.Unlock()
			return
		default:
			r.statuses[ph][st]++
			// Every refusal here is a fault: a 5xx with the JSON error body.
			var e struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if st < 500 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/") || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
				r.bad = append(r.bad, fmt.Sprintf("%s (%s): %d %q %s", op.path, phaseNames[ph], st, hdr.Get("Content-Type"), body))
			}
		}
		r.mu.Unlock()
		select {
		case <-giveUp:
			r.mu.Lock()
			r.unresolved++
			r.mu.Unlock()
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pollReady asks /readyz every 50 ms until stop is closed.
func (r *faultRun) pollReady(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	c := &http.Client{Timeout: faultAnswerBound}
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		ph := int(r.phase.Load())
		resp, err := c.Get(r.base + "/readyz")
		st := 0
		var body []byte
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			st = resp.StatusCode
		}
		r.mu.Lock()
		r.ready.samples[ph]++
		switch {
		case err != nil:
			r.transport = append(r.transport, fmt.Sprintf("/readyz (%s): %v", phaseNames[ph], err))
		case st == http.StatusOK:
			if ph == phaseFault && !r.ready.unready.IsZero() {
				r.ready.flaps++
			}
			if ph == phaseClearing && r.ready.recovered.IsZero() {
				r.ready.recovered = time.Now()
			}
		default:
			r.ready.notReady[ph]++
			if ph == phaseFault && r.ready.unready.IsZero() {
				r.ready.unready = time.Now()
			}
			if st != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"not_ready"`)) {
				r.bad = append(r.bad, fmt.Sprintf("/readyz (%s): %d %s", phaseNames[ph], st, body))
			}
		}
		r.mu.Unlock()
	}
}

// faultWaitFor polls cond every 20 ms for up to d.
func faultWaitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// exercise runs the load: a second of normal traffic, then inject the
// fault and keep sending until /readyz has said not ready and the fault has
// lasted two seconds, then clear it, wait for /readyz to say 200 (no
// restart: the same process) and send for one more second. Every op is
// resent until acknowledged; the ops in flight at the end get 15 s more.
func (r *faultRun) exercise(fault string, inject, clear func()) {
	t := r.t
	t.Helper()
	stop, giveUp, readyStop := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var stopOnce, giveUpOnce, readyOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	abandon := func() { giveUpOnce.Do(func() { close(giveUp) }) }
	haltReady := func() { readyOnce.Do(func() { close(readyStop) }) }
	t.Cleanup(func() { halt(); abandon(); haltReady() }) // a Fatal in inject or clear
	var wg sync.WaitGroup
	for w := range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), rand.Uint64()))
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				r.send(r.newOp(rng, w, seq), giveUp)
			}
		}()
	}
	readyDone := make(chan struct{})
	go r.pollReady(readyStop, readyDone)
	acked := func() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.acks) }

	time.Sleep(time.Second)
	if acked() == 0 {
		t.Error("nothing was acknowledged before the fault")
	}
	faultAt := time.Now()
	r.phase.Store(phaseFault)
	inject()
	injected := time.Since(faultAt)
	r.down.Store(r.strict)
	if !faultWaitFor(10*time.Second, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return !r.ready.unready.IsZero() }) {
		t.Errorf("%s: /readyz still answers 200 10 s after the fault", fault)
	}
	time.Sleep(2 * time.Second) // the fault lasts; clients keep sending and resending
	r.down.Store(false)
	clearAt := time.Now()
	r.phase.Store(phaseClearing)
	clear()
	cleared := time.Since(clearAt)
	r.mu.Lock()
	r.clearedAt = time.Now()
	r.mu.Unlock()
	if !faultWaitFor(15*time.Second, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return !r.ready.recovered.IsZero() }) {
		t.Errorf("%s: /readyz not 200 within 15 s of the fault clearing", fault)
	}
	r.phase.Store(phaseAfter)
	time.Sleep(time.Second)
	halt()
	ended := make(chan struct{})
	go func() { wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(15 * time.Second):
		abandon()
		<-ended
	}
	haltReady()
	<-readyDone

	r.mu.Lock()
	defer r.mu.Unlock()
	var gifts, buys, fresh int
	for _, a := range r.acks {
		if a.op.purchase {
			buys++
		} else {
			gifts++
		}
		if a.op.first == phaseAfter {
			fresh++
		}
	}
	total, faultErrs := 0, 0
	for ph := range phases {
		total += r.attempts[ph]
		t.Logf("%-8s requests %5d  2xx %5d  errors %v  max latency %v  /readyz samples %d, not ready %d",
			phaseNames[ph], r.attempts[ph], r.ok[ph], r.statuses[ph], r.maxLatency[ph].Round(time.Millisecond), r.ready.samples[ph], r.ready.notReady[ph])
	}
	for _, ph := range []int{phaseFault, phaseClearing} {
		for _, n := range r.statuses[ph] {
			faultErrs += n
		}
	}
	down := ""
	if r.strict {
		down = fmt.Sprintf(" (%d requests sent and answered while it was down, none 2xx)", r.sentDown)
	}
	since := func(at, from time.Time) string {
		if at.IsZero() {
			return "never"
		}
		return max(at.Sub(from), 0).Round(time.Millisecond).String()
	}
	t.Logf("SUMMARY %s: %d requests, %d ops acknowledged (%d gifts, %d purchases; %d after one or more 5xx, resent with the same key; "+
		"%d first sent after recovery); %d 5xx while faulted%s, %d transport errors, %d unresolved. "+
		"Fault put in place in %v, /readyz not ready %s after it began; fault cleared in %v, then /readyz 200 after %s and the first 2xx after %s; "+
		"%d /readyz 200s during the fault after the first 503",
		fault, total, len(r.acks), gifts, buys, r.resentOK, fresh, faultErrs, down, len(r.transport), r.unresolved,
		injected.Round(time.Millisecond), since(r.ready.unready, faultAt), cleared.Round(time.Millisecond),
		since(r.ready.recovered, r.clearedAt), since(r.firstOK, r.clearedAt), r.ready.flaps)

	if faultErrs == 0 {
		t.Errorf("%s: no request failed while the fault lasted: the test did not test the fault", fault)
	}
	if r.ready.notReady[phaseBefore] > 0 || r.ready.notReady[phaseAfter] > 0 {
		t.Errorf("%s: /readyz not ready outside the fault: %d before, %d after recovery", fault, r.ready.notReady[phaseBefore], r.ready.notReady[phaseAfter])
	}
	if r.ready.flaps > 0 {
		t.Errorf("%s: /readyz said 200 %d times during the fault after it had said not ready", fault, r.ready.flaps)
	}
	if fresh == 0 {
		t.Errorf("%s: no new request succeeded after recovery", fault)
	}
	if len(r.transport) > 0 {
		t.Errorf("%s: %d requests without an answer (hang past %v or connection lost), e.g. %s", fault, len(r.transport), faultAnswerBound, r.transport[0])
	}
	if r.unresolved > 0 {
		t.Errorf("%s: %d requests never got a 2xx after recovery", fault, r.unresolved)
	}
	for i, b := range r.bad {
		if i == 5 {
			t.Errorf("… and %d more bad answers", len(r.bad)-5)
			break
		}
		t.Errorf("%s: bad answer: %s", fault, b)
	}
}

// verify checks, once every op is acknowledged, that the database holds
// exactly the acknowledged ops: the ledger check and every wallet through
// the API, every viewer's history (each acknowledged gift and purchase once,
// nothing else), and the gift journal in the database itself.
func (r *faultRun) verify(db string) {
	t := r.t
	t.Helper()
	ctx := context.Background()
	st, _, b, err := r.do(http.MethodGet, "/v1/admin/ledger/check", "", nil)
	var lc struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if err != nil || st != http.StatusOK || json.Unmarshal(b, &lc) != nil || !lc.OK {
		t.Errorf("ledger check: %d %s %v", st, b, err)
	}

	wantCoins := map[string]int64{}
	wantMilli := map[string]int64{}
	wantRefs := map[string]map[string]int{} // viewer → ref → count
	for _, v := range r.viewers {
		wantCoins[v] = r.setupCoins[v]
		wantRefs[v] = map[string]int{}
		for _, id := range r.setupBuys[v] {
			wantRefs[v][id]++
		}
	}
	var gifts []acked
	for _, a := range r.acks {
		v := r.viewers[a.op.viewer]
		wantRefs[v][a.id]++
		if a.op.purchase {
			wantCoins[v] += a.coins
			continue
		}
		wantCoins[v] -= a.coins
		wantMilli[r.creators[a.op.creator]] += a.milli
		gifts = append(gifts, acked{id: a.id, viewer: a.op.viewer, creator: a.op.creator, coins: a.coins, milli: a.milli})
	}
	for _, u := range append(slices.Clone(r.viewers), r.creators...) {
		st, _, b, err := r.do(http.MethodGet, "/v1/users/"+u+"/wallet", "", nil)
		var w struct {
			Coins    int64 `json:"coins"`
			Diamonds struct {
				Pending   string `json:"pending"`
				Available string `json:"available"`
			} `json:"diamonds"`
		}
		if err != nil || st != http.StatusOK || json.Unmarshal(b, &w) != nil {
			t.Errorf("wallet of %s: %d %s %v", u, st, b, err)
			continue
		}
		milli := diamondsMilli(w.Diamonds.Pending) + diamondsMilli(w.Diamonds.Available)
		if w.Coins != wantCoins[u] || milli != wantMilli[u] {
			t.Errorf("wallet of %s: %d coins and %d milli-diamonds; the acknowledged requests say %d and %d", u, w.Coins, milli, wantCoins[u], wantMilli[u])
		}
	}
	for _, v := range r.viewers {
		got := map[string]int{}
		cursor := ""
		for {
			q := url.Values{"limit": {"200"}} // a viewer's whole history: purchases and gifts sent
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			st, _, b, err := r.do(http.MethodGet, "/v1/users/"+v+"/transactions?"+q.Encode(), "", nil)
			var page struct {
				Items []struct {
					Ref string `json:"ref"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if err != nil || st != http.StatusOK || json.Unmarshal(b, &page) != nil {
				t.Fatalf("history of %s: %d %s %v", v, st, b, err)
			}
			for _, it := range page.Items {
				got[it.Ref]++
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		var missing, dup, extra int
		for ref, n := range wantRefs[v] {
			switch g := got[ref]; {
			case g < n:
				missing++
			case g > n:
				dup++
			}
		}
		for ref := range got {
			if wantRefs[v][ref] == 0 {
				extra++
			}
		}
		if missing+dup+extra > 0 {
			t.Errorf("history of %s: %d acknowledged requests missing, %d duplicated, %d unacknowledged ones applied", v, missing, dup, extra)
		}
	}
	refs, err := giftRefCounts(ctx, db, r.run)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(gifts, refs); err != nil {
		t.Error(err)
	}
}
