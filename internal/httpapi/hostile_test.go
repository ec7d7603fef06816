package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileInputs sends every hostile value we know of into every field
// that takes a number, an amount or a name: each answer is a clear 4xx with
// an error code, never a 5xx, and nothing changes.
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	before := h.state()
	numbers := []string{`-1`, `0`, `9223372036854775808`, `9223372036854775807`, `-9223372036854775808`, `1e3`, `1.5`, `"12"`, `"١٢٣"`, `null`, `true`, `[]`, `{}`, `1e400`, `0x10`}
	amounts := []string{`"-20000"`, `"0"`, `"1e5"`, `"١٢٣"`, `"20000.0001"`, `"9223372036854775808"`, `"NaN"`, `"Infinity"`, `" 20000"`, `"20,000"`, `"2e4"`, `20000`, `null`, `""`, `"𝟐𝟎𝟎𝟎𝟎"`}
	names := []string{`""`, `"   "`, `"a\u202eb"`, `"a\u200bb"`, `"a\u2066b"`, `"\u0000"`, `"` + strings.Repeat("x", 65) + `"`, `123`, `null`, `"\ud800"`}
	type req struct{ method, path, as, idem, body string }
	var reqs []req
	for i, n := range numbers {
		reqs = append(reqs,
			req{"POST", "/v1/streams/s1/gifts", "user:v1", fmt.Sprintf("h-q-%d", i), `{"sender_id":"v1","gift_id":"rose","quantity":` + n + `}`},
		)
		if n != `0` && n != `9223372036854775807` { // both are caps a viewer may set (none, and effectively none)
			reqs = append(reqs, req{"PUT", "/v1/users/v1/limits", "user:v1", "", `{"daily_spend_cap":` + n + `}`})
		}
		reqs = append(reqs,
			req{"PUT", "/v1/admin/gifts/rose", "admin", "", `{"name":"Rose","coins":` + n + `,"streakable":true}`},
		)
	}
	for i, a := range amounts {
		reqs = append(reqs, req{"POST", "/v1/users/c1/withdrawals", "user:c1", fmt.Sprintf("h-w-%d", i), `{"diamonds":` + a + `}`})
	}
	for _, n := range names {
		reqs = append(reqs, req{"PUT", "/v1/users/v1", "service", "", `{"display_name":` + n + `,"age_verified":true}`})
	}
	deep := strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000)
	reqs = append(reqs,
		req{"POST", "/v1/streams/s1/gifts", "user:v1", "h-deep", deep},
		req{"POST", "/v1/streams/s1/gifts", "user:v1", "h-huge", `{"sender_id":"v1","gift_id":"` + strings.Repeat("r", 1<<20) + `","quantity":1}`},
		req{"POST", "/v1/streams/s1/gifts", "user:v1", "h-unknown", `{"sender_id":"v1","gift_id":"rose","quantity":1,"coins":0}`},
		req{"POST", "/v1/streams/s1/gifts", "user:v1", "h-dup", `{"sender_id":"v1","gift_id":"rose","quantity":1,"quantity":-5}`},
		req{"POST", "/v1/streams/s1/gifts", "user:v1", "h-trunc", `{"sender_id":"v1","gift_id":"rose","quantity":1`},
		req{"POST", "/v1/purchases", "user:v1", "h-p", `{"user_id":"v1","package_id":"web-usd-350","provider":"stripe\u0000"}`},
		req{"PUT", "/v1/users/c1/payout-method", "user:c1", "", `{"kind":"bank","holder_name":"X","iban":"DE89 3704 0044 0532 0130 00\u202e"}`},
		req{"PUT", "/v1/users/c1/payout-method", "user:c1", "", `{"kind":"paypal","paypal_email":"a@b.c\r\nBcc: x@y.z"}`},
	)
	for _, r := range reqs {
		var headers []string
		if r.idem != "" {
			headers = []string{"Idempotency-Key", r.idem}
		}
		got := h.do(r.method, r.path, r.as, r.body, headers...)
		short := r.body
		if len(short) > 80 {
			short = short[:80] + "…"
		}
		if got.Status < 400 || got.Status >= 500 {
			t.Errorf("%s %s %s: %d, want a 4xx (%.200s)", r.method, r.path, short, got.Status, got.Body)
			continue
		}
		if got.errorCode() == "" {
			t.Errorf("%s %s %s: %d without an error code", r.method, r.path, short, got.Status)
		}
	}
	h.unchanged(before, "hostile inputs")
	h.ledgerOK()
}
