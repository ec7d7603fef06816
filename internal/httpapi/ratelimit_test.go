package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/glint-economy/glint/internal/httpapi"
)

// TestRateLimits: a user token over its rate gets 429 with Retry-After and
// nothing happens; another user is not affected; an API key has its own
// limit; anonymous callers are limited per address.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *httpapi.Config) { c.RateLimits = &httpapi.RateLimits{PerUser: 1, PerIP: 5} })
	seedWorld(h) // through the service key: API keys are not limited here
	before := h.state()

	// v1: bursts of 2, then 429.
	var got []int
	for range 4 {
		got = append(got, h.do("GET", "/v1/users/v1/wallet", "user:v1", "").Status)
	}
	if got[0] != 200 || got[1] != 200 || got[3] != http.StatusTooManyRequests {
		t.Fatalf("v1's four quick reads: %v, want 200 200 … 429", got)
	}
	r := h.do("POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":1}`, "Idempotency-Key", "limited")
	if r.Status != http.StatusTooManyRequests || r.errorCode() != "rate_limited" {
		t.Fatalf("a gift over the limit: %s", r)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	h.unchanged(before, "a gift refused with 429")
	// v2 is not affected by v1's limit.
	if r := h.do("GET", "/v1/users/v2/wallet", "user:v2", ""); r.Status != 200 {
		t.Fatalf("v2: %s", r)
	}
	// Anonymous: per address (user tokens count there too), 10 at once.
	n429 := 0
	for range 12 {
		if h.do("GET", "/v1/catalog/gifts", "", "").Status == http.StatusTooManyRequests {
			n429++
		}
	}
	if n429 == 0 {
		t.Fatal("twelve anonymous reads at once were never limited")
	}
}

// TestRateLimitPerKey: an API key has a limit of its own when one is set.
func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *httpapi.Config) { c.RateLimits = &httpapi.RateLimits{PerKey: 1} })
	var got []int
	for range 4 {
		got = append(got, h.do("GET", "/v1/admin/ledger/check", "admin", "").Status)
	}
	if got[0] != 200 || got[1] != 200 || got[3] != http.StatusTooManyRequests {
		t.Fatalf("four quick admin reads at 1/s: %v, want 200 200 … 429", got)
	}
	// The service key is another key: not limited by the admin key's use.
	if r := h.do("GET", "/v1/users/v1", "service", ""); r.Status == http.StatusTooManyRequests {
		t.Fatalf("the service key was limited by the admin key: %s", r)
	}
}
