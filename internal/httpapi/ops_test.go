package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestOperationalEndpoints: health, readiness, metrics, the OpenAPI
// document and the docs page, all served from the binary.
func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)

	if r := h.must(200, "GET", "/healthz", "", ""); strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
		t.Errorf("/healthz: %s", r.Body)
	}
	if r := h.must(200, "GET", "/readyz", "", ""); strings.TrimSpace(string(r.Body)) != `{"status":"ready"}` {
		t.Errorf("/readyz: %s", r.Body)
	}

	m := string(h.must(200, "GET", "/metrics", "", "").Body)
	for _, want := range []string{
		`glint_http_requests_total{method="PUT",route="PUT /v1/users/{user_id}",status="200"} 5`,
		`glint_http_requests_total{method="POST",route="POST /v1/purchases",status="201"} 3`,
		`glint_http_request_seconds_bucket{route="GET /healthz",`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Info    struct{ Title, Version string }       `json:"info"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := h.must(200, "GET", "/openapi.json", "", "")
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("/openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title != "glint" {
		t.Errorf("/openapi.json: openapi %q, title %q", doc.OpenAPI, doc.Info.Title)
	}
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if want := len(operations(h.api)); n != want {
		t.Errorf("/openapi.json has %d operations, the server %d", n, want)
	}
	for _, must := range []string{`"/v1/streams/{stream_id}/gifts"`, `"Idempotency-Key"`, `"bearer"`} {
		if !strings.Contains(string(r.Body), must) {
			t.Errorf("/openapi.json lacks %s", must)
		}
	}

	d := h.must(200, "GET", "/docs", "", "")
	if ct := d.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs Content-Type %q", ct)
	}
	if csp := d.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("/docs CSP %q", csp)
	}
	if u := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(string(d.Body)); u != "" {
		t.Errorf("/docs loads something from outside the binary: %s", u)
	}
	for _, asset := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(d.Body), -1) {
		if !strings.HasPrefix(asset[1], "/docs/") {
			t.Errorf("/docs refers to %s, not under /docs/", asset[1])
			continue
		}
		h.must(200, "GET", asset[1], "", "")
	}
	h.must(404, "GET", "/docs/nope.js", "", "")
}

// TestUnavailable: a write the ledger writer can no longer take is a 503
// with Retry-After, not a 500 and not a 2xx; reads still answer. A database
// that is gone makes /readyz fail.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedWorld(h)
	h.batcher.Stop()

	for _, c := range []struct{ method, path, as, body string }{
		{"POST", "/v1/purchases", "user:v1", `{"user_id":"v1","package_id":"web-usd-70"}`},
		{"POST", "/v1/streams/s1/gifts", "user:v1", `{"sender_id":"v1","gift_id":"rose","quantity":1}`},
		{"PUT", "/v1/users/v9", "service", `{"display_name":"Nine","age_verified":true}`},
	} {
		r := h.do(c.method, c.path, c.as, c.body, "Idempotency-Key", "down")
		if r.Status != http.StatusServiceUnavailable || r.errorCode() != "shutting_down" || r.Header.Get("Retry-After") != "1" {
			t.Errorf("%s %s with the writer stopped: %s (Retry-After %q)", c.method, c.path, r, r.Header.Get("Retry-After"))
		}
	}
	if c := h.coins("v1"); c != 350 {
		t.Errorf("v1 has %d coins, want 350", c)
	}
	h.ledgerOK()

	h.db.Close()
	r := h.do("GET", "/readyz", "", "")
	if r.Status != http.StatusServiceUnavailable || r.errorCode() != "not_ready" {
		t.Errorf("/readyz with the database closed: %s", r)
	}
	if r := h.do("GET", "/healthz", "", ""); r.Status != 200 {
		t.Errorf("/healthz with the database closed: %s", r)
	}
}
