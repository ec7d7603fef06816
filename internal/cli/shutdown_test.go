package cli

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// TestShutdownUnderLoad stops the server while 32 clients send gifts: every
// gift the journal holds was acknowledged to its client and every
// acknowledged gift is in the journal once — the drain answered every
// request it had accepted.
func TestShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := benchFlags{viewers: 20, creators: 3, clients: 32, coinsPerViewer: 17500, batchSize: 10, db: t.TempDir() + "/shutdown.db"}
	f.server = serveFlags{maxBatch: 64, queue: 1024}
	tg, err := startInProcess(ctx, f, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := newBenchClient(tg, f.clients)
	fx, err := c.setup(ctx, "sd", f)
	if err != nil {
		t.Fatal(err)
	}
	f.duration = 2 * time.Second
	go func() {
		time.Sleep(700 * time.Millisecond)
		tg.stop() // SIGTERM-equivalent: cancel serve's context and wait for it
	}()
	r := c.load(ctx, fx, "uniform", f, io.Discard)
	if r.Gifts == 0 {
		t.Fatal("no gift acknowledged before shutdown")
	}
	refs, err := giftRefCounts(ctx, tg.dbPath, fx.run)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(fx.acked, refs); err != nil {
		t.Fatalf("after shutdown under load: %v", err)
	}
	db, err := sqlite.Open(tg.dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatal(p)
	}
}
