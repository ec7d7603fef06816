package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestCatalogVersions: an admin price change is a new catalog version; gifts
// sent after it pay the new price, gifts sent before keep theirs; a retired
// gift cannot be sent and nothing moves; a restored one can.
func TestCatalogVersions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	rose := func(qty, key string) *response {
		return h.do("POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":`+qty+`}`, "Idempotency-Key", key)
	}

	before := rose("1", "before")
	wantSubset(t, before, `{"coins":1,"diamonds":"0.5","catalog_version":1}`)

	put := h.must(200, "PUT", "/v1/admin/gifts/rose", "admin", `{"name":"Rose","coins":2,"streakable":true}`)
	wantSubset(t, put, `{"id":"rose","name":"Rose","coins":2,"streakable":true,"active":true,"version":20}`)
	wantSubset(t, h.must(200, "GET", "/v1/catalog/gifts", "", ""), `{"items":[{"id":"gg"},{"id":"ice-cream-cone"},{"id":"tiktok"},{"id":"rose","coins":2,"version":20},"…"]}`)

	after := rose("3", "after")
	if after.Status != 201 {
		t.Fatalf("rose after the change: %s", after)
	}
	wantSubset(t, after, `{"coins":6,"diamonds":"3","catalog_version":20,"sender_coins_after":343}`)

	// The first gift, asked again, still shows the price it was sent at.
	if again := rose("1", "before"); !bytes.Equal(again.Body, before.Body) {
		t.Errorf("the gift sent before the change now reads\n%s\nit was\n%s", again.Body, before.Body)
	}
	wantSubset(t, h.must(200, "GET", "/v1/streams/s1", "user:v1", ""), `{"totals":{"gifts":2,"coins":7,"diamonds":"3.5"},"top_gifters":[{"user_id":"v1","coins":7,"gifts":2}]}`)
	wantSubset(t, h.must(200, "GET", "/v1/users/v1/transactions?kind=gift_sent", "user:v1", ""),
		`{"items":[{"kind":"gift_sent","coins":-6,"counterparty":"c1"},{"kind":"gift_sent","coins":-1,"counterparty":"c1"}]}`)
	wantSubset(t, h.must(200, "GET", "/v1/users/c1/transactions?kind=gift_received", "user:c1", ""),
		`{"items":[{"diamonds":"3","counterparty":"v1"},{"diamonds":"0.5","counterparty":"v1"}]}`)
	if d := h.available("c1"); d != "3.5" {
		t.Errorf("creator has %s diamonds, want 3.5", d)
	}

	h.must(200, "POST", "/v1/admin/gifts/rose/retire", "admin", "")
	wantSubset(t, h.must(200, "GET", "/v1/catalog/gifts", "", ""), `{"items":[{"id":"gg"},{"id":"ice-cream-cone"},{"id":"tiktok"},{"id":"rose","active":false,"version":21},"…"]}`)
	st := h.state()
	for _, body := range []string{
		`{"sender_id":"v1","gift_id":"rose","quantity":1}`,
		`{"sender_id":"v1","gift_id":"rose","quantity":1,"combo_id":"retired"}`,
	} {
		r := h.do("POST", "/v1/streams/s1/gifts", "user:v1", body, "Idempotency-Key", "retired-"+body)
		if r.Status != 422 || r.errorCode() != "gift_retired" {
			t.Errorf("a retired rose: want 422 gift_retired, got %s", r)
		}
	}
	h.unchanged(st, "gifts of a retired rose")
	// A retired gift's replay still answers: it was sent before.
	if again := rose("3", "after"); !bytes.Equal(again.Body, after.Body) {
		t.Errorf("replay after retirement: %s", again)
	}

	h.must(200, "POST", "/v1/admin/gifts/rose/restore", "admin", "")
	wantSubset(t, rose("1", "restored"), `{"coins":2,"diamonds":"1","catalog_version":22}`)
	if c := h.coins("v1"); c != 341 {
		t.Errorf("v1 has %d coins, want 350 - 1 - 6 - 2 = 341", c)
	}
	h.ledgerOK()

	// Price cuts and per-gift rates apply the same way.
	h.must(http.StatusOK, "PUT", "/v1/admin/gifts/rose", "admin", `{"name":"Rose","coins":1,"streakable":true,"diamond_rate":"1"}`)
	wantSubset(t, rose("4", "rate"), `{"coins":4,"diamonds":"4","catalog_version":23}`)
	if d := h.available("c1"); d != "8.5" {
		t.Errorf("creator has %s diamonds, want 3.5 + 1 + 4 = 8.5", d)
	}
	h.ledgerOK()
}
