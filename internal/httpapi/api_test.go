package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// row is one API scenario: a request and what it must answer. Rows of a
// table run in order against one server, so a row can rely on the ones
// before it. Every row that answers 4xx must leave the state as it was
// (balances, postings, profiles, streams, combos, catalog) and the ledger
// sound.
type row struct {
	name   string
	before func(h *harness) // e.g. move the clock, revoke a key
	method string
	path   string
	as     string // credential: "", "admin", "service", "user:<id>", "raw:<Authorization>"
	idem   string // Idempotency-Key
	header []string
	body   string
	ctype  string // Content-Type of a 2xx answer that is not JSON
	status int
	code   string // error.code of an error answer
	want   string // a JSON subset of the answer (see subsetDiff)
	after  func(h *harness, r *response)
}

var coverage routeCoverage

func runRows(t *testing.T, h *harness, rows []row) {
	t.Helper()
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			h := h.with(t)
			if rw.before != nil {
				rw.before(h)
			}
			refused := rw.status >= 400
			var before state
			if refused {
				before = h.state()
			}
			headers := append([]string(nil), rw.header...)
			if rw.idem != "" {
				headers = append(headers, "Idempotency-Key", rw.idem)
			}
			path := h.expand(rw.path)
			r := h.do(rw.method, path, rw.as, rw.body, headers...)
			coverage.record(h.api, rw.method, path, r.Status)
			if r.Status != rw.status {
				t.Fatalf("%s %s: want %d, got %s", rw.method, path, rw.status, r)
			}
			if ct := r.Header.Get("Content-Type"); rw.ctype != "" && !refused {
				if !strings.HasPrefix(ct, rw.ctype) {
					t.Errorf("Content-Type %q, want %s", ct, rw.ctype)
				}
			} else if !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if refused {
				if rw.code == "" {
					t.Fatalf("row %q refuses without naming the error code", rw.name)
				}
				if got := r.errorCode(); got != rw.code {
					t.Errorf("error code %q, want %q: %s", got, rw.code, r.Body)
				}
				if msg, _ := r.json(t)["error"].(map[string]any)["message"].(string); msg == "" {
					t.Errorf("error without a message: %s", r.Body)
				}
			}
			if rw.want != "" {
				wantSubset(t, r, h.expand(rw.want))
			}
			if refused {
				h.unchanged(before, rw.method+" "+rw.path)
				h.ledgerOK()
			}
			if rw.after != nil {
				rw.after(h, r)
			}
		})
	}
}

// seedWorld creates the users, coins and streams the tables start from:
//
//	v1  viewer, US, 350 coins         c1  creator, live in stream s1, 70 coins
//	v2  viewer, DE, 70 coins          c2  creator, stream s-old has ended
//	kid viewer, not age-verified, no coins (coins are sold to adults only)
func seedWorld(h *harness) {
	h.t.Helper()
	h.putUser("v1", "Viewer One", "US", true)
	h.putUser("v2", "Viewer Two", "DE", true)
	h.putUser("kid", "Young Viewer", "US", false)
	h.putUser("c1", "Ava Sings", "US", true)
	h.putUser("c2", "Luca Cooks", "IT", true)
	h.buy("v1", "web-usd-350")
	h.buy("v2", "web-usd-70")
	h.buy("c1", "web-usd-70")
	h.goLive("c1", "s1")
	h.goLive("c2", "s-old")
	h.must(http.StatusOK, "POST", "/v1/streams/s-old/end", "service", "")
	// Ids that must never come to exist.
	h.watch("/v1/users/ghost", "/v1/users/u-bad", "/v1/users/u9", "/v1/streams/ghost", "/v1/streams/s-bad")
}

// TestAPIScenarios runs the scenario tables, one server per table, and then
// checks that every documented operation answered at least one 2xx and one
// 4xx somewhere.
func TestAPIScenarios(t *testing.T) {
	t.Parallel()
	groups := []struct {
		name string
		rows func(h *harness) []row
	}{
		{"public", publicRows},
		{"users", userRows},
		{"store", storeRows},
		{"streams", streamRows},
		{"gifts", giftRows},
		{"admin", adminRows},
		{"auth", authRows},
		{"cashout", cashoutRows},
		{"trust", trustRows},
		{"stripe", stripeRows},
		{"boards", boardRows},
	}
	var ran atomic.Int32
	t.Cleanup(func() {
		if int(ran.Load()) != len(groups) || t.Failed() {
			return // a -run filter or a failure: coverage would be partial
		}
		for _, m := range coverage.missing() {
			t.Errorf("route coverage: %s", m)
		}
	})
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			ran.Add(1)
			h := newHarness(t)
			seedWorld(h)
			runRows(t, h, g.rows(h))
		})
	}
}

func publicRows(h *harness) []row {
	return []row{
		{name: "quote diamonds in EUR", method: "GET", path: "/v1/quote?amount=1000&unit=diamonds&currency=EUR", status: 200,
			want: `{"diamonds":"1000","coins":2000,"gross":{"value":"5.00","currency":"USD"},"net":{"value":"2.50","currency":"USD"},
			        "local":{"currency":"EUR","net":{"value":"2.32","currency":"EUR"}},"steps":["…"]}`},
		{name: "quote a gift", method: "GET", path: "/v1/quote?amount=3&unit=galaxy", status: 200, want: `{"coins":3000,"diamonds":"1500","gift":{"id":"galaxy","quantity":3}}`},
		{name: "quote without parameters", method: "GET", path: "/v1/quote", status: 400, code: "invalid_request"},
		{name: "quote negative", method: "GET", path: "/v1/quote?amount=-5&unit=coins", status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"amount"}}}`},
		{name: "quote unicode digits", method: "GET", path: "/v1/quote?amount=%D9%A1%D9%A0&unit=coins", status: 400, code: "invalid_request"},
		{name: "quote fractional coins", method: "GET", path: "/v1/quote?amount=1.5&unit=coins", status: 400, code: "invalid_request"},
		{name: "quote overflowing", method: "GET", path: "/v1/quote?amount=99999999999999999999999&unit=coins", status: 400, code: "invalid_request"},
		{name: "quote unknown unit", method: "GET", path: "/v1/quote?amount=1&unit=bananas", status: 400, code: "invalid_request"},
		{name: "quote unknown currency", method: "GET", path: "/v1/quote?amount=1&unit=coins&currency=XYZ", status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"currency"}}}`},
		{name: "gift catalog", method: "GET", path: "/v1/catalog/gifts", status: 200,
			want: `{"items":[{"id":"gg","coins":1},{"id":"ice-cream-cone"},{"id":"rose","name":"Rose","coins":1,"streakable":true,"active":true,"version":1},"…"]}`,
			after: func(h *harness, r *response) {
				items := r.json(h.t)["items"].([]any)
				if len(items) != 19 {
					h.t.Errorf("catalog has %d gifts, want the seed's 19", len(items))
				}
				last := items[len(items)-1].(map[string]any)
				if last["id"] != "universe" || show(last["coins"]) != "34999" || last["streakable"] != false {
					h.t.Errorf("last gift %v, want universe at 34999 coins, not streakable", last)
				}
			}},
		{name: "packages default web USD", method: "GET", path: "/v1/catalog/packages", status: 200,
			want: `{"items":[{"id":"web-usd-70","channel":"web","coins":70,"price":{"value":"0.99","currency":"USD"}},{"id":"web-usd-350","coins":350,"price":{"value":"4.99","currency":"USD"}},
			       {"id":"web-usd-700"},{"id":"web-usd-1400"},{"id":"web-usd-3500"},{"id":"web-usd-7000"},{"id":"web-usd-17500","coins":17500,"price":{"value":"249.99","currency":"USD"}}]}`},
		{name: "packages app GBP", method: "GET", path: "/v1/catalog/packages?channel=app&currency=gbp", status: 200,
			want: `{"items":[{"channel":"app","coins":40,"price":{"value":"0.49","currency":"GBP"}},"…"]}`},
		{name: "packages unknown channel", method: "GET", path: "/v1/catalog/packages?channel=tv", status: 400, code: "invalid_request"},
		{name: "packages unknown currency", method: "GET", path: "/v1/catalog/packages?currency=XYZ", status: 400, code: "invalid_request"},
		{name: "packages without a price book", method: "GET", path: "/v1/catalog/packages?currency=JPY", status: 404, code: "price_book_not_found"},
		{name: "unknown route", method: "GET", path: "/v1/nope", status: 404, code: "not_found"},
		{name: "unrouted method", method: "DELETE", path: "/v1/users/v1", as: "admin", status: 405, code: "method_not_allowed"},
	}
}

func userRows(h *harness) []row {
	long := strings.Repeat("a", 65)
	return []row{
		{name: "create a user", method: "PUT", path: "/v1/users/u1", as: "service", body: `{"display_name":"Zoë ✨ Live","country":"de","age_verified":true}`, status: 200,
			want:  `{"id":"u1","display_name":"Zoë ✨ Live","country":"DE","age_verified":true,"status":"active","created_at":"2026-03-01T12:00:00Z"}`,
			after: func(h *harness, _ *response) { h.watch("/v1/users/u1", "/v1/users/u1/wallet") }},
		{name: "update the user", before: func(h *harness) { h.clock.Advance(time.Minute) },
			method: "PUT", path: "/v1/users/u1", as: "admin", body: `{"display_name":"Zoë","age_verified":false}`, status: 200,
			want: `{"id":"u1","display_name":"Zoë","country":"","age_verified":false,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:01:00Z"}`},
		{name: "put user with a user token", method: "PUT", path: "/v1/users/v1", as: "user:v1", body: `{"display_name":"Me","age_verified":true}`, status: 403, code: "forbidden"},
		{name: "put user without credentials", method: "PUT", path: "/v1/users/v1", body: `{"display_name":"Me","age_verified":true}`, status: 401, code: "unauthorized"},
		{name: "display name with U+202E", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"evil\u202egnp.exe","age_verified":true}`, status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"display_name"}}}`},
		{name: "display name with a control char", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"bell\u0007","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "display name with a zero-width space", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"ad\u200bmin","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "display name with an isolate", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"x\u2067y","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "blank display name", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"   ","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "display name too long", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"` + long + `","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "display name not a string", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":7,"age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "unknown country", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"X","country":"ZZ","age_verified":true}`, status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"country"}}}`},
		{name: "three-letter country", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"X","country":"DEU","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "unknown field", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"X","age_verified":true,"role":"admin"}`, status: 400, code: "invalid_request"},
		{name: "malformed JSON", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"X",`, status: 400, code: "invalid_request"},
		{name: "age_verified missing", method: "PUT", path: "/v1/users/u-bad", as: "service", body: `{"display_name":"X"}`, status: 400, code: "invalid_request"},
		{name: "id with a colon", method: "PUT", path: "/v1/users/u:bad", as: "service", body: `{"display_name":"X","age_verified":true}`, status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"user_id"}}}`},
		{name: "id with unicode", method: "PUT", path: "/v1/users/%C3%BC9", as: "service", body: `{"display_name":"X","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "id too long", method: "PUT", path: "/v1/users/" + strings.Repeat("u", 129), as: "service", body: `{"display_name":"X","age_verified":true}`, status: 400, code: "invalid_request"},
		{name: "body not JSON", method: "PUT", path: "/v1/users/u9", as: "service", header: []string{"Content-Type", "text/plain"}, body: `display_name=X`, status: 415, code: "unsupported_media_type"},

		{name: "get own profile", method: "GET", path: "/v1/users/v1", as: "user:v1", status: 200, want: `{"id":"v1","display_name":"Viewer One","country":"US","age_verified":true,"status":"active"}`},
		{name: "get profile as service", method: "GET", path: "/v1/users/kid", as: "service", status: 200, want: `{"id":"kid","age_verified":false}`},
		{name: "get another user's profile", method: "GET", path: "/v1/users/v2", as: "user:v1", status: 403, code: "forbidden"},
		{name: "get unknown user", method: "GET", path: "/v1/users/ghost", as: "service", status: 404, code: "user_not_found", want: `{"error":{"details":{"id":"ghost"}}}`},

		{name: "own wallet", method: "GET", path: "/v1/users/v1/wallet", as: "user:v1", status: 200,
			want: `{"user_id":"v1","coins":350,"diamonds":{"pending":"0","available":"0","withdrawing":"0"},"value":{"gross":{"value":"0.00","currency":"USD"},"net":{"value":"0.00","currency":"USD"}}}`},
		{name: "wallet of a German user shows EUR", method: "GET", path: "/v1/users/v2/wallet", as: "user:v2", status: 200, want: `{"coins":70,"value":{"net_local":{"value":"0.00","currency":"EUR"}}}`},
		{name: "another user's wallet", method: "GET", path: "/v1/users/v2/wallet", as: "user:v1", status: 403, code: "forbidden"},
		{name: "unknown user's wallet", method: "GET", path: "/v1/users/ghost/wallet", as: "service", status: 404, code: "user_not_found"},

		{name: "mint a token", method: "POST", path: "/v1/users/v1/tokens", as: "service", status: 200, want: `{"token":"eyJ…","user_id":"v1","expires_at":"2026-03-01T12:16:00Z"}`},
		{name: "mint a token with a ttl", method: "POST", path: "/v1/users/v1/tokens", as: "admin", body: `{"ttl_seconds":3600}`, status: 200, want: `{"user_id":"v1","expires_at":"2026-03-01T13:01:00Z"}`,
			after: func(h *harness, r *response) {
				tok := r.json(h.t)["token"].(string)
				h.must(200, "GET", "/v1/users/v1/wallet", "raw:Bearer "+tok, "")
			}},
		{name: "token ttl too short", method: "POST", path: "/v1/users/v1/tokens", as: "service", body: `{"ttl_seconds":30}`, status: 400, code: "invalid_request"},
		{name: "token ttl too long", method: "POST", path: "/v1/users/v1/tokens", as: "service", body: `{"ttl_seconds":86401}`, status: 400, code: "invalid_request"},
		{name: "mint a token with a user token", method: "POST", path: "/v1/users/v1/tokens", as: "user:v1", status: 403, code: "forbidden"},
		{name: "mint a token for an unknown user", method: "POST", path: "/v1/users/ghost/tokens", as: "service", status: 404, code: "user_not_found"},

		{name: "own history", method: "GET", path: "/v1/users/v1/transactions", as: "user:v1", status: 200,
			want: `{"items":[{"kind":"purchase","coins":350,"diamonds":"0","money":{"value":"4.99","currency":"USD"},"created_at":"2026-03-01T12:00:00Z"}]}`},
		{name: "history with a kind filter", method: "GET", path: "/v1/users/v1/transactions?kind=gift_sent", as: "user:v1", status: 200, want: `{"items":[]}`},
		{name: "history with an unknown kind", method: "GET", path: "/v1/users/v1/transactions?kind=refund", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "history with a bad cursor", method: "GET", path: "/v1/users/v1/transactions?cursor=abc", as: "user:v1", status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"cursor"}}}`},
		{name: "history with limit 0", method: "GET", path: "/v1/users/v1/transactions?limit=0", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "history with limit 201", method: "GET", path: "/v1/users/v1/transactions?limit=201", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "history with a bad time", method: "GET", path: "/v1/users/v1/transactions?from=yesterday", as: "user:v1", status: 400, code: "invalid_request"},
		{name: "another user's history", method: "GET", path: "/v1/users/v2/transactions", as: "user:v1", status: 403, code: "forbidden"},
		{name: "unknown user's history", method: "GET", path: "/v1/users/ghost/transactions", as: "service", status: 404, code: "user_not_found"},
	}
}

func storeRows(h *harness) []row {
	return []row{
		{name: "buy coins with a user token", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-1", body: `{"user_id":"v1","package_id":"web-usd-700"}`, status: 201,
			want: `{"id":"p_…","user_id":"v1","provider":"sandbox","package_id":"web-usd-700","channel":"web","coins":700,"price":{"value":"9.99","currency":"USD"},"status":"completed","created_at":"2026-03-01T12:00:00Z"}`,
			after: func(h *harness, _ *response) {
				if c := h.coins("v1"); c != 1050 {
					h.t.Errorf("v1 has %d coins after buying 700, want 1050", c)
				}
			}},
		{name: "buy in-app GBP coins as service", method: "POST", path: "/v1/purchases", as: "service", idem: "buy-2", body: `{"user_id":"v2","package_id":"APP-GBP-65","provider":"sandbox"}`, status: 201,
			want: `{"package_id":"app-gbp-65","channel":"app","coins":65,"price":{"value":"0.89","currency":"GBP"}}`},
		{name: "a replay returns the first purchase", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-1", body: `{"user_id":"v1","package_id":"web-usd-700"}`, status: 201,
			after: func(h *harness, _ *response) {
				if c := h.coins("v1"); c != 1050 {
					h.t.Errorf("a replayed purchase moved coins: v1 has %d, want 1050", c)
				}
			}},
		{name: "same key, another package", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-1", body: `{"user_id":"v1","package_id":"web-usd-70"}`, status: 409, code: "idempotency_conflict"},
		{name: "no idempotency key", method: "POST", path: "/v1/purchases", as: "user:v1", body: `{"user_id":"v1","package_id":"web-usd-70"}`, status: 400, code: "idempotency_key_required"},
		{name: "idempotency key too long", method: "POST", path: "/v1/purchases", as: "user:v1", idem: strings.Repeat("k", 256), body: `{"user_id":"v1","package_id":"web-usd-70"}`, status: 400, code: "invalid_request"},
		{name: "buy for another user", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-3", body: `{"user_id":"v2","package_id":"web-usd-70"}`, status: 403, code: "forbidden"},
		{name: "unknown package", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-4", body: `{"user_id":"v1","package_id":"web-usd-1"}`, status: 404, code: "package_not_found"},
		{name: "unknown user", method: "POST", path: "/v1/purchases", as: "service", idem: "buy-5", body: `{"user_id":"ghost","package_id":"web-usd-70"}`, status: 404, code: "user_not_found"},
		{name: "bad user id", method: "POST", path: "/v1/purchases", as: "service", idem: "buy-6", body: `{"user_id":"v 1","package_id":"web-usd-70"}`, status: 400, code: "invalid_request"},
		{name: "unknown provider", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-7", body: `{"user_id":"v1","package_id":"web-usd-70","provider":"paypal"}`, status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"provider"}}}`},
		{name: "unknown field", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-8", body: `{"user_id":"v1","package_id":"web-usd-70","coins":1000000}`, status: 400, code: "invalid_request"},
		{name: "malformed JSON", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-9", body: `{"user_id":"v1"`, status: 400, code: "invalid_request"},
		{name: "no body", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-10", status: 400, code: "invalid_request"},
		{name: "body over 64 KiB", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-11", body: `{"user_id":"v1","package_id":"` + strings.Repeat("x", 70<<10) + `"}`, status: 413, code: "body_too_large"},
		{name: "form body", method: "POST", path: "/v1/purchases", as: "user:v1", idem: "buy-12", header: []string{"Content-Type", "application/x-www-form-urlencoded"}, body: `user_id=v1&package_id=web-usd-70`, status: 415, code: "unsupported_media_type"},
	}
}

func streamRows(h *harness) []row {
	return []row{
		{name: "creator goes live", method: "POST", path: "/v1/streams", as: "user:c2", body: `{"id":"s2","creator_id":"c2","title":"Cooking pasta"}`, status: 201,
			want:  `{"id":"s2","creator_id":"c2","title":"Cooking pasta","status":"live","started_at":"2026-03-01T12:00:00Z","totals":{"gifts":0,"coins":0,"diamonds":"0","unique_gifters":0},"top_gifters":[]}`,
			after: func(h *harness, _ *response) { h.watch("/v1/streams/s2") }},
		{name: "a second live stream", method: "POST", path: "/v1/streams", as: "user:c2", body: `{"id":"s3","creator_id":"c2"}`, status: 409, code: "stream_already_live", want: `{"error":{"details":{"stream_id":"s2"}}}`},
		{name: "an id already used", method: "POST", path: "/v1/streams", as: "service", body: `{"id":"s-old","creator_id":"v1"}`, status: 409, code: "stream_exists"},
		{name: "a creator not age-verified", method: "POST", path: "/v1/streams", as: "user:kid", body: `{"id":"s-bad","creator_id":"kid"}`, status: 422, code: "not_age_verified"},
		{name: "an unknown creator", method: "POST", path: "/v1/streams", as: "service", body: `{"id":"s-bad","creator_id":"ghost"}`, status: 404, code: "user_not_found"},
		{name: "for another creator", method: "POST", path: "/v1/streams", as: "user:v1", body: `{"id":"s-bad","creator_id":"c2"}`, status: 403, code: "forbidden"},
		{name: "a bad stream id", method: "POST", path: "/v1/streams", as: "user:v1", body: `{"id":"s bad","creator_id":"v1"}`, status: 400, code: "invalid_request"},
		{name: "a title with U+202E", method: "POST", path: "/v1/streams", as: "user:v1", body: `{"id":"s-bad","creator_id":"v1","title":"\u202eevil"}`, status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"title"}}}`},
		{name: "an unknown field", method: "POST", path: "/v1/streams", as: "user:v1", body: `{"id":"s-bad","creator_id":"v1","status":"ended"}`, status: 400, code: "invalid_request"},
		{name: "a generated id", method: "POST", path: "/v1/streams", as: "user:v1", idem: "live-v1", body: `{"creator_id":"v1"}`, status: 201, want: `{"id":"s_…","creator_id":"v1","title":"","status":"live"}`,
			after: func(h *harness, r *response) {
				again := h.must(201, "POST", "/v1/streams", "user:v1", `{"creator_id":"v1"}`, "Idempotency-Key", "live-v1")
				if string(again.Body) != string(r.Body) {
					h.t.Errorf("replayed go-live answered %s, first %s", again.Body, r.Body)
				}
				id := r.json(h.t)["id"].(string)
				h.must(200, "POST", "/v1/streams/"+id+"/end", "user:v1", "")
			}},

		{name: "get a stream", method: "GET", path: "/v1/streams/s1", as: "user:v2", status: 200, want: `{"id":"s1","creator_id":"c1","status":"live","totals":{"gifts":0},"top_gifters":[]}`},
		{name: "get an unknown stream", method: "GET", path: "/v1/streams/ghost", as: "user:v2", status: 404, code: "stream_not_found"},
		{name: "get a stream with a bad id", method: "GET", path: "/v1/streams/" + strings.Repeat("s", 129), as: "user:v2", status: 400, code: "invalid_request"},
		{name: "leaderboard", method: "GET", path: "/v1/streams/s1/leaderboard", as: "user:v2", status: 200, want: `{"stream_id":"s1","items":[]}`},
		{name: "leaderboard limit 0", method: "GET", path: "/v1/streams/s1/leaderboard?limit=0", as: "user:v2", status: 400, code: "invalid_request"},
		{name: "leaderboard limit 101", method: "GET", path: "/v1/streams/s1/leaderboard?limit=101", as: "user:v2", status: 400, code: "invalid_request"},
		{name: "leaderboard of an unknown stream", method: "GET", path: "/v1/streams/ghost/leaderboard", as: "user:v2", status: 404, code: "stream_not_found"},

		{name: "end another creator's stream", method: "POST", path: "/v1/streams/s2/end", as: "user:c1", status: 403, code: "forbidden"},
		{name: "end an unknown stream", method: "POST", path: "/v1/streams/ghost/end", as: "service", status: 404, code: "stream_not_found"},
		{name: "end a stream", before: func(h *harness) { h.clock.Advance(90 * time.Minute) },
			method: "POST", path: "/v1/streams/s2/end", as: "user:c2", idem: "end-s2", status: 200,
			want: `{"id":"s2","status":"ended","started_at":"2026-03-01T12:00:00Z","ended_at":"2026-03-01T13:30:00Z"}`},
		{name: "a replayed end", method: "POST", path: "/v1/streams/s2/end", as: "user:c2", idem: "end-s2", status: 200, want: `{"id":"s2","status":"ended"}`},
		{name: "end it twice", method: "POST", path: "/v1/streams/s2/end", as: "user:c2", status: 409, code: "stream_not_live", want: `{"error":{"details":{"stream_id":"s2","status":"ended"}}}`},
		{name: "live again after the end", method: "POST", path: "/v1/streams", as: "user:c2", body: `{"id":"s4","creator_id":"c2"}`, status: 201, want: `{"id":"s4","status":"live"}`},
		{name: "end as service", method: "POST", path: "/v1/streams/s4/end", as: "service", status: 200, want: `{"id":"s4","status":"ended"}`},
	}
}

func giftRows(h *harness) []row {
	send := func(name, as, idem, body string, status int, code, want string) row {
		return row{name: name, method: "POST", path: "/v1/streams/s1/gifts", as: as, idem: idem, body: body, status: status, code: code, want: want}
	}
	rose := func(qty string) string { return `{"sender_id":"v1","gift_id":"rose","quantity":` + qty + `}` }
	return []row{
		{name: "ten roses in a combo", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "g-1", body: `{"sender_id":"v1","gift_id":"rose","quantity":10,"combo_id":"cmb"}`, status: 201,
			want: `{"id":"g_…","stream_id":"s1","sender_id":"v1","creator_id":"c1","gift_id":"rose","quantity":10,"coins":10,"diamonds":"5",
			        "sender_coins_after":340,"combo":{"id":"cmb","count":10},"catalog_version":1,"created_at":"2026-03-01T12:00:00Z"}`,
			after: func(h *harness, _ *response) {
				if c, d := h.coins("v1"), h.available("c1"); c != 340 || d != "5" {
					h.t.Errorf("after 10 roses: viewer %d coins, creator %s diamonds; want 340 and 5", c, d)
				}
				h.watch("/v1/streams/s1/combos/cmb")
			}},
		send("one more rose: half a diamond", "user:v1", "g-2", `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"cmb"}`, 201, "",
			`{"coins":1,"diamonds":"0.5","sender_coins_after":339,"combo":{"id":"cmb","count":11}}`),

		send("quantity -1", "user:v1", "q-1", rose("-1"), 400, "invalid_request", `{"error":{"details":{"errors":[{"location":"body.quantity"}]}}}`),
		send("quantity 0", "user:v1", "q-2", rose("0"), 400, "invalid_request", ""),
		send("quantity 1.5", "user:v1", "q-3", rose("1.5"), 400, "invalid_request", ""),
		send("quantity 1e2", "user:v1", "q-4", rose("1e2"), 400, "invalid_request", ""),
		send("quantity as a string", "user:v1", "q-5", rose(`"10"`), 400, "invalid_request", ""),
		send("quantity in Arabic-Indic digits", "user:v1", "q-6", rose(`"١٠"`), 400, "invalid_request", ""),
		send("quantity in bare Arabic-Indic digits", "user:v1", "q-7", rose(`١٠`), 400, "invalid_request", ""),
		send("quantity in full-width digits", "user:v1", "q-8", rose(`"１０"`), 400, "invalid_request", ""),
		send("quantity null", "user:v1", "q-9", rose(`null`), 400, "invalid_request", ""),
		send("quantity true", "user:v1", "q-10", rose(`true`), 400, "invalid_request", ""),
		send("quantity past int64", "user:v1", "q-11", rose("99999999999999999999"), 400, "invalid_request", ""),
		send("quantity at int64 max", "user:v1", "q-12", rose("9223372036854775807"), 422, "quantity_limit", `{"error":{"details":{"max":9999}}}`),
		send("quantity above the economy's limit", "user:v1", "q-13", rose("10000"), 422, "quantity_limit", ""),
		send("quantity missing", "user:v1", "q-14", `{"sender_id":"v1","gift_id":"rose"}`, 400, "invalid_request", ""),
		send("an unknown field", "user:v1", "q-15", `{"sender_id":"v1","gift_id":"rose","quantity":1,"coins":0}`, 400, "invalid_request", `{"error":{"details":{"errors":[{"location":"body.coins"}]}}}`),
		send("malformed JSON", "user:v1", "q-16", `{"sender_id":"v1","gift_id":"rose","quantity":1`, 400, "invalid_request", ""),
		send("a JSON array", "user:v1", "q-17", `[1]`, 400, "invalid_request", ""),
		send("gift_id missing", "user:v1", "q-18", `{"sender_id":"v1","quantity":1}`, 400, "invalid_request", ""),
		send("a bad sender id", "service", "q-19", `{"sender_id":"v 1","gift_id":"rose","quantity":1}`, 400, "invalid_request", `{"error":{"details":{"field":"sender_id"}}}`),
		send("a bad combo id", "user:v1", "q-20", `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"a b"}`, 400, "invalid_request", `{"error":{"details":{"field":"combo_id"}}}`),
		send("no idempotency key", "user:v1", "", rose("1"), 400, "idempotency_key_required", ""),
		{name: "a body over 64 KiB", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "q-21",
			body: `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"` + strings.Repeat("c", 70<<10) + `"}`, status: 413, code: "body_too_large"},
		{name: "a text body", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "q-22", header: []string{"Content-Type", "text/plain"}, body: rose("1"), status: 415, code: "unsupported_media_type"},
		{name: "a bad stream id in the path", method: "POST", path: "/v1/streams/s%20bad/gifts", as: "user:v1", idem: "q-23", body: rose("1"), status: 400, code: "invalid_request"},

		send("a Galaxy without the coins", "user:v1", "g-galaxy", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`, 422, "insufficient_funds",
			`{"error":{"code":"insufficient_funds","message":"viewer v1 has 339 coins; 1 × Galaxy costs 1000","details":{"have":339,"need":1000}}}`),
		send("a gift to one's own stream", "user:c1", "self", `{"sender_id":"c1","gift_id":"rose","quantity":1}`, 422, "self_gift", ""),
		send("a sender not age-verified", "user:kid", "kid", `{"sender_id":"kid","gift_id":"rose","quantity":1}`, 422, "not_age_verified", `{"error":{"details":{"user_id":"kid"}}}`),
		send("an unknown gift", "user:v1", "u-1", `{"sender_id":"v1","gift_id":"unicorn","quantity":1}`, 404, "gift_not_found", ""),
		send("an unknown sender", "service", "u-2", `{"sender_id":"ghost","gift_id":"rose","quantity":1}`, 404, "user_not_found", ""),
		{name: "an unknown stream", method: "POST", path: "/v1/streams/ghost/gifts", as: "user:v1", idem: "u-3", body: rose("1"), status: 404, code: "stream_not_found"},
		{name: "an ended stream", method: "POST", path: "/v1/streams/s-old/gifts", as: "user:v1", idem: "u-4", body: rose("1"), status: 422, code: "stream_not_live", want: `{"error":{"details":{"stream_id":"s-old","status":"ended"}}}`},
		send("a Galaxy in a streak", "user:v1", "u-5", `{"sender_id":"v1","gift_id":"galaxy","quantity":1,"combo_id":"cmb-g"}`, 422, "not_streakable", ""),
		send("another gift in the combo", "user:v1", "u-6", `{"sender_id":"v1","gift_id":"tiktok","quantity":1,"combo_id":"cmb"}`, 409, "combo_mismatch", `{"error":{"details":{"combo_id":"cmb"}}}`),
		send("another sender in the combo", "user:v2", "u-7", `{"sender_id":"v2","gift_id":"rose","quantity":1,"combo_id":"cmb"}`, 409, "combo_mismatch", ""),
		send("as another user", "user:v2", "u-8", rose("1"), 403, "forbidden", ""),
		send("without credentials", "", "u-9", rose("1"), 401, "unauthorized", ""),

		{name: "the combo", method: "GET", path: "/v1/streams/s1/combos/cmb", as: "user:v2", status: 200,
			want: `{"stream_id":"s1","combo_id":"cmb","sender_id":"v1","gift_id":"rose","count":11,"last_at":"2026-03-01T12:00:00Z","ended":false,"ends_at":"2026-03-01T12:00:05Z"}`},
		{name: "an unknown combo", method: "GET", path: "/v1/streams/s1/combos/ghost", as: "user:v1", status: 404, code: "combo_not_found"},
		{name: "a combo id too long", method: "GET", path: "/v1/streams/s1/combos/" + strings.Repeat("c", 129), as: "user:v1", status: 400, code: "invalid_request"},
		{name: "end another sender's combo", method: "POST", path: "/v1/streams/s1/combos/cmb/end", as: "user:v2", status: 404, code: "combo_not_found"},
		{name: "end an unknown combo", method: "POST", path: "/v1/streams/s1/combos/ghost/end", as: "service", status: 404, code: "combo_not_found"},
		{name: "end the combo", method: "POST", path: "/v1/streams/s1/combos/cmb/end", as: "user:v1", status: 200, want: `{"combo_id":"cmb","count":11,"ended":true}`},
		{name: "end it again", method: "POST", path: "/v1/streams/s1/combos/cmb/end", as: "user:v1", status: 200, want: `{"combo_id":"cmb","ended":true}`},
		send("a rose into the ended combo", "user:v1", "c-1", `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"cmb"}`, 422, "combo_ended", `{"error":{"details":{"combo_id":"cmb"}}}`),
		send("a new combo", "user:v1", "c-2", `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"cmb2"}`, 201, "", `{"combo":{"id":"cmb2","count":1},"sender_coins_after":338}`),
		{name: "a rose 4 s later keeps it going", before: func(h *harness) { h.clock.Advance(4 * time.Second); h.watch("/v1/streams/s1/combos/cmb2") },
			method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "c-3", body: `{"sender_id":"v1","gift_id":"rose","quantity":2,"combo_id":"cmb2"}`, status: 201,
			want: `{"combo":{"id":"cmb2","count":3},"created_at":"2026-03-01T12:00:04Z"}`},
		{name: "a rose after the idle timeout", before: func(h *harness) { h.clock.Advance(5*time.Second + time.Millisecond) },
			method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "c-4", body: `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"cmb2"}`, status: 422, code: "combo_ended"},
		{name: "the idle combo reads as ended", method: "GET", path: "/v1/streams/s1/combos/cmb2", as: "user:v1", status: 200, want: `{"count":3,"ended":true,"ends_at":"2026-03-01T12:00:09Z"}`},

		{name: "retire the panda", method: "POST", path: "/v1/admin/gifts/panda/retire", as: "admin", status: 200, want: `{"id":"panda","active":false,"version":20}`},
		send("a retired panda", "user:v1", "p-1", `{"sender_id":"v1","gift_id":"panda","quantity":1}`, 422, "gift_retired", `{"error":{"details":{"gift_id":"panda"}}}`),
		{name: "restore the panda", method: "POST", path: "/v1/admin/gifts/panda/restore", as: "admin", status: 200, want: `{"id":"panda","active":true,"version":21}`},
		send("a restored panda", "user:v1", "p-2", `{"sender_id":"v1","gift_id":"panda","quantity":1}`, 201, "", `{"coins":5,"diamonds":"2.5","catalog_version":21,"sender_coins_after":331}`),
		send("a gift id in capitals", "user:v1", "p-3", `{"sender_id":"v1","gift_id":"ROSE","quantity":1}`, 201, "", `{"gift_id":"rose","coins":1}`),
		send("v2 sends a finger heart", "user:v2", "v2-1", `{"sender_id":"v2","gift_id":"finger-heart","quantity":2}`, 201, "", `{"coins":10,"diamonds":"5","sender_coins_after":60}`),

		{name: "the stream's totals", method: "GET", path: "/v1/streams/s1", as: "user:v2", status: 200,
			want: `{"id":"s1","status":"live","totals":{"gifts":7,"coins":30,"diamonds":"15","unique_gifters":2},
			        "top_gifters":[{"user_id":"v1","coins":20,"gifts":6},{"user_id":"v2","coins":10,"gifts":1}]}`},
		{name: "the leaderboard", method: "GET", path: "/v1/streams/s1/leaderboard?limit=1", as: "user:v1", status: 200,
			want: `{"stream_id":"s1","items":[{"user_id":"v1","coins":20,"gifts":6}]}`},
		{name: "the creator's wallet", method: "GET", path: "/v1/users/c1/wallet", as: "user:c1", status: 200,
			want: `{"coins":70,"diamonds":{"pending":"0","available":"15","withdrawing":"0"},"value":{"gross":{"value":"0.08","currency":"USD"},"net":{"value":"0.04","currency":"USD"}}}`},
		{name: "the viewer's history", method: "GET", path: "/v1/users/v1/transactions?limit=2", as: "user:v1", status: 200,
			want: `{"items":[{"kind":"gift_sent","counterparty":"c1","coins":-1,"diamonds":"0"},{"kind":"gift_sent","coins":-5}],"next_cursor":"…"}`,
			after: func(h *harness, r *response) {
				next := r.json(h.t)["next_cursor"].(string)
				p := h.must(200, "GET", "/v1/users/v1/transactions?limit=200&cursor="+next, "user:v1", "")
				wantSubset(h.t, p, `{"items":[{"coins":-2},{"coins":-1},{"coins":-1},{"coins":-10},{"kind":"purchase","coins":350}]}`)
				if strings.Contains(string(p.Body), "next_cursor") {
					h.t.Errorf("the last page has a next_cursor: %s", p.Body)
				}
			}},
		{name: "the creator's history", method: "GET", path: "/v1/users/c1/transactions?kind=gift_received&limit=1", as: "user:c1", status: 200,
			want: `{"items":[{"kind":"gift_received","counterparty":"v2","coins":0,"diamonds":"5"}],"next_cursor":"…"}`},

		{name: "a batch", method: "POST", path: "/v1/gifts/batch", as: "user:v1", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"b-1","sender_id":"v1","gift_id":"rose","quantity":1}]}`, status: 200,
			want: `{"succeeded":1,"failed":0,"results":[{"index":0,"status":201,"gift":{"coins":1,"sender_coins_after":329}}]}`},
		{name: "a batch for another sender", method: "POST", path: "/v1/gifts/batch", as: "user:v1", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"b-2","sender_id":"v2","gift_id":"rose","quantity":1}]}`, status: 403, code: "forbidden"},
		{name: "an empty batch", method: "POST", path: "/v1/gifts/batch", as: "user:v1", body: `{"gifts":[]}`, status: 400, code: "invalid_request"},

		{name: "the creator ends the stream", method: "POST", path: "/v1/streams/s1/end", as: "user:c1", status: 200, want: `{"status":"ended","totals":{"gifts":8,"coins":31}}`},
		send("a gift after the end", "user:v1", "late", rose("1"), 422, "stream_not_live", ""),
	}
}

func adminRows(h *harness) []row {
	put := func(name, as, id, body string, status int, code, want string) row {
		return row{name: name, method: "PUT", path: "/v1/admin/gifts/" + id, as: as, body: body, status: status, code: code, want: want}
	}
	return []row{
		put("a new gift", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true}`, 200, "", `{"id":"sparkle","name":"Sparkle","coins":3,"streakable":true,"active":true,"version":20}`),
		put("the same gift again: no new version", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true}`, 200, "", `{"id":"sparkle","version":20}`),
		put("a gift with its own rate", "admin", "crown", `{"name":"Crown","coins":100,"streakable":false,"diamond_rate":"0.7"}`, 200, "", `{"id":"crown","diamond_rate":"0.7","version":21}`),
		put("with a service key", "service", "sparkle", `{"name":"Sparkle","coins":4,"streakable":true}`, 403, "forbidden", ""),
		put("with a user token", "user:v1", "sparkle", `{"name":"Sparkle","coins":4,"streakable":true}`, 403, "forbidden", ""),
		put("without credentials", "", "sparkle", `{"name":"Sparkle","coins":4,"streakable":true}`, 401, "unauthorized", ""),
		put("zero coins", "admin", "sparkle", `{"name":"Sparkle","coins":0,"streakable":true}`, 400, "invalid_request", ""),
		put("negative coins", "admin", "sparkle", `{"name":"Sparkle","coins":-3,"streakable":true}`, 400, "invalid_request", ""),
		put("fractional coins", "admin", "sparkle", `{"name":"Sparkle","coins":2.5,"streakable":true}`, 400, "invalid_request", ""),
		put("a name with U+202E", "admin", "sparkle", `{"name":"\u202eelkraps","coins":3,"streakable":true}`, 400, "invalid_request", `{"error":{"details":{"field":"name"}}}`),
		put("an id with an underscore", "admin", "bad_id", `{"name":"Bad","coins":3,"streakable":true}`, 400, "invalid_request", `{"error":{"details":{"field":"gift_id"}}}`),
		put("a rate that is not a number", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true,"diamond_rate":"half"}`, 400, "invalid_request", `{"error":{"details":{"field":"diamond_rate"}}}`),
		put("a rate with 4 decimals", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true,"diamond_rate":"0.0005"}`, 400, "invalid_request", ""),
		put("a negative rate", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true,"diamond_rate":"-1"}`, 400, "invalid_request", ""),
		put("an unknown field", "admin", "sparkle", `{"name":"Sparkle","coins":3,"streakable":true,"active":false}`, 400, "invalid_request", ""),
		{name: "the catalog lists the new gifts", method: "GET", path: "/v1/catalog/gifts", status: 200,
			after: func(h *harness, r *response) {
				if !strings.Contains(string(r.Body), `{"id":"sparkle","name":"Sparkle","coins":3,"streakable":true,"active":true,"version":20}`) {
					h.t.Errorf("catalog lacks sparkle: %s", r.Body)
				}
			}},
		{name: "retire with a service key", method: "POST", path: "/v1/admin/gifts/sparkle/retire", as: "service", status: 403, code: "forbidden"},
		{name: "retire an unknown gift", method: "POST", path: "/v1/admin/gifts/unicorn/retire", as: "admin", status: 404, code: "gift_not_found"},
		{name: "retire", method: "POST", path: "/v1/admin/gifts/sparkle/retire", as: "admin", status: 200, want: `{"id":"sparkle","active":false,"version":22}`},
		{name: "retire again: no new version", method: "POST", path: "/v1/admin/gifts/sparkle/retire", as: "admin", status: 200, want: `{"active":false,"version":22}`},
		put("a change keeps it retired", "admin", "sparkle", `{"name":"Sparkle","coins":4,"streakable":true}`, 200, "", `{"coins":4,"active":false,"version":23}`),
		{name: "restore with a user token", method: "POST", path: "/v1/admin/gifts/sparkle/restore", as: "user:v1", status: 403, code: "forbidden"},
		{name: "restore an unknown gift", method: "POST", path: "/v1/admin/gifts/unicorn/restore", as: "admin", status: 404, code: "gift_not_found"},
		{name: "restore", method: "POST", path: "/v1/admin/gifts/sparkle/restore", as: "admin", status: 200, want: `{"id":"sparkle","coins":4,"active":true,"version":24}`},
		{name: "gift with its own rate", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "crown", body: `{"sender_id":"v1","gift_id":"crown","quantity":2}`, status: 201,
			want: `{"coins":200,"diamonds":"140","catalog_version":21}`},
		{name: "ledger check", method: "GET", path: "/v1/admin/ledger/check", as: "admin", status: 200, want: `{"ok":true,"problems":[]}`},
		{name: "ledger check with a service key", method: "GET", path: "/v1/admin/ledger/check", as: "service", status: 403, code: "forbidden"},
		{name: "ledger check with a user token", method: "GET", path: "/v1/admin/ledger/check", as: "user:v1", status: 403, code: "forbidden"},
		{name: "ledger check without credentials", method: "GET", path: "/v1/admin/ledger/check", status: 401, code: "unauthorized"},
	}
}

// platformJWT signs a token the way a platform would, with its own secret.
func platformJWT(t testing.TB, method jwt.SigningMethod, key any, claims jwt.RegisteredClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authRows(h *harness) []row {
	now := jwt.NewNumericDate(epoch)
	inAnHour := jwt.NewNumericDate(epoch.Add(time.Hour))
	good := jwt.RegisteredClaims{Issuer: platformIssuer, Audience: jwt.ClaimStrings{platformAudience}, Subject: "v1", IssuedAt: now, ExpiresAt: inAnHour}
	claims := func(edit func(c *jwt.RegisteredClaims)) jwt.RegisteredClaims {
		c := good
		edit(&c)
		return c
	}
	hs := func(c jwt.RegisteredClaims, secret string) string {
		return "raw:Bearer " + platformJWT(h.t, jwt.SigningMethodHS256, []byte(secret), c)
	}
	revoked, revokedID := h.newKey("service")
	used, usedID := h.newKey("service")
	wallet := "/v1/users/v1/wallet"
	return []row{
		{name: "no Authorization header", method: "GET", path: wallet, status: 401, code: "unauthorized",
			after: func(h *harness, r *response) {
				if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="glint"` {
					h.t.Errorf("WWW-Authenticate %q", got)
				}
				want := `{"error":{"code":"unauthorized","message":"send Authorization: Bearer <API key or user token>"}}`
				if got := strings.TrimSpace(string(r.Body)); got != want {
					h.t.Errorf("answer %s, want %s", got, want)
				}
			}},
		{name: "empty bearer", method: "GET", path: wallet, as: "raw:Bearer ", status: 401, code: "unauthorized"},
		{name: "basic auth", method: "GET", path: wallet, as: "raw:Basic dXNlcjpwYXNz", status: 401, code: "unauthorized"},
		{name: "an unknown API key", method: "GET", path: wallet, as: "raw:Bearer glk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", status: 401, code: "unauthorized",
			after: func(h *harness, r *response) {
				want := `{"error":{"code":"unauthorized","message":"the credentials are invalid, revoked or expired"}}`
				if got := strings.TrimSpace(string(r.Body)); got != want {
					h.t.Errorf("answer %s, want %s", got, want)
				}
			}},
		{name: "a key with a wrong secret", method: "GET", path: wallet, as: "raw:Bearer " + h.service + "x", status: 401, code: "unauthorized"},
		{name: "a revoked key", before: func(h *harness) {
			if err := h.db.RevokeAPIKey(context.Background(), revokedID); err != nil {
				h.t.Fatal(err)
			}
		}, method: "GET", path: wallet, as: "raw:Bearer " + revoked, status: 401, code: "unauthorized"},
		{name: "a key in use", method: "GET", path: wallet, as: "raw:Bearer " + used, status: 200},
		{name: "the key revoked while in use: refused at once", before: func(h *harness) {
			if err := h.db.RevokeAPIKey(context.Background(), usedID); err != nil {
				h.t.Fatal(err)
			}
		}, method: "GET", path: wallet, as: "raw:Bearer " + used, status: 401, code: "unauthorized"},
		{name: "a revoked key cannot buy", method: "POST", path: "/v1/purchases", as: "raw:Bearer " + revoked, idem: "r-1", body: `{"user_id":"v1","package_id":"web-usd-70"}`, status: 401, code: "unauthorized"},
		{name: "garbage token", method: "GET", path: wallet, as: "raw:Bearer not.a.token", status: 401, code: "unauthorized"},
		{name: "a minted token", method: "POST", path: "/v1/users/v1/tokens", as: "service", body: `{"ttl_seconds":60}`, status: 200,
			after: func(h *harness, r *response) { h.keepToken("short", r.json(h.t)["token"].(string)) }},
		{name: "the minted token works", method: "GET", path: wallet, as: "token:short", status: 200},
		{name: "the token after its expiry", before: func(h *harness) { h.clock.Advance(66 * time.Second) },
			method: "POST", path: "/v1/purchases", as: "token:short", idem: "e-1", body: `{"user_id":"v1","package_id":"web-usd-70"}`, status: 401, code: "unauthorized"},
		{name: "a platform JWT", method: "GET", path: wallet, as: hs(good, platformSecret), status: 200, want: `{"user_id":"v1"}`},
		{name: "a platform JWT acts only for its subject", method: "GET", path: "/v1/users/v2/wallet", as: hs(good, platformSecret), status: 403, code: "forbidden"},
		{name: "a platform JWT with a wrong secret", method: "GET", path: wallet, as: hs(good, "another-secret"), status: 401, code: "unauthorized"},
		{name: "a platform JWT for another audience", method: "GET", path: wallet, as: hs(claims(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"other"} }), platformSecret), status: 401, code: "unauthorized"},
		{name: "a platform JWT from another issuer", method: "GET", path: wallet, as: hs(claims(func(c *jwt.RegisteredClaims) { c.Issuer = "https://evil.example" }), platformSecret), status: 401, code: "unauthorized"},
		{name: "a platform JWT without expiry", method: "GET", path: wallet, as: hs(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil }), platformSecret), status: 401, code: "unauthorized"},
		{name: "a platform JWT without subject", method: "GET", path: wallet, as: hs(claims(func(c *jwt.RegisteredClaims) { c.Subject = "" }), platformSecret), status: 401, code: "unauthorized"},
		{name: "an expired platform JWT", method: "GET", path: wallet, as: hs(claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = jwt.NewNumericDate(epoch.Add(-time.Minute)) }), platformSecret), status: 401, code: "unauthorized"},
		{name: "an unsigned JWT", method: "GET", path: wallet, as: "raw:Bearer " + platformJWT(h.t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good), status: 401, code: "unauthorized"},
		{name: "a glint token signed with the platform's secret", method: "GET", path: wallet,
			as: hs(claims(func(c *jwt.RegisteredClaims) { c.Issuer, c.Audience = "glint", nil }), platformSecret), status: 401, code: "unauthorized"},
		{name: "public routes need no credentials", method: "GET", path: "/v1/catalog/gifts", as: "raw:Bearer garbage", status: 200},
	}
}
