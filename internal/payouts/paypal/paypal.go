// Package paypal pays creators' withdrawals to PayPal email addresses with the
// PayPal Payouts API and turns PayPal's payout webhooks into cashout.Updates.
// It implements cashout.WebhookProvider.
//
// # Flow
//
// Every API call carries an OAuth2 access token from the client-credentials
// grant (POST /v1/oauth2/token with HTTP basic auth). The token is cached
// until shortly before its expires_in; an API call answered 401 drops the
// token, fetches a new one and is retried once.
//
// Pay creates one payout batch of one item (POST /v1/payments/payouts) and
// answers PayoutProcessing with the batch id as ProviderRef: PayPal pays
// asynchronously and the outcome arrives later through Webhook. The live
// endpoint is https://api-m.paypal.com (the default); the sandbox is
// https://api-m.sandbox.paypal.com.
//
// # Idempotency
//
// A withdrawal is paid at most once because its id is used three times:
//
//   - as sender_batch_header.sender_batch_id: PayPal refuses a second batch
//     with a sender_batch_id used in the last 30 days (400
//     USER_BUSINESS_ERROR, details[].field SENDER_BATCH_ID, with a HATEOAS
//     link to the original batch);
//   - as the PayPal-Request-Id header: a retry with the same id is answered
//     with the original response instead of creating a second batch;
//   - as the item's sender_item_id, so that webhooks name the withdrawal.
//
// So Pay can be retried after any error, including a lost response after
// PayPal created the batch. When PayPal reports the sender_batch_id as
// already used, Pay does not pay again: it follows the link to the original
// batch (only its id is taken from the link; the request goes to BaseURL),
// checks that the batch carries this withdrawal's sender_batch_id and
// answers PayoutProcessing with that batch's id, as the first call would
// have. If the link is missing or the batch cannot be read back (a 4xx), Pay
// still answers PayoutProcessing, with an empty ProviderRef, and leaves the
// outcome to the webhook, which names the withdrawal by sender_item_id: a
// duplicate means an earlier request with this id reached PayPal, so
// reporting the withdrawal failed could pay a creator and refund them too.
// A DUPLICATE_REQUEST_ID answer is treated the same way.
//
// Errors (the caller retries with backoff): network errors and timeouts, any
// 5xx, 401 after a token refresh, 408, 409, 425 and 429. PayoutFailed: a
// method that is not a PayPal email, an amount PayPal cannot take, and any
// other 4xx, with PayPal's error name and message as Reason.
//
// # Webhooks
//
// Webhook checks that the five PAYPAL-* transmission headers are present
// and asks PayPal whether the delivery is genuine (POST
// /v1/notifications/verify-webhook-signature with the configured webhook id
// and the event exactly as received); anything but verification_status
// SUCCESS is an error wrapping ErrUnverified. Payout item events map to
// cashout statuses as follows; every other event type yields no update:
//
//	PAYMENT.PAYOUTS-ITEM.SUCCEEDED  cashout.PayoutPaid
//	PAYMENT.PAYOUTS-ITEM.FAILED     cashout.PayoutFailed
//	PAYMENT.PAYOUTS-ITEM.BLOCKED    cashout.PayoutFailed
//	PAYMENT.PAYOUTS-ITEM.DENIED     cashout.PayoutFailed
//	PAYMENT.PAYOUTS-ITEM.CANCELED   cashout.PayoutFailed
//	PAYMENT.PAYOUTS-ITEM.RETURNED   cashout.PayoutReturned
//	PAYMENT.PAYOUTS-ITEM.REFUNDED   cashout.PayoutReturned
//	PAYMENT.PAYOUTS-ITEM.UNCLAIMED  cashout.PayoutUnclaimed
//	PAYMENT.PAYOUTS-ITEM.HELD       cashout.PayoutUnclaimed
//
// CANCELED is failed because only an unclaimed item can be canceled and the
// money comes back to the sender; HELD is unclaimed because the item is
// neither paid nor refused yet, so the hold must stay. The update's
// WithdrawalID is resource.payout_item.sender_item_id, ProviderRef is
// resource.payout_item_id, EventID is the event id and Reason is
// resource.errors.message (or its name) when PayPal gives one.
//
// The package logs nothing; its errors never contain the receiver's email
// or the client secret.
package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/money"
)

// Base URLs of PayPal's REST APIs.
const (
	LiveURL    = "https://api-m.paypal.com"
	SandboxURL = "https://api-m.sandbox.paypal.com"
)

const (
	emailSubject   = "You have a payout from Glint"
	maxNoteRunes   = 1000 // PayPal: batch and item notes together, at most 1000 characters
	maxBody        = 1 << 20
	defaultTimeout = 30 * time.Second
)

// Config configures a Provider.
type Config struct {
	BaseURL      string           // LiveURL when empty
	ClientID     string           // REST app client id (required)
	ClientSecret string           // REST app secret (required)
	WebhookID    string           // id of the webhook in the PayPal app; Webhook refuses every delivery without it
	HTTPClient   *http.Client     // an http.Client with a 30s timeout when nil
	Now          func() time.Time // time.Now when nil; used for the token's expiry
}

// Provider is the PayPal payout provider. It is safe for concurrent use.
type Provider struct {
	base         string
	clientID     string
	clientSecret string
	webhookID    string
	hc           *http.Client
	now          func() time.Time

	mu      sync.Mutex // guards the token; held while one is fetched
	token   string
	expires time.Time
}

var _ cashout.WebhookProvider = (*Provider)(nil)

// ErrUnverified is wrapped by Webhook's error when a delivery lacks
// PayPal's transmission headers or PayPal does not confirm its signature.
var ErrUnverified = errors.New("webhook delivery not verified")

// APIError is a PayPal API answer that is neither a success nor handled as
// a payout outcome, such as a 5xx. Status is the HTTP status; Name, Message
// and DebugID come from PayPal's error body when it has one.
type APIError struct {
	Status  int
	Name    string
	Message string
	DebugID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("status %d", e.Status)
	if e.Name != "" {
		s += " " + e.Name
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.DebugID != "" {
		s += " (debug_id " + e.DebugID + ")"
	}
	return s
}

// New returns a Provider for cfg. It returns an error when the client id or
// secret is missing or BaseURL is not an absolute http(s) URL.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("paypal: client id and client secret are required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = LiveURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("paypal: base url: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("paypal: base url %q is not an absolute http(s) url", base)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{
		base:         strings.TrimRight(base, "/"),
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		webhookID:    cfg.WebhookID,
		hc:           hc,
		now:          now,
	}, nil
}

// Name returns "paypal".
func (p *Provider) Name() string { return cashout.MethodPayPal }

// Payouts API request and response bodies.
type (
	payoutRequest struct {
		SenderBatchHeader senderBatchHeader `json:"sender_batch_header"`
		Items             []payoutItem      `json:"items"`
	}
	senderBatchHeader struct {
		SenderBatchID string `json:"sender_batch_id"`
		EmailSubject  string `json:"email_subject,omitempty"`
	}
	payoutItem struct {
		RecipientType string `json:"recipient_type"`
		Amount        amount `json:"amount"`
		Receiver      string `json:"receiver"`
		SenderItemID  string `json:"sender_item_id"`
		Note          string `json:"note,omitempty"`
	}
	amount struct {
		Value    string `json:"value"`
		Currency string `json:"currency"`
	}
	payoutBatch struct {
		BatchHeader struct {
			PayoutBatchID     string `json:"payout_batch_id"`
			BatchStatus       string `json:"batch_status"`
			SenderBatchHeader struct {
				SenderBatchID string `json:"sender_batch_id"`
			} `json:"sender_batch_header"`
		} `json:"batch_header"`
	}
	apiErrorBody struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		DebugID string `json:"debug_id"`
		Details []struct {
			Field string `json:"field"`
			Issue string `json:"issue"`
			Link  []link `json:"link"`
		} `json:"details"`
		Links []link `json:"links"`
	}
	link struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	}
)

// Pay sends p's amount to p.Method.PayPalEmail as a payout batch of one item
// whose sender_batch_id, sender_item_id and PayPal-Request-Id are
// p.WithdrawalID; see the package documentation for the outcomes. It returns
// an error, meaning "try again later", for network errors, timeouts, 5xx and
// the other transient answers listed there.
func (p *Provider) Pay(ctx context.Context, po cashout.Payout) (cashout.PayoutResult, error) {
	if po.WithdrawalID == "" {
		return cashout.PayoutResult{}, errors.New("paypal: pay: payout has no withdrawal id")
	}
	if reason := checkPayout(po); reason != "" {
		return cashout.PayoutResult{Status: cashout.PayoutFailed, Reason: reason}, nil
	}
	value, reason := formatAmount(po.Amount, po.Currency)
	if reason != "" {
		return cashout.PayoutResult{Status: cashout.PayoutFailed, Reason: reason}, nil
	}
	req := payoutRequest{
		SenderBatchHeader: senderBatchHeader{SenderBatchID: po.WithdrawalID, EmailSubject: emailSubject},
		Items: []payoutItem{{
			RecipientType: "EMAIL",
			Amount:        amount{Value: value, Currency: string(po.Currency)},
			Receiver:      strings.TrimSpace(po.Method.PayPalEmail),
			SenderItemID:  po.WithdrawalID,
			Note:          truncate(po.Note, maxNoteRunes),
		}},
	}
	body, err := json.Marshal(req)
	if err != nil {
		return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: encode: %w", err)
	}
	status, resp, err := p.call(ctx, http.MethodPost, "/v1/payments/payouts", po.WithdrawalID, body)
	if err != nil {
		return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: %w", err)
	}
	switch {
	case status == http.StatusCreated || status == http.StatusOK:
		var b payoutBatch
		if err := json.Unmarshal(resp, &b); err != nil {
			return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: decode batch: %w", err)
		}
		if b.BatchHeader.PayoutBatchID == "" {
			return cashout.PayoutResult{}, errors.New("paypal: pay: response has no payout_batch_id")
		}
		return cashout.PayoutResult{Status: cashout.PayoutProcessing, ProviderRef: b.BatchHeader.PayoutBatchID}, nil
	case retryable(status):
		return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: %w", apiError(status, resp))
	}
	var e apiErrorBody
	_ = json.Unmarshal(resp, &e) // a 4xx without PayPal's error body is still a refusal
	if duplicateBatch(e) || e.Name == "DUPLICATE_REQUEST_ID" {
		return p.existingBatch(ctx, po.WithdrawalID, e)
	}
	return cashout.PayoutResult{Status: cashout.PayoutFailed, Reason: refusal(status, e)}, nil
}

// checkPayout returns why po cannot be paid by PayPal, or "".
func checkPayout(po cashout.Payout) string {
	switch {
	case po.Method.Kind != cashout.MethodPayPal:
		return fmt.Sprintf("paypal pays PayPal email accounts only, not payout method %q", po.Method.Kind)
	case strings.TrimSpace(po.Method.PayPalEmail) == "":
		return "paypal payout method has no email address"
	case po.Amount <= 0:
		return "paypal payout amount must be greater than zero"
	}
	return ""
}

// noDecimals are the currencies PayPal takes only in whole units although
// their ISO 4217 minor unit is 2; PayPal refuses decimal amounts in them.
var noDecimals = map[money.Asset]bool{"HUF": true, "TWD": true}

// formatAmount writes units of currency as PayPal's amount value, or returns
// why it cannot.
func formatAmount(units int64, currency money.Asset) (value, reason string) {
	if !money.IsCurrency(string(currency)) {
		return "", fmt.Sprintf("paypal cannot pay in %q: not a currency", string(currency))
	}
	scale, err := money.Scale(currency)
	if err != nil {
		return "", fmt.Sprintf("paypal cannot pay in %q: %v", string(currency), err)
	}
	if noDecimals[currency] && scale > 0 {
		var one int64 = 1
		for range scale {
			one *= 10
		}
		if units%one != 0 {
			return "", fmt.Sprintf("paypal pays %s in whole units only, not %s", currency, money.Format(units, scale))
		}
		return money.Format(units/one, 0), ""
	}
	return money.Format(units, scale), ""
}

// existingBatch answers Pay when PayPal reports the withdrawal's batch as
// already created: Processing with the original batch's id when it can be
// read back, Processing with no ref when it cannot (the webhook settles it),
// an error when reading it back fails transiently.
func (p *Provider) existingBatch(ctx context.Context, withdrawalID string, e apiErrorBody) (cashout.PayoutResult, error) {
	processing := cashout.PayoutResult{Status: cashout.PayoutProcessing}
	id := linkedBatchID(e)
	if id == "" {
		return processing, nil
	}
	status, resp, err := p.call(ctx, http.MethodGet, "/v1/payments/payouts/"+url.PathEscape(id)+"?fields=batch_header", "", nil)
	if err != nil {
		return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: read existing batch: %w", err)
	}
	if status != http.StatusOK {
		if retryable(status) {
			return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: read existing batch: %w", apiError(status, resp))
		}
		return processing, nil
	}
	var b payoutBatch
	if err := json.Unmarshal(resp, &b); err != nil {
		return cashout.PayoutResult{}, fmt.Errorf("paypal: pay: decode existing batch: %w", err)
	}
	if b.BatchHeader.SenderBatchHeader.SenderBatchID != withdrawalID || b.BatchHeader.PayoutBatchID == "" {
		return processing, nil
	}
	processing.ProviderRef = b.BatchHeader.PayoutBatchID
	return processing, nil
}

// duplicateBatch reports whether e is PayPal's refusal of a sender_batch_id
// used before.
func duplicateBatch(e apiErrorBody) bool {
	if e.Name != "USER_BUSINESS_ERROR" {
		return false
	}
	for _, d := range e.Details {
		if strings.EqualFold(d.Field, "SENDER_BATCH_ID") || strings.EqualFold(d.Field, "sender_batch_header.sender_batch_id") {
			return true
		}
	}
	return false
}

// linkedBatchID returns the payout batch id in the HATEOAS links of a
// duplicate-batch error, or "".
func linkedBatchID(e apiErrorBody) string {
	var links []link
	for _, d := range e.Details {
		links = append(links, d.Link...)
	}
	links = append(links, e.Links...)
	for _, l := range links {
		u, err := url.Parse(l.Href)
		if err != nil {
			continue
		}
		rest, ok := strings.CutPrefix(u.Path, "/v1/payments/payouts/")
		if ok && rest != "" && !strings.Contains(rest, "/") {
			return rest
		}
	}
	return ""
}

// retryable reports whether a status that is not the expected success means
// "try again later" rather than a refusal: anything but a 4xx, and the 4xx
// that say so.
func retryable(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500 || status < 400
}

func refusal(status int, e apiErrorBody) string {
	var parts []string
	for _, s := range []string{e.Name, e.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	for _, d := range e.Details {
		if d.Issue != "" {
			parts = append(parts, d.Issue)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("paypal refused the payout (HTTP %d)", status)
	}
	return "paypal refused the payout: " + strings.Join(parts, ": ")
}

func apiError(status int, body []byte) *APIError {
	var e apiErrorBody
	_ = json.Unmarshal(body, &e) // not every error has PayPal's body
	return &APIError{Status: status, Name: e.Name, Message: e.Message, DebugID: e.DebugID}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// call sends an authenticated JSON request and returns the status and body.
// A 401 drops the access token and the request is sent once more with a new
// one. requestID, when set, is sent as PayPal-Request-Id. An error means no
// answer was read.
func (p *Provider) call(ctx context.Context, method, path, requestID string, body []byte) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		token, err := p.accessToken(ctx)
		if err != nil {
			return 0, nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if requestID != "" {
			req.Header.Set("PayPal-Request-Id", requestID)
		}
		status, resp, err := p.do(req)
		if err != nil {
			return 0, nil, err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			p.dropToken(token)
			continue
		}
		return status, resp, nil
	}
}

func (p *Provider) do(req *http.Request) (int, []byte, error) {
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read response: %w", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, b, nil
}
