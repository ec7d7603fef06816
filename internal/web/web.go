// Package web serves glint's pages: the viewer room (/live/{stream}), the
// creator dashboard (/creator), the stream overlay for OBS
// (/overlay/{stream}), the admin console (/admin) and sign-in (/login).
//
// Pages are rendered on the server with html/template; a little vanilla
// JavaScript adds live updates (Server-Sent Events from the realtime hub),
// gift combos and the earnings charts (uPlot). Every template, script,
// stylesheet and the chart library are embedded in the binary: nothing is
// fetched from another origin, at build time or at run time.
//
// The pages call the Go services directly (gifting, cashout, fx), not the
// JSON API. People sign in at /login with a user token (minted by the
// platform with POST /v1/users/{id}/tokens) or an admin API key; the
// session is an HMAC-signed cookie, and every form post carries a per-session
// CSRF token. docs/WEB.md describes each page.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/realtime"
)

//go:embed templates static
var assets embed.FS

// MinSecretLen is the shortest Config.Secret Handler accepts, in bytes.
const MinSecretLen = 32

// Config wires the pages. Service, Auth and Secret are required.
type Config struct {
	Service *gifting.Service
	// Cashout runs withdrawals and payout methods; nil leaves them out of
	// the dashboard and the payouts queue out of the console.
	Cashout *cashout.Service
	// Reports reads earnings and the platform's books (the storage
	// engine's *DB); nil leaves out the earnings charts, the statements and
	// the books.
	Reports cashout.ReportReader
	// Auth verifies what people sign in with.
	Auth *auth.Authenticator
	// Keys, when set, is asked on every request of an admin session whether
	// its API key still exists and is not revoked (the storage engine's *DB);
	// nil trusts an admin session until it expires.
	Keys auth.KeyStore
	// FX is the FX table in force; FXStore keeps it (fx.Set). A nil
	// FXStore makes the console's FX table read-only.
	FX      *money.Live
	FXStore fx.Store
	// Events feeds the live parts of the pages (gift feed, overlay
	// alerts); nil leaves them static.
	Events *realtime.Hub
	// Users lists banned and terminated accounts for the console (the
	// storage engine's *DB); nil leaves the lists out.
	Users UserLister
	// Check runs the ledger invariants for the console; nil leaves it out.
	Check func(ctx context.Context) ([]ledger.Problem, error)
	// Audit records every form post of an admin session; nil records none.
	Audit *audit.Recorder
	// Secret signs session cookies, CSRF tokens and overlay keys: at least
	// MinSecretLen random bytes, kept across restarts (glint keeps it in the
	// database's settings). Changing it signs everyone out and voids every
	// overlay URL.
	Secret []byte
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure on every request, for a server
	// behind a proxy that terminates TLS; otherwise they are Secure when
	// the request itself came over TLS.
	SecureCookies bool
	// Next serves every request the pages do not (the JSON API, /docs,
	// /healthz …); nil answers them 404.
	Next   http.Handler
	Logger *slog.Logger
	// Now is the clock of sessions (time.Now when nil).
	Now func() time.Time
}

// server is the pages' handler.
type server struct {
	cfg     Config
	svc     *gifting.Service
	log     *slog.Logger
	keys    keys
	pages   map[string]*template.Template
	static  http.Handler
	version map[string]string // static file → hash of its content
	names   *nameCache
	mux     *http.ServeMux
}

// Handler returns the pages as an http.Handler to serve at "/": it answers
// /login, /logout, /live/…, /creator…, /overlay/…, /admin… and /static/…,
// and hands every other request to cfg.Next. Errors: a missing Service or
// Auth, or a Secret shorter than MinSecretLen.
func Handler(cfg Config) (http.Handler, error) {
	switch {
	case cfg.Service == nil:
		return nil, errors.New("web: Config.Service is required")
	case cfg.Auth == nil:
		return nil, errors.New("web: Config.Auth is required")
	case len(cfg.Secret) < MinSecretLen:
		return nil, fmt.Errorf("web: Config.Secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Next == nil {
		cfg.Next = http.NotFoundHandler()
	}
	s := &server{cfg: cfg, svc: cfg.Service, log: cfg.Logger, keys: deriveKeys(cfg.Secret), names: newNameCache(cfg.Service, cfg.Now)}
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// routes lists every page in one place. Handlers live in one file per page.
func (s *server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.home)
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.form(s.logout))
	m.Handle("GET /static/", s.static)
	m.HandleFunc("GET /favicon.ico", s.favicon)

	m.HandleFunc("GET /live/{stream}", s.user(s.livePage))
	m.HandleFunc("POST /live/{stream}/buy", s.user(s.form(s.buy)))
	m.HandleFunc("POST /live/{stream}/gift", s.user(s.form(s.gift)))
	m.HandleFunc("GET /live/{stream}/events", s.user(s.liveEvents))

	m.HandleFunc("GET /creator", s.user(s.creatorPage))
	m.HandleFunc("POST /creator/live", s.user(s.form(s.goLive)))
	m.HandleFunc("POST /creator/end", s.user(s.form(s.endStream)))
	m.HandleFunc("POST /creator/withdraw", s.user(s.form(s.withdraw)))
	m.HandleFunc("POST /creator/withdrawals/{id}/cancel", s.user(s.form(s.cancelWithdrawal)))
	m.HandleFunc("POST /creator/method", s.user(s.form(s.putMethod)))
	m.HandleFunc("GET /creator/statements/{file}", s.user(s.statement))

	m.HandleFunc("GET /overlay/{stream}", s.overlayPage)
	m.HandleFunc("GET /overlay/{stream}/events", s.overlayEvents)

	m.HandleFunc("GET /admin", s.admin(s.adminCatalog))
	m.HandleFunc("GET /admin/users", s.admin(s.adminUsers))
	m.HandleFunc("GET /admin/payouts", s.admin(s.adminPayouts))
	m.HandleFunc("GET /admin/fx", s.admin(s.adminFX))
	m.HandleFunc("GET /admin/ledger", s.admin(s.adminLedger))
	m.HandleFunc("GET /admin/books", s.admin(s.adminBooks))
	m.HandleFunc("POST /admin/gifts/{id}", s.admin(s.form(s.adminPutGift)))
	m.HandleFunc("POST /admin/gifts/{id}/active", s.admin(s.form(s.adminGiftActive)))
	m.HandleFunc("POST /admin/users/{id}/status", s.admin(s.form(s.adminSetStatus)))
	m.HandleFunc("POST /admin/withdrawals/{id}/mark", s.admin(s.form(s.adminMark)))
	m.HandleFunc("POST /admin/fx", s.admin(s.form(s.adminSetFX)))

	m.Handle("/", s.cfg.Next)
	s.mux = m
}

// ServeHTTP serves a page, or hands the request to Config.Next.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// home sends a visitor to the page for who they are.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	switch sess.Scope {
	case scopeAdmin:
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	case scopeUser:
		http.Redirect(w, r, "/creator", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// favicon answers the browsers that ask for /favicon.ico (on a page
// without a <link rel=icon>, such as a plain-text refusal).
func (s *server) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("static/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}

// ---- templates and static files ----

// page is what every template gets: the page's own data and the session.
type page struct {
	Title   string
	Nav     string // the active tab of the console or the app
	Session session
	CSRF    string
	Notice  string // a confirmation, shown once
	Error   string // why the last form post was refused
	Bare    bool   // no header (the overlay)
	Data    any
}

func (s *server) loadAssets() error {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		return err
	}
	s.version = map[string]string{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		s.version[p] = hex.EncodeToString(h[:6])
		return nil
	})
	if err != nil {
		return err
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	s.static = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		v, ok := s.version[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})

	funcs := template.FuncMap{
		"static": func(name string) (string, error) {
			v, ok := s.version[name]
			if !ok {
				return "", fmt.Errorf("web: no static file %q", name)
			}
			return "/static/" + name + "?v=" + v, nil
		},
		"coins":    groupInt,
		"add":      func(a, b int) int { return a + b },
		"group":    groupDecimal,
		"amount":   formatAmount,
		"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"icon":     giftIcon,
		"hue":      hueOf,
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", base, err)
		}
		s.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

// contentSecurityPolicy allows nothing but this origin: no inline script,
// no inline style attribute, no other host.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// securityHeaders are sent with every page; framed reports whether the
// page may be shown in a frame (the overlay may).
func securityHeaders(w http.ResponseWriter, framed bool) {
	h := w.Header()
	csp := contentSecurityPolicy
	if !framed {
		csp += "; frame-ancestors 'none'"
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// render writes a page with status.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		s.fail(w, r, fmt.Errorf("web: no page %q", name))
		return
	}
	if p.Session.Nonce == "" {
		p.Session = s.session(r)
	}
	if p.CSRF == "" && p.Session.Nonce != "" {
		p.CSRF = s.keys.csrf(p.Session.Nonce)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		s.fail(w, r, err)
		return
	}
	securityHeaders(w, name == "overlay")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// fail answers 500 for a fault, logged once here.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "web: page failed", slog.String("path", r.URL.Path), slog.String("err", err.Error()))
	s.plain(w, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.")
}

// plain answers a short text page with status (refusals and faults).
func (s *server) plain(w http.ResponseWriter, status int, msg string) {
	securityHeaders(w, false)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// refusal is a domain refusal as a page shows it: a status and a message
// for people. ok is false for a fault (not a refusal).
func refusal(err error) (status int, msg string, ok bool) {
	var ge *gifting.Error
	if errors.As(err, &ge) {
		switch ge.Kind {
		case gifting.KindInvalid:
			status = http.StatusBadRequest
		case gifting.KindForbidden:
			status = http.StatusForbidden
		case gifting.KindNotFound:
			status = http.StatusNotFound
		case gifting.KindConflict:
			status = http.StatusConflict
		default:
			status = http.StatusUnprocessableEntity
		}
		return status, ge.Message, true
	}
	var fe *fx.InvalidError
	if errors.As(err, &fe) {
		return http.StatusBadRequest, fe.Error(), true
	}
	switch {
	case errors.Is(err, ledger.ErrOverloaded), errors.Is(err, ledger.ErrContention), errors.Is(err, ledger.ErrStopped):
		return http.StatusServiceUnavailable, "The server is busy: try again in a moment.", true
	case errors.Is(err, ledger.ErrIdempotencyConflict):
		return http.StatusConflict, "This form was already sent with other values: reload the page and try again.", true
	}
	return 0, "", false
}

// codeOf is the machine code of a refusal ("insufficient_funds"), "" for
// a fault.
func codeOf(err error) string {
	var ge *gifting.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	var fe *fx.InvalidError
	if errors.As(err, &fe) {
		return "invalid_request"
	}
	return ""
}
