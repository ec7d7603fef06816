package httpapi_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/glint-economy/glint/internal/httpapi"
)

// operation is one route of the OpenAPI document.
type operation struct {
	Method, Path, ID string
	Secured          bool
	re               *regexp.Regexp
}

func (o operation) key() string { return o.Method + " " + o.Path }

// operations lists every operation the server documents, sorted.
func operations(api *httpapi.Server) []operation {
	var out []operation
	for path, item := range api.OpenAPI().Paths {
		for _, m := range []struct {
			method string
			op     *huma.Operation
		}{
			{http.MethodGet, item.Get}, {http.MethodPut, item.Put}, {http.MethodPost, item.Post},
			{http.MethodDelete, item.Delete}, {http.MethodPatch, item.Patch},
			{http.MethodHead, item.Head}, {http.MethodOptions, item.Options},
		} {
			if m.op == nil {
				continue
			}
			pattern := "^" + regexp.MustCompile(`\\\{[^/]+?\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$"
			out = append(out, operation{Method: m.method, Path: path, ID: m.op.OperationID, Secured: len(m.op.Security) > 0, re: regexp.MustCompile(pattern)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// match returns the operation a request goes to, if any.
func match(ops []operation, method, target string) (operation, bool) {
	path, _, _ := strings.Cut(target, "?")
	for _, o := range ops {
		if o.Method == method && o.re.MatchString(path) {
			return o, true
		}
	}
	return operation{}, false
}

// routeCoverage records, per operation, the statuses the scenario tables
// saw, so that TestAPIScenarios can insist on a success and a refusal for
// every route.
type routeCoverage struct {
	mu   sync.Mutex
	ops  []operation
	seen map[string]map[int]bool
}

func (c *routeCoverage) record(api *httpapi.Server, method, target string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = operations(api)
		c.seen = map[string]map[int]bool{}
	}
	o, ok := match(c.ops, method, target)
	if !ok {
		return
	}
	if c.seen[o.key()] == nil {
		c.seen[o.key()] = map[int]bool{}
	}
	c.seen[o.key()][status] = true
}

// cannotRefuse lists the operations that take no input at all, so no
// request to them can be refused.
var cannotRefuse = map[string]string{
	"GET /v1/catalog/gifts": "no parameters, no body, public",
}

// missing lists the operations without a 2xx row or without a 4xx row.
func (c *routeCoverage) missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, o := range c.ops {
		var ok2, ok4 bool
		for s := range c.seen[o.key()] {
			ok2 = ok2 || (s >= 200 && s < 300)
			ok4 = ok4 || (s >= 400 && s < 500)
		}
		if !ok2 {
			out = append(out, o.key()+": no row answered 2xx")
		}
		if !ok4 && cannotRefuse[o.key()] == "" {
			out = append(out, o.key()+": no row answered 4xx")
		}
	}
	return out
}

func TestOperationsMatchRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ops := operations(h.api)
	if len(ops) < 20 {
		t.Fatalf("the OpenAPI document lists only %d operations", len(ops))
	}
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/v1/streams/s1", "GET /v1/streams/{stream_id}"},
		{"POST", "/v1/streams/s1/end", "POST /v1/streams/{stream_id}/end"},
		{"GET", "/v1/streams/s1/combos/c9?x=1", "GET /v1/streams/{stream_id}/combos/{combo_id}"},
		{"PUT", "/v1/users/v1", "PUT /v1/users/{user_id}"},
	} {
		o, ok := match(ops, c.method, c.target)
		if !ok || o.key() != c.want {
			t.Errorf("%s %s matched %q, want %q", c.method, c.target, o.key(), c.want)
		}
	}
}
