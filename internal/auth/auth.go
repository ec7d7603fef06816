// Package auth knows who is calling: server-to-server API keys (scopes
// admin and service, stored hashed), short-lived user tokens minted by glint,
// and JWTs signed by the platform (HS256 secret or Ed25519 key).
package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Scopes of API keys.
const (
	ScopeAdmin   = "admin"
	ScopeService = "service"
)

// Errors of authentication.
var (
	ErrNoCredentials  = errors.New("no credentials")
	ErrBadCredentials = errors.New("invalid or expired credentials")
	ErrNotFound       = errors.New("api key not found")
)

// Principal is an authenticated caller.
type Principal struct {
	Scope  string // ScopeAdmin, ScopeService, or "user"
	KeyID  string // for API keys
	UserID string // for user tokens
}

// ScopeUser is the scope of an end user acting for themselves.
const ScopeUser = "user"

// IsAdmin reports whether p may use admin routes.
func (p Principal) IsAdmin() bool { return p.Scope == ScopeAdmin }

// IsService reports whether p acts for any user (service or admin key).
func (p Principal) IsService() bool { return p.Scope == ScopeAdmin || p.Scope == ScopeService }

// ActsFor reports whether p may act as user id.
func (p Principal) ActsFor(userID string) bool { return p.IsService() || p.UserID == userID }

// ID names the principal for idempotency scoping and audit: "key:<id>" or "user:<id>".
func (p Principal) ID() string {
	if p.KeyID != "" {
		return "key:" + p.KeyID
	}
	return "user:" + p.UserID
}

// IdempotencyScope is the namespace of the caller's idempotency keys. Every
// API key of the platform shares one ("platform"): a backend that retries a
// request through another instance, holding another key, must get the first
// answer, not a second effect. An end user's keys are their own ("user:<id>").
func (p Principal) IdempotencyScope() string {
	if p.IsService() {
		return "platform"
	}
	return "user:" + p.UserID
}

// APIKey is a stored API key; the secret itself is never stored.
type APIKey struct {
	ID        string     `json:"id"`
	Hash      string     `json:"-"`
	Scope     string     `json:"scope"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// KeyStore finds API keys by hash.
type KeyStore interface {
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) // ErrNotFound
}

// NewAPIKey returns a new key's secret ("glk_<id>_<secret>") and its record.
func NewAPIKey(scope, label string, now time.Time) (secret string, key APIKey, err error) {
	if scope != ScopeAdmin && scope != ScopeService {
		return "", APIKey{}, fmt.Errorf("auth: scope must be %q or %q, got %q", ScopeAdmin, ScopeService, scope)
	}
	var idb [6]byte
	var sb [24]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", APIKey{}, err
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return "", APIKey{}, err
	}
	id := hex.EncodeToString(idb[:])
	secret = "glk_" + id + "_" + base64.RawURLEncoding.EncodeToString(sb[:])
	return secret, APIKey{ID: id, Hash: HashKey(secret), Scope: scope, Label: label, CreatedAt: now.UTC()}, nil
}

// HashKey returns the stored form of an API key secret. The secret has 192
// random bits, so a plain SHA-256 is enough (no password stretching needed).
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Config configures an Authenticator.
type Config struct {
	Keys KeyStore
	// TokenSecret signs glint's own user tokens (HS256).
	TokenSecret []byte
	// Platform JWTs: an HS256 secret and/or an Ed25519 public key, and the
	// issuer and audience they must carry (checked when set).
	PlatformHS256   []byte
	PlatformEd25519 ed25519.PublicKey
	Issuer          string
	Audience        string
	// KeyCacheTTL is how long a key lookup is reused, which delays a
	// revocation as long. 0 (what glint serve uses): every request looks its
	// key up (one primary-key read), so a revoked key is refused at once.
	KeyCacheTTL time.Duration
	Now         func() time.Time
}

// Authenticator turns an Authorization header into a Principal.
type Authenticator struct {
	cfg   Config
	mu    sync.RWMutex
	cache map[string]cachedKey
}

type cachedKey struct {
	p       Principal
	err     error
	expires time.Time
}

// New returns an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authenticator{cfg: cfg, cache: map[string]cachedKey{}}
}

// glintIssuer is the issuer of glint's own user tokens.
const glintIssuer = "glint"

// Authenticate reads "Bearer <credential>". It returns ErrNoCredentials when
// the header is absent and ErrBadCredentials for anything not accepted.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (Principal, error) {
	if header == "" {
		return Principal{}, ErrNoCredentials
	}
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return Principal{}, ErrBadCredentials
	}
	if strings.HasPrefix(cred, "glk_") {
		return a.apiKey(ctx, cred)
	}
	return a.token(cred)
}

func (a *Authenticator) apiKey(ctx context.Context, secret string) (Principal, error) {
	h := HashKey(secret)
	now := a.cfg.Now()
	if a.cfg.KeyCacheTTL > 0 {
		a.mu.RLock()
		c, ok := a.cache[h]
		a.mu.RUnlock()
		if ok && now.Before(c.expires) {
			return c.p, c.err
		}
	}
	k, err := a.cfg.Keys.APIKeyByHash(ctx, h)
	var p Principal
	switch {
	case errors.Is(err, ErrNotFound):
		err = ErrBadCredentials
	case err != nil:
		return Principal{}, err // a fault, not cached
	case k.RevokedAt != nil:
		err = ErrBadCredentials
	default:
		p = Principal{Scope: k.Scope, KeyID: k.ID}
	}
	if a.cfg.KeyCacheTTL <= 0 {
		return p, err
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		a.cache = map[string]cachedKey{}
	}
	a.cache[h] = cachedKey{p: p, err: err, expires: now.Add(a.cfg.KeyCacheTTL)}
	a.mu.Unlock()
	return p, err
}

// MintUserToken returns a glint user token for userID, valid for ttl.
func (a *Authenticator) MintUserToken(userID string, ttl time.Duration) (string, time.Time, error) {
	now := a.cfg.Now()
	exp := now.Add(ttl)
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer: glintIssuer, Subject: userID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	})
	s, err := t.SignedString(a.cfg.TokenSecret)
	return s, exp, err
}

func (a *Authenticator) token(raw string) (Principal, error) {
	parserOpts := []jwt.ParserOption{jwt.WithTimeFunc(a.cfg.Now), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5 * time.Second)}
	// glint's own token first.
	if len(a.cfg.TokenSecret) > 0 {
		var c jwt.RegisteredClaims
		_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) { return a.cfg.TokenSecret, nil },
			append(parserOpts, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(glintIssuer))...)
		if err == nil && c.Subject != "" {
			return Principal{Scope: ScopeUser, UserID: c.Subject}, nil
		}
	}
	if len(a.cfg.PlatformHS256) == 0 && a.cfg.PlatformEd25519 == nil {
		return Principal{}, ErrBadCredentials
	}
	opts := parserOpts
	if a.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(a.cfg.Issuer))
	}
	if a.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(a.cfg.Audience))
	}
	var methods []string
	if len(a.cfg.PlatformHS256) > 0 {
		methods = append(methods, "HS256")
	}
	if a.cfg.PlatformEd25519 != nil {
		methods = append(methods, "EdDSA")
	}
	opts = append(opts, jwt.WithValidMethods(methods))
	var c jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case "HS256":
			return a.cfg.PlatformHS256, nil
		case "EdDSA":
			return a.cfg.PlatformEd25519, nil
		}
		return nil, ErrBadCredentials
	}, opts...)
	if err != nil || c.Subject == "" {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Scope: ScopeUser, UserID: c.Subject}, nil
}
