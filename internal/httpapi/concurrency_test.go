package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestConcurrentGifts sends many gifts at once, so that group commit puts
// them in shared batches, and checks that nothing is lost or doubled: the
// contended overdraft of DESIGN §6, a streak built by concurrent taps, and
// the stream's totals and leaderboard.
func TestConcurrentGifts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	h.buy("v1", "web-usd-70")
	h.buy("v1", "web-usd-70") // 490 coins
	v1, v2 := h.authorization("user:v1"), h.authorization("user:v2")

	t.Run("contended overdraft", func(t *testing.T) {
		h := h.with(t)
		res := concurrently(h, 100, func(i int) *http.Request {
			return newRequest(h, "POST", "/v1/streams/s1/gifts", v1, fmt.Sprint("od-", i), `{"sender_id":"v1","gift_id":"finger-heart","quantity":2}`)
		})
		ok, broke := 0, 0
		for i, r := range res {
			switch {
			case r.err != nil:
				t.Fatalf("request %d: %v", i, r.err)
			case r.status == 201:
				ok++
			case r.status == 422 && strings.Contains(r.body, `"insufficient_funds"`):
				broke++
			default:
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
		}
		if ok != 49 || broke != 51 {
			t.Fatalf("100 gifts of 10 coins from 490 coins: %d succeeded, %d refused; want 49 and 51", ok, broke)
		}
		if c := h.coins("v1"); c != 0 {
			t.Errorf("v1 has %d coins, want 0", c)
		}
		if d := h.available("c1"); d != "245" {
			t.Errorf("c1 has %s diamonds, want 245", d)
		}
		h.ledgerOK()
	})

	t.Run("a streak of concurrent taps", func(t *testing.T) {
		h := h.with(t)
		res := concurrently(h, 30, func(i int) *http.Request {
			return newRequest(h, "POST", "/v1/streams/s1/gifts", v2, fmt.Sprint("tap-", i), `{"sender_id":"v2","gift_id":"rose","quantity":2,"combo_id":"taps"}`)
		})
		counts := map[string]bool{}
		for i, r := range res {
			if r.err != nil || r.status != 201 {
				t.Fatalf("tap %d: %d %v %s", i, r.status, r.err, r.body)
			}
			c := r.body[strings.Index(r.body, `"combo"`):]
			if counts[c] {
				t.Errorf("two taps answered the same streak count: %s", c)
			}
			counts[c] = true
		}
		wantSubset(t, h.must(200, "GET", "/v1/streams/s1/combos/taps", "user:v2", ""), `{"count":60,"sender_id":"v2"}`)
		if c := h.coins("v2"); c != 10 {
			t.Errorf("v2 has %d coins, want 70 - 60 = 10", c)
		}
	})

	wantSubset(t, h.must(200, "GET", "/v1/streams/s1", "admin", ""),
		`{"totals":{"gifts":79,"coins":550,"diamonds":"275","unique_gifters":2},
		  "top_gifters":[{"user_id":"v1","coins":490,"gifts":49},{"user_id":"v2","coins":60,"gifts":30}]}`)
	wantSubset(t, h.must(200, "GET", "/v1/users/v1/transactions?kind=gift_sent&limit=200", "user:v1", ""),
		`{"items":[`+strings.Repeat(`{"coins":-10},`, 48)+`{"coins":-10}]}`)
	h.ledgerOK()
}
