// Package httpapi is glint's JSON API over HTTP: huma v2 on the standard
// net/http ServeMux, so the OpenAPI 3.1 document at /openapi.json is
// generated from the Go types. Handlers are thin: decode, authorize, call
// the domain, encode. Every error goes through one mapping function.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments/stripe"
	"github.com/glint-economy/glint/internal/realtime"
)

// Config wires a Server.
type Config struct {
	Service *gifting.Service
	Auth    *auth.Authenticator
	FX      *money.Live
	FXStore fx.Store // keeps the FX table (fx.Set); nil leaves the admin FX routes out
	// Cashout runs withdrawals; nil leaves the cash-out routes out.
	Cashout *cashout.Service
	// Stripe verifies and decodes Stripe's webhooks; nil when not configured.
	Stripe *stripe.Provider
	// Reports reads earnings and the platform's books (the storage engine's
	// *DB); nil leaves the report routes out. Statements also need Cashout.
	Reports cashout.ReportReader
	Logger  *slog.Logger
	// Ready reports whether the server can serve (database reachable).
	Ready func(ctx context.Context) error
	// Check runs the ledger invariants (GET /v1/admin/ledger/check).
	Check func(ctx context.Context) ([]ledger.Problem, error)
	// Registry collects the metrics served at /metrics.
	Registry *prometheus.Registry
	// MaxBatchGifts is the most gifts POST /v1/gifts/batch accepts.
	MaxBatchGifts int
	// UserTokenTTL is the default lifetime of minted user tokens.
	UserTokenTTL time.Duration
	Version      string
	// Audit records admin actions and state-changing requests; nil records
	// nothing. AuditStore serves GET /v1/admin/audit; nil leaves it out.
	Audit      *audit.Recorder
	AuditStore audit.Store
	// Events serves GET /v1/streams/{stream_id}/events; nil answers 404.
	Events *realtime.Hub
	// RateLimits bound requests per key, user and address; nil means
	// DefaultRateLimits, zero rates turn a limit off.
	RateLimits *RateLimits
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	svc     *gifting.Service
	auth    *auth.Authenticator
	log     *slog.Logger
	api     huma.API
	mux     *http.ServeMux
	metrics *metrics
	limits  *rateLimiter
	handler http.Handler // mux behind auditMiddleware
}

// New builds the API and its routes.
func New(cfg Config) *Server {
	useGlintErrors()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBatchGifts <= 0 {
		cfg.MaxBatchGifts = 500
	}
	if cfg.UserTokenTTL <= 0 {
		cfg.UserTokenTTL = 15 * time.Minute
	}
	limits := DefaultRateLimits
	if cfg.RateLimits != nil {
		limits = *cfg.RateLimits
	}
	s := &Server{cfg: cfg, svc: cfg.Service, auth: cfg.Auth, log: cfg.Logger, mux: http.NewServeMux(), metrics: newMetrics(cfg.Registry), limits: newRateLimiter(limits)}
	hc := huma.DefaultConfig("glint", cfg.Version)
	hc.Info.Description = "The glint virtual-gifting economy API. Coins are JSON integers; diamonds and money are decimal strings. " +
		"Authenticate with `Authorization: Bearer <API key or user token>`. Every mutating call takes an `Idempotency-Key` header; calls that move money require it."
	hc.DocsPath = ""     // served by docsHandler, from the binary
	hc.SchemasPath = ""  // no $schema links in answers
	hc.CreateHooks = nil // idem
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API key (glk_…) or a user token"},
	}
	s.api = humago.New(s.mux, hc)
	s.api.UseMiddleware(s.authenticate)
	s.api.UseMiddleware(s.rateLimit)
	s.api.UseMiddleware(s.auditPrincipal)
	s.routes()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.mux.Handle("GET /docs", docsHandler())
	s.mux.Handle("GET /docs/", docsHandler())
	s.mux.HandleFunc("GET /v1/streams/{stream_id}/events", s.streamEvents)
	s.mux.HandleFunc("/", s.noRoute)
	s.handler = s.auditMiddleware(s.mux)
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.handler.ServeHTTP(sw, r)
	pattern := r.Pattern
	if pattern == "" {
		pattern = "unmatched"
	}
	s.metrics.observe(r.Method, pattern, sw.status, time.Since(start))
}

// OpenAPI returns the generated OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noRoute answers a request no route matches: 405 with Allow when the path
// exists with other methods, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		e := newAPIError(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allow, ", "), nil)
		e.headers = http.Header{"Allow": {strings.Join(allow, ", ")}}
		writeJSONError(w, e)
		return
	}
	writeJSONError(w, newAPIError(http.StatusNotFound, "not_found", "no such route: "+r.Method+" "+r.URL.Path, nil))
}

func writeJSONError(w http.ResponseWriter, e *apiError) {
	for k, v := range e.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e.ErrorBody)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			writeJSONError(w, newAPIError(http.StatusServiceUnavailable, "not_ready", err.Error(), nil))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}

type principalKey struct{}

// authenticate resolves the caller of every huma operation that declares
// security; public operations skip it.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || len(op.Security) == 0 {
		next(ctx)
		return
	}
	p, err := s.auth.Authenticate(ctx.Context(), ctx.Header("Authorization"))
	if err != nil {
		e := s.mapError(ctx.Context(), err).(*apiError)
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="glint"`)
		_ = huma.WriteErr(s.api, ctx, e.status, e.ErrorBody.Error.Message, e)
		return
	}
	next(huma.WithValue(ctx, principalKey{}, p))
}

func principal(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(principalKey{}).(auth.Principal)
	return p
}

// actFor checks that the caller may act as user id: 403 otherwise.
func actFor(ctx context.Context, userID string) error {
	if !principal(ctx).ActsFor(userID) {
		return errForbidden("this token acts for another user")
	}
	return nil
}

func requireService(ctx context.Context) error {
	if !principal(ctx).IsService() {
		return errForbidden("this route needs a service or admin API key")
	}
	return nil
}

func requireAdmin(ctx context.Context) error {
	if !principal(ctx).IsAdmin() {
		return errForbidden("this route needs an admin API key")
	}
	return nil
}

// IdemHeader is the Idempotency-Key header of mutating operations.
type IdemHeader struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the call safe to retry: the same key and body return the first answer; the same key with another body is 409."`
}

// idem scopes the key (all API keys share the platform's scope, each end user
// has their own) and hashes the request. required makes
// a missing key a 400.
func idem(ctx context.Context, h IdemHeader, required bool, method, path string, body any) (gifting.Idem, error) {
	if h.IdempotencyKey == "" {
		if required {
			return gifting.Idem{}, newAPIError(http.StatusBadRequest, "idempotency_key_required", "this call moves money: send an Idempotency-Key header", nil)
		}
		return gifting.Idem{}, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return gifting.Idem{}, err
	}
	return gifting.Idem{
		Key:  principal(ctx).IdempotencyScope() + "|" + h.IdempotencyKey,
		Hash: ledger.HashRequest([]byte(method), []byte(path), b),
	}, nil
}

var bearer = []map[string][]string{{"bearer": {}}}

// op returns an operation; secured ones need credentials.
func op(id, method, path, summary string, secured bool, tags ...string) huma.Operation {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, MaxBodyBytes: 64 << 10}
	if secured {
		o.Security = bearer
		o.Errors = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	}
	return o
}

// register adds an operation whose errors go through mapError.
func register[I, O any](s *Server, o huma.Operation, h func(ctx context.Context, in *I) (*O, error)) {
	huma.Register(s.api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.mapError(ctx, err)
		}
		return out, nil
	})
}
