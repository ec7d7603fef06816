package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
)

// Session scopes: an end user acting for themselves, or an operator who
// signed in with an admin API key. A session with no scope is a visitor
// who has not signed in yet (it carries the CSRF nonce of the sign-in form).
const (
	scopeUser  = auth.ScopeUser
	scopeAdmin = auth.ScopeAdmin
)

// cookieName is the session cookie.
const cookieName = "glint_session"

// anonymousTTL is how long a visitor's pre-sign-in session lasts.
const anonymousTTL = time.Hour

// maxForm is the largest form body a page accepts.
const maxForm = 64 << 10

// session is the content of the session cookie, signed, not encrypted: it
// holds nothing secret. KeyHash is the stored hash of the admin key signed
// in with (never the key), to check on each request that the key is still
// valid when Config.Keys is set.
type session struct {
	Scope   string `json:"s,omitempty"`
	User    string `json:"u,omitempty"`
	KeyID   string `json:"k,omitempty"`
	KeyHash string `json:"h,omitempty"`
	Nonce   string `json:"n"`
	Exp     int64  `json:"e"`
}

// SignedIn reports whether the session is a user's or an admin's.
func (s session) SignedIn() bool { return s.Scope == scopeUser || s.Scope == scopeAdmin }

// IsAdmin reports whether the session is an admin's.
func (s session) IsAdmin() bool { return s.Scope == scopeAdmin }

// Actor names the session's holder as the audit log does.
func (s session) Actor() string {
	switch s.Scope {
	case scopeAdmin:
		return "key:" + s.KeyID
	case scopeUser:
		return "user:" + s.User
	}
	return audit.Anonymous
}

// Who is the session's holder as a page shows it.
func (s session) Who() string {
	if s.Scope == scopeAdmin {
		return "admin key " + s.KeyID
	}
	return s.User
}

// keys are the HMAC keys derived from Config.Secret, one per use, so a
// value signed for one use is never accepted for another.
type keys struct {
	session, csrfKey, overlay, idem []byte
}

func deriveKeys(secret []byte) keys {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("glint web " + label))
		return m.Sum(nil)
	}
	return keys{session: derive("session"), csrfKey: derive("csrf"), overlay: derive("overlay"), idem: derive("idempotency")}
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// sign returns the cookie value of sess: payload "." signature.
func (k keys) sign(sess session) string {
	b, _ := json.Marshal(sess) // a session always marshals
	p := b64.EncodeToString(b)
	return p + "." + b64.EncodeToString(mac(k.session, p))
}

// verify reads a cookie value: its signature must match and it must not
// have expired at now.
func (k keys) verify(v string, now time.Time) (session, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > 4096 {
		return session{}, false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(k.session, p)) {
		return session{}, false
	}
	b, err := b64.DecodeString(p)
	if err != nil {
		return session{}, false
	}
	var sess session
	if err := json.Unmarshal(b, &sess); err != nil || sess.Nonce == "" || now.Unix() >= sess.Exp {
		return session{}, false
	}
	return sess, true
}

// csrf is the CSRF token of a session: a MAC of its nonce, so a new
// session (each sign-in) gets a new token.
func (k keys) csrf(nonce string) string { return b64.EncodeToString(mac(k.csrfKey, nonce)) }

// checkCSRF compares a posted token with the session's in constant time.
func (k keys) checkCSRF(nonce, token string) bool {
	got, err := b64.DecodeString(token)
	return err == nil && nonce != "" && hmac.Equal(got, mac(k.csrfKey, nonce))
}

// overlayKey is the read-only key of a creator's overlay URLs: it shows
// that creator's streams' events and nothing else, and cannot sign in.
func (k keys) overlayKey(creatorID string) string {
	return b64.EncodeToString(mac(k.overlay, "overlay", creatorID)[:18])
}

func (k keys) checkOverlayKey(creatorID, key string) bool {
	got, err := b64.DecodeString(key)
	return err == nil && hmac.Equal(got, mac(k.overlay, "overlay", creatorID)[:18])
}

// idemKey turns a form's idempotency token into the key the services
// store, scoped to the session's holder (as the API scopes a user's keys).
func (k keys) idemKey(sess session, form, token string) string {
	return "web|" + sess.Actor() + "|" + form + "|" + token
}

func newNonce() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

type sessionKey struct{}

// session returns the request's session: the one a middleware checked, or
// the cookie's; a zero session when there is none (or it is invalid).
func (s *server) session(r *http.Request) session {
	if sess, ok := r.Context().Value(sessionKey{}).(session); ok {
		return sess
	}
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}
	}
	sess, _ := s.keys.verify(c.Value, s.cfg.Now())
	return sess
}

func withSession(r *http.Request, sess session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
}

// setSession sends the session cookie: HttpOnly, SameSite=Lax, Secure over
// TLS (or always with Config.SecureCookies), expiring with the session.
func (s *server) setSession(w http.ResponseWriter, r *http.Request, sess session) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.keys.sign(sess), Path: "/",
		Expires: time.Unix(sess.Exp, 0), MaxAge: int(time.Until(time.Unix(sess.Exp, 0)).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || s.cfg.SecureCookies,
	})
}

func (s *server) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || s.cfg.SecureCookies})
}

// toLogin sends a visitor to sign in, then back to the page they asked for.
func toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// user lets only a signed-in user through.
func (s *server) user(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		if sess.Scope != scopeUser {
			toLogin(w, r)
			return
		}
		h(w, withSession(r, sess))
	}
}

// admin lets only an admin session through; with Config.Keys, its key must
// still exist and not be revoked.
func (s *server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		if sess.Scope != scopeAdmin {
			toLogin(w, r)
			return
		}
		if s.cfg.Keys != nil {
			k, err := s.cfg.Keys.APIKeyByHash(r.Context(), sess.KeyHash)
			switch {
			case errors.Is(err, auth.ErrNotFound) || (err == nil && (k.RevokedAt != nil || k.Scope != auth.ScopeAdmin)):
				s.clearSession(w, r)
				toLogin(w, r)
				return
			case err != nil:
				s.fail(w, r, err)
				return
			}
		}
		h(w, withSession(r, sess))
	}
}

// recorder keeps a form post's status and the code of its refusal for the
// audit log.
type recorder struct {
	http.ResponseWriter
	status  int
	outcome string
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// setOutcome records why a post was refused, for the audit log.
func setOutcome(w http.ResponseWriter, code string) {
	if rw, ok := w.(*recorder); ok && code != "" {
		rw.outcome = code
	}
}

// form checks a form post: a body of at most maxForm bytes, and the
// session's CSRF token in the field "csrf" (or the X-CSRF-Token header of
// a script's post). A post without it, or with another session's, is 403
// and changes nothing. Every post of a signed-in session is audited.
func (s *server) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			s.plain(w, http.StatusBadRequest, "The form could not be read.")
			return
		}
		token := r.PostForm.Get("csrf")
		if token == "" {
			token = r.Header.Get("X-CSRF-Token")
		}
		if !s.keys.checkCSRF(sess.Nonce, token) {
			s.plain(w, http.StatusForbidden, "This form has expired or did not come from this site (CSRF check failed). Reload the page and try again.")
			return
		}
		if s.cfg.Audit == nil || !sess.SignedIn() {
			h(w, r)
			return
		}
		start, at := time.Now(), s.cfg.Audit.Now()
		rw := &recorder{ResponseWriter: w}
		defer func() {
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			outcome := audit.OutcomeOK
			if status >= 400 {
				outcome = rw.outcome
				if outcome == "" {
					outcome = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
				}
			}
			e := audit.Entry{At: at, Actor: sess.Actor(), Scope: sess.Scope, Action: "web " + strings.TrimPrefix(r.Pattern, "POST "),
				Method: r.Method, Path: r.URL.Path, IP: s.cfg.Audit.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For")),
				IdempotencyKey: r.PostForm.Get("idem"), Status: status, Outcome: outcome, LatencyMicros: time.Since(start).Microseconds()}
			for _, name := range []string{"id", "stream"} {
				if v := r.PathValue(name); v != "" {
					e.Target = v
					break
				}
			}
			if e.Target == "" && sess.Scope == scopeUser {
				e.Target = sess.User
			}
			_ = s.cfg.Audit.Record(r.Context(), e)
		}()
		h(rw, r)
	}
}

// ---- sign-in ----

type loginData struct {
	Next string
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	// A browser drops tabs and newlines from a URL ("/\t/evil" is
	// "//evil", another site): refuse every control character.
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < ' ' || r == 0x7f }) {
		return ""
	}
	return next
}

// loginPage shows the sign-in form. A visitor without a session gets an
// anonymous one, whose nonce the form's CSRF token is made of.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if sess.Nonce == "" {
		sess = session{Nonce: newNonce(), Exp: s.cfg.Now().Add(anonymousTTL).Unix()}
		s.setSession(w, r, sess)
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "Sign in", Session: sess, Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// login verifies a user token or an admin API key with the authenticator
// and starts a session. A service key is refused: it acts for every user.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.plain(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if !s.keys.checkCSRF(sess.Nonce, r.PostForm.Get("csrf")) {
		s.plain(w, http.StatusForbidden, "This form has expired or did not come from this site (CSRF check failed). Reload the page and try again.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	again := func(status int, msg string) {
		s.render(w, r, status, "login", page{Title: "Sign in", Session: sess, Error: msg, Data: loginData{Next: next}})
	}
	cred := strings.TrimSpace(r.PostForm.Get("credential"))
	if cred == "" {
		again(http.StatusBadRequest, "Paste a user token or an admin API key.")
		return
	}
	p, err := s.cfg.Auth.Authenticate(r.Context(), "Bearer "+cred)
	switch {
	case errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrNoCredentials):
		again(http.StatusUnauthorized, "That token or key is not valid: it may have expired or been revoked.")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	now := s.cfg.Now()
	fresh := session{Scope: p.Scope, Nonce: newNonce(), Exp: now.Add(s.cfg.SessionTTL).Unix()}
	switch p.Scope {
	case scopeUser:
		fresh.User = p.UserID
		if _, err := s.svc.GetUser(r.Context(), p.UserID); err != nil {
			again(http.StatusUnauthorized, "This token is for a user glint does not know yet.")
			return
		}
		if next == "" {
			next = "/creator"
		}
	case scopeAdmin:
		fresh.KeyID, fresh.KeyHash = p.KeyID, auth.HashKey(cred)
		if next == "" || !strings.HasPrefix(next, "/admin") {
			next = "/admin"
		}
	default:
		again(http.StatusForbidden, "A service key acts for every user and cannot sign in here: use a user token or an admin key.")
		return
	}
	s.setSession(w, r, fresh)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	s.clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
