package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestIdempotency: the same key and body answer the first result, byte for
// byte, and move value once; another body is a conflict; keys are scoped
// to the caller and to the route; a refused request does not use up its key.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)

	body := `{"sender_id":"v1","gift_id":"rose","quantity":10,"combo_id":"k"}`
	first := h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", body, "Idempotency-Key", "key-1")
	for i := range 3 {
		again := h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", body, "Idempotency-Key", "key-1")
		if !bytes.Equal(again.Body, first.Body) {
			t.Fatalf("replay %d answered\n%s\nthe first answer was\n%s", i, again.Body, first.Body)
		}
	}
	// Whitespace and key order do not make another request.
	h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", `{ "quantity": 10, "combo_id": "k", "gift_id": "rose", "sender_id": "v1" }`, "Idempotency-Key", "key-1")
	if c := h.coins("v1"); c != 340 {
		t.Fatalf("after one gift of 10 roses sent 5 times with one key: %d coins, want 340", c)
	}
	wantSubset(t, h.must(200, "GET", "/v1/streams/s1", "admin", ""), `{"totals":{"gifts":1,"coins":10}}`)
	wantSubset(t, h.must(200, "GET", "/v1/streams/s1/combos/k", "admin", ""), `{"count":10}`)

	t.Run("another body is a conflict", func(t *testing.T) {
		h := h.with(t)
		before := h.state()
		r := h.do("POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":11,"combo_id":"k"}`, "Idempotency-Key", "key-1")
		if r.Status != http.StatusConflict || r.errorCode() != "idempotency_conflict" {
			t.Fatalf("want 409 idempotency_conflict, got %s", r)
		}
		h.unchanged(before, "a conflicting replay")
	})
	t.Run("another route is a conflict", func(t *testing.T) {
		h := h.with(t)
		before := h.state()
		r := h.do("POST", "/v1/purchases", "user:v1", `{"user_id":"v1","package_id":"web-usd-70"}`, "Idempotency-Key", "key-1")
		if r.Status != http.StatusConflict || r.errorCode() != "idempotency_conflict" {
			t.Fatalf("want 409 idempotency_conflict, got %s", r)
		}
		h.unchanged(before, "a key reused on another route")
	})
	t.Run("keys are scoped to the caller", func(t *testing.T) {
		h := h.with(t)
		r := h.do("POST", "/v1/streams/s1/gifts", "user:v2", `{"sender_id":"v2","gift_id":"rose","quantity":10,"combo_id":"k2"}`, "Idempotency-Key", "key-1")
		if r.Status != http.StatusCreated {
			t.Fatalf("v2 using a key v1 used: %s", r)
		}
		if c := h.coins("v2"); c != 60 {
			t.Errorf("v2 has %d coins, want 60", c)
		}
		// The same request through a service key is another caller too.
		r = h.do("POST", "/v1/streams/s1/gifts", "service", body, "Idempotency-Key", "key-1")
		if r.Status != http.StatusCreated || bytes.Equal(r.Body, first.Body) {
			t.Fatalf("the service key replayed v1's answer: %s", r)
		}
		if c := h.coins("v1"); c != 330 {
			t.Errorf("v1 has %d coins, want 330", c)
		}
	})
	t.Run("a refused request does not use up its key", func(t *testing.T) {
		h := h.with(t)
		galaxy := `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`
		r := h.do("POST", "/v1/streams/s1/gifts", "user:v1", galaxy, "Idempotency-Key", "galaxy")
		if r.Status != 422 || r.errorCode() != "insufficient_funds" {
			t.Fatalf("want 422 insufficient_funds, got %s", r)
		}
		h.buy("v1", "web-usd-700")
		r = h.must(201, "POST", "/v1/streams/s1/gifts", "user:v1", galaxy, "Idempotency-Key", "galaxy")
		wantSubset(t, r, `{"coins":1000,"sender_coins_after":30}`)
		h.ledgerOK()
	})
}

type rawResult struct {
	status int
	body   string
	err    error
}

// concurrently sends n requests at once and returns their answers.
func concurrently(h *harness, n int, mk func(i int) *http.Request) []rawResult {
	out := make([]rawResult, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		req := mk(i)
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			res, err := h.client.Do(req)
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			out[i] = rawResult{status: res.StatusCode, body: string(b), err: err}
		}()
	}
	start.Done()
	done.Wait()
	return out
}

func newRequest(h *harness, method, path, auth, key, body string) *http.Request {
	h.t.Helper()
	req, err := http.NewRequest(method, h.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	req.Header.Set("Idempotency-Key", key)
	return req
}

// TestIdempotencyConcurrent: 20 identical requests at once have one effect
// and 20 identical answers (DESIGN §6).
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	v1 := h.authorization("user:v1")

	t.Run("gifts", func(t *testing.T) {
		h := h.with(t)
		body := `{"sender_id":"v1","gift_id":"finger-heart","quantity":3}`
		res := concurrently(h, 20, func(int) *http.Request { return newRequest(h, "POST", "/v1/streams/s1/gifts", v1, "same-gift", body) })
		for i, r := range res {
			if r.err != nil || r.status != 201 || r.body != res[0].body {
				t.Fatalf("request %d: %d %v %s\nrequest 0 answered %s", i, r.status, r.err, r.body, res[0].body)
			}
		}
		if c := h.coins("v1"); c != 335 {
			t.Fatalf("v1 has %d coins after 20 identical gifts of 15 coins, want 335", c)
		}
		wantSubset(t, h.must(200, "GET", "/v1/streams/s1", "admin", ""), `{"totals":{"gifts":1,"coins":15,"diamonds":"7.5","unique_gifters":1}}`)
		h.ledgerOK()
	})
	t.Run("purchases", func(t *testing.T) {
		h := h.with(t)
		body := `{"user_id":"v2","package_id":"web-usd-1400"}`
		svc := h.authorization("service")
		res := concurrently(h, 20, func(int) *http.Request { return newRequest(h, "POST", "/v1/purchases", svc, "same-buy", body) })
		for i, r := range res {
			if r.err != nil || r.status != 201 || r.body != res[0].body {
				t.Fatalf("request %d: %d %v %s\nrequest 0 answered %s", i, r.status, r.err, r.body, res[0].body)
			}
		}
		if c := h.coins("v2"); c != 1470 {
			t.Fatalf("v2 has %d coins after 20 identical purchases of 1400, want 1470", c)
		}
		h.ledgerOK()
	})
	t.Run("one key, different bodies", func(t *testing.T) {
		h := h.with(t)
		before := h.coins("v1")
		res := concurrently(h, 20, func(i int) *http.Request {
			return newRequest(h, "POST", "/v1/streams/s1/gifts", v1, "racing-key", fmt.Sprintf(`{"sender_id":"v1","gift_id":"rose","quantity":%d}`, i+1))
		})
		won, qty := 0, 0
		for i, r := range res {
			switch {
			case r.err != nil:
				t.Fatalf("request %d: %v", i, r.err)
			case r.status == 201:
				won++
				qty = i + 1
			case r.status == 409 && strings.Contains(r.body, `"idempotency_conflict"`):
			default:
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
		}
		if won != 1 {
			t.Fatalf("%d requests with one key succeeded, want 1", won)
		}
		if c := h.coins("v1"); c != before-int64(qty) {
			t.Fatalf("v1 has %d coins, want %d - %d", c, before, qty)
		}
		h.ledgerOK()
	})
}
