package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

// The access matrix: for every route the server registers, one call made
// by each principal — an admin key, a service key, the user the call
// names, another user (mallory, v2), no credentials — and what each must
// come to. TestAccessMatrix makes every call and writes the table to
// docs/ACCESS.md. The world the calls run in is seedAccessWorld's
// (access_matrix_test.go).

// Who may call a route, in the order admin, service, user, other user, none.
var (
	// public: anyone, with or without credentials.
	public = grid{allowed, allowed, allowed, allowed, allowed}
	// signedIn: any caller with credentials.
	signedIn = grid{allowed, allowed, allowed, allowed, unauthenticated}
	// ownUser: the user the call names, or the platform acting for them.
	ownUser = grid{allowed, allowed, allowed, forbidden, unauthenticated}
	// ownHidden: like ownUser, but the object is looked up as the
	// caller's own: another user's is not found.
	ownHidden = grid{allowed, allowed, allowed, hidden, unauthenticated}
	// platform: the platform's keys only, not even the user themselves.
	platform = grid{allowed, allowed, forbidden, forbidden, unauthenticated}
	// adminOnly: the admin key only.
	adminOnly = grid{allowed, forbidden, forbidden, forbidden, unauthenticated}
)

// accessGroup is a section of docs/ACCESS.md.
type accessGroup struct {
	title string
	rows  []accessRow
}

// stripePaid is Stripe's event for v1's card purchase {stripe_purchase}.
const stripePaid = `{"id":"evt_paid_1","object":"event","type":"checkout.session.completed","created":{now},"livemode":false,"api_version":"2025-08-27.basil",` +
	`"data":{"object":{"id":"cs_test_1","object":"checkout.session","client_reference_id":"{stripe_purchase}","amount_total":499,"currency":"usd",` +
	`"payment_status":"paid","payment_intent":"pi_test_1","metadata":{"purchase_id":"{stripe_purchase}"}}}}`

// ecbDay is a day of the ECB's reference rates, as its XML has it.
const ecbDay = `{"xml":"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'>` +
	`<Cube><Cube time='2026-03-01'><Cube currency='USD' rate='1.0800'/><Cube currency='JPY' rate='162.00'/></Cube></Cube></gesmes:Envelope>"}`

var accessMatrix = []accessGroup{
	{"Calculator, catalog and documents", []accessRow{
		{route: "GET /v1/quote", path: "/v1/quote?amount=1&unit=coins", grid: public, why: "The calculator is public."},
		{route: "GET /v1/catalog/gifts", path: "/v1/catalog/gifts", grid: public, why: "The catalog is public."},
		{route: "GET /v1/catalog/packages", path: "/v1/catalog/packages", grid: public, why: "The price list is public."},
		{route: specRoute, path: "/openapi.json", grid: public, why: "The API's own description."},
		{route: "GET /docs", path: "/docs", grid: public, why: "The API's browsable docs."},
		{route: "GET /docs/", path: "/docs/", grid: public, why: "The docs' assets."},
	}},
	{"Users and wallets", []accessRow{
		{route: "PUT /v1/users/{user_id}", path: "/v1/users/v1", body: `{"display_name":"Viewer Uno","country":"US","age_verified":true}`,
			user: "v1", who: "{user_id}", grid: platform, why: "Profiles (and age verification) are the platform's to set, even one's own.",
			probes: []probe{
				{"/v1/users/v1", `{"display_name":"pwned","age_verified":false}`, 403, "forbidden"},
				{"/v1/users/ghost", `{"display_name":"squatter","age_verified":true}`, 403, "forbidden"},
				{"/v1/users/v2", `{"display_name":"Verified Me","age_verified":true}`, 403, "forbidden"},
			}},
		{route: "GET /v1/users/{user_id}", path: "/v1/users/v1", user: "v1", who: "{user_id}", grid: ownUser, want: `{"id":"v1"}`,
			why:    "A profile is its user's; an unknown id answers the same 403 (no probing which ids exist).",
			probes: []probe{{"/v1/users/ghost", "", 403, "forbidden"}}},
		{route: "GET /v1/users/{user_id}/wallet", path: "/v1/users/v1/wallet", user: "v1", who: "{user_id}", grid: ownUser, why: "A wallet is its user's.",
			probes: []probe{{"/v1/users/c1/wallet", "", 403, "forbidden"}, {"/v1/users/ghost/wallet", "", 403, "forbidden"}}},
		{route: "POST /v1/users/{user_id}/tokens", path: "/v1/users/v1/tokens", user: "v1", who: "{user_id}", grid: platform,
			quiet: "a token is signed, not stored", want: `{"user_id":"v1"}`, why: "Tokens come from the platform, even one's own.",
			probes: []probe{{"/v1/users/v2/tokens", "", 403, "forbidden"}}},
		{route: "GET /v1/users/{user_id}/transactions", path: "/v1/users/v1/transactions", user: "v1", who: "{user_id}", grid: ownUser, why: "A history is its user's.",
			probes: []probe{{"/v1/users/c1/transactions?kind=gift_received", "", 403, "forbidden"}, {"/v1/users/ghost/transactions", "", 403, "forbidden"}}},
		{route: "PUT /v1/users/{user_id}/limits", path: "/v1/users/v1/limits", body: `{"daily_spend_cap":100}`, user: "v1", who: "{user_id}", grid: ownUser,
			want: `{"daily_spend_cap":100}`, why: "A viewer sets their own cap (a user may only lower it)."},
		{route: "GET /v1/users/{user_id}/level", path: "/v1/users/v1/level", user: "v1", who: "{user_id}", grid: ownUser,
			why: "What a viewer spent is theirs, like the wallet.", probes: []probe{{"/v1/users/ghost/level", "", 403, "forbidden"}}},
	}},
	{"Coin store", []accessRow{
		{route: "POST /v1/purchases", path: "/v1/purchases", body: `{"user_id":"v1","package_id":"web-usd-70"}`, user: "v1", who: "user_id of the body",
			grid: ownUser, status: http.StatusCreated, want: `{"user_id":"v1","status":"completed"}`, why: "One buys coins for oneself."},
	}},
	{"Streams, gifts and streaks", []accessRow{
		{route: "POST /v1/streams", path: "/v1/streams", body: `{"id":"s-new","creator_id":"c2","title":"new"}`, user: "c2", who: "creator_id of the body",
			grid: ownUser, status: http.StatusCreated, want: `{"id":"s-new","creator_id":"c2"}`, why: "A creator goes live as themselves.",
			probes: []probe{
				{"/v1/streams", `{"id":"hijack","creator_id":"c2"}`, 403, "forbidden"},
				{"/v1/streams", `{"id":"s1","creator_id":"c1"}`, 403, "forbidden"},
				{"/v1/streams", `{"id":"s1","creator_id":"v2"}`, 409, "stream_exists"}, // as herself, with c1's stream id
			}},
		{route: "GET /v1/streams/{stream_id}", path: "/v1/streams/s1", user: "c1", who: "the stream's creator", grid: signedIn,
			want: `{"id":"s1"}`, why: "Viewers see a stream's totals and top gifters."},
		{route: "POST /v1/streams/{stream_id}/end", path: "/v1/streams/s1/end", user: "c1", who: "the stream's creator", grid: ownUser,
			want: `{"id":"s1","status":"ended"}`, why: "Only the stream's creator (or the platform) ends it.",
			probes: []probe{{"/v1/streams/ghost/end", "", 404, "stream_not_found"}}},
		{route: "GET /v1/streams/{stream_id}/leaderboard", path: "/v1/streams/s1/leaderboard", user: "c1", who: "the stream's creator", grid: signedIn,
			why: "Viewers see a stream's leaderboard."},
		{route: "GET /v1/streams/{stream_id}/events", path: "/v1/streams/s1/events", user: "c1", who: "the stream's creator", grid: signedIn, stream: true,
			why: "Viewers watch a stream's events, like the stream."},
		{route: "POST /v1/streams/{stream_id}/gifts", path: "/v1/streams/s1/gifts", body: `{"sender_id":"v1","gift_id":"rose","quantity":1}`,
			user: "v1", who: "sender_id of the body", grid: ownUser, status: http.StatusCreated, want: `{"sender_id":"v1"}`,
			why: "One sends gifts from one's own coins; another user cannot replay the sender's idempotency keys.",
			probes: []probe{
				{"/v1/streams/s1/gifts", `{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"vc"}`, 403, "forbidden"},
				{"/v1/streams/s1/gifts", `{"sender_id":"v1","gift_id":"rose","quantity":5}`, 403, "forbidden"}, // v1's own key and body
				{"/v1/streams/s1/gifts", `{"sender_id":"c1","gift_id":"rose","quantity":1}`, 403, "forbidden"},
				{"/v1/streams/s1/gifts", `{"sender_id":"v2","gift_id":"rose","quantity":1,"combo_id":"vc"}`, 409, "combo_mismatch"}, // as herself, in v1's streak
			}},
		{route: "POST /v1/gifts/batch", path: "/v1/gifts/batch", body: `{"gifts":[{"stream_id":"s1","idempotency_key":"b1","sender_id":"v1","gift_id":"rose","quantity":1}]}`,
			user: "v1", who: "sender_id of every gift", grid: ownUser, want: `{"succeeded":1,"failed":0}`,
			why: "Every gift of a batch is the caller's own; one forged gift refuses the whole batch.",
			probes: []probe{
				{"/v1/gifts/batch", `{"gifts":[{"stream_id":"s1","idempotency_key":"m1","sender_id":"v1","gift_id":"rose","quantity":1}]}`, 403, "forbidden"},
				{"/v1/gifts/batch", `{"gifts":[{"stream_id":"s1","idempotency_key":"m2","sender_id":"v2","gift_id":"rose","quantity":1},{"stream_id":"s1","idempotency_key":"m3","sender_id":"v1","gift_id":"rose","quantity":1}]}`, 403, "forbidden"},
			}},
		{route: "GET /v1/streams/{stream_id}/combos/{combo_id}", path: "/v1/streams/s1/combos/vc", user: "v1", who: "the streak's sender", grid: signedIn,
			want: `{"combo_id":"vc"}`, why: "A streak's count is shown to the whole stream."},
		{route: "POST /v1/streams/{stream_id}/combos/{combo_id}/end", path: "/v1/streams/s1/combos/vc/end", user: "v1", who: "the streak's sender",
			grid: ownHidden, why: "Only the sender (or the platform) ends a streak; another user's is not found."},
	}},
	{"Leaderboards and goals", []accessRow{
		{route: "GET /v1/creators/{user_id}/leaderboard", path: "/v1/creators/c1/leaderboard?period=all", user: "c1", who: "{user_id}", grid: signedIn,
			why: "Viewers see a creator's top gifters, like a stream's."},
		{route: "GET /v1/leaderboards/creators", path: "/v1/leaderboards/creators", grid: signedIn, why: "The weekly ranking of creators is shown to everyone."},
		{route: "PUT /v1/streams/{stream_id}/goal", path: "/v1/streams/s1/goal", body: `{"kind":"coins","target":500}`, user: "c1", who: "the stream's creator",
			grid: ownUser, want: `{"target":500}`, why: "Only the stream's creator (or the platform) sets its goal.",
			probes: []probe{{"/v1/streams/ghost/goal", `{"kind":"coins","target":1}`, 404, "stream_not_found"}}},
		{route: "GET /v1/streams/{stream_id}/goal", needs: []fixture{withGoal}, path: "/v1/streams/s1/goal", user: "c1", who: "the stream's creator", grid: signedIn,
			why: "Viewers see a stream's goal, like the stream."},
	}},
	{"Cash-out", []accessRow{
		{route: "GET /v1/users/{user_id}/payout-method", path: "/v1/users/c1/payout-method", user: "c1", who: "{user_id}", grid: ownUser,
			want: `{"user_id":"c1"}`, why: "Payout methods (masked) are their creator's.", probes: []probe{{"/v1/users/ghost/payout-method", "", 403, "forbidden"}}},
		{route: "PUT /v1/users/{user_id}/payout-method", path: "/v1/users/c1/payout-method", body: `{"kind":"paypal","paypal_email":"ava@example.com"}`,
			user: "c1", who: "{user_id}", grid: ownUser, why: "A creator puts their own payout method on file.",
			probes: []probe{{"/v1/users/c1/payout-method", `{"kind":"paypal","paypal_email":"mallory@example.com"}`, 403, "forbidden"}}},
		{route: "PUT /v1/users/{user_id}/kyc", path: "/v1/users/c1/kyc", body: `{"status":"verified"}`, user: "c1", who: "{user_id}", grid: platform,
			want: `{"kyc_status":"verified"}`, why: "Identity checks are the platform's call, even for oneself.",
			probes: []probe{{"/v1/users/v2/kyc", `{"status":"verified"}`, 403, "forbidden"}, {"/v1/users/c1/kyc", `{"status":"rejected"}`, 403, "forbidden"}}},
		{route: "POST /v1/users/{user_id}/withdrawals", needs: []fixture{withDiamonds}, path: "/v1/users/c1/withdrawals", body: `{"diamonds":"20000"}`, user: "c1", who: "{user_id}",
			grid: ownUser, status: http.StatusCreated, want: `{"user_id":"c1","status":"requested","diamonds":"20000"}`,
			why: "A creator cashes out their own diamonds."},
		{route: "GET /v1/users/{user_id}/withdrawals", needs: []fixture{withWithdrawal}, path: "/v1/users/c2/withdrawals", user: "c2", who: "{user_id}", grid: ownUser,
			want: `{"withdrawals":[{"id":"{wd}"}]}`, why: "Withdrawals are their creator's.", probes: []probe{{"/v1/users/c1/withdrawals", "", 403, "forbidden"}}},
		{route: "GET /v1/users/{user_id}/withdrawals/{withdrawal_id}", needs: []fixture{withWithdrawal}, path: "/v1/users/c2/withdrawals/{wd}", user: "c2", who: "{user_id}, who made it",
			grid: ownUser, want: `{"id":"{wd}","status":"requested"}`,
			why:    "A withdrawal is its creator's; under another user's id it is not found.",
			probes: []probe{{"/v1/users/v2/withdrawals/{wd}", "", 404, "withdrawal_not_found"}, {"/v1/users/c1/withdrawals/{wd}", "", 403, "forbidden"}, {"/v1/users/c1/withdrawals/wd_1", "", 403, "forbidden"}}},
		{route: "POST /v1/users/{user_id}/withdrawals/{withdrawal_id}/cancel", needs: []fixture{withWithdrawal}, path: "/v1/users/c2/withdrawals/{wd}/cancel", user: "c2", who: "{user_id}, who made it",
			grid: ownUser, want: `{"id":"{wd}","status":"cancelled"}`,
			why:    "Only its creator (or the platform) cancels a withdrawal; under another user's id it is not found.",
			probes: []probe{{"/v1/users/v2/withdrawals/{wd}/cancel", "", 404, "withdrawal_not_found"}, {"/v1/users/c1/withdrawals/wd_1/cancel", "", 403, "forbidden"}}},
	}},
	{"Reports", []accessRow{
		{route: "GET /v1/users/{user_id}/earnings", path: "/v1/users/c1/earnings?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=month",
			user: "c1", who: "{user_id}", grid: ownUser, why: "Earnings are their creator's."},
		{route: "GET /v1/users/{user_id}/statements/{file}", path: "/v1/users/c1/statements/2026.csv", user: "c1", who: "{user_id}", grid: ownUser,
			why: "Statements are their creator's.", probes: []probe{{"/v1/users/c1/statements/2026.pdf", "", 403, "forbidden"}}},
		{route: "GET /v1/admin/reports/liabilities", path: "/v1/admin/reports/liabilities", grid: adminOnly, want: `{"reconciled":true}`, why: "The platform's books."},
	}},
	{"Trust and safety", []accessRow{
		{route: "POST /v1/admin/users/{user_id}/ban", path: "/v1/admin/users/v1/ban", body: `{"reason":"spam"}`, user: "v1", who: "{user_id}", grid: adminOnly,
			want: `{"id":"v1","status":"banned"}`, why: "The trust team's call."},
		{route: "POST /v1/admin/users/{user_id}/unban", needs: []fixture{withBanned}, path: "/v1/admin/users/b1/unban", body: `{"reason":"appeal upheld"}`, user: "b1", who: "{user_id}, banned",
			grid: adminOnly, want: `{"id":"b1","status":"active"}`, why: "The trust team's call; a banned user cannot lift their own ban.",
			probes: []probe{{"/v1/admin/users/v2/unban", `{"reason":"mallory says so"}`, 403, "forbidden"}}},
		{route: "POST /v1/admin/users/{user_id}/terminate", path: "/v1/admin/users/c1/terminate", body: `{"reason":"fraud"}`, user: "c1", who: "{user_id}",
			grid: adminOnly, want: `{"id":"c1","status":"terminated"}`, why: "The trust team's call."},
		{route: "POST /v1/admin/users/{user_id}/hold-payouts", path: "/v1/admin/users/c1/hold-payouts", body: `{"reason":"review"}`, user: "c1", who: "{user_id}",
			grid: adminOnly, want: `{"restriction":"payout_review"}`, why: "The trust team's call."},
		{route: "POST /v1/admin/users/{user_id}/release-payouts", needs: []fixture{withHeld}, path: "/v1/admin/users/c3/release-payouts", body: `{"reason":"cleared"}`, user: "c3", who: "{user_id}, held",
			grid: adminOnly, why: "The trust team's call; a held creator cannot release their own payouts."},
	}},
	{"Administration", []accessRow{
		{route: "PUT /v1/admin/gifts/{gift_id}", path: "/v1/admin/gifts/rose", body: `{"name":"Rose","coins":2,"streakable":true}`, grid: adminOnly,
			want: `{"id":"rose","coins":2}`, why: "The catalog is the admin's.",
			probes: []probe{{"/v1/admin/gifts/rose", `{"name":"Rose","coins":100000,"streakable":true}`, 403, "forbidden"}}},
		{route: "POST /v1/admin/gifts/{gift_id}/retire", path: "/v1/admin/gifts/rose/retire", grid: adminOnly, why: "The catalog is the admin's."},
		{route: "POST /v1/admin/gifts/{gift_id}/restore", needs: []fixture{withRetired}, path: "/v1/admin/gifts/retired/restore", grid: adminOnly, why: "The catalog is the admin's."},
		{route: "GET /v1/admin/ledger/check", path: "/v1/admin/ledger/check", grid: adminOnly, want: `{"ok":true}`, why: "The ledger's invariants."},
		{route: "GET /v1/admin/withdrawals", needs: []fixture{withWithdrawal}, path: "/v1/admin/withdrawals", grid: adminOnly, want: `{"withdrawals":[{"id":"{wd}"}]}`, why: "The payouts queue, every creator's."},
		{route: "POST /v1/admin/withdrawals/{withdrawal_id}/mark", needs: []fixture{withWithdrawal}, path: "/v1/admin/withdrawals/{wd}/mark", body: `{"status":"paid","provider_ref":"bank-1"}`,
			grid: adminOnly, want: `{"id":"{wd}","status":"paid"}`, why: "Finance marks manual payouts.",
			probes: []probe{{"/v1/admin/withdrawals/wd_1/mark", `{"status":"paid"}`, 403, "forbidden"}}},
		{route: "POST /v1/admin/payouts/export", needs: []fixture{withWithdrawal}, path: "/v1/admin/payouts/export", grid: adminOnly, why: "Finance exports the manual payouts."},
		{route: "GET /v1/admin/fx", path: "/v1/admin/fx", grid: adminOnly, want: `{"base":"USD"}`, why: "The FX table."},
		{route: "PUT /v1/admin/fx/{currency}", path: "/v1/admin/fx/EUR", body: `{"rate":"0.95","date":"2026-03-01"}`, grid: adminOnly,
			want: `{"stored":{"currency":"EUR","rate":"0.95"}}`, why: "The FX table."},
		{route: "POST /v1/admin/fx/import", path: "/v1/admin/fx/import", body: ecbDay, grid: adminOnly, want: `{"dates":["2026-03-01"]}`, why: "The FX table."},
		{route: "GET /v1/admin/audit", path: "/v1/admin/audit", grid: adminOnly, why: "The audit log."},
	}},
	{"Webhooks", []accessRow{
		{route: "POST /v1/webhooks/stripe", needs: []fixture{withCardPurchase}, path: "/v1/webhooks/stripe", body: stripePaid, grid: public,
			sign:   func(h *harness, body string) []string { return h.stripeDelivery(body) },
			want:   `{"applied":true,"purchase":{"id":"{stripe_purchase}","status":"completed"}}`,
			why:    "Stripe's signature, not a credential, authenticates a delivery (credentials are ignored); unsigned is 400.",
			probes: []probe{{"/v1/webhooks/stripe", `{}`, 400, "invalid_webhook"}}},
		{route: "POST /v1/webhooks/paypal", needs: []fixture{withWithdrawal}, path: "/v1/webhooks/paypal", body: paypalEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "{wd}"), grid: public,
			sign:   func(*harness, string) []string { return paypalHeaders },
			quiet:  "the delivery names a withdrawal paid by hand, not through PayPal: verified, read, nothing to apply",
			want:   `{"applied":0}`,
			why:    "PayPal's signature, not a credential, authenticates a delivery (credentials are ignored); unsigned is 400.",
			probes: []probe{{"/v1/webhooks/paypal", `{}`, 400, "invalid_webhook"}}},
	}},
	{"Operations", []accessRow{
		{route: "GET /healthz", path: "/healthz", grid: public, why: "For the load balancer."},
		{route: "GET /readyz", path: "/readyz", grid: public, why: "For the load balancer."},
		{route: "GET /metrics", path: "/metrics", grid: public, why: "For Prometheus: the write queue and batches, Go and process metrics."},
	}},
}

// TestAccessMatrix makes every call of the matrix: each route, as each
// principal. The refusals (401, 403, hidden 404), the reads and the allowed
// calls that move nothing run on one shared world, checked row by row to
// leave every balance, posting and watched answer as it was — mallory
// replaying the victim's own idempotency keys, and each row's probes too.
// An allowed call that moves something runs on a fresh world of its own,
// with a valid body and an Idempotency-Key: it must answer its status and
// change the state, leaving the ledger sound. The matrix has a row for
// every route the server registers, and docs/ACCESS.md is the table.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	var rows []accessRow
	for _, g := range accessMatrix {
		rows = append(rows, g.rows...)
	}
	checkAccessDoc(t, accessMatrix)
	h := newAccessWorld(t, allFixtures...)
	checkRoutes(t, h, rows)
	if h.coins(mallory) == 0 {
		t.Fatal("mallory needs coins of her own for the batch rows")
	}
	victim := h.coins("v1")

	t.Run("shared", func(t *testing.T) {
		t.Parallel()
		h := h.with(t)
		cur := h.state()
		for _, row := range rows {
			t.Run(row.route, func(t *testing.T) { runShared(t, h, row, &cur) })
		}
		if c := h.coins("v1"); c != victim {
			t.Errorf("the victim has %d coins, want %d", c, victim)
		}
		h.ledgerOK()
	})
	for _, row := range rows {
		for _, p := range principals {
			if row.effect(p) {
				t.Run(fmt.Sprintf("%s/%s", row.route, p), func(t *testing.T) {
					t.Parallel()
					runEffect(t, row, p)
				})
			}
		}
	}
}
