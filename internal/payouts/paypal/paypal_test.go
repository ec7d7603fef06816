package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/money"
)

const (
	testClientID  = "client-id-123"
	testSecret    = "client-secret-456"
	testWebhookID = "1JE4291016473214C"
	testEmail     = "creator@example.com"
)

// fakePayPal is an httptest server that speaks the documented shapes of
// PayPal's OAuth2, Payouts and webhook verification APIs and checks what it
// is sent. Batches are kept by sender_batch_id; a PayPal-Request-Id seen
// before is answered with the stored response when honourRequestID is set.
type fakePayPal struct {
	t   *testing.T
	srv *httptest.Server

	mu              sync.Mutex
	honourRequestID bool
	expiresIn       int
	valid           map[string]bool // access tokens currently accepted
	tokenCalls      int
	payoutPosts     int
	getCalls        int
	verifyCalls     int
	batches         map[string]*fakeBatch // by sender_batch_id
	byID            map[string]*fakeBatch // by payout_batch_id
	replays         map[string]fakeReply  // by PayPal-Request-Id
	requestIDs      []string              // PayPal-Request-Id of every payout POST

	// Fault injection.
	failBefore   []int           // answer the next payout POSTs with these 5xx before creating anything
	failAfter    int             // create the batch, then answer 500 this many times
	dropAfter    int             // create the batch, then close the connection this many times
	reject       *fakeReply      // refuse every payout POST with this answer
	noDupLink    bool            // the duplicate error carries no link
	dupLinkTo    string          // the duplicate error links to this batch id instead
	onPayout     func()          // called when a payout POST arrives, before anything else
	hang         bool            // after onPayout, wait for the client to go away and answer nothing
	deny401      bool            // answer 401 to every API call, whatever the token
	verifyStatus string          // verification_status answered; SUCCESS when empty
	lastVerify   json.RawMessage // body of the last verification call
}

type fakeBatch struct {
	id, senderBatchID, status string
	item                      fakeItem
}

type fakeItem struct {
	RecipientType string `json:"recipient_type"`
	Amount        struct {
		Value    string `json:"value"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Receiver     string `json:"receiver"`
	SenderItemID string `json:"sender_item_id"`
	Note         string `json:"note,omitempty"`
}

type fakeReply struct {
	status int
	body   string
}

func newFake(t *testing.T) *fakePayPal {
	t.Helper()
	f := &fakePayPal{
		t:               t,
		honourRequestID: true,
		expiresIn:       32400,
		valid:           map[string]bool{},
		batches:         map[string]*fakeBatch{},
		byID:            map[string]*fakeBatch{},
		replays:         map[string]fakeReply{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", f.token)
	mux.HandleFunc("POST /v1/payments/payouts", f.authed(f.createPayout))
	mux.HandleFunc("GET /v1/payments/payouts/{id}", f.authed(f.getPayout))
	mux.HandleFunc("POST /v1/notifications/verify-webhook-signature", f.authed(f.verify))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake paypal: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Paypal-Debug-Id", "f0a1b2c3d4e5")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakePayPal) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testSecret {
		f.t.Errorf("token: basic auth = %q, %q, %v", id, secret, ok)
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"Client Authentication failed"}`)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("token: Content-Type = %q", ct)
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		f.t.Errorf("token: form = %v (%v), want grant_type=client_credentials", r.PostForm, err)
	}
	f.mu.Lock()
	f.tokenCalls++
	tok := fmt.Sprintf("A21AAtoken%d", f.tokenCalls)
	f.valid[tok] = true
	expires := f.expiresIn
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"scope":"https://uri.paypal.com/services/payments/payouts","access_token":%q,"token_type":"Bearer","app_id":"APP-80W284485P519543T","expires_in":%d,"nonce":"2026-01-01T00:00:00Z"}`, tok, expires))
}

// authed answers 401 unless the request carries a valid bearer token.
func (f *fakePayPal) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		valid := ok && f.valid[tok] && !f.deny401
		f.mu.Unlock()
		if !valid {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_token","error_description":"Token signature verification failed"}`)
			return
		}
		next(w, r)
	}
}

// revokeTokens makes every token issued so far invalid, as when it expires
// at PayPal before the client expects.
func (f *fakePayPal) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

func (f *fakePayPal) createPayout(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("payout: Content-Type = %q", ct)
	}
	var req struct {
		SenderBatchHeader struct {
			SenderBatchID string `json:"sender_batch_id"`
			EmailSubject  string `json:"email_subject"`
		} `json:"sender_batch_header"`
		Items []fakeItem `json:"items"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.t.Errorf("payout: body: %v", err)
		writeJSON(w, http.StatusBadRequest, `{"name":"MALFORMED_REQUEST","message":"Incoming JSON request does not map to API request"}`)
		return
	}
	reqID := r.Header.Get("PayPal-Request-Id")
	sbid := req.SenderBatchHeader.SenderBatchID
	if len(req.Items) != 1 {
		f.t.Errorf("payout: %d items, want 1", len(req.Items))
		writeJSON(w, http.StatusBadRequest, `{"name":"VALIDATION_ERROR","message":"Invalid request - see details"}`)
		return
	}
	item := req.Items[0]
	if reqID == "" || reqID != sbid || item.SenderItemID != sbid {
		f.t.Errorf("payout: PayPal-Request-Id %q, sender_batch_id %q, sender_item_id %q: want all the withdrawal id", reqID, sbid, item.SenderItemID)
	}
	if req.SenderBatchHeader.EmailSubject == "" {
		f.t.Errorf("payout: no email_subject")
	}
	if item.RecipientType != "EMAIL" || item.Receiver == "" || item.Amount.Value == "" || item.Amount.Currency == "" {
		f.t.Errorf("payout: item %+v", item)
	}

	f.mu.Lock()
	onPayout, hang := f.onPayout, f.hang
	f.mu.Unlock()
	if onPayout != nil {
		onPayout()
	}
	if hang {
		<-r.Context().Done()
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.payoutPosts++
	f.requestIDs = append(f.requestIDs, reqID)
	if len(f.failBefore) > 0 {
		st := f.failBefore[0]
		f.failBefore = f.failBefore[1:]
		writeJSON(w, st, `{"name":"INTERNAL_ERROR","message":"An internal service error has occurred.","debug_id":"d2f960dd11018","information_link":"https://developer.paypal.com/docs/api/payments.payouts-batch/#errors"}`)
		return
	}
	if rep, ok := f.replays[reqID]; ok && f.honourRequestID {
		writeJSON(w, rep.status, rep.body)
		return
	}
	if f.reject != nil {
		writeJSON(w, f.reject.status, f.reject.body)
		return
	}
	if b, ok := f.batches[sbid]; ok {
		linkID := b.id
		if f.dupLinkTo != "" {
			linkID = f.dupLinkTo
		}
		links := fmt.Sprintf(`,"link":[{"href":"https://api-m.sandbox.paypal.com/v1/payments/payouts/%s","rel":"self","method":"GET","encType":"application/json"}]`, linkID)
		if f.noDupLink {
			links = ""
		}
		writeJSON(w, http.StatusBadRequest, `{"name":"USER_BUSINESS_ERROR","message":"User business error.","debug_id":"f05063556a338","information_link":"https://developer.paypal.com/docs/api/payments.payouts-batch/#errors","details":[{"field":"SENDER_BATCH_ID","location":"body","issue":"Batch with given sender_batch_id already exists"`+links+`}],"links":[]}`)
		return
	}
	b := &fakeBatch{id: fmt.Sprintf("5UXD2E8A7EBQ%d", len(f.batches)+1), senderBatchID: sbid, status: "PENDING", item: item}
	f.batches[sbid], f.byID[b.id] = b, b
	created := fakeReply{http.StatusCreated, fmt.Sprintf(`{"batch_header":{"payout_batch_id":%q,"batch_status":"PENDING","sender_batch_header":{"sender_batch_id":%q,"email_subject":%q}},"links":[{"href":"https://api-m.sandbox.paypal.com/v1/payments/payouts/%s","rel":"self","method":"GET","encType":"application/json"}]}`, b.id, sbid, req.SenderBatchHeader.EmailSubject, b.id)}
	f.replays[reqID] = created
	switch {
	case f.dropAfter > 0:
		f.dropAfter--
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			f.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	case f.failAfter > 0:
		f.failAfter--
		writeJSON(w, http.StatusInternalServerError, `{"name":"INTERNAL_ERROR","message":"An internal service error has occurred.","debug_id":"c1932bd0c106d"}`)
	default:
		writeJSON(w, created.status, created.body)
	}
}

func (f *fakePayPal) getPayout(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getCalls++
	b, ok := f.byID[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"name":"RESOURCE_NOT_FOUND","message":"The requested resource was not found","debug_id":"6de4e7d16899d"}`)
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"batch_header":{"payout_batch_id":%q,"batch_status":%q,"time_created":"2026-01-01T10:17:00Z","sender_batch_header":{"sender_batch_id":%q,"email_subject":"You have a payout!"},"amount":{"value":%q,"currency":%q}}}`,
		b.id, b.status, b.senderBatchID, b.item.Amount.Value, b.item.Amount.Currency))
}

func (f *fakePayPal) verify(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("verify: %v", err)
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("verify: body: %v", err)
	}
	for _, k := range []string{"auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time", "webhook_id", "webhook_event"} {
		if len(req[k]) == 0 {
			f.t.Errorf("verify: no %s", k)
		}
	}
	if len(req) != 7 {
		f.t.Errorf("verify: %d fields, want 7", len(req))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.verifyCalls++
	f.lastVerify = body
	st := f.verifyStatus
	if st == "" {
		st = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"verification_status":%q}`, st))
}

// counts returns how many tokens, payout POSTs, batches and verification
// calls the fake has seen.
func (f *fakePayPal) counts() (tokens, posts, batches, verifies int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, f.payoutPosts, len(f.batches), f.verifyCalls
}

func (f *fakePayPal) seen() (gets int, requestIDs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.getCalls, append([]string(nil), f.requestIDs...)
}

func (f *fakePayPal) set(fn func(*fakePayPal)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakePayPal) batch(withdrawalID string) *fakeBatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.batches[withdrawalID]
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newProvider(t *testing.T, f *fakePayPal) (*Provider, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	p, err := New(Config{
		BaseURL:      f.srv.URL,
		ClientID:     testClientID,
		ClientSecret: testSecret,
		WebhookID:    testWebhookID,
		HTTPClient:   f.srv.Client(),
		Now:          c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func payout(id string) cashout.Payout {
	return cashout.Payout{
		WithdrawalID: id,
		UserID:       "usr_1",
		Method:       cashout.Method{Kind: cashout.MethodPayPal, PayPalEmail: testEmail},
		Amount:       1234,
		Currency:     "USD",
		Note:         "Your Glint earnings",
	}
}

func pay(t *testing.T, p *Provider, po cashout.Payout) cashout.PayoutResult {
	t.Helper()
	res, err := p.Pay(t.Context(), po)
	if err != nil {
		t.Fatalf("Pay(%s): %v", po.WithdrawalID, err)
	}
	return res
}

func TestNew(t *testing.T) {
	t.Parallel()
	p, err := New(Config{ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if p.base != LiveURL || p.Name() != "paypal" || p.hc == nil || p.now == nil {
		t.Errorf("defaults: base %q, name %q, client %v", p.base, p.Name(), p.hc)
	}
	p, err = New(Config{BaseURL: SandboxURL + "/", ClientID: "id", ClientSecret: "secret"})
	if err != nil || p.base != SandboxURL {
		t.Errorf("sandbox: base %q, err %v", p.base, err)
	}
	for name, cfg := range map[string]Config{
		"no client id":  {ClientSecret: "secret"},
		"no secret":     {ClientID: "id"},
		"relative url":  {BaseURL: "api-m.paypal.com", ClientID: "id", ClientSecret: "secret"},
		"other scheme":  {BaseURL: "ftp://api-m.paypal.com", ClientID: "id", ClientSecret: "secret"},
		"malformed url": {BaseURL: "https://%zz", ClientID: "id", ClientSecret: "secret"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestPaySuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		amount    int64
		currency  money.Asset
		wantValue string
	}{
		{"USD cents", 1234, "USD", "12.34"},
		{"EUR whole", 50000, "EUR", "500.00"},
		{"JPY has no minor unit", 1500, "JPY", "1500"},
		{"HUF whole forints without decimals", 250000, "HUF", "2500"},
		{"KWD thousandths", 12345, "KWD", "12.345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			p, _ := newProvider(t, f)
			po := payout("wd_" + string(tt.currency))
			po.Amount, po.Currency = tt.amount, tt.currency
			got := pay(t, p, po)
			b := f.batch(po.WithdrawalID)
			if b == nil {
				t.Fatal("no batch at the fake")
			}
			want := cashout.PayoutResult{Status: cashout.PayoutProcessing, ProviderRef: b.id}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if b.item.Amount.Value != tt.wantValue || b.item.Amount.Currency != string(tt.currency) {
				t.Errorf("amount = %+v, want %s %s", b.item.Amount, tt.wantValue, tt.currency)
			}
			if b.item.Receiver != testEmail || b.item.Note != po.Note || b.item.SenderItemID != po.WithdrawalID {
				t.Errorf("item = %+v", b.item)
			}
		})
	}
}

func TestTokenCachedUntilExpiry(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, clk := newProvider(t, f)
	for i := range 3 {
		pay(t, p, payout(fmt.Sprintf("wd_%d", i)))
	}
	if tokens, posts, batches, _ := f.counts(); tokens != 1 || posts != 3 || batches != 3 {
		t.Fatalf("tokens %d, posts %d, batches %d; want 1, 3, 3", tokens, posts, batches)
	}

	clk.advance(8 * time.Hour) // expires_in is 9h, refreshed 5 minutes early
	pay(t, p, payout("wd_3"))
	if tokens, _, _, _ := f.counts(); tokens != 1 {
		t.Fatalf("after 8h: %d token calls, want 1", tokens)
	}
	clk.advance(56 * time.Minute)
	pay(t, p, payout("wd_4"))
	if tokens, _, _, _ := f.counts(); tokens != 2 {
		t.Fatalf("near expiry: %d token calls, want 2", tokens)
	}
}

func TestTokenRefreshedOn401(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, _ := newProvider(t, f)
	pay(t, p, payout("wd_1"))
	f.revokeTokens()

	got := pay(t, p, payout("wd_2"))
	if got.Status != cashout.PayoutProcessing || got.ProviderRef != f.batch("wd_2").id {
		t.Errorf("after refresh: %+v", got)
	}
	tokens, posts, batches, _ := f.counts()
	if tokens != 2 || posts != 2 || batches != 2 {
		t.Errorf("tokens %d, posts %d, batches %d; want 2, 2, 2 (the 401 is answered before the body is read)", tokens, posts, batches)
	}
}

func TestPersistent401IsAnError(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.deny401 = true
	p, _ := newProvider(t, f)

	_, err := p.Pay(t.Context(), payout("wd_1"))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("Pay = %v, want a 401 APIError", err)
	}
	if tokens, _, _, _ := f.counts(); tokens != 2 {
		t.Errorf("%d token calls, want 2 (one refresh, no loop)", tokens)
	}
}

func TestPayRetryAfter5xx(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		setup  func(*fakePayPal)
		honour bool
	}{
		{"5xx before the batch is created", func(f *fakePayPal) { f.failBefore = []int{503} }, true},
		{"5xx after the batch is created, replayed by PayPal-Request-Id", func(f *fakePayPal) { f.failAfter = 1 }, true},
		{"5xx after the batch is created, duplicate sender_batch_id", func(f *fakePayPal) { f.failAfter = 1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.honourRequestID = tt.honour
			tt.setup(f)
			p, _ := newProvider(t, f)

			_, err := p.Pay(t.Context(), payout("wd_1"))
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status < 500 {
				t.Fatalf("first Pay = %v, want a 5xx APIError", err)
			}
			if msg := err.Error(); strings.Contains(msg, testEmail) || strings.Contains(msg, testSecret) {
				t.Errorf("error leaks the email or the secret: %s", msg)
			}
			got := pay(t, p, payout("wd_1"))

			_, posts, batches, _ := f.counts()
			if posts != 2 || batches != 1 {
				t.Fatalf("posts %d, batches %d; want 2 and exactly 1 batch", posts, batches)
			}
			want := cashout.PayoutResult{Status: cashout.PayoutProcessing, ProviderRef: f.batch("wd_1").id}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("retry (-want +got):\n%s", diff)
			}
			if _, ids := f.seen(); !cmp.Equal([]string{"wd_1", "wd_1"}, ids) {
				t.Errorf("PayPal-Request-Id = %q, want the withdrawal id twice", ids)
			}
		})
	}
}

// TestPayLostResponse is the crash case: PayPal creates the batch but the
// answer never reaches us. The retry must find the same batch and pay once.
func TestPayLostResponse(t *testing.T) {
	t.Parallel()
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprintf("honour PayPal-Request-Id %v", honour), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.honourRequestID = honour
			f.dropAfter = 1
			p, _ := newProvider(t, f)

			if res, err := p.Pay(t.Context(), payout("wd_crash")); err == nil {
				t.Fatalf("first Pay = %+v, want an error for the lost response", res)
			}
			if _, _, batches, _ := f.counts(); batches != 1 {
				t.Fatalf("the fake did not create the batch (%d)", batches)
			}
			first := f.batch("wd_crash")

			for range 2 {
				got := pay(t, p, payout("wd_crash"))
				want := cashout.PayoutResult{Status: cashout.PayoutProcessing, ProviderRef: first.id}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("retry (-want +got):\n%s", diff)
				}
			}
			_, posts, batches, _ := f.counts()
			if posts != 3 || batches != 1 {
				t.Errorf("posts %d, batches %d; want 3 posts and exactly one payment", posts, batches)
			}
		})
	}
}

func TestPayDuplicateSenderBatchID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(*fakePayPal)
		wantRef  bool
		wantGets int
	}{
		{"linked batch is read back", func(*fakePayPal) {}, true, 1},
		{"no link: processing, webhook settles", func(f *fakePayPal) { f.noDupLink = true }, false, 0},
		{"link to an unknown batch", func(f *fakePayPal) { f.dupLinkTo = "NOSUCHBATCH" }, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.honourRequestID = false // as PayPal's sandbox behaves: sender_batch_id is the guard
			tt.setup(f)
			p, _ := newProvider(t, f)
			first := pay(t, p, payout("wd_dup"))

			got := pay(t, p, payout("wd_dup"))
			want := cashout.PayoutResult{Status: cashout.PayoutProcessing}
			if tt.wantRef {
				want.ProviderRef = first.ProviderRef
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second Pay (-want +got):\n%s", diff)
			}
			_, posts, batches, _ := f.counts()
			if gets, _ := f.seen(); posts != 2 || batches != 1 || gets != tt.wantGets {
				t.Errorf("posts %d, batches %d, gets %d; want 2, 1, %d", posts, batches, gets, tt.wantGets)
			}
		})
	}
}

func TestPayDuplicateLinkedToAnotherWithdrawal(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.honourRequestID = false
	p, _ := newProvider(t, f)
	other := pay(t, p, payout("wd_other"))
	pay(t, p, payout("wd_dup"))
	f.set(func(f *fakePayPal) { f.dupLinkTo = other.ProviderRef })

	got := pay(t, p, payout("wd_dup"))
	if diff := cmp.Diff(cashout.PayoutResult{Status: cashout.PayoutProcessing}, got); diff != "" {
		t.Errorf("a batch of another withdrawal must not be adopted (-want +got):\n%s", diff)
	}
}

func TestPayRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      fakeReply
		wantReason []string
	}{
		{
			"validation error",
			fakeReply{400, `{"name":"VALIDATION_ERROR","message":"Invalid request - see details","debug_id":"53d95c3d17ae5","information_link":"https://developer.paypal.com/docs/api/payments.payouts-batch/#errors","details":[{"field":"items[0].receiver","location":"body","issue":"Receiver is invalid or does not match with type"}],"links":[]}`},
			[]string{"VALIDATION_ERROR", "Invalid request - see details", "Receiver is invalid"},
		},
		{
			"insufficient funds",
			fakeReply{422, `{"name":"INSUFFICIENT_FUNDS","message":"Sender does not have sufficient funds. Please add funds and retry.","debug_id":"b8c6a1f7a2e0d"}`},
			[]string{"INSUFFICIENT_FUNDS", "sufficient funds"},
		},
		{
			"sender restricted",
			fakeReply{403, `{"name":"SENDER_RESTRICTED","message":"Sender is restricted."}`},
			[]string{"SENDER_RESTRICTED"},
		},
		{
			"4xx without a body",
			fakeReply{400, ``},
			[]string{"HTTP 400"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.reject = &tt.reply
			p, _ := newProvider(t, f)
			got := pay(t, p, payout("wd_1"))
			if got.Status != cashout.PayoutFailed || got.ProviderRef != "" {
				t.Errorf("result = %+v, want failed without ref", got)
			}
			for _, s := range tt.wantReason {
				if !strings.Contains(got.Reason, s) {
					t.Errorf("reason %q lacks %q", got.Reason, s)
				}
			}
			if _, _, batches, _ := f.counts(); batches != 0 {
				t.Errorf("%d batches", batches)
			}
		})
	}
}

func TestPayTransientAnswersAreErrors(t *testing.T) {
	t.Parallel()
	for _, st := range []int{408, 409, 429, 500, 502, 503} {
		t.Run(fmt.Sprint(st), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.reject = &fakeReply{st, `{"name":"RATE_LIMIT_REACHED","message":"Too many requests."}`}
			p, _ := newProvider(t, f)
			res, err := p.Pay(t.Context(), payout("wd_1"))
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != st {
				t.Errorf("Pay = %+v, %v; want an APIError with status %d", res, err, st)
			}
		})
	}
}

func TestPayTimeoutAndNetworkErrors(t *testing.T) {
	t.Parallel()
	t.Run("context ends while PayPal is silent", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		p, _ := newProvider(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		f.onPayout, f.hang = cancel, true // the request is in flight when the caller gives up
		_, err := p.Pay(ctx, payout("wd_1"))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Pay = %v, want context.Canceled", err)
		}
		if _, _, batches, _ := f.counts(); batches != 0 {
			t.Errorf("%d batches", batches)
		}
	})
	t.Run("PayPal unreachable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		p, _ := newProvider(t, f)
		f.srv.Close()
		if _, err := p.Pay(t.Context(), payout("wd_1")); err == nil || !strings.HasPrefix(err.Error(), "paypal: ") {
			t.Errorf("Pay = %v, want a wrapped network error", err)
		}
	})
}

func TestPayRejectsWhatPayPalCannotPay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(*cashout.Payout)
		reason string
	}{
		{"bank method", func(p *cashout.Payout) {
			p.Method = cashout.Method{Kind: cashout.MethodBank, IBAN: "DE89370400440532013000"}
		}, `not payout method "bank"`},
		{"no email", func(p *cashout.Payout) { p.Method.PayPalEmail = " " }, "no email"},
		{"zero amount", func(p *cashout.Payout) { p.Amount = 0 }, "greater than zero"},
		{"fractional forints", func(p *cashout.Payout) { p.Amount, p.Currency = 1250, "HUF" }, "HUF in whole units"},
		{"not a currency", func(p *cashout.Payout) { p.Currency = money.Diamond }, "not a currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			p, _ := newProvider(t, f)
			po := payout("wd_1")
			tt.edit(&po)
			got := pay(t, p, po)
			if got.Status != cashout.PayoutFailed || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("result = %+v, want failed with %q", got, tt.reason)
			}
			if tokens, posts, _, _ := f.counts(); tokens != 0 || posts != 0 {
				t.Errorf("PayPal was called: %d tokens, %d posts", tokens, posts)
			}
		})
	}
	t.Run("no withdrawal id", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		p, _ := newProvider(t, f)
		if _, err := p.Pay(t.Context(), payout("")); err == nil {
			t.Error("Pay without a withdrawal id succeeded")
		}
	})
}

// Webhook tests.

func deliveryHeaders() map[string]string {
	return map[string]string{
		"Paypal-Auth-Algo":         "SHA256withRSA",
		"Paypal-Cert-Url":          "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
		"Paypal-Transmission-Id":   "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
		"Paypal-Transmission-Sig":  "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx/kWy6B5cp7GkT2+pOowfRK7OaynuxUoKW3JcMWw272VKjLTtTAShncla7tGF+55rxyt2KNZIIqxNMJ48RDZheGU5w1npu9dZHnPgTXB9iomeVRoD8O/jhRpnKsGrDschyNdkeh81BJJMH4Ctc6lnCCquoP/GzCzz33MMsNdid7vL/NIWaCsekQpW26FpWPi/tfj8nLA==",
		"Paypal-Transmission-Time": "2026-03-01T12:00:00Z",
	}
}

func headerFunc(h map[string]string) func(string) string {
	hdr := http.Header{}
	for k, v := range h {
		hdr.Set(k, v)
	}
	return hdr.Get
}

// itemEvent is a payout item webhook event as PayPal sends it, indented as
// PayPal's are, so that the test sees it reach the verification untouched.
func itemEvent(eventType, itemStatus, errorsJSON string) []byte {
	errs := ""
	if errorsJSON != "" {
		errs = `,
    "errors": ` + errorsJSON
	}
	return []byte(fmt.Sprintf(`{
  "id": "WH-7Y7254563A4550640-11V2185806837105M",
  "event_version": "1.0",
  "create_time": "2026-03-01T11:59:58Z",
  "resource_type": "payouts_item",
  "event_type": %q,
  "summary": "A payout item has changed",
  "resource": {
    "payout_item_id": "8AELMXH8UB2P8",
    "transaction_id": "0C413693MN970190K",
    "transaction_status": %q,
    "payout_item_fee": {"currency": "USD", "value": "0.35"},
    "payout_batch_id": "Q8KVJG9TZTNN4",
    "payout_item": {
      "recipient_type": "EMAIL",
      "amount": {"value": "12.34", "currency": "USD"},
      "note": "Your Glint earnings",
      "receiver": "creator@example.com",
      "sender_item_id": "wd_42"
    },
    "time_processed": "2026-03-01T11:59:55Z",
    "links": [{"href": "https://api-m.sandbox.paypal.com/v1/payments/payouts-item/8AELMXH8UB2P8", "rel": "item", "method": "GET"}]%s
  },
  "links": [{"href": "https://api-m.sandbox.paypal.com/v1/notifications/webhooks-events/WH-7Y7254563A4550640-11V2185806837105M", "rel": "self", "method": "GET"}]
}`, eventType, itemStatus, errs))
}

func TestWebhookVerifiesAndMaps(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, _ := newProvider(t, f)
	body := itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", "")

	got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), body)
	if err != nil {
		t.Fatal(err)
	}
	want := []cashout.Update{{
		WithdrawalID: "wd_42",
		Status:       cashout.PayoutPaid,
		ProviderRef:  "8AELMXH8UB2P8",
		EventID:      "WH-7Y7254563A4550640-11V2185806837105M",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updates (-want +got):\n%s", diff)
	}

	var sent struct {
		AuthAlgo         string          `json:"auth_algo"`
		CertURL          string          `json:"cert_url"`
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		WebhookEvent     json.RawMessage `json:"webhook_event"`
	}
	if err := json.Unmarshal(f.lastVerify, &sent); err != nil {
		t.Fatal(err)
	}
	h := deliveryHeaders()
	if sent.AuthAlgo != h["Paypal-Auth-Algo"] || sent.CertURL != h["Paypal-Cert-Url"] ||
		sent.TransmissionID != h["Paypal-Transmission-Id"] || sent.TransmissionSig != h["Paypal-Transmission-Sig"] ||
		sent.TransmissionTime != h["Paypal-Transmission-Time"] || sent.WebhookID != testWebhookID {
		t.Errorf("verification request = %s", f.lastVerify)
	}
	if !bytes.Equal(sent.WebhookEvent, body) {
		t.Errorf("webhook_event was altered:\n%s\nwant\n%s", sent.WebhookEvent, body)
	}
}

func TestWebhookEventTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		eventType, itemStatus, errors string
		wantStatus, wantReason        string
	}{
		{"PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", "", cashout.PayoutPaid, ""},
		{"PAYMENT.PAYOUTS-ITEM.FAILED", "FAILED", `{"name": "RECEIVER_UNREGISTERED", "message": "Receiver is unregistered"}`, cashout.PayoutFailed, "Receiver is unregistered"},
		{"PAYMENT.PAYOUTS-ITEM.BLOCKED", "BLOCKED", `{"name": "RECEIVER_ACCOUNT_LOCKED"}`, cashout.PayoutFailed, "RECEIVER_ACCOUNT_LOCKED"},
		{"PAYMENT.PAYOUTS-ITEM.DENIED", "DENIED", "", cashout.PayoutFailed, ""},
		{"PAYMENT.PAYOUTS-ITEM.CANCELED", "RETURNED", "", cashout.PayoutFailed, ""},
		{"PAYMENT.PAYOUTS-ITEM.RETURNED", "RETURNED", `[{"name": "RECEIVER_UNCONFIRMED", "message": "Receiver did not claim the payment"}]`, cashout.PayoutReturned, "Receiver did not claim the payment"},
		{"PAYMENT.PAYOUTS-ITEM.REFUNDED", "REFUNDED", "", cashout.PayoutReturned, ""},
		{"PAYMENT.PAYOUTS-ITEM.UNCLAIMED", "UNCLAIMED", `{"name": "RECEIVER_UNREGISTERED", "message": "Receiver is unregistered"}`, cashout.PayoutUnclaimed, "Receiver is unregistered"},
		{"PAYMENT.PAYOUTS-ITEM.HELD", "ONHOLD", "", cashout.PayoutUnclaimed, ""},
	}
	f := newFake(t)
	p, _ := newProvider(t, f)
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			t.Parallel()
			got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), itemEvent(tt.eventType, tt.itemStatus, tt.errors))
			if err != nil {
				t.Fatal(err)
			}
			want := []cashout.Update{{
				WithdrawalID: "wd_42",
				Status:       tt.wantStatus,
				ProviderRef:  "8AELMXH8UB2P8",
				Reason:       tt.wantReason,
				EventID:      "WH-7Y7254563A4550640-11V2185806837105M",
			}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("updates (-want +got):\n%s", diff)
			}
		})
	}
	if len(eventStatus) != len(tests) {
		t.Errorf("%d mapped event types, %d tested", len(eventStatus), len(tests))
	}
}

func TestWebhookUnknownEventType(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, _ := newProvider(t, f)
	for _, typ := range []string{"PAYMENT.PAYOUTSBATCH.SUCCESS", "PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.APPROVED"} {
		got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), itemEvent(typ, "SUCCESS", ""))
		if err != nil || got != nil {
			t.Errorf("%s: %v, %v; want no updates and no error", typ, got, err)
		}
	}
	if _, _, _, verifies := f.counts(); verifies != 3 {
		t.Errorf("%d verifications, want 3 (every delivery is verified)", verifies)
	}
}

func TestWebhookVerificationFailure(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.verifyStatus = "FAILURE"
	p, _ := newProvider(t, f)
	got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", ""))
	if !errors.Is(err, ErrUnverified) || got != nil {
		t.Errorf("Webhook = %v, %v; want ErrUnverified and no updates", got, err)
	}
	if _, _, _, verifies := f.counts(); verifies != 1 {
		t.Errorf("%d verifications, want 1", verifies)
	}
}

func TestWebhookMissingHeaders(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, _ := newProvider(t, f)
	for name := range deliveryHeaders() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := deliveryHeaders()
			delete(h, name)
			got, err := p.Webhook(t.Context(), headerFunc(h), itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", ""))
			if !errors.Is(err, ErrUnverified) || got != nil {
				t.Errorf("Webhook = %v, %v; want ErrUnverified", got, err)
			}
		})
	}
	t.Cleanup(func() {
		if tokens, _, _, verifies := f.counts(); tokens != 0 || verifies != 0 {
			t.Errorf("PayPal was called: %d tokens, %d verifications", tokens, verifies)
		}
	})
}

func TestWebhookRejectsWithoutCallingPayPal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		webhookID string
		body      []byte
		unverifed bool
	}{
		{"no webhook id configured", "", itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", ""), true},
		{"body not JSON", testWebhookID, []byte("event_type=PAYMENT.PAYOUTS-ITEM.SUCCEEDED"), false},
		{"body a JSON array", testWebhookID, []byte(`[{"id":"WH-1"}]`), false},
		{"empty body", testWebhookID, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			p, _ := newProvider(t, f)
			p.webhookID = tt.webhookID
			got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), tt.body)
			if err == nil || got != nil || errors.Is(err, ErrUnverified) != tt.unverifed {
				t.Errorf("Webhook = %v, %v", got, err)
			}
			if tokens, _, _, verifies := f.counts(); tokens != 0 || verifies != 0 {
				t.Errorf("PayPal was called: %d tokens, %d verifications", tokens, verifies)
			}
		})
	}
}

func TestWebhookItemEventWithoutWithdrawal(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	p, _ := newProvider(t, f)
	body := bytes.Replace(itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", ""), []byte(`"sender_item_id": "wd_42"`), []byte(`"sender_item_id": ""`), 1)
	got, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), body)
	if err == nil || got != nil {
		t.Errorf("Webhook = %v, %v; want an error", got, err)
	}
}
