package httpapi_test

import (
	"net/http"
	"testing"
)

// TestNoRoute: an unknown path is 404 not_found; a known path with another
// method is 405 method_not_allowed with Allow.
func TestNoRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("GET", "/v1/nope", "admin", "")
	if r.Status != http.StatusNotFound || r.errorCode() != "not_found" {
		t.Fatalf("unknown path: %s", r)
	}
	r = h.do("DELETE", "/v1/catalog/gifts", "admin", "")
	if r.Status != http.StatusMethodNotAllowed || r.errorCode() != "method_not_allowed" {
		t.Fatalf("wrong method: %s", r)
	}
	if got := r.Header.Get("Allow"); got != "GET" {
		t.Fatalf("Allow = %q, want GET", got)
	}
}
