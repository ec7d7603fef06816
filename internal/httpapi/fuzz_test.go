package httpapi_test

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// fuzzRoutes are the routes whose bodies FuzzBodies throws bytes at: the
// ones that move value or create things.
var fuzzRoutes = []struct{ method, path, as string }{
	{"POST", "/v1/streams/s1/gifts", "user:v1"},
	{"POST", "/v1/purchases", "user:v1"},
	{"PUT", "/v1/users/fuzzed", "service"},
	{"POST", "/v1/gifts/batch", "user:v1"},
	{"POST", "/v1/streams", "service"},
	{"PUT", "/v1/admin/gifts/fuzzed", "admin"},
}

// FuzzBodies: whatever the body, the answer is never a 5xx; a refusal is a
// 4xx with an error code that changed nothing; and the ledger stays sound.
// The seeds (run by every `go test`) are the bad inputs of DESIGN §6.
func FuzzBodies(f *testing.F) {
	for _, body := range []string{
		`{"sender_id":"v1","gift_id":"rose","quantity":1}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":-1}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":0}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":9223372036854775807}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":-9223372036854775808}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":18446744073709551616}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":1.0}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":"٣"}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":٣}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":1,"quantity":2}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":1,"extra":{}}`,
		`{"sender_id":"v1\u0000","gift_id":"rose","quantity":1}`,
		`{"sender_id":"v1","gift_id":"rose\u202e","quantity":1,"combo_id":"` + "\xff" + `"}`,
		`{"user_id":"v1","package_id":"web-usd-70"}`,
		`{"user_id":"v1","package_id":"web-usd-70","provider":null}`,
		`{"display_name":"\u202eevil","age_verified":true}`,
		`{"display_name":"ok","age_verified":"yes"}`,
		`{"gifts":[{"stream_id":"s1","idempotency_key":"x","sender_id":"v1","gift_id":"rose","quantity":1e309}]}`,
		`{"gifts":null}`,
		`{"creator_id":"c2","id":"../../etc"}`,
		`{"name":"Fuzz","coins":9223372036854775807,"streakable":false,"diamond_rate":"999999999999"}`,
		`[]`, `null`, `"`, `{`, ``, "\x00", `{"a":` + fmt.Sprint(make([]int, 100)) + `}`,
	} {
		for r := range fuzzRoutes {
			f.Add(uint8(r), body)
		}
	}
	h := newHarness(f)
	seedWorld(h)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		h := h.with(t)
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		before := h.state()
		r := h.do(rt.method, rt.path, rt.as, body, "Idempotency-Key", fmt.Sprint("fuzz-", n.Add(1)))
		switch {
		case r.Status >= 500:
			t.Fatalf("%s %s %q: %s", rt.method, rt.path, body, r)
		case r.Status >= 400:
			if r.errorCode() == "" {
				t.Fatalf("%s %s %q: a refusal without an error code: %s", rt.method, rt.path, body, r)
			}
			h.unchanged(before, fmt.Sprintf("%s %s %q", rt.method, rt.path, body))
		}
		h.ledgerOK()
	})
}
