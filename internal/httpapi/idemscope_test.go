package httpapi_test

import (
	"bytes"
	"testing"
)

// TestIdempotencyPlatformScope: every API key of the platform shares one
// idempotency scope, so a backend retrying through another instance (another
// key) gets the first answer instead of a second gift.
func TestIdempotencyPlatformScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	body := `{"sender_id":"v1","gift_id":"rose","quantity":10}`
	first := h.must(201, "POST", "/v1/streams/s1/gifts", "service", body, "Idempotency-Key", "retry-1")
	again := h.must(201, "POST", "/v1/streams/s1/gifts", "admin", body, "Idempotency-Key", "retry-1")
	if !bytes.Equal(first.Body, again.Body) {
		t.Fatalf("a retry through another API key answered\n%s\nthe first answer was\n%s", again.Body, first.Body)
	}
	if c := h.coins("v1"); c != 340 {
		t.Fatalf("v1 has %d coins after one gift of 10 roses retried through two keys, want 340", c)
	}
}
