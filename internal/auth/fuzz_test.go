package auth_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/glint-economy/glint/internal/auth"
)

// fuzzAuth is an Authenticator that takes every kind of credential: an
// admin API key, a revoked service key, glint's user tokens, platform JWTs
// signed with HS256 or Ed25519.
type fuzzAuth struct {
	a                   *auth.Authenticator
	now                 time.Time
	admin, revoked      string // API key secrets
	adminID             string
	tokens              []string // credentials that authenticate users
	subjects            map[string]bool
	platformHS, tokenHS []byte
	edPriv              ed25519.PrivateKey
}

func newFuzzAuth(tb testing.TB) *fuzzAuth {
	tb.Helper()
	now := time.Unix(1_800_000_000, 0)
	z := &fuzzAuth{now: now, subjects: map[string]bool{}, platformHS: []byte("platform-secret"), tokenHS: []byte("glint-token-secret")}
	z.edPriv = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	store := keys{}
	var k auth.APIKey
	var err error
	if z.admin, k, err = auth.NewAPIKey(auth.ScopeAdmin, "admin", now); err != nil {
		tb.Fatal(err)
	}
	z.adminID = k.ID
	store[k.Hash] = &k
	var r auth.APIKey
	if z.revoked, r, err = auth.NewAPIKey(auth.ScopeService, "gone", now); err != nil {
		tb.Fatal(err)
	}
	revokedAt := now.Add(-time.Hour)
	r.RevokedAt = &revokedAt
	store[r.Hash] = &r
	z.a = auth.New(auth.Config{Keys: store, TokenSecret: z.tokenHS, PlatformHS256: z.platformHS, PlatformEd25519: z.edPriv.Public().(ed25519.PublicKey),
		Issuer: "https://platform.example", Audience: "glint", Now: func() time.Time { return now }})
	for _, sub := range []string{"v1", "c1", "user@example.com"} {
		tok, _, err := z.a.MintUserToken(sub, 15*time.Minute)
		if err != nil {
			tb.Fatal(err)
		}
		z.tokens = append(z.tokens, tok, z.platform(jwt.SigningMethodHS256, sub, 0), z.platform(jwt.SigningMethodEdDSA, sub, 0))
		z.subjects[sub] = true
	}
	return z
}

// platform signs a platform JWT for sub expiring after ttl (an hour when 0).
func (z *fuzzAuth) platform(m jwt.SigningMethod, sub string, ttl time.Duration) string {
	if ttl == 0 {
		ttl = time.Hour
	}
	c := jwt.RegisteredClaims{Issuer: "https://platform.example", Audience: jwt.ClaimStrings{"glint"}, Subject: sub,
		ExpiresAt: jwt.NewNumericDate(z.now.Add(ttl)), IssuedAt: jwt.NewNumericDate(z.now)}
	var key any = z.platformHS
	if m == jwt.SigningMethodEdDSA {
		key = z.edPriv
	}
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// FuzzAuthenticate checks the Authorization header parser: it never
// panics; an absent header is ErrNoCredentials and anything refused is
// ErrBadCredentials; an API key authenticates only as itself, exactly as
// issued and never once revoked; and a token only as one of the users a
// token was signed for (a fuzzer cannot sign). The seeds are the genuine
// credentials and the classic forgeries: alg none, HS256 keyed with the
// Ed25519 public key, a signature moved from another token, no subject,
// another issuer, an expired token.
func FuzzAuthenticate(f *testing.F) {
	z := newFuzzAuth(f)
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.RegisteredClaims{Subject: "admin", ExpiresAt: jwt.NewNumericDate(z.now.Add(time.Hour))}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Issuer: "https://platform.example", Audience: jwt.ClaimStrings{"glint"},
		Subject: "admin", ExpiresAt: jwt.NewNumericDate(z.now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(z.now)}).SignedString([]byte(z.edPriv.Public().(ed25519.PublicKey)))
	a, b := strings.Split(z.tokens[0], "."), strings.Split(z.platform(jwt.SigningMethodHS256, "admin", 0), ".")
	for _, h := range []string{
		"", "Bearer", "Bearer ", "Bearer  ", "bearer " + z.admin, "BEARER " + z.admin, "Bearer " + z.admin, "Bearer  " + z.admin, "Bearer " + z.admin + " ",
		"Bearer " + z.admin + "x", "Bearer " + z.admin[:len(z.admin)-1], "Bearer " + z.revoked, "Basic " + z.admin, "Bearer glk_", "Bearer glk_" + z.adminID + "_",
		"Bearer " + unsigned, "Bearer " + confused, "Bearer " + b[0] + "." + b[1] + "." + a[2], "Bearer " + z.platform(jwt.SigningMethodEdDSA, "", 0),
		"Bearer " + z.platform(jwt.SigningMethodHS256, "v1", -time.Minute), "Bearer a.b.c", "Bearer ...", "Bearer \u202e", "Bearer " + strings.Repeat("A", 10000),
	} {
		f.Add(h)
	}
	for _, tok := range z.tokens {
		f.Add("Bearer " + tok)
	}
	f.Fuzz(func(t *testing.T, header string) {
		p, err := z.a.Authenticate(context.Background(), header)
		if err != nil {
			switch {
			case header == "" && !errors.Is(err, auth.ErrNoCredentials):
				t.Fatalf("no header: %v", err)
			case header != "" && !errors.Is(err, auth.ErrBadCredentials):
				t.Fatalf("%q: %v is not ErrBadCredentials", header, err)
			case p != (auth.Principal{}):
				t.Fatalf("%q: refused, yet principal %+v", header, p)
			}
			return
		}
		scheme, cred, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			t.Fatalf("%q: accepted with scheme %q", header, scheme)
		}
		switch p.Scope {
		case auth.ScopeAdmin:
			if cred != z.admin || p.KeyID != z.adminID || p.UserID != "" {
				t.Fatalf("%q: admin principal %+v", header, p)
			}
		case auth.ScopeUser:
			if !z.subjects[p.UserID] || p.KeyID != "" {
				t.Fatalf("%q: user principal %+v: a token no one signed", header, p)
			}
		default:
			t.Fatalf("%q: principal %+v", header, p)
		}
	})
}

// FuzzUserToken mints a glint user token for any subject and lifetime and
// checks it authenticates as that subject while it lives and not after
// (5 s of leeway); that a token for no subject authenticates no one; and
// that changing any one byte of it yields a refusal or the same user.
func FuzzUserToken(f *testing.F) {
	f.Add("v1", uint32(900), uint32(0), uint16(10), byte('x'))
	f.Add("v1", uint32(900), uint32(906), uint16(0), byte('A'))
	f.Add("", uint32(60), uint32(1), uint16(3), byte('.'))
	f.Add("a\u202eb", uint32(86400), uint32(86399), uint16(200), byte('='))
	f.Add("admin", uint32(1), uint32(5), uint16(65535), byte(0))
	f.Fuzz(func(t *testing.T, sub string, ttlSecs, ageSecs uint32, pos uint16, with byte) {
		if !utf8.ValidString(sub) {
			return // ids are checked before a token is minted: JSON would not keep them
		}
		ttl := time.Duration(1+ttlSecs%86400) * time.Second
		age := time.Duration(ageSecs%(2*86400+10)) * time.Second
		minted := time.Unix(1_800_000_000, 0)
		now := minted
		a := auth.New(auth.Config{Keys: keys{}, TokenSecret: []byte("glint-token-secret"), Now: func() time.Time { return now }})
		tok, exp, err := a.MintUserToken(sub, ttl)
		if err != nil || !exp.Equal(minted.Add(ttl)) {
			t.Fatalf("mint %q for %v: %v, expires %v", sub, ttl, err, exp)
		}
		now = minted.Add(age)
		p, err := a.Authenticate(context.Background(), "Bearer "+tok)
		switch {
		case sub == "" && err == nil:
			t.Fatalf("a token without a subject authenticated %+v", p)
		case sub != "" && age < ttl && (err != nil || p != auth.Principal{Scope: auth.ScopeUser, UserID: sub}):
			t.Fatalf("a %v token for %q at %v: %+v, %v", ttl, sub, age, p, err)
		case age > ttl+5*time.Second && err == nil:
			t.Fatalf("a %v token for %q still valid at %v", ttl, sub, age)
		}
		i := int(pos) % len(tok)
		if tok[i] == with {
			return
		}
		bad := tok[:i] + string([]byte{with}) + tok[i+1:]
		if q, err := a.Authenticate(context.Background(), "Bearer "+bad); err == nil && (q != p || q.UserID != sub) {
			t.Fatalf("%q with byte %d changed to %q authenticates %+v", tok, i, with, q)
		}
	})
}
