package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSaturationAnswers503 fills the write queue while the database is held
// by another writer: the excess requests get 503 with Retry-After at once,
// and once the database is free every accepted gift commits and the wallets
// agree with the acknowledged gifts.
func TestSaturationAnswers503(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := benchFlags{viewers: 4, creators: 1, clients: 1, coinsPerViewer: 17500, db: t.TempDir() + "/sat.db"}
	f.server = serveFlags{maxBatch: 2, queue: 4}
	tg, err := startInProcess(ctx, f, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.stop()
	c := newBenchClient(tg, 64)
	fx, err := c.setup(ctx, "sat", f)
	if err != nil {
		t.Fatal(err)
	}

	// Another process takes the write lock: the writer blocks on it.
	hold, err := sql.Open("sqlite", "file:"+tg.dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	conn, err := hold.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	const n = 40
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	answers := make([]answer, n)
	var ackMu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := i % len(fx.viewers)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tg.base+"/v1/streams/"+fx.streams[0]+"/gifts",
				strings.NewReader(fmt.Sprintf(`{"sender_id":"%s","gift_id":"rose","quantity":1}`, fx.viewers[v])))
			req.Header.Set("Authorization", "Bearer "+tg.adminKey)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("sat-%d", i))
			resp, err := c.http.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
			if resp.StatusCode == 201 {
				var g struct{ ID string }
				_ = json.Unmarshal(b, &g)
				ackMu.Lock()
				fx.acked = append(fx.acked, acked{id: g.ID, viewer: v, creator: 0, coins: 1, milli: 500})
				ackMu.Unlock()
			}
		}()
	}
	// Give every request time to be queued or refused, then free the database.
	time.Sleep(300 * time.Millisecond)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	wg.Wait()

	var created, refused int
	for i, a := range answers {
		switch a.status {
		case 201:
			created++
		case 503:
			refused++
			if a.retryAfter == "" {
				t.Errorf("request %d: 503 without Retry-After", i)
			}
		default:
			t.Errorf("request %d: %d %s", i, a.status, a.body)
		}
	}
	if refused == 0 || created == 0 {
		t.Fatalf("created %d, refused %d: want both", created, refused)
	}
	if got := c.check(ctx, fx, tg); got != "ok" {
		t.Fatalf("after saturation: %s", got)
	}
}
