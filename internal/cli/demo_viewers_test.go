package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

// syncBuffer is a bytes.Buffer safe for the server's writes and the test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoViewers: `glint serve --demo` prints sign-in links to the pages,
// its simulated viewers gift on the demo streams, and they stop with the
// server, leaving a sound ledger.
func TestDemoViewers(t *testing.T) {
	t.Parallel()
	db := t.TempDir() + "/demo.db"
	f := serveFlags{db: db, addr: "127.0.0.1:0", demo: true, logLevel: "error", payouts: "sandbox", maxBatch: 64, queue: 1024, fxEvery: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, f, &out, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	printed := out.String()
	for _, want := range []string{"/login?next=%2Flive%2Flive-c1#token=", "/login?next=%2Fcreator%3Fstream%3Dlive-c1#token=", "admin console"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, printed)
		}
	}
	key := regexp.MustCompile(`admin key:\s+(glk_\S+)`).FindStringSubmatch(printed)
	if key == nil {
		t.Fatalf("no admin key in:\n%s", printed)
	}
	gifts := func() int64 {
		var n int64
		for _, id := range []string{"live-c1", "live-c2", "live-c3"} {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/streams/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+key[1])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				Totals struct {
					Gifts int64 `json:"gifts"`
				} `json:"totals"`
			}
			err = json.NewDecoder(res.Body).Decode(&v)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			n += v.Totals.Gifts
		}
		return n
	}
	deadline := time.Now().Add(15 * time.Second)
	for gifts() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the simulated viewers sent fewer than 2 gifts in 15 s")
		}
		time.Sleep(250 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("serve: %v", err)
	}
	d, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := ledger.Check(s); len(p) > 0 {
		t.Fatal(p)
	}
}
