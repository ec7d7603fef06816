package paypal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/glint-economy/glint/internal/cashout"
)

// fuzzVerifier is PayPal's token and verify-webhook-signature endpoints:
// it answers verification_status as told, and keeps what it was asked.
type fuzzVerifier struct {
	mu       sync.Mutex
	status   string
	verifies int
	last     []byte
}

func (v *fuzzVerifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/oauth2/token":
		fmt.Fprint(w, `{"access_token":"A21AAfuzz","token_type":"Bearer","expires_in":32400}`)
	case "/v1/notifications/verify-webhook-signature":
		b, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		v.verifies++
		v.last = b
		status := v.status
		v.mu.Unlock()
		fmt.Fprintf(w, `{"verification_status":%q}`, status)
	default:
		http.NotFound(w, r)
	}
}

// FuzzWebhook checks the PayPal webhook parser over any body, with PayPal
// confirming or refusing the signature: it never panics; a body that is
// not a JSON object is refused before PayPal is asked; PayPal is sent the
// event exactly as received (it checks its signature over those bytes),
// inside a verification request that is itself valid JSON; an unconfirmed
// delivery is refused (ErrUnverified) with no update; and a confirmed one
// yields at most one update, only for a payout item event type, naming a
// withdrawal and an event, with a status of the table.
func FuzzWebhook(f *testing.F) {
	for _, typ := range []string{"PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "PAYMENT.PAYOUTS-ITEM.FAILED", "PAYMENT.PAYOUTS-ITEM.UNCLAIMED", "PAYMENT.PAYOUTS-ITEM.RETURNED", "PAYMENT.SALE.COMPLETED"} {
		f.Add(itemEvent(typ, "SUCCESS", ""), true)
	}
	f.Add(itemEvent("PAYMENT.PAYOUTS-ITEM.FAILED", "FAILED", `{"name":"RECEIVER_UNREGISTERED","message":"Receiver is unregistered"}`), true)
	f.Add(itemEvent("PAYMENT.PAYOUTS-ITEM.FAILED", "FAILED", `[{"name":"A","message":"first"},{"name":"B"}]`), true)
	f.Add(itemEvent("PAYMENT.PAYOUTS-ITEM.FAILED", "FAILED", `"a string"`), true)
	f.Add(itemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "SUCCESS", ""), false)
	for _, s := range []string{
		`{"id":"WH-1","event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED","resource":{"payout_item":{"sender_item_id":""}}}`,
		`{"id":"","event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED","resource":{"payout_item":{"sender_item_id":"wd_1"}}}`,
		`{"id":"WH-1","event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED","event_type":"PAYMENT.PAYOUTS-ITEM.FAILED","resource":{"payout_item":{"sender_item_id":"wd_1"}}}`,
		`{"id":"WH-1","event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED","resource":{"payout_item":{"sender_item_id":"wd_1\u202e"}},"extra":[1e999]}`,
		`{"id":1,"event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED"}`, `  {}  `, `{}`, `[]`, `null`, `"x"`, `{`, ``, " \n\t", "\xef\xbb\xbf{}", `{"a":"\ud800"}`,
		`{"id":"WH-1"}{"id":"WH-2"}`, `{"id":"WH-1"} trailing`,
	} {
		f.Add([]byte(s), true)
	}
	v := &fuzzVerifier{}
	srv := httptest.NewServer(v)
	f.Cleanup(srv.Close)
	p, err := New(Config{BaseURL: srv.URL, ClientID: testClientID, ClientSecret: testSecret, WebhookID: testWebhookID, HTTPClient: srv.Client()})
	if err != nil {
		f.Fatal(err)
	}
	statuses := []string{cashout.PayoutPaid, cashout.PayoutFailed, cashout.PayoutReturned, cashout.PayoutUnclaimed}
	f.Fuzz(func(t *testing.T, body []byte, genuine bool) {
		v.mu.Lock()
		v.status, v.last = "FAILURE", nil
		if genuine {
			v.status = "SUCCESS"
		}
		before := v.verifies
		v.mu.Unlock()

		updates, err := p.Webhook(t.Context(), headerFunc(deliveryHeaders()), body)

		v.mu.Lock()
		asked, sent := v.verifies-before, v.last
		v.mu.Unlock()
		raw := bytes.TrimSpace(body)
		if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
			if err == nil || asked != 0 {
				t.Fatalf("%q: not a JSON object, yet %v (PayPal asked %d times)", body, err, asked)
			}
			return
		}
		if asked == 1 {
			var req struct {
				WebhookID    string          `json:"webhook_id"`
				WebhookEvent json.RawMessage `json:"webhook_event"`
			}
			if err := json.Unmarshal(sent, &req); err != nil {
				t.Fatalf("%q: the verification request is not JSON: %v\n%s", body, err, sent)
			}
			if !bytes.Equal(req.WebhookEvent, raw) || req.WebhookID != testWebhookID {
				t.Fatalf("%q: PayPal was sent event %s of webhook %q", body, req.WebhookEvent, req.WebhookID)
			}
		}
		if !genuine {
			// Refused: as unverified once PayPal was asked (a body that is
			// no event is refused before).
			if err == nil || len(updates) != 0 || (asked == 1 && !errors.Is(err, ErrUnverified)) {
				t.Fatalf("%q: unconfirmed, yet %v, %v", body, updates, err)
			}
			return
		}
		if err != nil {
			if len(updates) != 0 {
				t.Fatalf("%q: an error and updates: %v, %v", body, updates, err)
			}
			return
		}
		if asked != 1 {
			t.Fatalf("%q: accepted after asking PayPal %d times", body, asked)
		}
		var ev webhookEvent
		_ = json.Unmarshal(raw, &ev)
		if len(updates) > 1 || (len(updates) == 1) != (eventStatus[ev.EventType] != "") {
			t.Fatalf("%q: event type %q gave %v", body, ev.EventType, updates)
		}
		for _, u := range updates {
			if u.WithdrawalID == "" || u.EventID == "" || !slices.Contains(statuses, u.Status) || u.Status != eventStatus[ev.EventType] {
				t.Fatalf("%q: update %+v", body, u)
			}
		}
	})
}
