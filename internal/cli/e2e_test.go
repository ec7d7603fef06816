package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// glintProc is a `glint serve` process started by a test.
type glintProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string
	client *http.Client

	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
}

// glintEnv is the environment of the processes a test starts: the test's
// own, without GLINT_* variables, so only the flags it passes apply.
func glintEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLINT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runGlint runs a glint subcommand to completion.
func runGlint(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = glintEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("glint %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// startGlint starts `glint serve --addr 127.0.0.1:0 --db db` and waits for
// the "glint serving" log line to learn its address. The process is killed
// at the end of the test if it still runs.
func startGlint(t *testing.T, bin, db string) *glintProc {
	t.Helper()
	p := &glintProc{t: t, client: &http.Client{Timeout: 30 * time.Second}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	p.cmd.Env = glintEnv()
	p.cmd.Stdout = io.Discard
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.stderr.Write(line)
			p.stderr.WriteByte('\n')
			p.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "glint serving" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it all first
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case a := <-addr:
		if !strings.HasPrefix(a, "http://127.0.0.1:") {
			t.Fatalf("glint serving on %q", a)
		}
		p.URL = a
	case <-p.exited:
		t.Fatalf("glint serve exited before serving (%v):\n%s", p.cmd.ProcessState, p.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("glint serve did not log \"glint serving\" within 60 s:\n%s", p.logs())
	}
	return p
}

func (p *glintProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop sends SIGTERM and returns the exit code.
func (p *glintProc) stop() int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(40 * time.Second):
		p.t.Fatalf("glint serve still runs 40 s after SIGTERM:\n%s", p.logs())
	}
	return p.cmd.ProcessState.ExitCode()
}

// call sends one request; auth is the bearer credential, "" for none.
func (p *glintProc) call(method, path, auth, idem, body string) (int, []byte) {
	p.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.URL+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return res.StatusCode, b
}

// expect sends a request that must answer status and contain the JSON want
// (see jsonSubset); it returns the decoded answer.
func (p *glintProc) expect(status int, want, method, path, auth, idem, body string) map[string]any {
	p.t.Helper()
	got, b := p.call(method, path, auth, idem, body)
	if got != status {
		p.t.Fatalf("%s %s: want %d, got %d %s", method, path, status, got, b)
	}
	if want != "" {
		if d := jsonSubset(want, b); d != "" {
			p.t.Fatalf("%s %s answered %s\n%s", method, path, b, d)
		}
	}
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return v
}

// jsonSubset reports how got fails to contain want ("" when it does).
// Objects: every key of want, recursively. Arrays: element by element, same
// length unless want's last element is "…". Strings of want ending in "…"
// match by prefix; "…" alone matches any value.
func jsonSubset(want string, got []byte) string {
	w, err := decodeJSONNumbers([]byte(want))
	if err != nil {
		return fmt.Sprintf("want is not JSON: %v: %s", err, want)
	}
	g, err := decodeJSONNumbers(got)
	if err != nil {
		return fmt.Sprintf("answer is not JSON: %v", err)
	}
	return strings.Join(jsonSubsetDiff("$", w, g), "\n")
}

func decodeJSONNumbers(b []byte) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	err := d.Decode(&v)
	return v, err
}

func jsonSubsetDiff(path string, want, got any) []string {
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if want == "…" {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": want an object, got " + enc(got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			if gv, ok := g[k]; ok {
				out = append(out, jsonSubsetDiff(path+"."+k, w[k], gv)...)
			} else {
				out = append(out, path+"."+k+": missing")
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path + ": want an array, got " + enc(got)}
		}
		open := len(w) > 0 && w[len(w)-1] == "…"
		if open {
			w = w[:len(w)-1]
		}
		if len(g) < len(w) || (!open && len(g) != len(w)) {
			return []string{fmt.Sprintf("%s: want %d elements, got %d", path, len(w), len(g))}
		}
		var out []string
		for i := range w {
			out = append(out, jsonSubsetDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case string:
		if g, ok := got.(string); ok && (g == w || strings.HasSuffix(w, "…") && strings.HasPrefix(g, strings.TrimSuffix(w, "…"))) {
			return nil
		}
		return []string{fmt.Sprintf("%s: want %q, got %s", path, w, enc(got))}
	default:
		if enc(want) != enc(got) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, enc(want), enc(got))}
		}
		return nil
	}
}

// TestEndToEnd boots the real binary on a fresh database and walks the
// gifting story of issue 3 over HTTP, then stops it with SIGTERM and checks
// the ledger with `glint verify`.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	bin := glintBinary(t)
	db := filepath.Join(t.TempDir(), "glint.db")

	code, stdout, stderr := runGlint(t, bin, "keys", "create", "--scope", "admin", "--label", "e2e", "--db", db)
	admin := strings.TrimSpace(stdout)
	if code != 0 || !regexp.MustCompile(`^glk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$`).MatchString(admin) {
		t.Fatalf("glint keys create: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	p := startGlint(t, bin, db)

	// Operations.
	p.expect(200, `{"status":"ok"}`, "GET", "/healthz", "", "", "")
	p.expect(200, `{"status":"ready"}`, "GET", "/readyz", "", "", "")
	doc := p.expect(200, `{"openapi":"3.1.0","info":{"title":"glint"}}`, "GET", "/openapi.json", "", "", "")
	if paths, _ := doc["paths"].(map[string]any); len(paths) < 15 {
		t.Errorf("/openapi.json documents %d paths", len(paths))
	}
	if status, html := p.call("GET", "/docs", "", "", ""); status != 200 || !bytes.Contains(html, []byte("<html")) {
		t.Errorf("/docs: %d %.200s", status, html)
	} else if u := regexp.MustCompile(`(?i)https?://`).Find(html); u != nil {
		t.Errorf("/docs refers to an external URL: %s", html)
	}

	// Users: a viewer and an age-verified creator.
	p.expect(200, `{"id":"v1","age_verified":true,"status":"active"}`, "PUT", "/v1/users/v1", admin, "", `{"display_name":"Viewer One","country":"US","age_verified":true}`)
	p.expect(200, `{"id":"c1","age_verified":true}`, "PUT", "/v1/users/c1", admin, "", `{"display_name":"Ava Sings","country":"US","age_verified":true}`)
	v1 := p.expect(200, `{"user_id":"v1"}`, "POST", "/v1/users/v1/tokens", admin, "", "")["token"].(string)
	c1 := p.expect(200, `{"user_id":"c1"}`, "POST", "/v1/users/c1/tokens", admin, "", "")["token"].(string)

	wallet := func(user, tok, want string) {
		t.Helper()
		p.expect(200, want, "GET", "/v1/users/"+user+"/wallet", tok, "", "")
	}
	ledgerOK := func() {
		t.Helper()
		p.expect(200, `{"ok":true,"problems":[]}`, "GET", "/v1/admin/ledger/check", admin, "", "")
	}

	p.expect(201, `{"user_id":"v1","package_id":"web-usd-350","coins":350,"price":{"value":"4.99","currency":"USD"},"status":"completed"}`,
		"POST", "/v1/purchases", v1, "buy-1", `{"user_id":"v1","package_id":"web-usd-350"}`)
	wallet("v1", v1, `{"coins":350}`)

	p.expect(201, `{"id":"e2e-live","creator_id":"c1","status":"live"}`, "POST", "/v1/streams", c1, "", `{"id":"e2e-live","creator_id":"c1","title":"Singing"}`)

	p.expect(201, `{"gift_id":"rose","quantity":10,"coins":10,"diamonds":"5","sender_coins_after":340,"combo":{"id":"combo-1","count":10}}`,
		"POST", "/v1/streams/e2e-live/gifts", v1, "gift-1", `{"sender_id":"v1","gift_id":"rose","quantity":10,"combo_id":"combo-1"}`)
	wallet("v1", v1, `{"coins":340}`)
	wallet("c1", c1, `{"coins":0,"diamonds":{"pending":"0","available":"5","withdrawing":"0"}}`)

	// A Galaxy costs 1000: refused, with the numbers, and nothing moves.
	p.expect(422, `{"error":{"code":"insufficient_funds","details":{"have":340,"need":1000}}}`,
		"POST", "/v1/streams/e2e-live/gifts", v1, "gift-2", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`)
	wallet("v1", v1, `{"coins":340}`)
	wallet("c1", c1, `{"diamonds":{"available":"5"}}`)
	p.expect(200, `{"totals":{"gifts":1,"coins":10,"diamonds":"5"}}`, "GET", "/v1/streams/e2e-live", v1, "", "")
	ledgerOK()

	p.expect(201, `{"coins":700}`, "POST", "/v1/purchases", v1, "buy-2", `{"user_id":"v1","package_id":"web-usd-700"}`)
	wallet("v1", v1, `{"coins":1040}`)
	// The refused request's key was not used up: the same key now succeeds.
	p.expect(201, `{"gift_id":"galaxy","coins":1000,"diamonds":"500","sender_coins_after":40}`,
		"POST", "/v1/streams/e2e-live/gifts", v1, "gift-2", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`)
	wallet("v1", v1, `{"coins":40}`)
	wallet("c1", c1, `{"diamonds":{"available":"505"}}`)

	p.expect(200, `{"id":"e2e-live","status":"live","totals":{"gifts":2,"coins":1010,"diamonds":"505","unique_gifters":1},"top_gifters":[{"user_id":"v1","coins":1010,"gifts":2}]}`,
		"GET", "/v1/streams/e2e-live", v1, "", "")
	p.expect(200, `{"stream_id":"e2e-live","items":[{"user_id":"v1","coins":1010,"gifts":2}]}`, "GET", "/v1/streams/e2e-live/leaderboard", c1, "", "")
	p.expect(200, `{"items":[{"kind":"gift_sent","coins":-1000},{"kind":"purchase","coins":700},{"kind":"gift_sent","coins":-10},{"kind":"purchase","coins":350}]}`,
		"GET", "/v1/users/v1/transactions", v1, "", "")

	p.expect(200, `{"id":"e2e-live","status":"ended","totals":{"gifts":2}}`, "POST", "/v1/streams/e2e-live/end", c1, "", "")
	p.expect(422, `{"error":{"code":"stream_not_live","details":{"stream_id":"e2e-live","status":"ended"}}}`,
		"POST", "/v1/streams/e2e-live/gifts", v1, "gift-3", `{"sender_id":"v1","gift_id":"rose","quantity":1}`)
	wallet("v1", v1, `{"coins":40}`)
	wallet("c1", c1, `{"diamonds":{"available":"505"}}`)
	ledgerOK()

	if status, m := p.call("GET", "/metrics", "", "", ""); status != 200 || !bytes.Contains(m, []byte("glint_http_requests_total{")) {
		t.Errorf("/metrics: %d, without glint_http_requests_total", status)
	} else if !bytes.Contains(m, []byte(`route="POST /v1/streams/{stream_id}/gifts",status="422"} 2`)) {
		t.Errorf("/metrics does not count the two refused gifts:\n%s", grepLines(m, "glint_http_requests_total"))
	}

	if code := p.stop(); code != 0 {
		t.Fatalf("glint serve exited %d after SIGTERM:\n%s", code, p.logs())
	}
	if logs := p.logs(); !strings.Contains(logs, `"msg":"shutting down"`) {
		t.Errorf("no shutdown log line:\n%s", logs)
	}
	// Credentials never reach the log: not the API key (nor its secret
	// part, after the id), not the user tokens.
	_, secret, _ := strings.Cut(strings.TrimPrefix(admin, "glk_"), "_")
	for name, cred := range map[string]string{"the admin key": admin, "its secret": secret, "v1's token": v1, "c1's token": c1} {
		if strings.Contains(p.logs(), cred) {
			t.Errorf("%s is in the server's log", name)
		}
	}

	code, stdout, stderr = runGlint(t, bin, "verify", "--db", db)
	if code != 0 || !strings.Contains(stdout, "ledger OK") {
		t.Fatalf("glint verify: exit %d\n%s%s", code, stdout, stderr)
	}

	// Everything acknowledged is still there after a restart.
	p = startGlint(t, bin, db)
	v1 = p.expect(200, "", "POST", "/v1/users/v1/tokens", admin, "", "")["token"].(string)
	wallet("v1", v1, `{"coins":40}`)
	p.expect(200, `{"status":"ended","totals":{"gifts":2,"coins":1010,"diamonds":"505","unique_gifters":1}}`, "GET", "/v1/streams/e2e-live", v1, "", "")
	// A replay after the restart answers the first result and moves nothing.
	p.expect(201, `{"gift_id":"galaxy","sender_coins_after":40}`,
		"POST", "/v1/streams/e2e-live/gifts", v1, "gift-2", `{"sender_id":"v1","gift_id":"galaxy","quantity":1}`)
	wallet("v1", v1, `{"coins":40}`)
	if code := p.stop(); code != 0 {
		t.Fatalf("second glint serve exited %d:\n%s", code, p.logs())
	}
}

func grepLines(b []byte, substr string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
