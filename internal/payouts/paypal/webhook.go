package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/glint-economy/glint/internal/cashout"
)

// The transmission headers PayPal sends with every webhook delivery.
const (
	HeaderAuthAlgo         = "PAYPAL-AUTH-ALGO"
	HeaderCertURL          = "PAYPAL-CERT-URL"
	HeaderTransmissionID   = "PAYPAL-TRANSMISSION-ID"
	HeaderTransmissionSig  = "PAYPAL-TRANSMISSION-SIG"
	HeaderTransmissionTime = "PAYPAL-TRANSMISSION-TIME"
)

// eventStatus maps PayPal's payout item event types to payout statuses (the
// table in the package documentation).
var eventStatus = map[string]string{
	"PAYMENT.PAYOUTS-ITEM.SUCCEEDED": cashout.PayoutPaid,
	"PAYMENT.PAYOUTS-ITEM.FAILED":    cashout.PayoutFailed,
	"PAYMENT.PAYOUTS-ITEM.BLOCKED":   cashout.PayoutFailed,
	"PAYMENT.PAYOUTS-ITEM.DENIED":    cashout.PayoutFailed,
	"PAYMENT.PAYOUTS-ITEM.CANCELED":  cashout.PayoutFailed,
	"PAYMENT.PAYOUTS-ITEM.RETURNED":  cashout.PayoutReturned,
	"PAYMENT.PAYOUTS-ITEM.REFUNDED":  cashout.PayoutReturned,
	"PAYMENT.PAYOUTS-ITEM.UNCLAIMED": cashout.PayoutUnclaimed,
	"PAYMENT.PAYOUTS-ITEM.HELD":      cashout.PayoutUnclaimed,
}

// verifyRequest is the body of POST /v1/notifications/verify-webhook-signature
// without webhook_event, which is appended as received.
type verifyRequest struct {
	AuthAlgo         string `json:"auth_algo"`
	CertURL          string `json:"cert_url"`
	TransmissionID   string `json:"transmission_id"`
	TransmissionSig  string `json:"transmission_sig"`
	TransmissionTime string `json:"transmission_time"`
	WebhookID        string `json:"webhook_id"`
}

type webhookEvent struct {
	ID        string `json:"id"`
	EventType string `json:"event_type"`
	Resource  struct {
		PayoutItemID string `json:"payout_item_id"`
		PayoutItem   struct {
			SenderItemID string `json:"sender_item_id"`
		} `json:"payout_item"`
		Errors json.RawMessage `json:"errors"`
	} `json:"resource"`
}

type eventError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Webhook verifies a PayPal webhook delivery with PayPal's
// verify-webhook-signature API and returns the update a payout item event
// carries (see the package documentation for the table). Other event types
// return no updates and no error. It returns an error wrapping ErrUnverified
// when the webhook id is not configured, a PAYPAL-* transmission header is
// missing (PayPal is not called) or PayPal does not answer SUCCESS, and an
// error when the body is not a JSON event, the verification call fails or a
// payout item event lacks its ids.
func (p *Provider) Webhook(ctx context.Context, header func(string) string, body []byte) ([]cashout.Update, error) {
	if p.webhookID == "" {
		return nil, fmt.Errorf("paypal: webhook: no webhook id configured: %w", ErrUnverified)
	}
	vr := verifyRequest{
		AuthAlgo:         header(HeaderAuthAlgo),
		CertURL:          header(HeaderCertURL),
		TransmissionID:   header(HeaderTransmissionID),
		TransmissionSig:  header(HeaderTransmissionSig),
		TransmissionTime: header(HeaderTransmissionTime),
		WebhookID:        p.webhookID,
	}
	for _, h := range [...]struct{ name, value string }{
		{HeaderAuthAlgo, vr.AuthAlgo},
		{HeaderCertURL, vr.CertURL},
		{HeaderTransmissionID, vr.TransmissionID},
		{HeaderTransmissionSig, vr.TransmissionSig},
		{HeaderTransmissionTime, vr.TransmissionTime},
	} {
		if h.value == "" {
			return nil, fmt.Errorf("paypal: webhook: missing header %s: %w", h.name, ErrUnverified)
		}
	}
	raw := bytes.TrimSpace(body)
	var ev webhookEvent
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("paypal: webhook: body is not a JSON object")
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("paypal: webhook: decode event: %w", err)
	}
	if err := p.verify(ctx, vr, raw); err != nil {
		return nil, fmt.Errorf("paypal: webhook: %w", err)
	}

	status, ok := eventStatus[ev.EventType]
	if !ok {
		return nil, nil
	}
	u := cashout.Update{
		WithdrawalID: ev.Resource.PayoutItem.SenderItemID,
		Status:       status,
		ProviderRef:  ev.Resource.PayoutItemID,
		EventID:      ev.ID,
	}
	if u.WithdrawalID == "" || u.EventID == "" {
		return nil, fmt.Errorf("paypal: webhook: %s event without id or payout_item.sender_item_id", ev.EventType)
	}
	if e := firstEventError(ev.Resource.Errors); e.Message != "" {
		u.Reason = e.Message
	} else if e.Name != "" {
		u.Reason = e.Name
	}
	return []cashout.Update{u}, nil
}

// verify asks PayPal whether the delivery is genuine. The event is sent as
// received, byte for byte, since PayPal checks the signature over it.
func (p *Provider) verify(ctx context.Context, vr verifyRequest, event []byte) error {
	head, err := json.Marshal(vr)
	if err != nil {
		return fmt.Errorf("encode verification: %w", err)
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1]) // drop the closing brace
	b.WriteString(`,"webhook_event":`)
	b.Write(event)
	b.WriteByte('}')

	status, resp, err := p.call(ctx, http.MethodPost, "/v1/notifications/verify-webhook-signature", "", b.Bytes())
	if err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("verify signature: %w", apiError(status, resp))
	}
	var r struct {
		VerificationStatus string `json:"verification_status"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("verify signature: decode: %w", err)
	}
	if r.VerificationStatus != "SUCCESS" {
		return fmt.Errorf("verification_status %q: %w", r.VerificationStatus, ErrUnverified)
	}
	return nil
}

// firstEventError reads resource.errors, which PayPal documents as one
// error object; a list of them is accepted too.
func firstEventError(raw json.RawMessage) eventError {
	var e eventError
	if len(raw) == 0 {
		return e
	}
	if json.Unmarshal(raw, &e) == nil {
		return e
	}
	var list []eventError
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	return eventError{}
}
