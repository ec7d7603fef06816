package stripe_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	stripego "github.com/stripe/stripe-go/v82"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/payments/stripe"
)

const (
	testKey    = "sk_test_51S0aBcLkdIwHu7ixGlintAdapterTestKey"
	secretOld  = "whsec_0ldS3cr3tF0rR0tat10nT3sts0000"
	secretNew  = "whsec_N3wS3cr3tF0rR0tat10nT3sts1111"
	successURL = "https://glint.example/coins?session={CHECKOUT_SESSION_ID}"
	cancelURL  = "https://glint.example/coins?cancelled=1"
	purchaseID = "p_6b1f0c9e2a7d4e58b3c1a9f0"
)

// testNow is the injected clock of every provider in these tests.
var testNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

func newProvider(t *testing.T, mod func(*stripe.Config)) *stripe.Provider {
	t.Helper()
	cfg := stripe.Config{
		SecretKey:      testKey,
		WebhookSecrets: []string{secretNew},
		SuccessURL:     successURL,
		CancelURL:      cancelURL,
		BackendURL:     "http://127.0.0.1:1", // nothing listens: a test that calls Stripe sets its own
		Now:            func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := stripe.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func testPurchase() *gifting.Purchase {
	return &gifting.Purchase{
		ID: purchaseID, UserID: "u_alice", Provider: "stripe", PackageID: "web-usd-350", Channel: "web",
		Coins: 350, Price: economy.NewAmount(499, "USD"), PriceUnits: 499, Status: gifting.PurchasePending,
	}
}

// fakeStripe is an httptest server that answers POST /v1/checkout/sessions
// as Stripe does: form-encoded parameters, bearer auth with the secret key,
// and an Idempotency-Key whose second use replays the first answer.
type fakeStripe struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []fakeRequest
	replies  map[string][]byte // by Idempotency-Key
	created  int               // sessions created
	refuse   bool              // answer 400 invalid_request_error
}

type fakeRequest struct {
	Header http.Header
	Form   url.Values
}

func newFakeStripe(t *testing.T) *fakeStripe {
	t.Helper()
	f := &fakeStripe{t: t, replies: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func stripeError(w http.ResponseWriter, status int, typ, code, param, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"type": typ, "code": code, "param": param, "message": msg,
		"request_log_url": "https://dashboard.stripe.com/test/logs/req_fake",
	}})
}

func (f *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "", "", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		stripeError(w, http.StatusUnauthorized, "invalid_request_error", "", "", "Invalid API Key provided.")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "unexpected Content-Type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "", "", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{Header: r.Header.Clone(), Form: r.PostForm})
	if f.refuse {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "amount_too_small",
			"line_items[0][price_data][unit_amount]", "The Checkout Session's total amount due must add up to at least $0.50 usd")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if body, ok := f.replies[key]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		_, _ = w.Write(body)
		return
	}
	f.created++
	id := fmt.Sprintf("cs_test_a1%02dGlintFakeSessionXz3mW9tYb2Nc4Hd7Jf0Lg5Ks6Mq1Pr2", f.created)
	form := r.PostForm
	body, err := json.Marshal(map[string]any{
		"id":                  id,
		"object":              "checkout.session",
		"amount_subtotal":     json.Number(form.Get("line_items[0][price_data][unit_amount]")),
		"amount_total":        json.Number(form.Get("line_items[0][price_data][unit_amount]")),
		"cancel_url":          form.Get("cancel_url"),
		"client_reference_id": form.Get("client_reference_id"),
		"created":             testNow.Unix(),
		"currency":            form.Get("line_items[0][price_data][currency]"),
		"customer":            nil,
		"expires_at":          testNow.Add(24 * time.Hour).Unix(),
		"livemode":            false,
		"metadata": map[string]string{
			"purchase_id": form.Get("metadata[purchase_id]"),
			"user_id":     form.Get("metadata[user_id]"),
			"package_id":  form.Get("metadata[package_id]"),
			"coins":       form.Get("metadata[coins]"),
		},
		"mode":                 form.Get("mode"),
		"payment_intent":       nil,
		"payment_method_types": []string{"card", "link"},
		"payment_status":       "unpaid",
		"status":               "open",
		"success_url":          form.Get("success_url"),
		"ui_mode":              "hosted",
		"url":                  "https://checkout.stripe.com/c/pay/" + id + "#fidkdWxOYHwnPyd1blpxYHZxWjA0",
	})
	if err != nil {
		f.t.Errorf("fake stripe: %v", err)
	}
	f.replies[key] = body
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (f *fakeStripe) snapshot() ([]fakeRequest, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...), f.created
}

func TestNew(t *testing.T) {
	t.Parallel()
	ok := stripe.Config{SecretKey: testKey, WebhookSecrets: []string{secretNew}, SuccessURL: successURL}
	tests := []struct {
		name    string
		mod     func(*stripe.Config)
		wantErr string
	}{
		{"minimal", func(*stripe.Config) {}, ""},
		{"no secret key", func(c *stripe.Config) { c.SecretKey = "" }, "no secret key"},
		{"no webhook secret", func(c *stripe.Config) { c.WebhookSecrets = nil }, "no webhook secret"},
		{"only empty webhook secrets", func(c *stripe.Config) { c.WebhookSecrets = []string{"", ""} }, "no webhook secret"},
		{"no success url", func(c *stripe.Config) { c.SuccessURL = "" }, "no success URL"},
		{"negative tolerance", func(c *stripe.Config) { c.Tolerance = -time.Second }, "negative tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.mod(&cfg)
			p, err := stripe.New(cfg)
			if tt.wantErr == "" {
				if err != nil || p == nil {
					t.Fatalf("New = %v, %v; want a provider", p, err)
				}
				if p.Name() != "stripe" {
					t.Errorf("Name = %q, want stripe", p.Name())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q leaks the secret key", err)
			}
		})
	}
}

func TestCheckoutRequest(t *testing.T) {
	t.Parallel()
	f := newFakeStripe(t)
	p := newProvider(t, func(c *stripe.Config) { c.BackendURL = f.srv.URL })

	res, err := p.Checkout(context.Background(), testPurchase())
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	reqs, created := f.snapshot()
	if len(reqs) != 1 || created != 1 {
		t.Fatalf("Stripe saw %d requests creating %d sessions, want 1 and 1", len(reqs), created)
	}
	wantURL := "https://checkout.stripe.com/c/pay/cs_test_a101GlintFakeSessionXz3mW9tYb2Nc4Hd7Jf0Lg5Ks6Mq1Pr2#fidkdWxOYHwnPyd1blpxYHZxWjA0"
	if diff := cmp.Diff(gifting.CheckoutResult{Completed: false, CheckoutURL: wantURL}, res); diff != "" {
		t.Errorf("CheckoutResult (-want +got):\n%s", diff)
	}

	req := reqs[0]
	wantForm := url.Values{
		"mode":                                   {"payment"},
		"client_reference_id":                    {purchaseID},
		"success_url":                            {successURL},
		"cancel_url":                             {cancelURL},
		"adaptive_pricing[enabled]":              {"false"},
		"line_items[0][price_data][currency]":    {"usd"},
		"line_items[0][price_data][unit_amount]": {"499"},
		"line_items[0][price_data][product_data][name]": {"350 coins"},
		"line_items[0][quantity]":                       {"1"},
		"metadata[purchase_id]":                         {purchaseID},
		"metadata[user_id]":                             {"u_alice"},
		"metadata[package_id]":                          {"web-usd-350"},
		"metadata[coins]":                               {"350"},
		"payment_intent_data[metadata][purchase_id]":    {purchaseID},
		"payment_intent_data[metadata][user_id]":        {"u_alice"},
		"payment_intent_data[metadata][package_id]":     {"web-usd-350"},
		"payment_intent_data[metadata][coins]":          {"350"},
	}
	if diff := cmp.Diff(wantForm, req.Form); diff != "" {
		t.Errorf("form sent to Stripe (-want +got):\n%s", diff)
	}
	for h, want := range map[string]string{
		"Idempotency-Key": purchaseID,
		"Authorization":   "Bearer " + testKey,
		"Stripe-Version":  stripego.APIVersion,
	} {
		if got := req.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
}

func TestCheckoutRetryIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFakeStripe(t)
	p := newProvider(t, func(c *stripe.Config) { c.BackendURL = f.srv.URL })
	ctx := context.Background()

	id1, url1, err := p.CheckoutSession(ctx, testPurchase())
	if err != nil {
		t.Fatalf("first CheckoutSession: %v", err)
	}
	// The client retries the purchase with the same idempotency key, so
	// gifting builds the same purchase id.
	id2, url2, err := p.CheckoutSession(ctx, testPurchase())
	if err != nil {
		t.Fatalf("retried CheckoutSession: %v", err)
	}
	if id1 != id2 || url1 != url2 {
		t.Errorf("retry answered session %s %s, want the first %s %s", id2, url2, id1, url1)
	}
	if !strings.HasPrefix(id1, "cs_test_") || !strings.Contains(url1, id1) {
		t.Errorf("session id %q, url %q: want the fake's cs_test_ session and its URL", id1, url1)
	}

	other := testPurchase()
	other.ID = "p_0a9b8c7d6e5f4a3b2c1d0e9f"
	id3, _, err := p.CheckoutSession(ctx, other)
	if err != nil {
		t.Fatalf("CheckoutSession of another purchase: %v", err)
	}
	if id3 == id1 {
		t.Errorf("another purchase got the same session %s", id3)
	}

	reqs, created := f.snapshot()
	if created != 2 {
		t.Errorf("Stripe created %d sessions, want 2 (the retry replays)", created)
	}
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
	}
	if diff := cmp.Diff([]string{purchaseID, purchaseID, other.ID}, keys); diff != "" {
		t.Errorf("Idempotency-Key of each request (-want +got):\n%s", diff)
	}
}

func TestCheckoutCurrencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur          money.Asset
		units        int64
		wantCurrency string
		wantAmount   string
	}{
		{"EUR", 999, "eur", "999"},
		{"JPY", 600, "jpy", "600"},       // zero-decimal: yen
		{"HUF", 150000, "huf", "150000"}, // 1500.00 HUF, whole forints
		{"KWD", 1500, "kwd", "1500"},     // 1.500 KWD, last digit 0
		{"GBP", 1, "gbp", "1"},           // Stripe's minimum is Stripe's business
	}
	for _, tt := range tests {
		t.Run(string(tt.cur), func(t *testing.T) {
			t.Parallel()
			f := newFakeStripe(t)
			p := newProvider(t, func(c *stripe.Config) { c.BackendURL = f.srv.URL })
			pu := testPurchase()
			pu.Price, pu.PriceUnits = economy.NewAmount(tt.units, tt.cur), tt.units
			if _, err := p.Checkout(context.Background(), pu); err != nil {
				t.Fatalf("Checkout: %v", err)
			}
			reqs, _ := f.snapshot()
			if len(reqs) != 1 {
				t.Fatalf("Stripe saw %d requests, want 1", len(reqs))
			}
			form := reqs[0].Form
			if got := form.Get("line_items[0][price_data][currency]"); got != tt.wantCurrency {
				t.Errorf("currency = %q, want %q", got, tt.wantCurrency)
			}
			if got := form.Get("line_items[0][price_data][unit_amount]"); got != tt.wantAmount {
				t.Errorf("unit_amount = %q, want %q", got, tt.wantAmount)
			}
		})
	}
}

func TestCheckoutRefusesBeforeCallingStripe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(*gifting.Purchase)
		nilP    bool
		wantErr string
		wantIs  error
	}{
		{name: "nil purchase", nilP: true, wantErr: "no id"},
		{name: "no id", mod: func(p *gifting.Purchase) { p.ID = "" }, wantErr: "no id"},
		{name: "no user", mod: func(p *gifting.Purchase) { p.UserID = "" }, wantErr: "no user"},
		{name: "zero coins", mod: func(p *gifting.Purchase) { p.Coins = 0 }, wantIs: money.ErrNotPositive},
		{name: "zero price", mod: func(p *gifting.Purchase) { p.PriceUnits = 0 }, wantIs: money.ErrNotPositive},
		{name: "negative price", mod: func(p *gifting.Purchase) { p.PriceUnits = -499 }, wantIs: money.ErrNotPositive},
		{name: "coin currency", mod: func(p *gifting.Purchase) { p.Price.Currency = money.Coin }, wantIs: money.ErrUnknownAsset},
		{name: "unknown currency", mod: func(p *gifting.Purchase) { p.Price.Currency = "ZZZ" }, wantIs: money.ErrUnknownAsset},
		{name: "ISK", mod: func(p *gifting.Purchase) { p.Price.Currency = "ISK" }, wantErr: "not supported"},
		{name: "HUF fraction", mod: func(p *gifting.Purchase) { p.Price.Currency, p.PriceUnits = "HUF", 149950 }, wantErr: "whole units"},
		{name: "KWD last digit", mod: func(p *gifting.Purchase) { p.Price.Currency, p.PriceUnits = "KWD", 1505 }, wantErr: "last digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeStripe(t)
			p := newProvider(t, func(c *stripe.Config) { c.BackendURL = f.srv.URL })
			var pu *gifting.Purchase
			if !tt.nilP {
				pu = testPurchase()
				tt.mod(pu)
			}
			res, err := p.Checkout(context.Background(), pu)
			if err == nil {
				t.Fatalf("Checkout = %+v, want an error", res)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want one containing %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tt.wantIs)
			}
			if reqs, _ := f.snapshot(); len(reqs) != 0 {
				t.Errorf("Stripe was called %d times, want 0", len(reqs))
			}
		})
	}
}

func TestCheckoutStripeRefuses(t *testing.T) {
	t.Parallel()
	f := newFakeStripe(t)
	f.refuse = true
	p := newProvider(t, func(c *stripe.Config) { c.BackendURL = f.srv.URL })

	_, err := p.Checkout(context.Background(), testPurchase())
	var se *stripego.Error
	if !errors.As(err, &se) {
		t.Fatalf("Checkout error %v (%T), want one wrapping *stripe.Error", err, err)
	}
	if se.HTTPStatusCode != http.StatusBadRequest || se.Code != stripego.ErrorCodeAmountTooSmall || se.Type != stripego.ErrorTypeInvalidRequest {
		t.Errorf("stripe error = status %d code %q type %q, want 400 amount_too_small invalid_request_error", se.HTTPStatusCode, se.Code, se.Type)
	}
	if !strings.Contains(err.Error(), purchaseID) || strings.Contains(err.Error(), testKey) {
		t.Errorf("error %q: want the purchase id and not the key", err)
	}
	if reqs, _ := f.snapshot(); len(reqs) != 1 {
		t.Errorf("Stripe saw %d requests, want 1 (a 400 is not retried)", len(reqs))
	}
}

func TestCheckoutWrongKey(t *testing.T) {
	t.Parallel()
	f := newFakeStripe(t)
	p := newProvider(t, func(c *stripe.Config) {
		c.BackendURL = f.srv.URL
		c.SecretKey = "sk_test_someoneElsesKey"
	})
	_, err := p.Checkout(context.Background(), testPurchase())
	var se *stripego.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != http.StatusUnauthorized {
		t.Fatalf("Checkout error %v, want a 401 *stripe.Error", err)
	}
}

// readEvent reads a webhook payload from testdata.
func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sig is a hand-made v1 signature, independent of stripe-go.
func sig(secret string, ts time.Time, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", ts.Unix())
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestSignForTest(t *testing.T) {
	t.Parallel()
	payload := readEvent(t, "checkout_session_completed_paid.json")
	got := stripe.SignForTest(secretNew, testNow, payload)
	want := fmt.Sprintf("t=%d,v1=%s", testNow.Unix(), sig(secretNew, testNow, payload))
	if got != want {
		t.Errorf("SignForTest = %q, want %q", got, want)
	}
}

func TestParseSignature(t *testing.T) {
	t.Parallel()
	payload := readEvent(t, "checkout_session_completed_paid.json")
	at := func(d time.Duration) time.Time { return testNow.Add(d) }
	header := func(ts time.Time, sigs ...string) string {
		h := fmt.Sprintf("t=%d", ts.Unix())
		for _, s := range sigs {
			h += ",v1=" + s
		}
		return h
	}
	tampered := bytes.Replace(payload, []byte(`"amount_total": 499`), []byte(`"amount_total": 1`), 1)
	if bytes.Equal(tampered, payload) {
		t.Fatal("tampering changed nothing")
	}
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		header    string
		body      []byte // payload when nil
		wantErr   error
	}{
		{name: "valid", header: stripe.SignForTest(secretNew, testNow, payload)},
		{name: "missing header", header: "", wantErr: stripe.ErrNoSignature},
		{name: "no v1 signature", header: fmt.Sprintf("t=%d,v0=%s", testNow.Unix(), sig(secretNew, testNow, payload)), wantErr: stripe.ErrNoSignature},
		{name: "tampered body", header: stripe.SignForTest(secretNew, testNow, payload), body: tampered, wantErr: stripe.ErrBadSignature},
		{name: "other secret", header: stripe.SignForTest("whsec_notOurs", testNow, payload), wantErr: stripe.ErrBadSignature},
		{name: "signature of another timestamp", header: header(at(time.Second), sig(secretNew, testNow, payload)), wantErr: stripe.ErrBadSignature},
		{name: "v1 not hex", header: header(testNow, "zz"+sig(secretNew, testNow, payload)[2:]), wantErr: stripe.ErrBadSignature},
		{name: "stale", header: stripe.SignForTest(secretNew, at(-301*time.Second), payload), wantErr: stripe.ErrStale},
		{name: "oldest accepted", header: stripe.SignForTest(secretNew, at(-300*time.Second), payload)},
		{name: "future beyond tolerance", header: stripe.SignForTest(secretNew, at(301*time.Second), payload), wantErr: stripe.ErrStale},
		{name: "future within tolerance", header: stripe.SignForTest(secretNew, at(299*time.Second), payload)},
		{name: "stale under a custom tolerance", tolerance: time.Minute, header: stripe.SignForTest(secretNew, at(-61*time.Second), payload), wantErr: stripe.ErrStale},
		{name: "stale and forged is a bad signature", header: stripe.SignForTest("whsec_notOurs", at(-time.Hour), payload), wantErr: stripe.ErrBadSignature},
		{
			name:   "two v1, the new secret's second",
			header: header(testNow, sig(secretOld, testNow, payload), sig(secretNew, testNow, payload)),
		},
		{
			name:    "two v1, the old secret's first",
			secrets: []string{secretOld},
			header:  header(testNow, sig(secretOld, testNow, payload), sig(secretNew, testNow, payload)),
		},
		{
			name:    "two v1, neither ours",
			secrets: []string{"whsec_notOurs"},
			header:  header(testNow, sig(secretOld, testNow, payload), sig(secretNew, testNow, payload)),
			wantErr: stripe.ErrBadSignature,
		},
		{name: "rotation: signed with the old secret", secrets: []string{secretOld, secretNew}, header: stripe.SignForTest(secretOld, testNow, payload)},
		{name: "rotation: signed with the new secret", secrets: []string{secretOld, secretNew}, header: stripe.SignForTest(secretNew, testNow, payload)},
		{name: "rotation: signed with neither", secrets: []string{secretOld, secretNew}, header: stripe.SignForTest("whsec_notOurs", testNow, payload), wantErr: stripe.ErrBadSignature},
		{name: "not k=v", header: "garbage", wantErr: stripe.ErrMalformed},
		{name: "k=v=v", header: header(testNow, sig(secretNew, testNow, payload)) + "=", wantErr: stripe.ErrMalformed},
		{name: "no timestamp", header: "v1=" + sig(secretNew, testNow, payload), wantErr: stripe.ErrMalformed},
		{name: "timestamp not a number", header: "t=yesterday,v1=" + sig(secretNew, testNow, payload), wantErr: stripe.ErrMalformed},
		{name: "two timestamps", header: header(testNow, sig(secretNew, testNow, payload)) + fmt.Sprintf(",t=%d", testNow.Unix()), wantErr: stripe.ErrMalformed},
		{name: "signed but not JSON", header: stripe.SignForTest(secretNew, testNow, []byte("<xml/>")), body: []byte("<xml/>"), wantErr: stripe.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, func(c *stripe.Config) {
				if tt.secrets != nil {
					c.WebhookSecrets = tt.secrets
				}
				c.Tolerance = tt.tolerance
			})
			body := tt.body
			if body == nil {
				body = payload
			}
			ev, err := p.Parse(body, tt.header)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if ev.ID != "evt_1S3kQ2LkdIwHu7ixPaid0001" || ev.Kind != stripe.KindPaid {
					t.Errorf("Parse = %s %s, want the paid event", ev.ID, ev.Kind)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if ev != nil {
				t.Errorf("Parse returned an event with its error: %+v", ev)
			}
		})
	}
}

func TestParseEvents(t *testing.T) {
	t.Parallel()
	const (
		sessionID = "cs_test_a1pR8vQkXz3mW9tYb2Nc4Hd7Jf0Lg5Ks6Mq1Pr2St3Uv4Wx5Yz6"
		piID      = "pi_3S3kPzLkdIwHu7ix0Vb9Qx2A"
		chargeID  = "ch_3S3kPzLkdIwHu7ix0Kq1Lm2N"
		disputeID = "du_1S5DsoLkdIwHu7ixFg6Hj7Kl"
	)
	session := func(id, typ string, created int64, kind stripe.Kind, status string) stripe.Event {
		return stripe.Event{
			ID: id, Type: typ, Kind: kind, Created: time.Unix(created, 0).UTC(),
			PurchaseID: purchaseID, SessionID: sessionID, PaymentIntentID: piID,
			Amount: 499, Currency: "USD", PaymentStatus: status,
		}
	}
	tests := []struct {
		file string
		want stripe.Event
	}{
		{"checkout_session_completed_paid.json",
			session("evt_1S3kQ2LkdIwHu7ixPaid0001", "checkout.session.completed", 1756728000, stripe.KindPaid, "paid")},
		{"checkout_session_completed_unpaid.json",
			session("evt_1S3kQ9LkdIwHu7ixUnpd0002", "checkout.session.completed", 1756728000, stripe.KindPending, "unpaid")},
		{"checkout_session_async_payment_succeeded.json",
			session("evt_1S4ZtALkdIwHu7ixAsyc0003", "checkout.session.async_payment_succeeded", 1756900800, stripe.KindPaid, "paid")},
		{"checkout_session_async_payment_failed.json",
			session("evt_1S4ZtBLkdIwHu7ixAsyf0004", "checkout.session.async_payment_failed", 1756900800, stripe.KindFailed, "unpaid")},
		{"checkout_session_expired.json", stripe.Event{
			ID: "evt_1S4ZtCLkdIwHu7ixExpd0005", Type: "checkout.session.expired", Kind: stripe.KindFailed,
			Created: time.Unix(1756814300, 0).UTC(), PurchaseID: "p_0a9b8c7d6e5f4a3b2c1d0e9f",
			SessionID: "cs_test_b7Xy2Zq9Wv8Ut7Sr6Qp5On4Ml3Kj2Ih1Gf0Ed9Cb8Aa7Zz6Yy5",
			Amount:    99, Currency: "USD", PaymentStatus: "unpaid",
		}},
		{"charge_refunded_partial.json", stripe.Event{
			ID: "evt_3S3kPzLkdIwHu7ix0Rfd0006", Type: "charge.refunded", Kind: stripe.KindRefunded,
			Created: time.Unix(1757073600, 0).UTC(), PurchaseID: purchaseID, PaymentIntentID: piID, ChargeID: chargeID,
			Amount: 499, Currency: "USD", AmountRefunded: 200, FullyRefunded: false,
		}},
		{"charge_refunded_full.json", stripe.Event{
			ID: "evt_3S3kPzLkdIwHu7ix0Rfd0007", Type: "charge.refunded", Kind: stripe.KindRefunded,
			Created: time.Unix(1757160000, 0).UTC(), PurchaseID: purchaseID, PaymentIntentID: piID, ChargeID: chargeID,
			Amount: 499, Currency: "USD", AmountRefunded: 499, FullyRefunded: true,
		}},
		{"charge_dispute_created.json", stripe.Event{
			ID: "evt_1S5DspLkdIwHu7ixDsp00008", Type: "charge.dispute.created", Kind: stripe.KindDisputeOpened,
			Created: time.Unix(1757246400, 0).UTC(), PaymentIntentID: piID, ChargeID: chargeID, DisputeID: disputeID,
			Amount: 499, Currency: "USD", DisputeStatus: "needs_response", DisputeFee: 1500, DisputeFeeCurrency: "USD",
		}},
		{"charge_dispute_closed_won.json", stripe.Event{
			ID: "evt_1S8QwnLkdIwHu7ixDwn00009", Type: "charge.dispute.closed", Kind: stripe.KindDisputeClosed,
			Created: time.Unix(1760000000, 0).UTC(), PaymentIntentID: piID, ChargeID: chargeID, DisputeID: disputeID,
			Amount: 499, Currency: "USD", DisputeStatus: "won", DisputeFee: 0, DisputeFeeCurrency: "USD",
		}},
		{"charge_dispute_closed_lost.json", stripe.Event{
			ID: "evt_1S8QxoLkdIwHu7ixDls00010", Type: "charge.dispute.closed", Kind: stripe.KindDisputeClosed,
			Created: time.Unix(1760000100, 0).UTC(), PaymentIntentID: "pi_3S3mAaLkdIwHu7ix1Pp4Qq5R",
			ChargeID: "ch_3S3mAaLkdIwHu7ix1Zz2Yy3X", DisputeID: "du_1S5EabLkdIwHu7ixMn8Op9Qr",
			Amount: 999, Currency: "USD", DisputeStatus: "lost", DisputeFee: 1500, DisputeFeeCurrency: "USD",
		}},
		{"payment_intent_succeeded.json", stripe.Event{
			ID: "evt_3S3kPzLkdIwHu7ix0Pis0011", Type: "payment_intent.succeeded", Kind: stripe.KindIgnored,
			Created: time.Unix(1756727991, 0).UTC(),
		}},
	}
	p := newProvider(t, nil)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			payload := readEvent(t, tt.file)
			ev, err := p.Parse(payload, stripe.SignForTest(secretNew, testNow, payload))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, *ev); diff != "" {
				t.Errorf("Event (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseVariants edits the testdata payloads into shapes Stripe can also
// send, and into shapes it should not.
func TestParseVariants(t *testing.T) {
	t.Parallel()
	paid := string(readEvent(t, "checkout_session_completed_paid.json"))
	created := string(readEvent(t, "charge_dispute_created.json"))
	won := string(readEvent(t, "charge_dispute_closed_won.json"))
	refunded := string(readEvent(t, "charge_refunded_partial.json"))
	edit := func(t *testing.T, s, old, new string) string {
		t.Helper()
		if !strings.Contains(s, old) {
			t.Fatalf("payload has no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	tests := []struct {
		name    string
		payload func(t *testing.T) string
		check   func(t *testing.T, ev *stripe.Event)
		wantErr error
	}{
		{
			name: "free session is ignored",
			payload: func(t *testing.T) string {
				return edit(t, paid, `"payment_status": "paid"`, `"payment_status": "no_payment_required"`)
			},
			check: func(t *testing.T, ev *stripe.Event) {
				if ev.Kind != stripe.KindIgnored || ev.PaymentStatus != "no_payment_required" || ev.PurchaseID != purchaseID {
					t.Errorf("Event = %+v, want ignored no_payment_required for %s", ev, purchaseID)
				}
			},
		},
		{
			name: "purchase id from session metadata",
			payload: func(t *testing.T) string {
				return edit(t, paid, `"client_reference_id": "`+purchaseID+`"`, `"client_reference_id": null`)
			},
			check: func(t *testing.T, ev *stripe.Event) {
				if ev.PurchaseID != purchaseID || ev.Kind != stripe.KindPaid {
					t.Errorf("Event = %+v, want paid for %s", ev, purchaseID)
				}
			},
		},
		{
			name: "client_reference_id and metadata disagree",
			payload: func(t *testing.T) string {
				return edit(t, paid, `"client_reference_id": "`+purchaseID+`"`, `"client_reference_id": "p_somethingElse"`)
			},
			wantErr: stripe.ErrMalformed,
		},
		{
			name: "session not from glint",
			payload: func(t *testing.T) string {
				s := edit(t, paid, `"client_reference_id": "`+purchaseID+`"`, `"client_reference_id": null`)
				return edit(t, s, `"purchase_id": "`+purchaseID+`",`, ``)
			},
			check: func(t *testing.T, ev *stripe.Event) {
				if ev.PurchaseID != "" || ev.PaymentIntentID == "" || ev.Kind != stripe.KindPaid {
					t.Errorf("Event = %+v, want paid with no purchase id", ev)
				}
			},
		},
		{
			name: "dispute with purchase metadata",
			payload: func(t *testing.T) string {
				return edit(t, created, `"metadata": {}`, `"metadata": {"purchase_id": "`+purchaseID+`"}`)
			},
			check: func(t *testing.T, ev *stripe.Event) {
				if ev.PurchaseID != purchaseID || ev.Kind != stripe.KindDisputeOpened {
					t.Errorf("Event = %+v, want dispute opened for %s", ev, purchaseID)
				}
			},
		},
		{
			name: "refund of a charge without metadata",
			payload: func(t *testing.T) string {
				return edit(t, refunded, `"purchase_id": "`+purchaseID+`",`, ``)
			},
			check: func(t *testing.T, ev *stripe.Event) {
				if ev.PurchaseID != "" || ev.PaymentIntentID != "pi_3S3kPzLkdIwHu7ix0Vb9Qx2A" || ev.AmountRefunded != 200 {
					t.Errorf("Event = %+v, want a 200 refund found by payment intent", ev)
				}
			},
		},
		{
			name: "dispute fees in two currencies",
			payload: func(t *testing.T) string {
				return edit(t, won, `"currency": "usd",
          "description": "Chargeback reversal`, `"currency": "eur",
          "description": "Chargeback reversal`)
			},
			wantErr: stripe.ErrMalformed,
		},
		{
			name: "refund event carrying a dispute",
			payload: func(t *testing.T) string {
				return edit(t, created, `"type": "charge.dispute.created"`, `"type": "charge.refunded"`)
			},
			wantErr: stripe.ErrMalformed,
		},
		{
			name: "refunded more than charged",
			payload: func(t *testing.T) string {
				return edit(t, refunded, `"amount_refunded": 200`, `"amount_refunded": 500`)
			},
			wantErr: stripe.ErrMalformed,
		},
		{
			name: "amount as a float",
			payload: func(t *testing.T) string {
				return edit(t, paid, `"amount_total": 499`, `"amount_total": 4.99`)
			},
			wantErr: stripe.ErrMalformed,
		},
		{
			name:    "event without id",
			payload: func(t *testing.T) string { return edit(t, paid, `"id": "evt_1S3kQ2LkdIwHu7ixPaid0001"`, `"id": ""`) },
			wantErr: stripe.ErrMalformed,
		},
	}
	p := newProvider(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := []byte(tt.payload(t))
			ev, err := p.Parse(payload, stripe.SignForTest(secretNew, testNow, payload))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse = %+v, %v; want %v", ev, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, ev)
		})
	}
}

// FuzzParse checks that Parse never panics and that every error it returns
// is one of its four sentinels, for arbitrary headers and for arbitrary
// bodies carrying a valid signature.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"checkout_session_completed_paid.json", "charge_dispute_closed_won.json", "charge_refunded_full.json"} {
		b := readEvent(f, name)
		f.Add(b, stripe.SignForTest(secretNew, testNow, b))
	}
	f.Add([]byte(`{"id":"evt_1","type":"charge.refunded","data":{"object":{"object":"charge","id":"ch_1","amount_refunded":-1}}}`), "t=1,v1=00")
	f.Add([]byte(`{}`), "t=,v1=,=,,")
	p, err := stripe.New(stripe.Config{
		SecretKey: testKey, WebhookSecrets: []string{secretNew}, SuccessURL: successURL,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	check := func(t *testing.T, ev *stripe.Event, err error) {
		t.Helper()
		if err != nil {
			if ev != nil {
				t.Errorf("event %+v with error %v", ev, err)
			}
			for _, s := range []error{stripe.ErrNoSignature, stripe.ErrMalformed, stripe.ErrBadSignature, stripe.ErrStale} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Errorf("error %v wraps no sentinel", err)
			return
		}
		if ev == nil || ev.ID == "" || ev.Type == "" || ev.Kind == "" {
			t.Errorf("event %+v without id, type or kind", ev)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		ev, err := p.Parse(body, header)
		check(t, ev, err)
		ev, err = p.Parse(body, stripe.SignForTest(secretNew, testNow, body))
		check(t, ev, err)
	})
}
