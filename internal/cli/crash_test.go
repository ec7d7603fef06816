package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCrashUnderLoad kills `glint serve` with SIGKILL in the middle of the
// load, four times, restarting it on the same database each time. Clients
// resend what got no answer with the same idempotency keys, as they must.
// Afterwards: every acknowledged gift is in the journal exactly once, nothing
// was applied that no client was told about, every wallet equals what the
// acknowledged gifts say, and `glint verify` passes.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a real server several times")
	}
	t.Parallel()
	ctx := context.Background()
	bin := glintBinary(t)
	db := t.TempDir() + "/crash.db"
	code, out, errOut := runGlint(t, bin, "keys", "create", "--scope", "admin", "--db", db)
	if code != 0 {
		t.Fatalf("keys create: %d %s", code, errOut)
	}
	key := strings.TrimSpace(out)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--log-level", "error")
		cmd.Env = glintEnv()
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("glint serve did not become ready on %s", addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	proc := start()
	t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })

	tg := &benchTarget{base: "http://" + addr, adminKey: key, name: "crash", dbPath: db, stop: func() {}}
	c := newBenchClient(tg, 16)
	f := benchFlags{viewers: 20, creators: 3, clients: 16, coinsPerViewer: 35000, batchSize: 20, duration: 1200 * time.Millisecond}
	fx, err := c.setup(ctx, "crash", f)
	if err != nil {
		t.Fatal(err)
	}
	kills, resent := 0, int64(0)
	for round := 0; round < 4; round++ {
		scenario := []string{"uniform", "batch"}[round%2]
		done := make(chan BenchResult, 1)
		go func() { done <- c.load(ctx, fx, scenario, f, io.Discard) }()
		time.Sleep(time.Duration(300+150*round) * time.Millisecond)
		if err := proc.Process.Kill(); err != nil { // SIGKILL: no drain, no goodbye
			t.Fatal(err)
		}
		_ = proc.Wait()
		kills++
		time.Sleep(100 * time.Millisecond)
		proc = start()
		r := <-done
		if err := c.settle(ctx, fx, scenario, time.Minute); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		resent += r.Retries
		t.Logf("round %d (%s): %d gifts acknowledged, %d requests resent across the kill", round, scenario, r.Gifts, r.Retries)
	}
	if resent == 0 {
		t.Fatal("no request was in flight at any kill: the test did not test a crash")
	}
	if len(fx.acked) == 0 {
		t.Fatal("no gift was acknowledged")
	}
	if got := c.check(ctx, fx, tg); got != "ok" {
		t.Fatalf("after %d kills: %s", kills, got)
	}
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	code, out, errOut = runGlint(t, bin, "verify", "--db", db)
	if code != 0 {
		t.Fatalf("glint verify after the crashes: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("%d kills, %d gifts acknowledged; %s", kills, len(fx.acked), strconv.Quote(strings.TrimSpace(out)))
}
