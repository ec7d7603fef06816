package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/webhooks"
)

var (
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	oldKey = []byte("whsec_old_0123456789")
	newKey = []byte("whsec_new_9876543210")
)

func testEvent() webhooks.Event {
	return webhooks.Event{
		ID:        "evt_01",
		Type:      "withdrawal.updated",
		CreatedAt: t0,
		Data:      json.RawMessage(`{"withdrawal_id":"wd_42","status":"paid"}`),
	}
}

// clock is a settable clock shared by a Sender and a receiver.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// delivery is what a receiver saw of one request.
type delivery struct {
	Method string
	Header http.Header
	Body   []byte
	Err    error // from Verify
}

// receiver starts a platform endpoint that verifies each delivery with
// secrets and the clock, answers 204 or 400, and records what it saw.
func receiver(t *testing.T, secrets [][]byte, now func() time.Time) (*httptest.Server, func() []delivery) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []delivery
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body", http.StatusRequestEntityTooLarge)
			return
		}
		err = webhooks.Verify(r.Header.Get(webhooks.HeaderSignature), body, secrets, 5*time.Minute, now())
		mu.Lock()
		seen = append(seen, delivery{Method: r.Method, Header: r.Header.Clone(), Body: body, Err: err})
		mu.Unlock()
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []delivery {
		mu.Lock()
		defer mu.Unlock()
		return append([]delivery(nil), seen...)
	}
}

func TestSendVerify(t *testing.T) {
	t.Parallel()
	clk := &clock{now: t0.Add(time.Minute)}
	srv, seen := receiver(t, [][]byte{newKey}, clk.Now)
	s := &webhooks.Sender{URL: srv.URL + "/hooks/glint", Secrets: [][]byte{newKey}, Now: clk.Now, UserAgent: "glint-test"}

	ev := testEvent()
	if err := s.Send(t.Context(), ev); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("receiver saw %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.Err != nil {
		t.Errorf("Verify: %v", d.Err)
	}
	if d.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", d.Method)
	}
	for name, want := range map[string]string{
		"Content-Type":           "application/json",
		"User-Agent":             "glint-test",
		webhooks.HeaderEventID:   ev.ID,
		webhooks.HeaderEventType: ev.Type,
		webhooks.HeaderSignature: webhooks.Sign([][]byte{newKey}, clk.Now(), d.Body),
	} {
		if got := d.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var back webhooks.Event
	if err := json.Unmarshal(d.Body, &back); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	if diff := cmp.Diff(ev, back); diff != "" {
		t.Errorf("event round trip (-sent +received):\n%s", diff)
	}
}

func TestSendDefaultUserAgent(t *testing.T) {
	t.Parallel()
	srv, seen := receiver(t, [][]byte{newKey}, time.Now)
	s := &webhooks.Sender{URL: srv.URL, Secrets: [][]byte{newKey}} // real clock, default client
	ev := testEvent()
	if err := s.Send(t.Context(), ev); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := seen()[0].Header.Get("User-Agent"); got != webhooks.DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, webhooks.DefaultUserAgent)
	}
}

// A retry carries the same id and body with a new timestamp, so it verifies
// even when it is made long after the first attempt.
func TestSendRetryIsStable(t *testing.T) {
	t.Parallel()
	clk := &clock{now: t0}
	srv, seen := receiver(t, [][]byte{newKey}, clk.Now)
	s := &webhooks.Sender{URL: srv.URL, Secrets: [][]byte{newKey}, Now: clk.Now}

	ev := testEvent()
	for range 2 {
		if err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("Send: %v", err)
		}
		clk.Add(6 * time.Hour)
	}
	got := seen()
	if len(got) != 2 {
		t.Fatalf("receiver saw %d deliveries, want 2", len(got))
	}
	if got[0].Header.Get(webhooks.HeaderEventID) != got[1].Header.Get(webhooks.HeaderEventID) {
		t.Errorf("event id changed between attempts")
	}
	if string(got[0].Body) != string(got[1].Body) {
		t.Errorf("body changed between attempts:\n%s\n%s", got[0].Body, got[1].Body)
	}
	if got[0].Header.Get(webhooks.HeaderSignature) == got[1].Header.Get(webhooks.HeaderSignature) {
		t.Errorf("signature not renewed on retry")
	}
}

func TestSendRotation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		sign      [][]byte // the Sender's secrets
		verify    [][]byte // the receiver's
		wantError error
	}{
		{"old+new to old", [][]byte{newKey, oldKey}, [][]byte{oldKey}, nil},
		{"old+new to new", [][]byte{newKey, oldKey}, [][]byte{newKey}, nil},
		{"old+new to both", [][]byte{newKey, oldKey}, [][]byte{oldKey, newKey}, nil},
		{"new to both", [][]byte{newKey}, [][]byte{oldKey, newKey}, nil},
		{"old to new", [][]byte{oldKey}, [][]byte{newKey}, webhooks.ErrBadSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen := receiver(t, tt.verify, func() time.Time { return t0 })
			s := &webhooks.Sender{URL: srv.URL, Secrets: tt.sign, Now: func() time.Time { return t0 }}
			err := s.Send(t.Context(), testEvent())
			if got := seen()[0].Err; !errors.Is(got, tt.wantError) || (got == nil) != (tt.wantError == nil) {
				t.Errorf("Verify = %v, want %v", got, tt.wantError)
			}
			if (err == nil) != (tt.wantError == nil) {
				t.Errorf("Send = %v", err)
			}
		})
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_01"}`)
	h := webhooks.Sign([][]byte{newKey, oldKey}, t0, body)
	if !regexp.MustCompile(`^t=[0-9]+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("Sign = %q, not t=<secs>,v1=<hex>,v1=<hex>", h)
	}
	// The documented scheme, computed independently as a receiver in any
	// language would.
	ts := strconv.FormatInt(t0.Unix(), 10)
	want := "t=" + ts
	for _, k := range [][]byte{newKey, oldKey} {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(ts + "." + string(body)))
		want += ",v1=" + hex.EncodeToString(m.Sum(nil))
	}
	if h != want {
		t.Errorf("Sign =\n%s\nwant\n%s", h, want)
	}
	if got := webhooks.Sign(nil, t0, body); got != "t="+ts {
		t.Errorf("Sign with no secrets = %q, want %q", got, "t="+ts)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_01","type":"withdrawal.updated"}`)
	keys := [][]byte{newKey}
	sign := func(at time.Time) string { return webhooks.Sign(keys, at, body) }
	valid := sign(t0)
	ts := strconv.FormatInt(t0.Unix(), 10)
	sig := strings.TrimPrefix(valid, "t="+ts+",v1=")

	for _, tt := range []struct {
		name      string
		header    string
		body      []byte   // body when not nil
		secrets   [][]byte // keys when nil
		tolerance time.Duration
		want      error
	}{
		{name: "valid", header: valid},
		{name: "spaces", header: " t=" + ts + " , v1=" + sig + " "},
		{name: "unknown scheme ignored", header: valid + ",v0=deadbeef,v2=zzz"},
		{name: "entries in any order", header: "v1=" + sig + ",t=" + ts},
		{name: "tolerance zero is default", header: sign(t0.Add(-4 * time.Minute)), tolerance: -1},
		{name: "at past edge", header: sign(t0.Add(-5 * time.Minute))},
		{name: "at future edge", header: sign(t0.Add(5 * time.Minute))},
		{name: "tampered body", header: valid, body: []byte(`{"id":"evt_01","type":"withdrawal.updatee"}`), want: webhooks.ErrBadSignature},
		{name: "empty body", header: valid, body: []byte{}, want: webhooks.ErrBadSignature},
		{name: "wrong secret", header: valid, secrets: [][]byte{oldKey}, want: webhooks.ErrBadSignature},
		{name: "no secrets", header: valid, secrets: [][]byte{}, want: webhooks.ErrBadSignature},
		{name: "empty secret never matches", header: webhooks.Sign([][]byte{{}}, t0, body), secrets: [][]byte{{}}, want: webhooks.ErrBadSignature},
		{name: "timestamp changed", header: "t=" + strconv.FormatInt(t0.Unix()+1, 10) + ",v1=" + sig, want: webhooks.ErrBadSignature},
		{name: "stale", header: sign(t0.Add(-5*time.Minute - time.Second)), want: webhooks.ErrStale},
		{name: "very stale", header: sign(t0.Add(-30 * 24 * time.Hour)), want: webhooks.ErrStale},
		{name: "stale, short tolerance", header: sign(t0.Add(-2 * time.Second)), tolerance: time.Second, want: webhooks.ErrStale},
		{name: "future", header: sign(t0.Add(5*time.Minute + time.Second)), want: webhooks.ErrStale},
		{name: "far future", header: sign(t0.Add(1000 * time.Hour)), want: webhooks.ErrStale},
		{name: "missing", header: "", want: webhooks.ErrNoSignature},
		{name: "blank", header: "   ", want: webhooks.ErrNoSignature},
		{name: "no v1", header: "t=" + ts, want: webhooks.ErrNoSignature},
		{name: "only unknown schemes", header: "t=" + ts + ",v0=" + sig, want: webhooks.ErrNoSignature},
		{name: "garbage", header: "garbage", want: webhooks.ErrMalformedSignature},
		{name: "bare signature", header: sig, want: webhooks.ErrMalformedSignature},
		{name: "no timestamp", header: "v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "empty timestamp", header: "t=,v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "two timestamps", header: "t=" + ts + ",t=" + ts + ",v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "timestamp not a number", header: "t=yesterday,v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "timestamp in ms", header: "t=" + ts + "000000000000,v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "signed timestamp", header: "t=+" + ts + ",v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "negative timestamp", header: "t=-" + ts + ",v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "leading zero", header: "t=0" + ts + ",v1=" + sig, want: webhooks.ErrMalformedSignature},
		{name: "v1 not hex", header: "t=" + ts + ",v1=" + strings.Repeat("z", 64), want: webhooks.ErrMalformedSignature},
		{name: "v1 short", header: "t=" + ts + ",v1=" + sig[:62], want: webhooks.ErrMalformedSignature},
		{name: "v1 long", header: "t=" + ts + ",v1=" + sig + "00", want: webhooks.ErrMalformedSignature},
		{name: "trailing comma", header: valid + ",", want: webhooks.ErrMalformedSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, secrets, tol := body, keys, 5*time.Minute
			if tt.body != nil {
				b = tt.body
			}
			if tt.secrets != nil {
				secrets = tt.secrets
			}
			if tt.tolerance != 0 {
				tol = tt.tolerance
			}
			err := webhooks.Verify(tt.header, b, secrets, tol, t0)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			// Exactly one sentinel matches.
			n := 0
			for _, s := range []error{webhooks.ErrNoSignature, webhooks.ErrMalformedSignature, webhooks.ErrBadSignature, webhooks.ErrStale} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("Verify = %v matches %d sentinels, want 1", err, n)
			}
			if strings.Contains(err.Error(), string(newKey)) || strings.Contains(err.Error(), sig) {
				t.Errorf("error %q contains a secret or signature", err)
			}
		})
	}
}

// statusServer answers every request with code and body.
func statusServer(t *testing.T, code int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// refusedURL returns the URL of a server that has been closed: connecting to
// it is refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func TestSendStatus(t *testing.T) {
	t.Parallel()
	const (
		ok = iota
		permanent
		retryable
	)
	for _, tt := range []struct {
		code int // 0: connection refused
		want int
	}{
		{200, ok}, {201, ok}, {202, ok}, {204, ok},
		{400, permanent}, {401, permanent}, {403, permanent}, {404, permanent},
		{410, permanent}, {413, permanent}, {422, permanent},
		{408, retryable}, {429, retryable}, {500, retryable}, {502, retryable},
		{503, retryable}, {504, retryable}, {301, retryable}, {302, retryable},
		{0, retryable},
	} {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			t.Parallel()
			var u string
			if tt.code == 0 {
				u = refusedURL(t)
			} else {
				u = statusServer(t, tt.code, "  nope\n")
			}
			s := &webhooks.Sender{URL: u, Secrets: [][]byte{newKey}}
			err := s.Send(t.Context(), testEvent())
			switch tt.want {
			case ok:
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			case permanent:
				if !errors.Is(err, webhooks.ErrPermanent) {
					t.Fatalf("Send = %v, want permanent", err)
				}
			case retryable:
				if err == nil || errors.Is(err, webhooks.ErrPermanent) {
					t.Fatalf("Send = %v, want retryable", err)
				}
			}
			var se *webhooks.StatusError
			if tt.code == 0 {
				if errors.As(err, &se) {
					t.Errorf("connection refused gave a StatusError: %v", err)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.code || se.Body != "nope" {
				t.Errorf("StatusError = %+v, want code %d, body %q", se, tt.code, "nope")
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tt.code)) {
				t.Errorf("error %q does not name status %d", err, tt.code)
			}
		})
	}
}

func TestSendInvalid(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("invalid delivery reached the receiver")
	}))
	t.Cleanup(srv.Close)
	good := webhooks.Sender{URL: srv.URL, Secrets: [][]byte{newKey}}

	for _, tt := range []struct {
		name string
		edit func(*webhooks.Sender, *webhooks.Event)
	}{
		{"no id", func(_ *webhooks.Sender, e *webhooks.Event) { e.ID = "" }},
		{"no type", func(_ *webhooks.Sender, e *webhooks.Event) { e.Type = "" }},
		{"no created_at", func(_ *webhooks.Sender, e *webhooks.Event) { e.CreatedAt = time.Time{} }},
		{"invalid data", func(_ *webhooks.Sender, e *webhooks.Event) { e.Data = json.RawMessage(`{"a":`) }},
		{"no secrets", func(s *webhooks.Sender, _ *webhooks.Event) { s.Secrets = nil }},
		{"empty secret", func(s *webhooks.Sender, _ *webhooks.Event) { s.Secrets = [][]byte{newKey, {}} }},
		{"no url", func(s *webhooks.Sender, _ *webhooks.Event) { s.URL = "" }},
		{"relative url", func(s *webhooks.Sender, _ *webhooks.Event) { s.URL = "/hooks" }},
		{"ftp url", func(s *webhooks.Sender, _ *webhooks.Event) { s.URL = "ftp://example.com/hooks" }},
		{"bad url", func(s *webhooks.Sender, _ *webhooks.Event) { s.URL = "http://[::1" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ev := good, testEvent()
			tt.edit(&s, &ev)
			if err := s.Send(t.Context(), ev); !errors.Is(err, webhooks.ErrPermanent) {
				t.Errorf("Send = %v, want permanent", err)
			}
		})
	}
}

func TestSendCanceled(t *testing.T) {
	t.Parallel()
	u := statusServer(t, http.StatusNoContent, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := (&webhooks.Sender{URL: u, Secrets: [][]byte{newKey}}).Send(ctx, testEvent())
	if !errors.Is(err, context.Canceled) || errors.Is(err, webhooks.ErrPermanent) {
		t.Errorf("Send = %v, want retryable context.Canceled", err)
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // never answers while the client waits
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	s := &webhooks.Sender{URL: srv.URL, Secrets: [][]byte{newKey}, Client: &http.Client{Timeout: 50 * time.Millisecond}}
	err := s.Send(t.Context(), testEvent())
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() || errors.Is(err, webhooks.ErrPermanent) {
		t.Errorf("Send = %v, want a retryable timeout", err)
	}
}

// An endless answer does not hang Send: it reads a capped prefix.
func TestSendCapsResponse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("é", 2048))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	err := (&webhooks.Sender{URL: srv.URL, Secrets: [][]byte{newKey}}).Send(t.Context(), testEvent())
	var se *webhooks.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusInternalServerError {
		t.Fatalf("Send = %v, want a 500 StatusError", err)
	}
	if len(se.Body) > 512+len("\uFFFD") || !strings.HasPrefix(se.Body, "éé") {
		t.Errorf("StatusError.Body has %d bytes (%.20q…), want at most 512 of the answer", len(se.Body), se.Body)
	}
}

// Errors name neither the secrets nor a token in the endpoint's path or query.
func TestSendErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	const token = "tok_ENDPOINT_SECRET"
	for _, u := range []string{
		refusedURL(t) + "/hooks/" + token + "?key=" + token,
		statusServer(t, http.StatusServiceUnavailable, "down") + "/hooks/" + token,
	} {
		err := (&webhooks.Sender{URL: u, Secrets: [][]byte{newKey, oldKey}}).Send(t.Context(), testEvent())
		if err == nil {
			t.Fatalf("Send(%s) = nil, want an error", u)
		}
		for _, secret := range []string{token, string(newKey), string(oldKey)} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains %q", err, secret)
			}
		}
	}
	err := (&webhooks.Sender{URL: "http://[::1/" + token, Secrets: [][]byte{newKey}}).Send(t.Context(), testEvent())
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("bad URL: error %v, want one without the URL", err)
	}
}

func TestEventJSON(t *testing.T) {
	t.Parallel()
	ev := testEvent()
	ev.CreatedAt = time.Date(2026, 1, 1, 1, 2, 3, 500_000_000, time.FixedZone("CET", 3600))
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"evt_01","type":"withdrawal.updated","created_at":"2026-01-01T00:02:03.5Z","data":{"withdrawal_id":"wd_42","status":"paid"}}`
	if string(b) != want {
		t.Errorf("json =\n%s\nwant\n%s", b, want)
	}
	var back webhooks.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ev, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(webhooks.Sign([][]byte{newKey}, t0, []byte("{}")), []byte("{}"), []byte("k"))
	f.Add("t=1767225600,v1=00", []byte(""), []byte(""))
	f.Add("t=,v1=,v1", []byte("x"), []byte("k"))
	f.Add(",,,=,t==1", []byte("x"), []byte("k"))
	f.Fuzz(func(t *testing.T, header string, body, secret []byte) {
		// Arbitrary headers never panic, and an empty secret accepts nothing.
		err := webhooks.Verify(header, body, [][]byte{secret}, time.Minute, t0)
		if err == nil && len(secret) == 0 {
			t.Fatalf("empty secret verified %q", header)
		}
		// A genuine signature always verifies; the body with a byte
		// appended does not.
		if len(secret) == 0 {
			return
		}
		h := webhooks.Sign([][]byte{secret}, t0, body)
		if err := webhooks.Verify(h, body, [][]byte{secret}, time.Minute, t0); err != nil {
			t.Fatalf("genuine signature: %v", err)
		}
		if err := webhooks.Verify(h, append(body[:len(body):len(body)], 'x'), [][]byte{secret}, time.Minute, t0); !errors.Is(err, webhooks.ErrBadSignature) {
			t.Fatalf("altered body: %v, want ErrBadSignature", err)
		}
	})
}
