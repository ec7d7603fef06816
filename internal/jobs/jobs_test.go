package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/jobs"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/store/storetest"
	"github.com/glint-economy/glint/internal/webhooks"
)

var ctx = context.Background()

// platform is the platform's webhook endpoint: it verifies every delivery
// and keeps the events.
type platform struct {
	mu     sync.Mutex
	events []webhooks.Event
	bad    int
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := webhooks.Verify(r.Header.Get(webhooks.HeaderSignature), body, [][]byte{[]byte("whsec")}, 0, time.Now()); err != nil {
		p.bad++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		p.bad++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.events = append(p.events, ev)
}

func (p *platform) types() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		out = append(out, e.Type)
	}
	return out
}

// run is the whole cash-out path with the real job runner: a creator earns
// 20,000 diamonds, requests a withdrawal, the payout job pays it through
// the sandbox, and the platform receives two signed webhooks (requested,
// paid).
func run(t *testing.T, attach func(jobs.Config) (jobs.Runner, error), write cashout.WriteFunc, gw gifting.WriteFunc, read interface {
	gifting.Reader
	cashout.Reader
}) {
	p := &platform{}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	econ := economy.Seed()
	fx := money.NewLive(money.DefaultRates())
	gsvc := gifting.NewService(gifting.Config{Economy: econ, FX: fx, Write: gw, Read: read, Providers: []gifting.PaymentProvider{payments.Sandbox{}}})
	if _, err := gsvc.SyncCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	csvc, err := cashout.NewService(cashout.Config{Economy: econ, FX: fx, Write: write, Read: read, Notify: true,
		Providers: []cashout.Provider{cashout.Sandbox{}}, PayWith: map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox}})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := attach(jobs.Config{Cashout: csvc, Webhooks: &webhooks.Sender{URL: srv.URL, Secrets: [][]byte{[]byte("whsec")}}, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(ctx) })

	for _, id := range []string{"creator", "fan"} {
		if _, _, err := gsvc.PutUser(ctx, gifting.Idem{}, gifting.PutUserInput{ID: id, DisplayName: id, Country: "US", AgeVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, _, err := gsvc.Purchase(ctx, gifting.Idem{Key: "buy" + string(rune('a'+i)), Hash: "h"}, gifting.PurchaseInput{UserID: "fan", PackageID: economy.PackageID("web", "USD", 17500)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := gsvc.StartStream(ctx, gifting.Idem{}, gifting.StartStreamInput{ID: "s1", CreatorID: "creator", Title: "live"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gsvc.SendGift(ctx, gifting.Idem{}, gifting.SendGiftInput{StreamID: "s1", SenderID: "fan", GiftID: "rocket", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := csvc.PutMethod(ctx, gifting.Idem{}, "creator", cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: "creator@example.com"}); err != nil {
		t.Fatal(err)
	}
	w, _, err := csvc.Request(ctx, gifting.Idem{}, cashout.RequestInput{UserID: "creator", Diamonds: "20000"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := csvc.Get(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == cashout.StatusPaid && len(p.types()) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: withdrawal %s, webhooks %v", got.Status, p.types())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := p.types(); got[0] != "withdrawal.requested" || got[1] != "withdrawal.paid" || p.bad != 0 {
		t.Fatalf("webhooks %v (%d refused), want requested then paid, all verified", got, p.bad)
	}
	bal, err := read.Balances(ctx, []ledger.AccountID{ledger.DiamondsRedeemed, ledger.PayoutsExternal("sandbox", "USD")})
	if err != nil || bal[ledger.DiamondsRedeemed] != 20000000 || bal[ledger.PayoutsExternal("sandbox", "USD")] != 5000 {
		t.Fatalf("books after the payout: %v %v", bal, err)
	}
}

// writers are the cash-out's and the gifting's view of one batcher.
func writers[T cashout.Tx](b *ledger.Batcher[T]) (cashout.WriteFunc, gifting.WriteFunc) {
	return func(ctx context.Context, op func(cashout.Tx) error) error {
			return b.Do(ctx, func(tx T) error { return op(tx) })
		},
		func(ctx context.Context, op func(gifting.Tx) error) error {
			return b.Do(ctx, func(tx T) error { return op(tx) })
		}
}

func TestPayoutJobSQLite(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 256}, db.ApplyBatch)
	b.Start()
	t.Cleanup(b.Stop)
	cw, gw := writers(b)
	run(t, func(c jobs.Config) (jobs.Runner, error) { return jobs.AttachSQLite(db, c) }, cw, gw, db)
}

func TestPayoutJobPostgres(t *testing.T) {
	db, err := postgres.Open(ctx, storetest.PostgresDSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := ledger.NewBatcher(ledger.BatcherConfig{MaxBatch: 64, Queue: 256}, db.ApplyBatch)
	b.Start()
	t.Cleanup(b.Stop)
	cw, gw := writers(b)
	run(t, func(c jobs.Config) (jobs.Runner, error) { return jobs.AttachPostgres(db, c) }, cw, gw, db)
}

// A refused request enqueues nothing: the job goes with its write or not at all.
func TestRefusedRequestEnqueuesNothing(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var recorded []string
	db.SetJobInserter(func(_ context.Context, _ *sql.Tx, js []ledger.Job) error {
		for _, j := range js {
			recorded = append(recorded, j.(cashout.PayoutJob).WithdrawalID)
		}
		return nil
	})
	// Two ops in one batch, each enqueueing a job: the refused one's job
	// is undone with it.
	errs := db.ApplyBatch(ctx, []func(*sqlite.Tx) error{
		func(tx *sqlite.Tx) error {
			tx.Enqueue(cashout.PayoutJob{WithdrawalID: "refused"})
			return gifting.Rule("nope", nil, "refused")
		},
		func(tx *sqlite.Tx) error {
			tx.Enqueue(cashout.PayoutJob{WithdrawalID: "accepted"})
			return nil
		},
	})
	if errs[0] == nil || errs[1] != nil {
		t.Fatalf("errs %v", errs)
	}
	if len(recorded) != 1 || recorded[0] != "accepted" {
		t.Fatalf("jobs inserted: %v, want only the accepted op's", recorded)
	}
	db.SetJobInserter(nil)
	// A batch whose surviving op enqueued a job fails without an inserter:
	// a job is never silently dropped.
	errs = db.ApplyBatch(ctx, []func(*sqlite.Tx) error{func(tx *sqlite.Tx) error {
		tx.Enqueue(cashout.PayoutJob{WithdrawalID: "y"})
		return nil
	}})
	if errs[0] == nil {
		t.Fatal("a job with no runner attached was accepted")
	}
}

// TestPeriodicRunsOnStart: upkeep runs once when the runner starts, then
// on its schedule.
func TestPeriodicRunsOnStart(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "glint.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ran := make(chan string, 4)
	r, err := jobs.AttachSQLite(db, jobs.Config{Poll: 50 * time.Millisecond, Periodic: []jobs.Periodic{
		{Name: "tick", Every: time.Hour, Run: func(context.Context) error { ran <- "tick"; return nil }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(ctx) })
	select {
	case got := <-ran:
		if got != "tick" {
			t.Fatalf("ran %q", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the periodic job did not run on start")
	}
}
