package httpapi_test

import (
	"fmt"
	"slices"
	"testing"
)

// access is one call of the access matrix, made with the token of mallory
// (user v2) against what belongs to others: viewer v1, creator c1 (live in
// s1), v1's combo vc in s1.
type access struct {
	path string
	body string
	// want are the statuses allowed: 403 or 404 for anything that belongs
	// to someone else.
	want []int
	// open, when set, says why any authenticated user may make this call
	// (and then it must answer 200 and change nothing).
	open string
}

var (
	denied = []int{403} // the route knows the caller may not act for that user
	hidden = []int{404} // the thing is looked up as the caller's own, and is not
)

// accessMatrix has a row per operation of the OpenAPI document; a route
// added without one fails TestAccessMatrix.
var accessMatrix = map[string][]access{
	"GET /v1/quote":            {{path: "/v1/quote?amount=1&unit=coins", open: "the calculator is public"}},
	"GET /v1/catalog/gifts":    {{path: "/v1/catalog/gifts", open: "the catalog is public"}},
	"GET /v1/catalog/packages": {{path: "/v1/catalog/packages", open: "the price list is public"}},

	"PUT /v1/users/{user_id}": {
		{path: "/v1/users/v1", body: `{"display_name":"pwned","age_verified":false}`, want: denied},
		{path: "/v1/users/ghost", body: `{"display_name":"squatter","age_verified":true}`, want: denied},
		{path: "/v1/users/v2", body: `{"display_name":"Verified Me","age_verified":true}`, want: denied}, // profiles are the platform's to set
	},
	"GET /v1/users/{user_id}": {
		{path: "/v1/users/v1", want: denied},
		{path: "/v1/users/ghost", want: denied}, // the same answer: no probing which ids exist
	},
	"GET /v1/users/{user_id}/wallet": {
		{path: "/v1/users/v1/wallet", want: denied},
		{path: "/v1/users/c1/wallet", want: denied},
		{path: "/v1/users/ghost/wallet", want: denied},
	},
	"POST /v1/users/{user_id}/tokens": {
		{path: "/v1/users/v1/tokens", want: denied},
		{path: "/v1/users/v2/tokens", want: denied}, // even for oneself: tokens come from the platform
	},
	"GET /v1/users/{user_id}/transactions": {
		{path: "/v1/users/v1/transactions", want: denied},
		{path: "/v1/users/c1/transactions?kind=gift_received", want: denied},
		{path: "/v1/users/ghost/transactions", want: denied},
	},
	"POST /v1/purchases": {
		{path: "/v1/purchases", body: `{"user_id":"v1","package_id":"web-usd-70"}`, want: denied},
	},
	"POST /v1/streams": {
		{path: "/v1/streams", body: `{"id":"hijack","creator_id":"c2"}`, want: denied},
		{path: "/v1/streams", body: `{"id":"s1","creator_id":"c1"}`, want: denied},
	},
	"GET /v1/streams/{stream_id}": {
		{path: "/v1/streams/s1", open: "viewers see a stream's totals and top gifters"},
	},
	"POST /v1/streams/{stream_id}/end": {
		{path: "/v1/streams/s1/end", want: denied},
		{path: "/v1/streams/ghost/end", want: hidden},
	},
	"GET /v1/streams/{stream_id}/leaderboard": {
		{path: "/v1/streams/s1/leaderboard", open: "viewers see a stream's leaderboard"},
	},
	"POST /v1/streams/{stream_id}/gifts": {
		{path: "/v1/streams/s1/gifts", body: `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"vc"}`, want: denied},
		{path: "/v1/streams/s1/gifts", body: `{"sender_id":"v1","gift_id":"rose","quantity":5}`, want: denied}, // v1's own key and body: no replay for mallory
		{path: "/v1/streams/s1/gifts", body: `{"sender_id":"c1","gift_id":"rose","quantity":1}`, want: denied},
	},
	"GET /v1/streams/{stream_id}/combos/{combo_id}": {
		{path: "/v1/streams/s1/combos/vc", open: "a streak's count is shown to the whole stream"},
	},
	"POST /v1/streams/{stream_id}/combos/{combo_id}/end": {
		{path: "/v1/streams/s1/combos/vc/end", want: hidden},
	},
	"POST /v1/gifts/batch": {
		{path: "/v1/gifts/batch", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"m1","sender_id":"v1","gift_id":"rose","quantity":1}]}`, want: denied},
		// One forged gift refuses the whole batch: mallory's own gift does not go through either.
		{path: "/v1/gifts/batch", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"m2","sender_id":"v2","gift_id":"rose","quantity":1},{"stream_id":"s1","idempotency_key":"m3","sender_id":"v1","gift_id":"rose","quantity":1}]}`, want: denied},
	},
	"PUT /v1/admin/gifts/{gift_id}": {
		{path: "/v1/admin/gifts/rose", body: `{"name":"Rose","coins":100000,"streakable":true}`, want: denied},
	},
	"POST /v1/admin/gifts/{gift_id}/retire":  {{path: "/v1/admin/gifts/rose/retire", want: denied}},
	"POST /v1/admin/gifts/{gift_id}/restore": {{path: "/v1/admin/gifts/rose/restore", want: denied}},
	"GET /v1/admin/ledger/check":             {{path: "/v1/admin/ledger/check", want: denied}},

	"GET /v1/users/{user_id}/payout-method": {
		{path: "/v1/users/c1/payout-method", want: denied},
		{path: "/v1/users/ghost/payout-method", want: denied},
	},
	"PUT /v1/users/{user_id}/payout-method": {
		{path: "/v1/users/c1/payout-method", body: `{"kind":"paypal","paypal_email":"mallory@example.com"}`, want: denied},
	},
	"PUT /v1/users/{user_id}/kyc": {
		{path: "/v1/users/v2/kyc", body: `{"status":"verified"}`, want: denied}, // identity is the platform's call, even for oneself
		{path: "/v1/users/c1/kyc", body: `{"status":"rejected"}`, want: denied},
	},
	"POST /v1/users/{user_id}/withdrawals": {
		{path: "/v1/users/c1/withdrawals", body: `{"diamonds":"20000"}`, want: denied},
	},
	"GET /v1/users/{user_id}/withdrawals": {
		{path: "/v1/users/c1/withdrawals", want: denied},
	},
	"GET /v1/users/{user_id}/withdrawals/{withdrawal_id}": {
		{path: "/v1/users/c1/withdrawals/wd_1", want: denied},
		{path: "/v1/users/v2/withdrawals/wd_1", want: hidden},
	},
	"POST /v1/users/{user_id}/withdrawals/{withdrawal_id}/cancel": {
		{path: "/v1/users/c1/withdrawals/wd_1/cancel", want: denied},
		{path: "/v1/users/v2/withdrawals/wd_1/cancel", want: hidden},
	},
	"POST /v1/webhooks/stripe":                       {{path: "/v1/webhooks/stripe", body: `{}`, want: []int{400}}}, // unsigned
	"POST /v1/admin/users/{user_id}/hold-payouts":    {{path: "/v1/admin/users/c1/hold-payouts", body: `{"reason":"x"}`, want: denied}},
	"POST /v1/admin/users/{user_id}/release-payouts": {{path: "/v1/admin/users/c1/release-payouts", body: `{"reason":"x"}`, want: denied}},
	"PUT /v1/users/{user_id}/limits": {
		{path: "/v1/users/v1/limits", body: `{"daily_spend_cap":1}`, want: denied},
	},
	"POST /v1/admin/users/{user_id}/ban":              {{path: "/v1/admin/users/v1/ban", body: `{"reason":"mallory says so"}`, want: denied}},
	"POST /v1/admin/users/{user_id}/unban":            {{path: "/v1/admin/users/v2/unban", body: `{"reason":"mallory says so"}`, want: denied}},
	"POST /v1/admin/users/{user_id}/terminate":        {{path: "/v1/admin/users/c1/terminate", body: `{"reason":"mallory says so"}`, want: denied}},
	"GET /v1/admin/withdrawals":                       {{path: "/v1/admin/withdrawals", want: denied}},
	"POST /v1/admin/withdrawals/{withdrawal_id}/mark": {{path: "/v1/admin/withdrawals/wd_1/mark", body: `{"status":"paid"}`, want: denied}},
	"POST /v1/admin/payouts/export":                   {{path: "/v1/admin/payouts/export", want: denied}},
	"GET /v1/admin/reports/liabilities":               {{path: "/v1/admin/reports/liabilities", want: denied}},
	"POST /v1/webhooks/paypal":                        {{path: "/v1/webhooks/paypal", body: `{}`, want: []int{400}}}, // unsigned: refused before anything is read
	"GET /v1/users/{user_id}/earnings": {
		{path: "/v1/users/c1/earnings?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z&interval=month", want: denied},
	},
	"GET /v1/users/{user_id}/statements/{file}": {
		{path: "/v1/users/c1/statements/2026.csv", want: denied},
		{path: "/v1/users/c1/statements/2026.pdf", want: denied},
	},
	"GET /v1/creators/{user_id}/leaderboard": {
		{path: "/v1/creators/c1/leaderboard?period=all", open: "viewers see a creator's top gifters, like a stream's"},
	},
	"GET /v1/leaderboards/creators": {{path: "/v1/leaderboards/creators", open: "the weekly ranking of creators is shown to everyone"}},
	"GET /v1/users/{user_id}/level": {
		{path: "/v1/users/v1/level", want: denied}, // what a viewer spent is theirs, like the wallet
		{path: "/v1/users/ghost/level", want: denied},
	},
	"PUT /v1/streams/{stream_id}/goal": {
		{path: "/v1/streams/s1/goal", body: `{"kind":"coins","target":1}`, want: denied},
		{path: "/v1/streams/ghost/goal", body: `{"kind":"coins","target":1}`, want: hidden},
	},
	// Open like the stream (boards_test.go reads a goal as a viewer); s1 has
	// none here, and says so.
	"GET /v1/streams/{stream_id}/goal": {{path: "/v1/streams/s1/goal", want: []int{404}}},
}

// TestAccessMatrix calls every route with the token of another user and
// checks the refusal and that nothing changed: wallets, histories, profiles,
// streams, combos, catalog, every ledger account. Every secured route also
// answers 401 without credentials, changing nothing.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	// v1's own activity, so there is something to steal or replay.
	for _, r := range []*response{h.gift("s1", "v1", "rose", 2, "vc", "victim-key"), h.gift("s1", "v1", "rose", 5, "", "victim-plain")} {
		if r.Status != 201 {
			t.Fatalf("v1's gift: %s", r)
		}
	}
	h.watch("/v1/streams/hijack", "/v1/users/v1/transactions?kind=gift_sent")
	if h.coins("v2") == 0 {
		t.Fatal("mallory needs coins of her own for the batch rows")
	}

	ops := operations(h.api)
	documented := map[string]bool{}
	for _, o := range ops {
		documented[o.key()] = true
		rows, ok := accessMatrix[o.key()]
		if !ok {
			t.Errorf("%s (%s) has no row in accessMatrix: say who may call it", o.key(), o.ID)
			continue
		}
		for i, a := range rows {
			t.Run(fmt.Sprintf("%s/%d", o.key(), i), func(t *testing.T) {
				h := h.with(t)
				before := h.state()
				// The victim's own idempotency keys, to be sure none replays.
				for _, key := range []string{"victim-key", "victim-plain"} {
					r := h.do(o.Method, a.path, "user:v2", a.body, "Idempotency-Key", key)
					switch {
					case a.open != "":
						if r.Status != 200 {
							t.Errorf("%s %s is open (%s) but answered %s", o.Method, a.path, a.open, r)
						}
					case !slices.Contains(a.want, r.Status):
						t.Errorf("%s %s as another user: want one of %v, got %s", o.Method, a.path, a.want, r)
					}
					if r.Status >= 500 {
						t.Errorf("a 5xx: %s", r)
					}
				}
				if o.Secured {
					if r := h.do(o.Method, a.path, "", a.body, "Idempotency-Key", "anon"); r.Status != 401 {
						t.Errorf("%s %s without credentials: %s", o.Method, a.path, r)
					}
				}
				h.unchanged(before, o.Method+" "+a.path+" as another user")
				h.ledgerOK()
			})
		}
	}
	for key := range accessMatrix {
		if !documented[key] {
			t.Errorf("accessMatrix has a row for %s, which the server does not serve", key)
		}
	}
	if c := h.coins("v1"); c != 350-7 {
		t.Errorf("the victim has %d coins, want 343", c)
	}
}
