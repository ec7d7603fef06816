package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/glint-economy/glint/internal/ledger"
)

// fund gives creator 20,000 diamonds: v1 buys three 17,500-coin packages
// and sends two Rockets (20,000 coins each) in stream.
func fund(h *harness, creator, stream string) {
	h.t.Helper()
	for range 3 {
		h.buy("v1", "web-usd-17500")
	}
	if r := h.gift(stream, "v1", "rocket", 2, "", "rockets-"+creator); r.Status != http.StatusCreated {
		h.t.Fatalf("rockets for %s: %s", creator, r)
	}
}

// saveID keeps the answer's id as the variable name.
func saveID(name string) func(h *harness, r *response) {
	return func(h *harness, r *response) {
		id, _ := r.json(h.t)["id"].(string)
		if id == "" {
			h.t.Fatalf("no id in %s", r)
		}
		h.set(name, id)
	}
}

// paypalEvent is a payout-item event as PayPal sends it.
func paypalEvent(eventType, withdrawalID string) string {
	return fmt.Sprintf(`{"id":"WH-1","event_type":%q,"resource_type":"payouts_item","resource":{"payout_item_id":"ITEM1","transaction_status":"SUCCESS",`+
		`"payout_item":{"recipient_type":"EMAIL","amount":{"value":"50.00","currency":"USD"},"receiver":"c1@example.com","sender_item_id":%q}}}`, eventType, withdrawalID)
}

var paypalHeaders = []string{
	"PAYPAL-AUTH-ALGO", "SHA256withRSA", "PAYPAL-CERT-URL", "https://api-m.paypal.com/v1/notifications/certs/CERT-1",
	"PAYPAL-TRANSMISSION-ID", "t-1", "PAYPAL-TRANSMISSION-SIG", "c2ln", "PAYPAL-TRANSMISSION-TIME", "2026-03-01T12:00:00Z",
}

// cashoutRows walk the cash-out over HTTP: standing, methods, KYC, every
// withdrawal rule, the hold, the payout job, the manual queue, PayPal's
// webhook, earnings, statements and the platform's books.
func cashoutRows(h *harness) []row {
	wd := func(name, as, idem, body string, status int, code, want string) row {
		return row{name: name, method: "POST", path: "/v1/users/c1/withdrawals", as: as, idem: idem, body: body, status: status, code: code, want: want}
	}
	return []row{
		{name: "standing before anything", method: "GET", path: "/v1/users/c1/payout-method", as: "user:c1", status: 200,
			want: `{"user_id":"c1","methods":[],"kyc_status":"none"}`},
		{name: "standing of an unknown user", method: "GET", path: "/v1/users/ghost/payout-method", as: "service", status: 404, code: "user_not_found"},
		wd("no method on file", "user:c1", "w0", `{"diamonds":"20000"}`, 422, "no_payout_method", ""),
		{name: "a bad e-mail", method: "PUT", path: "/v1/users/c1/payout-method", as: "user:c1", body: `{"kind":"paypal","paypal_email":"c1 at example"}`,
			status: 400, code: "invalid_request", want: `{"error":{"details":{"field":"paypal_email"}}}`},
		{name: "an unknown kind", method: "PUT", path: "/v1/users/c1/payout-method", as: "user:c1", body: `{"kind":"cash"}`, status: 400, code: "invalid_request"},
		{name: "a PayPal method", method: "PUT", path: "/v1/users/c1/payout-method", as: "user:c1", body: `{"kind":"paypal","paypal_email":"c1@example.com"}`,
			status: 200, want: `{"user_id":"c1","method":"PayPal c***@example.com","methods":["PayPal c***@example.com"]}`},
		{name: "KYC with a user token", method: "PUT", path: "/v1/users/c1/kyc", as: "user:c1", body: `{"status":"verified"}`, status: 403, code: "forbidden"},
		{name: "KYC with an unknown status", method: "PUT", path: "/v1/users/c1/kyc", as: "service", body: `{"status":"maybe"}`, status: 400, code: "invalid_request"},
		{name: "KYC verified", method: "PUT", path: "/v1/users/c1/kyc", as: "service", body: `{"status":"verified"}`, status: 200, want: `{"kyc_status":"verified"}`},
		wd("without an idempotency key", "user:c1", "", `{"diamonds":"20000"}`, 400, "idempotency_key_required", ""),
		wd("not enough diamonds", "user:c1", "w1", `{"diamonds":"20000"}`, 422, "insufficient_diamonds", `{"error":{"details":{"available":"0"}}}`),
		wd("a number, not a string", "user:c1", "w1n", `{"diamonds":20000}`, 400, "invalid_request", ""),
		wd("an exponent", "user:c1", "w1e", `{"diamonds":"2e4"}`, 400, "invalid_request", ""),
		{name: "below the minimum", before: func(h *harness) { fund(h, "c1", "s1") }, method: "POST", path: "/v1/users/c1/withdrawals", as: "user:c1", idem: "w2",
			body: `{"diamonds":"19999.999"}`, status: 422, code: "below_minimum", want: `{"error":{"details":{"minimum_diamonds":"20000"}}}`},
		wd("over the period's maximum", "service", "w2m", `{"diamonds":"200002"}`, 422, "over_period_maximum", ""),
		wd("to a method not on file", "user:c1", "w2b", `{"diamonds":"20000","method":"bank"}`, 422, "no_payout_method", ""),
		{name: "a withdrawal", method: "POST", path: "/v1/users/c1/withdrawals", as: "user:c1", idem: "w3", body: `{"diamonds":"20000"}`, status: 201,
			want: `{"user_id":"c1","status":"requested","diamonds":"20000","method":"PayPal c***@example.com","provider":"sandbox",
				"quote":{"gross":{"value":"100.00","currency":"USD"},"commission":{"value":"50.00","currency":"USD"},"net":{"value":"50.00","currency":"USD"},"payout":{"value":"50.00","currency":"USD"}}}`,
			after: func(h *harness, r *response) {
				saveID("wd")(h, r)
				if got := h.available("c1"); got != "0" {
					h.t.Errorf("available after the hold: %s", got)
				}
			}},
		{name: "the same key and body replays", method: "POST", path: "/v1/users/c1/withdrawals", as: "user:c1", idem: "w3", body: `{"diamonds":"20000"}`, status: 201,
			after: func(h *harness, r *response) {
				if id, _ := r.json(h.t)["id"].(string); id != h.expand("{wd}") {
					h.t.Errorf("replay answered %s, want {wd}", id)
				}
			}},
		wd("a second the same day", "user:c1", "w4", `{"diamonds":"20000"}`, 422, "withdrawal_frequency", `{"error":{"details":{"max_withdrawals":1}}}`),
		{name: "list", method: "GET", path: "/v1/users/c1/withdrawals", as: "user:c1", status: 200, want: `{"withdrawals":[{"id":"{wd}","status":"requested"}]}`},
		{name: "list by status", method: "GET", path: "/v1/users/c1/withdrawals?status=paid", as: "user:c1", status: 200, want: `{"withdrawals":[]}`},
		{name: "list with an unknown status", method: "GET", path: "/v1/users/c1/withdrawals?status=lost", as: "user:c1", status: 400, code: "invalid_request"},
		{name: "one", method: "GET", path: "/v1/users/c1/withdrawals/{wd}", as: "user:c1", status: 200, want: `{"status":"requested"}`},
		{name: "one of another user's", method: "GET", path: "/v1/users/c2/withdrawals/{wd}", as: "service", status: 404, code: "withdrawal_not_found"},
		{name: "cancel", method: "POST", path: "/v1/users/c1/withdrawals/{wd}/cancel", as: "user:c1", status: 200, want: `{"status":"cancelled"}`,
			after: func(h *harness, r *response) {
				if got := h.available("c1"); got != "20000" {
					h.t.Errorf("available after cancel: %s", got)
				}
			}},
		{name: "cancel again", method: "POST", path: "/v1/users/c1/withdrawals/{wd}/cancel", as: "user:c1", status: 409, code: "withdrawal_not_cancellable"},
		{name: "a new one after cancelling", method: "POST", path: "/v1/users/c1/withdrawals", as: "user:c1", idem: "w5", body: `{"diamonds":"20000"}`, status: 201,
			after: func(h *harness, r *response) {
				saveID("wd2")(h, r)
				// The payout job: the sandbox pays at once.
				w, err := h.cash.Process(context.Background(), h.expand("{wd2}"))
				if err != nil || w.Status != "paid" {
					h.t.Fatalf("payout: %+v %v", w, err)
				}
			}},
		{name: "paid", method: "GET", path: "/v1/users/c1/withdrawals/{wd2}", as: "user:c1", status: 200, want: `{"status":"paid","provider_ref":"sandbox_{wd2}"}`},
		{name: "the queue with a service key", method: "GET", path: "/v1/admin/withdrawals", as: "service", status: 403, code: "forbidden"},
		{name: "the queue", method: "GET", path: "/v1/admin/withdrawals?user_id=c1", as: "admin", status: 200,
			want: `{"withdrawals":[{"id":"{wd2}","status":"paid"},{"id":"{wd}","status":"cancelled"}]}`},
		{name: "fail a paid one", method: "POST", path: "/v1/admin/withdrawals/{wd2}/mark", as: "admin", idem: "m1", body: `{"status":"failed"}`,
			status: 409, code: "withdrawal_resolved", want: `{"error":{"details":{"status":"paid","requested":"failed"}}}`},
		{name: "mark without a key", method: "POST", path: "/v1/admin/withdrawals/{wd2}/mark", as: "admin", body: `{"status":"failed"}`, status: 400, code: "idempotency_key_required"},
		{name: "mark an unknown one", method: "POST", path: "/v1/admin/withdrawals/wd_nope/mark", as: "admin", idem: "m2", body: `{"status":"paid"}`, status: 404, code: "withdrawal_not_found"},

		// The manual queue: c2's bank transfer.
		{name: "a bank account", before: func(h *harness) { h.goLive("c2", "s2"); fund(h, "c2", "s2") }, method: "PUT", path: "/v1/users/c2/payout-method", as: "service",
			body: `{"kind":"bank","holder_name":"Luca Rossi","iban":"IT60 X054 2811 1010 0000 0123 456"}`, status: 200, want: `{"method":"Bank IT60 **** 3456"}`},
		{name: "a bank withdrawal waits for finance", method: "POST", path: "/v1/users/c2/withdrawals", as: "service", idem: "b1", body: `{"diamonds":"20000"}`, status: 201,
			want: `{"provider":"manual","status":"requested","quote":{"fx":{"from":"USD","to":"EUR"},"payout":{"currency":"EUR"}}}`, after: saveID("bank")},
		{name: "export with a service key", method: "POST", path: "/v1/admin/payouts/export", as: "service", status: 403, code: "forbidden"},
		{name: "export", method: "POST", path: "/v1/admin/payouts/export", as: "admin", status: 200, ctype: "text/csv",
			after: func(h *harness, r *response) {
				want := h.expand("{bank},c2,")
				if body := string(r.Body); !strings.Contains(body, want) || !strings.Contains(body, "IT60X0542811101000000123456") || !strings.Contains(body, "withdrawal_id,user_id") {
					h.t.Errorf("export: %s", body)
				}
			}},
		{name: "cancel an exported one", method: "POST", path: "/v1/users/c2/withdrawals/{bank}/cancel", as: "service", status: 409, code: "withdrawal_not_cancellable"},
		{name: "mark it paid", method: "POST", path: "/v1/admin/withdrawals/{bank}/mark", as: "admin", idem: "m3", body: `{"status":"paid","provider_ref":"SEPA-1"}`,
			status: 200, want: `{"status":"paid","provider_ref":"SEPA-1"}`},
		{name: "mark with an unknown status", method: "POST", path: "/v1/admin/withdrawals/{bank}/mark", as: "admin", idem: "m4", body: `{"status":"lost"}`, status: 400, code: "invalid_request"},

		// PayPal's webhook.
		{name: "an unsigned delivery", method: "POST", path: "/v1/webhooks/paypal", body: paypalEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "wd_x"), status: 400, code: "invalid_webhook"},
		{name: "a delivery about no withdrawal of PayPal's", method: "POST", path: "/v1/webhooks/paypal", header: paypalHeaders,
			body: paypalEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "wd_unknown"), status: 200, want: `{"applied":0}`},

		// Reports.
		{name: "earnings by month", method: "GET", path: "/v1/users/c1/earnings?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=month", as: "user:c1", status: 200,
			want: `{"interval":"month","total":{"diamonds":"20000","gross":{"value":"100.00","currency":"USD"},"net":{"value":"50.00","currency":"USD"},"paid":{"value":"50.00","currency":"USD"}}}`},
		{name: "earnings by the hour", method: "GET", path: "/v1/users/c1/earnings?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=hour", as: "user:c1", status: 400, code: "invalid_request"},
		{name: "statement CSV", method: "GET", path: "/v1/users/c1/statements/2026.csv", as: "user:c1", status: 200, ctype: "text/csv",
			after: func(h *harness, r *response) {
				if body := string(r.Body); !strings.Contains(body, "2026-03,1,20000,100.00,50.00,50.00,50.00") {
					h.t.Errorf("statement: %s", body)
				}
			}},
		{name: "statement PDF", method: "GET", path: "/v1/users/c1/statements/2026.pdf", as: "user:c1", status: 200, ctype: "application/pdf",
			after: func(h *harness, r *response) {
				if len(r.Body) < 1000 || string(r.Body[:5]) != "%PDF-" {
					h.t.Errorf("statement PDF: %d bytes", len(r.Body))
				}
			}},
		{name: "statement of year 99", method: "GET", path: "/v1/users/c1/statements/99.csv", as: "user:c1", status: 400, code: "invalid_request"},
		{name: "the books", method: "GET", path: "/v1/admin/reports/liabilities", as: "admin", status: 200, want: `{"reconciled":true}`},
		{name: "the books with a service key", method: "GET", path: "/v1/admin/reports/liabilities", as: "service", status: 403, code: "forbidden"},
	}
}

// trustRows: the trust team bans, unbans and terminates accounts.
func trustRows(h *harness) []row {
	post := func(name, as, path, body string, status int, code, want string) row {
		return row{name: name, method: "POST", path: path, as: as, body: body, status: status, code: code, want: want}
	}
	return []row{
		post("ban without a reason", "admin", "/v1/admin/users/v2/ban", `{"reason":""}`, 400, "invalid_request", `{"error":{"details":{"field":"reason"}}}`),
		post("ban with a service key", "service", "/v1/admin/users/v2/ban", `{"reason":"spam"}`, 403, "forbidden", ""),
		post("ban an unknown user", "admin", "/v1/admin/users/ghost/ban", `{"reason":"spam"}`, 404, "user_not_found", ""),
		post("ban", "admin", "/v1/admin/users/v2/ban", `{"reason":"stolen card"}`, 200, "", `{"id":"v2","status":"banned","status_reason":"stolen card"}`),
		post("ban again", "admin", "/v1/admin/users/v2/ban", `{"reason":"stolen card"}`, 409, "status_unchanged", ""),
		{name: "a banned viewer cannot gift", method: "POST", path: "/v1/streams/s1/gifts", as: "service", idem: "banned-gift",
			body: `{"sender_id":"v2","gift_id":"rose","quantity":1}`, status: 422, code: "user_not_active"},
		post("unban", "admin", "/v1/admin/users/v2/unban", `{"reason":"appeal upheld"}`, 200, "", `{"status":"active","status_reason":"appeal upheld"}`),
		post("terminate", "admin", "/v1/admin/users/c2/terminate", `{"reason":"fraud ring"}`, 200, "", `{"status":"terminated"}`),
		post("unban an active user", "admin", "/v1/admin/users/v1/unban", `{"reason":"x"}`, 409, "status_unchanged", ""),
		post("terminate an unknown user", "admin", "/v1/admin/users/ghost/terminate", `{"reason":"x"}`, 404, "user_not_found", ""),

		// Limits that protect people.
		{name: "coins are sold to adults only", method: "POST", path: "/v1/purchases", as: "service", idem: "kid-buys", body: `{"user_id":"kid","package_id":"web-usd-70"}`, status: 422, code: "not_age_verified"},
		{name: "a viewer lowers their own cap", method: "PUT", path: "/v1/users/v1/limits", as: "user:v1", body: `{"daily_spend_cap":100}`, status: 200, want: `{"id":"v1","daily_spend_cap":100}`},
		{name: "and cannot raise it", method: "PUT", path: "/v1/users/v1/limits", as: "user:v1", body: `{"daily_spend_cap":1000}`, status: 422, code: "spend_cap_raise"},
		{name: "nor remove it", method: "PUT", path: "/v1/users/v1/limits", as: "user:v1", body: `{"daily_spend_cap":0}`, status: 422, code: "spend_cap_raise"},
		{name: "a negative cap", method: "PUT", path: "/v1/users/v1/limits", as: "user:v1", body: `{"daily_spend_cap":-1}`, status: 400, code: "invalid_request"},
		{name: "over the viewer's own cap", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "capped", body: `{"sender_id":"v1","gift_id":"lollipop","quantity":11}`,
			status: 422, code: "daily_spend_cap", want: `{"error":{"details":{"cap":100,"need":110}}}`},
		{name: "the platform lifts it", method: "PUT", path: "/v1/users/v1/limits", as: "service", body: `{"daily_spend_cap":0}`, status: 200},
		{name: "under the cap again", method: "POST", path: "/v1/streams/s1/gifts", as: "user:v1", idem: "capped2", body: `{"sender_id":"v1","gift_id":"lollipop","quantity":11}`, status: 201},
		post("hold a creator's payouts", "admin", "/v1/admin/users/c1/hold-payouts", `{"reason":"odd pattern"}`, 200, "", `{"id":"c1","restriction":"payout_review"}`),
		post("hold with a service key", "service", "/v1/admin/users/c1/hold-payouts", `{"reason":"x"}`, 403, "forbidden", ""),
		{name: "a held creator cannot withdraw", method: "POST", path: "/v1/users/c1/withdrawals", as: "user:c1", idem: "held", body: `{"diamonds":"20000"}`, status: 422, code: "payouts_held"},
		post("release", "admin", "/v1/admin/users/c1/release-payouts", `{"reason":"reviewed: genuine fans"}`, 200, "", ""),
		post("release again", "admin", "/v1/admin/users/c1/release-payouts", `{"reason":"x"}`, 409, "status_unchanged", ""),
	}
}

// stripeRows: a card purchase through Stripe Checkout, completed by
// Stripe's signed webhook, once, then refunded.
func stripeRows(h *harness) []row {
	pid := "p_" + ledger.HashRequest([]byte("platform|stripe-1"))[:24]
	session := func(evID, typ, status string) string {
		return fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"livemode":false,"api_version":"2025-08-27.basil",`+
			`"data":{"object":{"id":"cs_test_1","object":"checkout.session","client_reference_id":%q,"amount_total":499,"currency":"usd",`+
			`"payment_status":%q,"payment_intent":"pi_test_1","metadata":{"purchase_id":%q}}}}`, evID, typ, h.clock.Now().Unix(), pid, status, pid)
	}
	paid := session("evt_paid_1", "checkout.session.completed", "paid")
	refund := fmt.Sprintf(`{"id":"evt_refund_1","object":"event","type":"charge.refunded","created":%d,"livemode":false,"api_version":"2025-08-27.basil",`+
		`"data":{"object":{"id":"ch_test_1","object":"charge","amount":499,"amount_refunded":499,"refunded":true,"currency":"usd",`+
		`"payment_intent":"pi_test_1","metadata":{"purchase_id":%q}}}}`, h.clock.Now().Unix(), pid)
	coins := func(want int64) func(h *harness, r *response) {
		return func(h *harness, r *response) {
			if got := h.coins("v1"); got != want {
				h.t.Errorf("v1 has %d coins, want %d", got, want)
			}
		}
	}
	return []row{
		{name: "a card purchase", method: "POST", path: "/v1/purchases", as: "service", idem: "stripe-1",
			body: `{"user_id":"v1","package_id":"web-usd-350","provider":"stripe"}`, status: 201,
			want: `{"id":"` + pid + `","provider":"stripe","status":"pending","checkout_url":"https://checkout.stripe.com/c/pay/cs_test_` + pid + `"}`, after: coins(350)},
		{name: "an unsigned delivery", method: "POST", path: "/v1/webhooks/stripe", body: paid, status: 400, code: "invalid_webhook"},
		{name: "a tampered delivery", method: "POST", path: "/v1/webhooks/stripe", header: h.stripeDelivery(paid), body: strings.Replace(paid, "499", "1", 1), status: 400, code: "invalid_webhook"},
		{name: "paid", method: "POST", path: "/v1/webhooks/stripe", header: h.stripeDelivery(paid), body: paid, status: 200,
			want: `{"applied":true,"purchase":{"id":"` + pid + `","status":"completed","provider_ref":"pi_test_1"}}`, after: coins(700)},
		{name: "the same event again credits nothing", method: "POST", path: "/v1/webhooks/stripe", header: h.stripeDelivery(paid), body: paid, status: 200, after: coins(700)},
		{name: "refunded: the coins go back", method: "POST", path: "/v1/webhooks/stripe", header: h.stripeDelivery(refund), body: refund, status: 200,
			want: `{"applied":true,"purchase":{"refunded":{"value":"4.99","currency":"USD"},"reversed_coins":350}}`, after: coins(350)},
	}
}
