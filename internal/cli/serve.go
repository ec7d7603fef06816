package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/httpapi"
	"github.com/glint-economy/glint/internal/jobs"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments"
	"github.com/glint-economy/glint/internal/payments/stripe"
	"github.com/glint-economy/glint/internal/payouts/paypal"
	"github.com/glint-economy/glint/internal/realtime"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/sqlite"
	"github.com/glint-economy/glint/internal/web"
	"github.com/glint-economy/glint/internal/webhooks"
)

// debugBatches prints every write batch to stderr (GLINT_DEBUG_BATCHES=1).
var debugBatches = os.Getenv("GLINT_DEBUG_BATCHES") == "1"

// version is set at build time with -ldflags "-X …/cli.version=…".
var version = "dev"

// serveFlags are the flags of `glint serve` (and of the in-process server of
// `glint bench`).
type serveFlags struct {
	db, addr, economy, fx string
	demo                  bool
	sandbox               bool
	maxBatch              int
	batchWait             time.Duration
	queue                 int
	noBatch               bool
	maxBatchGifts         int
	jwtHS256, jwtEd25519  string
	jwtIssuer, jwtAud     string
	logLevel              string
	debugAddr             string
	payouts               string
	paypal                paypal.Config
	webhookURL            string
	webhookSecrets        []string
	fxSourceURL           string
	fxEvery               time.Duration
	boardsEvery           time.Duration
	stripe                stripe.Config
	auditTrustedProxies   []string
	rate                  httpapi.RateLimits
	secureCookies         bool
}

func (f *serveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.db, "db", "glint.db", "SQLite database file (created if missing), or a PostgreSQL DSN postgres://…")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.economy, "economy", "", "economy file (default: the embedded seed preset)")
	fl.StringVar(&f.fx, "fx", "", "FX rate table (default: the table embedded in the binary)")
	fl.BoolVar(&f.demo, "demo", false, "seed demo creators and viewers and print an admin key, a user token and curl examples")
	fl.BoolVar(&f.sandbox, "sandbox-payments", true, "offer the sandbox payment provider, which completes every purchase at once without real money (turn off in production)")
	fl.IntVar(&f.maxBatch, "batch-max", 2048, "group commit: most write requests per database transaction")
	fl.DurationVar(&f.batchWait, "batch-wait", 0, "group commit: how long the writer waits to fill a batch (0: take what is queued)")
	fl.IntVar(&f.queue, "queue", 8192, "write requests that may wait; beyond it the API answers 503 with Retry-After")
	fl.BoolVar(&f.noBatch, "no-batch", false, "one transaction per write request (the baseline group commit is measured against)")
	fl.IntVar(&f.maxBatchGifts, "batch-gifts-max", 500, "most gifts one POST /v1/gifts/batch may carry")
	fl.StringVar(&f.jwtHS256, "jwt-hs256-secret", "", "accept platform JWTs signed with this HS256 secret")
	fl.StringVar(&f.jwtEd25519, "jwt-ed25519-public-key", "", "accept platform JWTs signed by this Ed25519 public key (base64 or hex, 32 bytes)")
	fl.StringVar(&f.jwtIssuer, "jwt-issuer", "", "required iss of platform JWTs")
	fl.StringVar(&f.jwtAud, "jwt-audience", "", "required aud of platform JWTs")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.debugAddr, "debug-addr", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060); keep it private")
	fl.StringVar(&f.payouts, "payouts", "sandbox", "payout provider for PayPal methods: sandbox (paid at once, no real money), manual (finance pays exported batches) or paypal (PayPal Payouts); bank methods are always manual")
	fl.StringVar(&f.paypal.BaseURL, "paypal-base-url", "", "PayPal API base URL (default the live API; https://api-m.sandbox.paypal.com for PayPal's sandbox)")
	fl.StringVar(&f.paypal.ClientID, "paypal-client-id", os.Getenv("GLINT_PAYPAL_CLIENT_ID"), "PayPal REST app client id (env GLINT_PAYPAL_CLIENT_ID)")
	fl.StringVar(&f.paypal.ClientSecret, "paypal-client-secret", os.Getenv("GLINT_PAYPAL_CLIENT_SECRET"), "PayPal REST app secret (env GLINT_PAYPAL_CLIENT_SECRET)")
	fl.StringVar(&f.paypal.WebhookID, "paypal-webhook-id", os.Getenv("GLINT_PAYPAL_WEBHOOK_ID"), "id of glint's webhook in the PayPal app, to verify deliveries (env GLINT_PAYPAL_WEBHOOK_ID)")
	fl.StringVar(&f.webhookURL, "webhook-url", "", "send signed events (every withdrawal status change) to this URL")
	fl.StringSliceVar(&f.webhookSecrets, "webhook-secret", splitEnv("GLINT_WEBHOOK_SECRET"), "HMAC-SHA256 secret(s) signing outgoing webhooks; several during a rotation (env GLINT_WEBHOOK_SECRET, comma-separated)")
	fl.StringVar(&f.fxSourceURL, "fx-source-url", "", "refresh the FX table from this ECB daily reference-rates XML URL at start and then every --fx-every")
	fl.DurationVar(&f.fxEvery, "fx-every", 24*time.Hour, "how often to refresh the FX table from --fx-source-url")
	fl.DurationVar(&f.boardsEvery, "boards-every", time.Second, "how often to fold new gifts into the creators' leaderboards (a leaderboard read also folds what this node committed)")
	fl.StringVar(&f.stripe.SecretKey, "stripe-secret-key", os.Getenv("GLINT_STRIPE_SECRET_KEY"), "sell coins through Stripe Checkout with this secret key (env GLINT_STRIPE_SECRET_KEY)")
	fl.StringSliceVar(&f.stripe.WebhookSecrets, "stripe-webhook-secret", splitEnv("GLINT_STRIPE_WEBHOOK_SECRET"), "signing secret(s) of the Stripe webhook endpoint /v1/webhooks/stripe; several during a rotation (env GLINT_STRIPE_WEBHOOK_SECRET)")
	fl.StringVar(&f.stripe.SuccessURL, "stripe-success-url", "", "where Stripe sends a viewer after paying (may hold {CHECKOUT_SESSION_ID})")
	fl.StringVar(&f.stripe.CancelURL, "stripe-cancel-url", "", "where Stripe sends a viewer who goes back")
	fl.Float64Var(&f.rate.PerKey, "rate-key", httpapi.DefaultRateLimits.PerKey, "requests per second per API key, bursts of twice that (0: no limit)")
	fl.Float64Var(&f.rate.PerUser, "rate-user", httpapi.DefaultRateLimits.PerUser, "requests per second per end user (user token), bursts of twice that (0: no limit)")
	fl.Float64Var(&f.rate.PerIP, "rate-ip", httpapi.DefaultRateLimits.PerIP, "requests per second per client address without an API key, bursts of twice that (0: no limit)")
	fl.BoolVar(&f.secureCookies, "secure-cookies", false, "mark the web pages' cookies Secure on every request (behind a proxy that terminates TLS)")
	fl.StringSliceVar(&f.auditTrustedProxies, "audit-trusted-proxies", nil, "proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For gives the client address in the audit log; none by default")
}

// splitEnv reads a comma-separated environment variable.
func splitEnv(name string) []string {
	v := os.Getenv(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the glint server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			return serve(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr(), nil)
		},
	}
	f.register(cmd)
	return cmd
}

// app is a wired glint: everything serve starts, in one place.
type app struct {
	db      store  // the engine --db selects (engine.go)
	batcher writer // this node's single writer (group commit)
	svc     *gifting.Service
	auth    *auth.Authenticator
	api     *httpapi.Server
	handler http.Handler // the web pages in front of the API: what serve serves
	log     *slog.Logger
	closers []func()      // run in reverse by close
	events  *realtime.Hub // stream events; closed when the HTTP server shuts down
}

// close stops the job runner (letting running jobs finish), then the writer
// (answering every accepted request), then closes the database.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// wire builds the whole server from its flags, by hand, top to bottom.
func wire(ctx context.Context, f serveFlags, logOut io.Writer) (_ *app, err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))

	econ, err := loadEconomy(f.economy)
	if err != nil {
		return nil, err
	}
	seed, err := loadRates(f.fx)
	if err != nil {
		return nil, err
	}
	// SQLite file or PostgreSQL DSN; on PostgreSQL, nodes starting together
	// migrate once (an advisory lock).
	db, err := openStore(ctx, f.db, false)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, log: log}
	a.closers = append(a.closers, func() { db.Close() })
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	// The FX table lives in the database; the file seeds an empty table.
	rates, err := fx.Load(ctx, db, seed)
	if err != nil {
		return nil, err
	}
	live := money.NewLive(rates)

	batchSize := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "glint_write_batch_size", Help: "Requests per write transaction (group commit).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11)})
	batchSeconds := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "glint_write_batch_seconds", Help: "Time to apply and commit one write batch.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12)})
	cfg := ledger.BatcherConfig{MaxBatch: f.maxBatch, MaxWait: f.batchWait, Queue: f.queue, Observe: func(n int, d time.Duration) {
		batchSize.Observe(float64(n))
		batchSeconds.Observe(d.Seconds())
		if debugBatches {
			fmt.Fprintf(os.Stderr, "batch %d %v\n", n, d)
		}
	}}
	if f.noBatch {
		cfg.MaxBatch, cfg.MaxWait = 1, 0
	}
	// The batcher is generic over the engine's batch type: ledger.NewBatcher
	// with db.ApplyBatch, adapted to gifting's and cashout's Write.
	batcher, err := startWriter(db, cfg)
	if err != nil {
		return nil, err
	}
	a.batcher = batcher
	a.closers = append(a.closers, batcher.stop)
	var providers []gifting.PaymentProvider
	if f.sandbox || f.demo {
		providers = append(providers, payments.Sandbox{})
		log.Warn("the sandbox payment provider is on: any caller allowed to buy coins gets them without paying; start with --sandbox-payments=false in production")
	}
	var sp *stripe.Provider
	if f.stripe.SecretKey != "" {
		if sp, err = stripe.New(f.stripe); err != nil {
			return nil, fmt.Errorf("--stripe-…: %w", err)
		}
		providers = append(providers, sp)
	}
	// Stream events (SSE): the hub ends idle streaks on the economy's
	// timeout; on PostgreSQL the nodes share their events by LISTEN/NOTIFY.
	hub := realtime.NewHub(realtime.Config{StreakIdleTimeout: econ.Gifting.StreakIdleTimeout.Duration})
	a.events = hub
	a.closers = append(a.closers, hub.Close)
	if pg, ok := db.(*postgres.DB); ok {
		bridge := realtime.NewPGBridge(realtime.BridgeConfig{Pool: pg.Pool(), Hub: hub, Logger: log})
		if err := bridge.Start(ctx); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, bridge.Stop)
	}
	svc := gifting.NewService(gifting.Config{
		Economy: econ, FX: live, Write: batcher.write, WriteMany: batcher.writeMany, Read: db,
		Providers: providers, Publish: hub.Publish, Boards: db,
	})
	a.svc = svc
	// The creators' leaderboards are folded from the journal: every
	// --boards-every, for the gifts of other nodes and for readers.
	if f.boardsEvery > 0 {
		folds, stopFolds := context.WithCancel(context.WithoutCancel(ctx))
		a.closers = append(a.closers, stopFolds)
		go every(folds, f.boardsEvery, func() {
			if err := svc.SyncBoards(folds); err != nil && folds.Err() == nil {
				log.Warn("leaderboards: fold", "err", err)
			}
		})
	}
	if _, err := svc.SyncCatalog(ctx); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}

	// Cash-out: payout providers, the service, and the job runner that pays
	// withdrawals and delivers webhooks.
	payouts, payWith, err := payoutProviders(f, log)
	if err != nil {
		return nil, err
	}
	var sender *webhooks.Sender
	if f.webhookURL != "" {
		secrets := make([][]byte, 0, len(f.webhookSecrets))
		for _, s := range f.webhookSecrets {
			if s != "" {
				secrets = append(secrets, []byte(s))
			}
		}
		if len(secrets) == 0 {
			return nil, errors.New("--webhook-url needs --webhook-secret (or GLINT_WEBHOOK_SECRET)")
		}
		sender = &webhooks.Sender{URL: f.webhookURL, Secrets: secrets, UserAgent: "glint/" + version}
	}
	cash, err := cashout.NewService(cashout.Config{Economy: econ, FX: live, Write: batcher.cashout, Read: db,
		Providers: payouts, PayWith: payWith, Notify: true})
	if err != nil {
		return nil, err
	}
	jcfg := jobs.Config{Cashout: cash, Webhooks: sender, Logger: log, FXEvery: f.fxEvery, Periodic: []jobs.Periodic{
		{Name: "release_pending", Every: 10 * time.Minute, Run: func(ctx context.Context) error {
			n, err := svc.ReleasePending(ctx, time.Now())
			if n > 0 {
				log.Info("released pending diamonds", "milli", n)
			}
			return err
		}},
		{Name: "forfeit", Every: time.Hour, Run: func(ctx context.Context) error {
			n, err := svc.Forfeit(ctx, time.Now())
			if n > 0 {
				log.Info("forfeited the diamonds of terminated accounts", "accounts", n)
			}
			return err
		}},
	}}
	if f.fxSourceURL != "" {
		client := &http.Client{Timeout: 30 * time.Second}
		jcfg.RefreshFX = func(ctx context.Context) error { return fx.Refresh(ctx, db, live, client, f.fxSourceURL) }
	}
	// Another node (or glint fx) may change the table: read it again every
	// minute, so every node quotes from the same rates soon after a change.
	reload, stopReload := context.WithCancel(context.WithoutCancel(ctx))
	a.closers = append(a.closers, stopReload)
	go every(reload, time.Minute, func() {
		if _, err := fx.Reload(reload, db, live); err != nil && reload.Err() == nil {
			log.Warn("fx: reload the table", "err", err)
		}
	})
	runner, err := attachJobs(db, jcfg)
	if err != nil {
		return nil, err
	}
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	// Stopped before the writer: a job in flight still writes through it.
	a.closers = append(a.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(sctx)
	})

	secret, err := db.Setting(ctx, "user_token_secret", func() (string, error) {
		var b [32]byte
		_, err := rand.Read(b[:])
		return hex.EncodeToString(b[:]), err
	})
	if err != nil {
		return nil, err
	}
	acfg := auth.Config{Keys: db, TokenSecret: []byte(secret), Issuer: f.jwtIssuer, Audience: f.jwtAud}
	if f.jwtHS256 != "" {
		acfg.PlatformHS256 = []byte(f.jwtHS256)
	}
	if f.jwtEd25519 != "" {
		pk, err := decodeKey(f.jwtEd25519)
		if err != nil {
			return nil, fmt.Errorf("--jwt-ed25519-public-key: %w", err)
		}
		acfg.PlatformEd25519 = pk
	}
	a.auth = auth.New(acfg)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(batchSize, batchSeconds)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "glint_write_queue_depth", Help: "Write requests waiting for the batch writer."},
		func() float64 { return float64(batcher.pending()) }))

	// The audit log, written in batches by one goroutine; stopped (drained)
	// by close after the HTTP server has shut down, before the writer.
	proxies, err := audit.ParseTrustedProxies(f.auditTrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--audit-trusted-proxies: %w", err)
	}
	rec := audit.NewRecorder(audit.Config{Store: db, Logger: log, Registry: reg, TrustedProxies: proxies})
	rec.Start()
	a.closers = append(a.closers, rec.Stop)

	check := func(ctx context.Context) ([]ledger.Problem, error) {
		s, err := db.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return ledger.Check(s), nil
	}
	a.api = httpapi.New(httpapi.Config{
		Service: svc, Cashout: cash, Auth: a.auth, FX: live, FXStore: db, Reports: db, Stripe: sp, Audit: rec, AuditStore: db, RateLimits: &f.rate, Events: hub, Logger: log, Registry: reg, Version: version,
		MaxBatchGifts: f.maxBatchGifts,
		Ready:         func(ctx context.Context) error { return db.Ping(ctx) },
		Check:         check,
	})

	// The web pages (internal/web) serve /login, /live/…, /creator, /overlay/…,
	// /admin… and /static/…, and hand every other path to the API. Their
	// secret signs sessions, CSRF tokens and overlay keys; kept in the
	// database like the user-token secret, so sign-ins survive restarts.
	webSecret, err := db.Setting(ctx, "web_session_secret", func() (string, error) {
		var b [32]byte
		_, err := rand.Read(b[:])
		return hex.EncodeToString(b[:]), err
	})
	if err != nil {
		return nil, err
	}
	if a.handler, err = web.Handler(web.Config{
		Service: svc, Cashout: cash, Reports: db, Auth: a.auth, Keys: db, FX: live, FXStore: db, Users: db,
		Events: hub, Check: check, Audit: rec, Secret: []byte(webSecret), Logger: log, Next: a.api, SecureCookies: f.secureCookies,
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// payoutProviders builds the payout providers --payouts asks for, and which
// one pays each method kind.
func payoutProviders(f serveFlags, log *slog.Logger) ([]cashout.Provider, map[string]string, error) {
	manual := cashout.Manual{}
	switch f.payouts {
	case "sandbox", "":
		// PayPal withdrawals are "paid" at once; bank transfers take the
		// manual path (export, then mark), as they would in production.
		log.Warn("the sandbox payout provider is on: PayPal withdrawals are marked paid without moving money; start with --payouts manual or paypal in production")
		return []cashout.Provider{cashout.Sandbox{}, manual}, map[string]string{cashout.MethodPayPal: cashout.ProviderSandbox, cashout.MethodBank: cashout.ProviderManual}, nil
	case "manual":
		return []cashout.Provider{manual}, map[string]string{cashout.MethodPayPal: cashout.ProviderManual, cashout.MethodBank: cashout.ProviderManual}, nil
	case "paypal":
		p, err := paypal.New(f.paypal)
		if err != nil {
			return nil, nil, fmt.Errorf("--payouts paypal: %w", err)
		}
		return []cashout.Provider{p, manual}, map[string]string{cashout.MethodPayPal: p.Name(), cashout.MethodBank: cashout.ProviderManual}, nil
	}
	return nil, nil, fmt.Errorf("--payouts: want sandbox, manual or paypal, got %q", f.payouts)
}

// attachJobs builds the job runner over db's engine.
func attachJobs(db store, cfg jobs.Config) (jobs.Runner, error) {
	switch d := db.(type) {
	case *sqlite.DB:
		return jobs.AttachSQLite(d, cfg)
	case *postgres.DB:
		return jobs.AttachPostgres(d, cfg)
	}
	return nil, errors.New("cli: unknown storage engine")
}

func decodeKey(s string) (ed25519.PublicKey, error) {
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if b, err := dec(s); err == nil && len(b) == ed25519.PublicKeySize {
			return ed25519.PublicKey(b), nil
		}
	}
	return nil, errors.New("want 32 bytes, hex or base64")
}

// serve runs the server until ctx ends. ready, when not nil, receives the
// listening address (tests use it with --addr 127.0.0.1:0).
func serve(ctx context.Context, f serveFlags, stdout, stderr io.Writer, ready chan<- string) error {
	start := time.Now()
	if os.Getenv("GOGC") == "" {
		// The server's live heap is small and its garbage short-lived: trade
		// memory for fewer collections on the gift path (GOGC overrides).
		debug.SetGCPercent(400)
	}
	a, err := wire(ctx, f, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	// Event streams never go idle: end them when shutdown starts, or
	// Shutdown would wait for its deadline (each stream lifts WriteTimeout).
	srv.RegisterOnShutdown(a.events.Close)

	if f.demo {
		if err := seedDemo(ctx, a, addr, stdout); err != nil {
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}
	a.log.Info("glint serving", slog.String("addr", "http://"+addr), slog.String("db", dbName(f.db)),
		slog.String("economy", a.svc.Economy().Name), slog.Duration("startup", time.Since(start)))
	if ready != nil {
		ready <- addr
	}
	if f.debugAddr != "" {
		dl, err := net.Listen("tcp", f.debugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on --debug-addr %s: %w", f.debugAddr, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dsrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = dsrv.Serve(dl) }()
		defer dsrv.Close()
		a.log.Info("pprof serving", slog.String("addr", "http://"+dl.Addr().String()+"/debug/pprof/"))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func newMigrateCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			d, err := openStore(cmd.Context(), db, false)
			if err != nil {
				return err
			}
			defer d.Close()
			// On PostgreSQL under an advisory lock: nodes migrating together
			// apply each migration once.
			v, err := d.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: schema version %d\n", dbName(db), v)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every ledger invariant of a database; exit 1 if one fails",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			d, err := openStore(cmd.Context(), db, true)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			defer d.Close()
			if err := d.SchemaCurrent(cmd.Context()); err != nil {
				return err
			}
			s, err := d.Snapshot(cmd.Context())
			if err != nil {
				return err
			}
			problems := ledger.Check(s)
			out := cmd.OutOrStdout()
			if len(problems) == 0 {
				fmt.Fprintf(out, "%s: ledger OK — %d accounts; zero-sum per asset, balances equal their postings, no user below zero, journal append-only\n", dbName(db), len(s.Accounts))
				return nil
			}
			fmt.Fprintf(out, "%s: %d ledger problem(s):\n", dbName(db), len(problems))
			for _, p := range problems {
				fmt.Fprintf(out, "  - %s\n", p)
			}
			return exitError{code: 1}
		},
	}
	cmd.Flags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")
	return cmd
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
