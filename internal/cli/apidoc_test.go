package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docExample is one executable example of docs/API.md: a ```sh block that
// calls curl once, the expect marker that follows it, and the abbreviated
// answer (a ```json block) that may follow the marker.
type docExample struct {
	line   int    // of the ```sh fence
	script string // the block's text
	status int
	code   string            // error.code the answer must carry
	save   map[string]string // variable → dotted field of the answer
	answer string            // JSON the answer must contain (see jsonSubset)
}

var markerRE = regexp.MustCompile(`^<!-- expect: (\d{3})((?: [A-Za-z_]+)?)((?: save [A-Z_]+=[a-z_.]+)*) -->$`)

// parseAPIDoc reads the examples of an API document, in order. Every ```sh
// block that runs curl must be followed by an expect marker:
//
//	<!-- expect: 201 -->
//	<!-- expect: 422 insufficient_funds -->
//	<!-- expect: 200 save USER_TOKEN=token -->
func parseAPIDoc(text string) ([]docExample, error) {
	lines := strings.Split(text, "\n")
	var out []docExample
	next := func(i int) int { // the next non-blank line at or after i
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		return i
	}
	block := func(i int) (string, int, error) { // the body of the fence opened at i, and the line after it
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "```" {
				return strings.Join(lines[i+1:j], "\n"), j + 1, nil
			}
		}
		return "", 0, fmt.Errorf("line %d: unclosed code block", i+1)
	}
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") || fence == "```" {
			continue
		}
		body, after, err := block(i)
		if err != nil {
			return nil, err
		}
		if fence != "```sh" || !strings.Contains(body, "curl ") {
			i = after - 1
			continue
		}
		ex := docExample{line: i + 1, script: body, save: map[string]string{}}
		if n := strings.Count(body, "curl "); n != 1 {
			return nil, fmt.Errorf("line %d: an example runs curl once, this one %d times", ex.line, n)
		}
		m := next(after)
		if m >= len(lines) {
			return nil, fmt.Errorf("line %d: no expect marker after the example", ex.line)
		}
		mm := markerRE.FindStringSubmatch(strings.TrimSpace(lines[m]))
		if mm == nil {
			return nil, fmt.Errorf("line %d: want <!-- expect: STATUS [code] [save VAR=field] --> after the example, got %q", m+1, lines[m])
		}
		ex.status, _ = strconv.Atoi(mm[1])
		ex.code = strings.TrimSpace(mm[2])
		for _, s := range strings.Fields(mm[3]) {
			if s == "save" {
				continue
			}
			k, v, _ := strings.Cut(s, "=")
			ex.save[k] = v
		}
		i = m
		if j := next(m + 1); j < len(lines) && strings.TrimSpace(lines[j]) == "```json" {
			ans, after, err := block(j)
			if err != nil {
				return nil, err
			}
			ex.answer = ans
			i = after - 1
		}
		out = append(out, ex)
	}
	return out, nil
}

// curlTarget returns the method and path an example calls.
func curlTarget(script string) (method, path string) {
	method = "GET"
	if m := regexp.MustCompile(`-X\s+([A-Z]+)`).FindStringSubmatch(script); m != nil {
		method = m[1]
	} else if regexp.MustCompile(`\s(-d|--data|--json)\s`).MatchString(script) {
		method = "POST"
	}
	if m := regexp.MustCompile(`\$GLINT(/[^"'\s?]*)`).FindStringSubmatch(script); m != nil {
		path = m[1]
	}
	return method, path
}

// jsonField reads a dotted field of a JSON object.
func jsonField(v any, dotted string) (string, bool) {
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[k]
	}
	s, ok := v.(string)
	return s, ok
}

// TestAPIDoc runs every curl example of docs/API.md, in order, against a
// fresh `glint serve`, and checks each answer's status, error code and the
// abbreviated answer shown; and that every operation of the OpenAPI
// document is named in the doc and has an example that runs.
func TestAPIDoc(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: the examples of docs/API.md need it")
	}
	text, err := os.ReadFile(filepath.Join("..", "..", "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseAPIDoc(string(text))
	if err != nil {
		t.Fatalf("docs/API.md: %v", err)
	}
	if len(examples) < 20 {
		t.Fatalf("docs/API.md has %d runnable examples", len(examples))
	}

	bin := glintBinary(t)
	db := filepath.Join(t.TempDir(), "glint.db")
	env := map[string]string{}
	for name, scope := range map[string]string{"ADMIN_KEY": "admin", "SERVICE_KEY": "service"} {
		code, stdout, stderr := runGlint(t, bin, "keys", "create", "--scope", scope, "--db", db)
		if code != 0 {
			t.Fatalf("keys create: %d %s", code, stderr)
		}
		env[name] = strings.TrimSpace(stdout)
	}
	p := startGlint(t, bin, db)
	env["GLINT"] = p.URL

	// Every operation the server documents.
	type op struct{ method, path string }
	var ops []op
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(httpGetOK(t, p.URL+"/openapi.json"), &doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, op{strings.ToUpper(m), path})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	opOf := func(method, path string) (op, bool) {
		for _, o := range ops {
			re := "^" + regexp.MustCompile(`\\\{[^/]+?\\\}`).ReplaceAllString(regexp.QuoteMeta(o.path), `[^/]+`) + "$"
			if o.method == method && regexp.MustCompile(re).MatchString(path) {
				return o, true
			}
		}
		return op{}, false
	}
	ran := map[op]int{}

	preamble := "set -euo pipefail\ncurl() { command curl -sS --max-time 30 -w '\\n%{http_code}' \"$@\"; }\n"
	for _, ex := range examples {
		name := fmt.Sprintf("line %d", ex.line)
		cmd := exec.Command("bash", "-c", preamble+ex.script)
		cmd.Env = glintEnv()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("%s: %v\n%s\n%s%s", name, err, ex.script, out, stderr)
		}
		body, last, _ := cutLastLine(strings.TrimRight(string(out), "\n"), "\n")
		status, err := strconv.Atoi(last)
		if err != nil {
			t.Fatalf("%s: no status at the end of the output:\n%s", name, out)
		}
		if status != ex.status {
			t.Fatalf("%s: the doc says %d, the server answered %d %s\n%s", name, ex.status, status, body, ex.script)
		}
		var v any
		isJSON := json.Unmarshal([]byte(body), &v) == nil
		if ex.code != "" {
			if c, _ := jsonField(v, "error.code"); c != ex.code {
				t.Errorf("%s: the doc says error %s, the server answered %s", name, ex.code, body)
			}
		}
		if ex.answer != "" {
			if !isJSON {
				t.Errorf("%s: the answer is not JSON: %s", name, body)
			} else if d := jsonSubset(ex.answer, []byte(body)); d != "" {
				t.Errorf("%s: the answer shown in the doc does not match the server's\n%s\nserver: %s", name, d, body)
			}
		}
		for k, f := range ex.save {
			s, ok := jsonField(v, f)
			if !ok {
				t.Fatalf("%s: no string field %s to save as %s in %s", name, f, k, body)
			}
			env[k] = s
		}
		method, path := curlTarget(ex.script)
		if o, ok := opOf(method, path); ok {
			ran[o]++
		}
	}
	for _, o := range ops {
		if !strings.Contains(string(text), o.method+" "+o.path) {
			t.Errorf("docs/API.md does not name %s %s", o.method, o.path)
		}
		if ran[o] == 0 {
			t.Errorf("docs/API.md has no runnable example of %s %s", o.method, o.path)
		}
	}
	if errorTable := sectionOf(string(text), "## Errors"); errorTable == "" {
		t.Error("docs/API.md has no ## Errors section")
	} else {
		for _, ex := range examples {
			if ex.code != "" && !strings.Contains(errorTable, "`"+ex.code+"`") {
				t.Errorf("error code %s (example at line %d) is not in the table of ## Errors", ex.code, ex.line)
			}
		}
	}
	if code := p.stop(); code != 0 {
		t.Errorf("glint serve exited %d", code)
	}
	if code, stdout, _ := runGlint(t, bin, "verify", "--db", db); code != 0 {
		t.Errorf("glint verify after the doc's examples: %s", stdout)
	}
}

func cutLastLine(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}

// sectionOf returns the text of a markdown section, up to the next heading
// of the same level.
func sectionOf(text, heading string) string {
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "## ") {
			in = l == heading
			continue
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func httpGetOK(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}
