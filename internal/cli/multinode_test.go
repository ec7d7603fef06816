package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/postgres"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func multinodeDSN(t *testing.T) string { return storetest.PostgresDSN(t) }

// multinodeServe starts `glint serve --db dsn --addr 127.0.0.1:0` and
// returns its base URL once it logs "glint serving"; it is killed when the
// test ends.
func multinodeServe(t *testing.T, bin, dsn string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn)
	cmd.Env = glintEnvWithout()
	cmd.Stdout = io.Discard
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs bytes.Buffer
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			logs.Write(sc.Bytes())
			logs.WriteByte('\n')
			mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "glint serving" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("glint serve log:\n%s", logs.String())
			mu.Unlock()
		}
	})
	select {
	case a := <-addr:
		return a
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("glint serve exited before serving:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("glint serve did not start within 60 s")
	}
	return ""
}

// glintEnvWithout is the test's environment without GLINT_* variables.
func glintEnvWithout() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GLINT_") {
			env = append(env, kv)
		}
	}
	return env
}

type multinodeClient struct {
	http *http.Client
	key  string
}

func (c multinodeClient) do(t *testing.T, method, url, idem string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c multinodeClient) must(t *testing.T, method, url, idem string, body any, want int) []byte {
	t.Helper()
	st, b := c.do(t, method, url, idem, body)
	if st != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, st, b, want)
	}
	return b
}

// TestMultiNode runs two `glint serve` processes on one PostgreSQL database
// and sends gifts through both at once from 64 clients, from viewers who can
// afford only part of what they try to send. No wallet goes below zero, the
// ledger stays sound, every acknowledged gift is stored exactly once and
// nothing else is, and an idempotency key replayed through the other node
// answers the first result.
func TestMultiNode(t *testing.T) {
	dsn := multinodeDSN(t)
	bin := glintBinary(t)
	ctx := context.Background()

	// Both nodes start (and migrate) at once: the advisory lock makes one
	// of them migrate and the other wait.
	urls := make([]string, 2)
	var wg sync.WaitGroup
	for i := range urls {
		wg.Add(1)
		go func() { defer wg.Done(); urls[i] = multinodeServe(t, bin, dsn) }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	cmd := exec.Command(bin, "keys", "create", "--scope", "admin", "--db", dsn)
	cmd.Env = glintEnvWithout()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("glint keys create: %v", err)
	}
	c := multinodeClient{http: &http.Client{Timeout: 60 * time.Second}, key: strings.TrimSpace(string(out))}

	const viewers, creators = 16, 4
	user := func(id string) map[string]any {
		return map[string]any{"display_name": "User " + id, "country": "US", "age_verified": true}
	}
	for i := range creators {
		id := fmt.Sprint("c", i)
		c.must(t, http.MethodPut, urls[i%2]+"/v1/users/"+id, "put-"+id, user(id), http.StatusOK)
		c.must(t, http.MethodPost, urls[(i+1)%2]+"/v1/streams", "live-"+id, map[string]any{"id": "s" + id, "creator_id": id}, http.StatusCreated)
	}
	for i := range viewers {
		id := fmt.Sprint("v", i)
		c.must(t, http.MethodPut, urls[i%2]+"/v1/users/"+id, "put-"+id, user(id), http.StatusOK)
		// 350 coins each: 35 lollipops; each viewer is sent far more.
		c.must(t, http.MethodPost, urls[(i+1)%2]+"/v1/purchases", "buy-"+id, map[string]any{"user_id": id, "package_id": "web-usd-350"}, http.StatusCreated)
	}
	// A stream cannot go live twice, whichever node is asked.
	st, _ := c.do(t, http.MethodPost, urls[1]+"/v1/streams", "", map[string]any{"id": "other", "creator_id": "c0"})
	if st != http.StatusConflict {
		t.Fatalf("second live stream for c0 through the other node: %d, want 409", st)
	}

	const clients, perClient = 64, 30 // 1,920 lollipops tried; 560 affordable
	type ack struct{ id, sender string }
	var mu sync.Mutex
	var acks []ack
	statuses := map[int]int{}
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perClient {
				sender := fmt.Sprint("v", (cl+k)%viewers)
				stream := fmt.Sprint("sc", (cl*7+k)%creators)
				node := urls[(cl+k)%2]
				st, b := c.do(t, http.MethodPost, node+"/v1/streams/"+stream+"/gifts", fmt.Sprintf("g-%d-%d", cl, k),
					map[string]any{"sender_id": sender, "gift_id": "lollipop", "quantity": 1})
				mu.Lock()
				statuses[st]++
				if st == http.StatusCreated {
					var g struct {
						ID string `json:"id"`
					}
					if err := json.Unmarshal(b, &g); err != nil || g.ID == "" {
						t.Errorf("201 without a gift id: %s", b)
					}
					acks = append(acks, ack{g.ID, sender})
				} else if st != http.StatusUnprocessableEntity && st != http.StatusServiceUnavailable {
					t.Errorf("gift through %s: %d %s", node, st, b)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("statuses: %v", statuses)
	if len(acks) != viewers*35 {
		t.Errorf("%d gifts acknowledged, want %d (every viewer spends exactly 350 coins)", len(acks), viewers*35)
	}

	// Replays through the other node answer the first result, byte for byte,
	// including when both nodes are asked at once.
	gift := map[string]any{"sender_id": "v0", "gift_id": "rose", "quantity": 1}
	c.must(t, http.MethodPost, urls[0]+"/v1/purchases", "top-up", map[string]any{"user_id": "v0", "package_id": "web-usd-70"}, http.StatusCreated)
	first := c.must(t, http.MethodPost, urls[0]+"/v1/streams/sc1/gifts", "replay-me", gift, http.StatusCreated)
	again := c.must(t, http.MethodPost, urls[1]+"/v1/streams/sc1/gifts", "replay-me", gift, http.StatusCreated)
	if !bytes.Equal(first, again) {
		t.Fatalf("replay through the other node:\n%s\nfirst answer:\n%s", again, first)
	}
	st, _ = c.do(t, http.MethodPost, urls[1]+"/v1/streams/sc1/gifts", "replay-me", map[string]any{"sender_id": "v0", "gift_id": "rose", "quantity": 2})
	if st != http.StatusConflict {
		t.Fatalf("same key, other body, other node: %d, want 409", st)
	}
	bodies := make([][]byte, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = c.must(t, http.MethodPost, urls[i%2]+"/v1/streams/sc2/gifts", "both-nodes", gift, http.StatusCreated)
		}()
	}
	wg.Wait()
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("concurrent duplicates answered differently:\n%s\n%s", bodies[i], bodies[0])
		}
	}
	var both, replayed struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(bodies[0], &both)
	_ = json.Unmarshal(first, &replayed)
	acks = append(acks, ack{replayed.ID, "v0"}, ack{both.ID, "v0"})

	// The database: every acknowledged gift exactly once in gifts and in the
	// journal, nothing unacknowledged, no wallet below zero, a sound ledger.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(query string) map[string]int {
		rows, err := conn.Query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			m[id] = n
		}
		return m
	}
	gifts := count("SELECT id, COUNT(*) FROM gifts GROUP BY id")
	journal := count("SELECT ref, COUNT(*) FROM transactions WHERE kind = 'gift' GROUP BY ref")
	spent := map[string]int{}
	for _, a := range acks {
		if gifts[a.id] != 1 || journal[a.id] != 1 {
			t.Errorf("acknowledged gift %s: %d gift rows, %d journal entries; want 1 and 1", a.id, gifts[a.id], journal[a.id])
		}
		spent[a.sender]++
	}
	if len(gifts) != len(acks) || len(journal) != len(acks) {
		t.Errorf("%d gifts and %d gift transactions stored, %d acknowledged", len(gifts), len(journal), len(acks))
	}
	db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatalf("ledger invariants: %v", p)
	}
	for _, a := range s.Accounts {
		if a.Balance < 0 && !ledger.AllowsNegative(a.ID) {
			t.Errorf("%s is at %d", a.ID, a.Balance)
		}
	}
	for i := range viewers {
		id := fmt.Sprint("v", i)
		bal, err := db.Balances(ctx, []ledger.AccountID{ledger.CoinsOf(id)})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(350 - 10*spent[id])
		if id == "v0" {
			want = 350 + 70 - 10*int64(spent[id]-2) - 2
		}
		if bal[ledger.CoinsOf(id)] != want || want < 0 {
			t.Errorf("%s holds %d coins, want %d", id, bal[ledger.CoinsOf(id)], want)
		}
	}
	code, vout, verr := func() (int, string, string) {
		cmd := exec.Command(bin, "verify", "--db", dsn)
		cmd.Env = glintEnvWithout()
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), o.String(), e.String()
	}()
	if code != 0 {
		t.Fatalf("glint verify: exit %d\n%s%s", code, vout, verr)
	}
}
