package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzKeys are the keys of the session fuzzers: any secret does.
var fuzzKeys = deriveKeys([]byte("web-session-secret-for-fuzzing"))

// FuzzSessionCookie signs a session of any content and checks the cookie
// both ways: the cookie reads back as the session signed (as JSON keeps
// it) until it expires, and not at or after; and a cookie with any one
// byte changed, or cut short, reads back as the same session or not at all
// — a cookie a fuzzer writes never carries a session nobody signed.
func FuzzSessionCookie(f *testing.F) {
	f.Add("user", "v1", "", "", "n0nce", int64(3600), int64(0), uint16(5), byte('x'))
	f.Add("admin", "", "k1", "hash", "n", int64(1), int64(1), uint16(0), byte('.'))
	f.Add("", "", "", "", "", int64(3600), int64(0), uint16(1), byte('A'))
	f.Add("admin", "v1\u202e", "k\x00", "h", "n\xff", int64(-1), int64(0), uint16(200), byte('='))
	f.Add("user", strings.Repeat("u", 4000), "", "", "n", int64(3600), int64(0), uint16(3000), byte('_'))
	f.Fuzz(func(t *testing.T, scope, user, keyID, keyHash, nonce string, ttl, age int64, pos uint16, with byte) {
		now := time.Unix(1_800_000_000, 0)
		sess := session{Scope: scope, User: user, KeyID: keyID, KeyHash: keyHash, Nonce: nonce, Exp: now.Unix() + ttl%(1<<40)}
		var want session // the session as the cookie's JSON keeps it
		b, _ := json.Marshal(sess)
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Duration(age%(1<<30)) * time.Second)
		v := fuzzKeys.sign(sess)
		got, ok := fuzzKeys.verify(v, at)
		valid := want.Nonce != "" && at.Unix() < want.Exp && len(v) <= 4096
		if ok != valid || (ok && got != want) {
			t.Fatalf("sign(%+v) read at %v: %+v, %v; want %+v, %v", sess, at.Unix(), got, ok, want, valid)
		}
		for _, bad := range []string{v[:int(pos)%len(v)], v[:int(pos)%len(v)] + string([]byte{with}) + v[int(pos)%len(v)+1:]} {
			if bad == v {
				continue
			}
			if got, ok := fuzzKeys.verify(bad, at); ok && (!valid || got != want) {
				t.Fatalf("%q (altered %q) reads as %+v", bad, v, got)
			}
		}
	})
}

// FuzzVerifyCookie throws any cookie value at verify: it never panics and
// never accepts a value it did not sign (the seeds are near misses: signed
// with another key, an expired one, alg-less JSON, oversize).
func FuzzVerifyCookie(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	other := deriveKeys([]byte("another secret"))
	for _, s := range []session{{Scope: scopeAdmin, KeyID: "k", Nonce: "n", Exp: now.Unix() + 60}, {Scope: scopeUser, User: "v1", Nonce: "n", Exp: now.Unix() - 1}} {
		f.Add(other.sign(s))
		f.Add(fuzzKeys.sign(s) + "=")
		v := fuzzKeys.sign(s)
		f.Add(strings.Replace(v, ".", "..", 1))
	}
	for _, s := range []string{"", ".", "..", "e30.", "e30", b64.EncodeToString([]byte(`{"s":"admin","n":"x","e":9999999999}`)) + ".", strings.Repeat("A", 5000) + ".x", "\x00.\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sess, ok := fuzzKeys.verify(v, now)
		if !ok {
			if sess != (session{}) {
				t.Fatalf("%q refused, yet %+v", v, sess)
			}
			return
		}
		// Accepted: then it is a session this key signed, read back.
		p, _, _ := strings.Cut(v, ".")
		if fuzzKeys.sign(sess) != p+"."+b64.EncodeToString(mac(fuzzKeys.session, p)) {
			t.Fatalf("%q accepted as %+v: not a value sign writes", v, sess)
		}
	})
}

// FuzzCSRF checks the CSRF tokens of forms and the overlay keys: the token
// of a nonce checks, for that nonce only; any other token is refused unless
// it decodes to the same bytes; a session without a nonce has no valid
// token. Likewise an overlay key shows one creator's overlay only.
func FuzzCSRF(f *testing.F) {
	f.Add("n0nce", "other", "", "c1", "c2")
	f.Add("", "", "x", "", "")
	f.Add("n", "n\x00", "AAAA", "c1\u202e", "c1")
	f.Fuzz(func(t *testing.T, nonce, other, token, creator, otherCreator string) {
		tok := fuzzKeys.csrf(nonce)
		if got := fuzzKeys.checkCSRF(nonce, tok); got != (nonce != "") {
			t.Fatalf("checkCSRF(%q, its own token) = %v", nonce, got)
		}
		if other != nonce && fuzzKeys.checkCSRF(other, tok) {
			t.Fatalf("the token of %q checks for %q", nonce, other)
		}
		if fuzzKeys.checkCSRF(nonce, token) {
			if d, err := b64.DecodeString(token); err != nil || string(d) != string(mac(fuzzKeys.csrfKey, nonce)) {
				t.Fatalf("checkCSRF(%q, %q) accepted a token that is not its own", nonce, token)
			}
		}
		key := fuzzKeys.overlayKey(creator)
		if !fuzzKeys.checkOverlayKey(creator, key) {
			t.Fatalf("the overlay key of %q does not check", creator)
		}
		if otherCreator != creator && fuzzKeys.checkOverlayKey(otherCreator, key) {
			t.Fatalf("the overlay key of %q opens %q's overlay", creator, otherCreator)
		}
		if fuzzKeys.checkOverlayKey(creator, token) {
			if d, err := b64.DecodeString(token); err != nil || string(d) != string(mac(fuzzKeys.overlay, "overlay", creator)[:18]) {
				t.Fatalf("checkOverlayKey(%q, %q) accepted a key that is not its own", creator, token)
			}
		}
		if fuzzKeys.checkCSRF(nonce, key) && nonce != "" {
			t.Fatalf("an overlay key passes as a CSRF token")
		}
	})
}

// FuzzOverlayOptions checks the overlay's URL options: whatever the query,
// the theme is dark or light, an alert lasts 1 to 60 seconds, a goal target
// is positive or none, and each part is on unless switched off.
func FuzzOverlayOptions(f *testing.F) {
	for _, q := range []string{
		"", "alerts=1&goal=1&top=1&theme=dark&duration=5", "alerts=0&goal=false&top=0", "theme=light", "theme=LIGHT", "duration=0", "duration=-5",
		"duration=61", "duration=9223372036854775808", "duration=1e3", "duration=%D9%A3", "target=-1", "target=0", "target=9223372036854775807",
		"target=9223372036854775808", "target=1.5", "duration=5&duration=6", "%zz", "theme=light%00", "alerts=%E2%80%AE0",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // what it could parse: as net/http gives it
		o := parseOverlayOptions(q)
		switch {
		case o.Theme != "dark" && o.Theme != "light":
			t.Fatalf("%q: theme %q", raw, o.Theme)
		case o.Duration < 1 || o.Duration > maxAlertSecs:
			t.Fatalf("%q: duration %d", raw, o.Duration)
		case o.Target < 0:
			t.Fatalf("%q: target %d", raw, o.Target)
		case o.Alerts != (q.Get("alerts") != "0" && q.Get("alerts") != "false"):
			t.Fatalf("%q: alerts %v", raw, o.Alerts)
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatal(err)
		}
	})
}
