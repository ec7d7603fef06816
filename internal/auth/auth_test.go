package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/glint-economy/glint/internal/auth"
)

type keys map[string]*auth.APIKey

func (k keys) APIKeyByHash(_ context.Context, h string) (*auth.APIKey, error) {
	if v, ok := k[h]; ok {
		return v, nil
	}
	return nil, auth.ErrNotFound
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	secret, k, err := auth.NewAPIKey(auth.ScopeService, "backend", now)
	if err != nil {
		t.Fatal(err)
	}
	if k.Hash == secret || k.Hash != auth.HashKey(secret) {
		t.Fatal("the key must be stored hashed")
	}
	store := keys{k.Hash: &k}
	a := auth.New(auth.Config{Keys: store, KeyCacheTTL: time.Nanosecond, Now: func() time.Time { return now }})
	p, err := a.Authenticate(context.Background(), "Bearer "+secret)
	if err != nil || p.Scope != auth.ScopeService || !p.IsService() || p.IsAdmin() || !p.ActsFor("anyone") {
		t.Fatalf("service key: %+v %v", p, err)
	}
	for _, h := range []string{"", "Bearer", "Basic " + secret, "Bearer glk_nope_nope", "Bearer " + secret + "x"} {
		if _, err := a.Authenticate(context.Background(), h); err == nil {
			t.Errorf("header %q accepted", h)
		}
	}
	revoked := now
	k.RevokedAt = &revoked
	now = now.Add(time.Second) // past the cache TTL
	if _, err := a.Authenticate(context.Background(), "Bearer "+secret); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("revoked key: %v", err)
	}
	if _, _, err := auth.NewAPIKey("root", "", now); err == nil {
		t.Fatal("unknown scope accepted")
	}
}

func TestUserTokens(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	a := auth.New(auth.Config{Keys: keys{}, TokenSecret: []byte("glint-secret"), Now: clock})
	tok, exp, err := a.MintUserToken("v1", 15*time.Minute)
	if err != nil || !exp.Equal(now.Add(15*time.Minute)) {
		t.Fatal(err)
	}
	p, err := a.Authenticate(context.Background(), "Bearer "+tok)
	if err != nil || p.UserID != "v1" || p.IsService() || !p.ActsFor("v1") || p.ActsFor("v2") {
		t.Fatalf("user token: %+v %v", p, err)
	}
	now = now.Add(16 * time.Minute)
	if _, err := a.Authenticate(context.Background(), "Bearer "+tok); err == nil {
		t.Fatal("expired token accepted")
	}
	// A token signed with another secret is refused.
	other := auth.New(auth.Config{Keys: keys{}, TokenSecret: []byte("other"), Now: clock})
	forged, _, _ := other.MintUserToken("v1", time.Hour)
	if _, err := a.Authenticate(context.Background(), "Bearer "+forged); err == nil {
		t.Fatal("token of another secret accepted")
	}
}

func TestPlatformJWT(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Config{Keys: keys{}, PlatformHS256: []byte("platform-secret"), PlatformEd25519: pub,
		Issuer: "https://platform.example", Audience: "glint", Now: func() time.Time { return now }})
	claims := func(mod func(*jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := jwt.RegisteredClaims{Issuer: "https://platform.example", Audience: jwt.ClaimStrings{"glint"}, Subject: "v7",
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now)}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	hs := func(c jwt.RegisteredClaims, secret string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ed := func(c jwt.RegisteredClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"hs256", hs(claims(nil), "platform-secret"), true},
		{"ed25519", ed(claims(nil)), true},
		{"wrong secret", hs(claims(nil), "guess"), false},
		{"wrong issuer", hs(claims(func(c *jwt.RegisteredClaims) { c.Issuer = "evil" }), "platform-secret"), false},
		{"wrong audience", ed(claims(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"other"} })), false},
		{"expired", ed(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })), false},
		{"no expiry", ed(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil })), false},
		{"no subject", ed(claims(func(c *jwt.RegisteredClaims) { c.Subject = "" })), false},
		{"not yet valid", ed(claims(func(c *jwt.RegisteredClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) })), false},
		{"issued in the future", ed(claims(func(c *jwt.RegisteredClaims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) })), false},
		// Algorithm confusion: HS256 keyed with the Ed25519 public key.
		{"hs256 with the public key", hs(claims(nil), string(pub)), false},
		{"a signature of another token", func() string {
			a, b := strings.Split(ed(claims(nil)), "."), strings.Split(ed(claims(func(c *jwt.RegisteredClaims) { c.Subject = "admin" })), ".")
			return b[0] + "." + b[1] + "." + a[2]
		}(), false},
		{"alg none", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.Authenticate(context.Background(), "Bearer "+c.token)
			if c.ok && (err != nil || p.UserID != "v7") {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && err == nil {
				t.Fatalf("accepted: %+v", p)
			}
		})
	}
}
