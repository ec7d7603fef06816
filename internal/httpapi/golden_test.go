package httpapi_test

import (
	"testing"
)

// TestGolden pins the shape of the core answers (DESIGN §4: fields may be
// added, never renamed) in testdata/*.json. Ids and tokens are masked; the
// harness clock makes every timestamp fixed. Refresh with
//
//	go test ./internal/httpapi/ -run TestGolden -update
func TestGolden(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	h.putUser("eu", "Eva Europe", "FR", true)

	golden(t, "user", h.must(200, "GET", "/v1/users/v1", "user:v1", "").Body)
	golden(t, "token", h.must(200, "POST", "/v1/users/v1/tokens", "service", "").Body)
	golden(t, "purchase", h.must(201, "POST", "/v1/purchases", "user:v1", `{"user_id":"v1","package_id":"web-usd-700"}`, "Idempotency-Key", "golden-buy").Body)
	golden(t, "packages_app_gbp", h.must(200, "GET", "/v1/catalog/packages?channel=app&currency=GBP", "", "").Body)
	golden(t, "gift", h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":10,"combo_id":"c9"}`, "Idempotency-Key", "golden-1").Body)
	h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`, "Idempotency-Key", "golden-2")
	h.must(201, "POST", "/v1/streams/s1/gifts", "user:v2", `{"sender_id":"v2","gift_id":"panda","quantity":3,"combo_id":"p"}`, "Idempotency-Key", "golden-3")
	golden(t, "error_insufficient_funds", h.must(422, "POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`, "Idempotency-Key", "golden-4").Body)
	golden(t, "error_validation", h.must(400, "POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":-1,"tip":1}`, "Idempotency-Key", "golden-5").Body)
	golden(t, "combo", h.must(200, "GET", "/v1/streams/s1/combos/c9", "user:v1", "").Body)
	golden(t, "stream", h.must(200, "GET", "/v1/streams/s1", "user:v2", "").Body)
	golden(t, "leaderboard", h.must(200, "GET", "/v1/streams/s1/leaderboard", "user:v2", "").Body)
	golden(t, "wallet_creator", h.must(200, "GET", "/v1/users/c1/wallet", "user:c1", "").Body)
	golden(t, "transactions", h.must(200, "GET", "/v1/users/v1/transactions?limit=3", "user:v1", "").Body)
	golden(t, "quote", h.must(200, "GET", "/v1/quote?amount=505.5&unit=diamonds&currency=EUR", "", "").Body)
	golden(t, "ended_stream", h.must(200, "POST", "/v1/streams/s1/end", "user:c1", "").Body)
	golden(t, "ledger_check", h.must(200, "GET", "/v1/admin/ledger/check", "admin", "").Body)
}
