package stripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/glint-economy/glint/internal/money"
)

// HeaderSignature is the header that carries a webhook's signature.
const HeaderSignature = "Stripe-Signature"

// Errors of Parse, wrapped with context; test with errors.Is. The webhook
// handler answers 400 for each.
var (
	ErrNoSignature  = errors.New("stripe: webhook carries no v1 signature")
	ErrMalformed    = errors.New("stripe: malformed webhook")
	ErrBadSignature = errors.New("stripe: webhook signature does not match")
	ErrStale        = errors.New("stripe: webhook timestamp outside tolerance")
)

// Kind is what a webhook event means for a purchase (see the package
// documentation).
type Kind string

// The kinds of Event.
const (
	KindPaid          Kind = "paid"
	KindPending       Kind = "pending"
	KindFailed        Kind = "failed"
	KindRefunded      Kind = "refunded"
	KindDisputeOpened Kind = "dispute_opened"
	KindDisputeClosed Kind = "dispute_closed"
	KindIgnored       Kind = "ignored"
)

// Event is glint's view of a verified Stripe webhook event. Amounts are
// int64 minor units of Currency; fields that do not apply to the event's
// object are zero.
type Event struct {
	ID       string    // evt_…: the caller's dedupe key
	Type     string    // Stripe's event type, e.g. "checkout.session.completed"
	Kind     Kind      // what it means for the purchase
	Created  time.Time // when Stripe created the event (UTC)
	Livemode bool

	PurchaseID      string // glint's purchase id; empty when the object does not carry it
	SessionID       string // cs_…, checkout.session events
	PaymentIntentID string // pi_…
	ChargeID        string // ch_…, charge and dispute events
	DisputeID       string // du_…/dp_…, dispute events

	Amount         int64       // session amount_total, charge amount or dispute amount
	Currency       money.Asset // upper case, as in glint ("USD")
	PaymentStatus  string      // session payment_status: "paid", "unpaid" or "no_payment_required"
	AmountRefunded int64       // charge.refunded: cumulative amount refunded on the charge
	FullyRefunded  bool        // charge.refunded: the whole charge is refunded
	DisputeStatus  string      // dispute status: "needs_response", "won", "lost", …
	// DisputeFee is the sum of the dispute's balance_transactions[].fee, in
	// minor units of DisputeFeeCurrency (the account's settlement currency,
	// which may differ from Currency). A reversal (a won dispute whose fee
	// is returned) counts negative, so the sum is the net fee.
	DisputeFee         int64
	DisputeFeeCurrency money.Asset
}

// Parse verifies a webhook delivery and decodes its event. payload must be
// the request body exactly as received and sigHeader the Stripe-Signature
// header. It returns an error wrapping ErrNoSignature when the header is
// empty or holds no v1 signature; ErrMalformed when the header cannot be
// read, or a correctly signed body is not an event of the expected shape;
// ErrBadSignature when no v1 signature matches any configured secret; and
// ErrStale when the signed timestamp is more than the tolerance away from
// the clock. An event type glint does not act on is not an error: its Kind
// is KindIgnored.
func (p *Provider) Parse(payload []byte, sigHeader string) (*Event, error) {
	signedAt, err := parseHeader(sigHeader)
	if err != nil {
		return nil, err
	}
	var (
		se       stripego.Event
		verified bool
	)
	for _, secret := range p.secrets {
		// Tolerance is checked below against the injected clock: stripe-go
		// checks it against time.Now, and not for future timestamps.
		se, err = webhook.ConstructEventWithOptions(payload, sigHeader, secret, webhook.ConstructEventOptions{
			IgnoreTolerance:          true,
			IgnoreAPIVersionMismatch: true,
		})
		if err == nil {
			verified = true
			break
		}
		switch {
		case errors.Is(err, webhook.ErrNoValidSignature):
			continue // try the next secret
		case errors.Is(err, webhook.ErrNotSigned):
			return nil, ErrNoSignature
		case errors.Is(err, webhook.ErrInvalidHeader):
			return nil, fmt.Errorf("%w: %s header: %v", ErrMalformed, HeaderSignature, err)
		default:
			// The signature matched but the body is not JSON.
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if !verified {
		return nil, ErrBadSignature
	}
	now := p.now()
	if d := now.Sub(signedAt); d > p.tolerance || d < -p.tolerance {
		return nil, fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)",
			ErrStale, signedAt.UTC().Format(time.RFC3339), d.Round(time.Second), p.tolerance)
	}
	ev, err := decodeEvent(&se)
	if err != nil {
		return nil, fmt.Errorf("%w: event %s (%s): %v", ErrMalformed, se.ID, se.Type, err)
	}
	return ev, nil
}

// parseHeader reads the timestamp of a Stripe-Signature header and checks
// that it carries at least one v1 signature. It reads the header as
// stripe-go does ("k=v" pairs separated by commas, unknown keys ignored) and
// also requires exactly one timestamp.
func parseHeader(h string) (time.Time, error) {
	if h == "" {
		return time.Time{}, ErrNoSignature
	}
	var (
		t     time.Time
		haveT bool
		v1    int
	)
	for pair := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.Contains(v, "=") {
			return time.Time{}, fmt.Errorf("%w: %s header: pair %q is not k=v", ErrMalformed, HeaderSignature, pair)
		}
		switch k {
		case "t":
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil || sec <= 0 || haveT {
				return time.Time{}, fmt.Errorf("%w: %s header: bad or repeated timestamp %q", ErrMalformed, HeaderSignature, v)
			}
			t, haveT = time.Unix(sec, 0), true
		case "v1":
			v1++
		}
	}
	if !haveT {
		return time.Time{}, fmt.Errorf("%w: %s header: no timestamp", ErrMalformed, HeaderSignature)
	}
	if v1 == 0 {
		return time.Time{}, ErrNoSignature
	}
	return t, nil
}

// decodeEvent turns a verified stripe-go event into an Event.
func decodeEvent(se *stripego.Event) (*Event, error) {
	if se.ID == "" || se.Type == "" {
		return nil, errors.New("no id or type")
	}
	ev := &Event{
		ID:       se.ID,
		Type:     string(se.Type),
		Kind:     KindIgnored,
		Created:  time.Unix(se.Created, 0).UTC(),
		Livemode: se.Livemode,
	}
	switch se.Type {
	case stripego.EventTypeCheckoutSessionCompleted,
		stripego.EventTypeCheckoutSessionAsyncPaymentSucceeded,
		stripego.EventTypeCheckoutSessionAsyncPaymentFailed,
		stripego.EventTypeCheckoutSessionExpired:
		var s stripego.CheckoutSession
		if err := decodeObject(se, "checkout.session", &s); err != nil {
			return nil, err
		}
		return ev, ev.fromSession(se.Type, &s)
	case stripego.EventTypeChargeRefunded:
		var c stripego.Charge
		if err := decodeObject(se, "charge", &c); err != nil {
			return nil, err
		}
		return ev, ev.fromCharge(&c)
	case stripego.EventTypeChargeDisputeCreated, stripego.EventTypeChargeDisputeClosed:
		var d stripego.Dispute
		if err := decodeObject(se, "dispute", &d); err != nil {
			return nil, err
		}
		return ev, ev.fromDispute(se.Type, &d)
	}
	return ev, nil
}

// decodeObject decodes the event's data.object into v after checking that
// it is an object of the given kind with an id.
func decodeObject(se *stripego.Event, object string, v any) error {
	if se.Data == nil || len(se.Data.Raw) == 0 {
		return errors.New("no data.object")
	}
	var head struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	if err := json.Unmarshal(se.Data.Raw, &head); err != nil {
		return fmt.Errorf("data.object: %w", err)
	}
	if head.Object != object || head.ID == "" {
		return fmt.Errorf("data.object is %q %q, want a %s", head.Object, head.ID, object)
	}
	if err := json.Unmarshal(se.Data.Raw, v); err != nil {
		return fmt.Errorf("data.object: %w", err)
	}
	return nil
}

func (ev *Event) fromSession(typ stripego.EventType, s *stripego.CheckoutSession) error {
	ev.SessionID = s.ID
	ev.PurchaseID = s.ClientReferenceID
	if m := s.Metadata[MetaPurchaseID]; m != "" {
		if ev.PurchaseID == "" {
			ev.PurchaseID = m
		} else if m != ev.PurchaseID {
			return fmt.Errorf("client_reference_id %q and metadata.%s %q differ", ev.PurchaseID, MetaPurchaseID, m)
		}
	}
	if s.PaymentIntent != nil {
		ev.PaymentIntentID = s.PaymentIntent.ID
	}
	ev.Amount = s.AmountTotal
	ev.Currency = asset(s.Currency)
	ev.PaymentStatus = string(s.PaymentStatus)
	switch typ {
	case stripego.EventTypeCheckoutSessionCompleted:
		switch s.PaymentStatus {
		case stripego.CheckoutSessionPaymentStatusPaid:
			ev.Kind = KindPaid
		case stripego.CheckoutSessionPaymentStatusUnpaid:
			ev.Kind = KindPending
		default: // no_payment_required: no money, no coins
			ev.Kind = KindIgnored
		}
	case stripego.EventTypeCheckoutSessionAsyncPaymentSucceeded:
		ev.Kind = KindPaid
	default: // async_payment_failed, expired
		ev.Kind = KindFailed
	}
	return nil
}

func (ev *Event) fromCharge(c *stripego.Charge) error {
	ev.Kind = KindRefunded
	ev.ChargeID = c.ID
	ev.PurchaseID = c.Metadata[MetaPurchaseID]
	if c.PaymentIntent != nil {
		ev.PaymentIntentID = c.PaymentIntent.ID
	}
	ev.Amount = c.Amount
	ev.Currency = asset(c.Currency)
	ev.AmountRefunded = c.AmountRefunded
	ev.FullyRefunded = c.Refunded
	if c.AmountRefunded < 0 || c.AmountRefunded > c.Amount {
		return fmt.Errorf("charge %s: amount_refunded %d outside 0..%d", c.ID, c.AmountRefunded, c.Amount)
	}
	return nil
}

func (ev *Event) fromDispute(typ stripego.EventType, d *stripego.Dispute) error {
	ev.Kind = KindDisputeOpened
	if typ == stripego.EventTypeChargeDisputeClosed {
		ev.Kind = KindDisputeClosed
	}
	ev.DisputeID = d.ID
	ev.PurchaseID = d.Metadata[MetaPurchaseID]
	if d.Charge != nil {
		ev.ChargeID = d.Charge.ID
	}
	if d.PaymentIntent != nil {
		ev.PaymentIntentID = d.PaymentIntent.ID
	}
	ev.Amount = d.Amount
	ev.Currency = asset(d.Currency)
	ev.DisputeStatus = string(d.Status)
	for _, bt := range d.BalanceTransactions {
		if bt == nil {
			continue
		}
		cur := asset(bt.Currency)
		if ev.DisputeFeeCurrency == "" {
			ev.DisputeFeeCurrency = cur
		} else if cur != ev.DisputeFeeCurrency {
			return fmt.Errorf("dispute %s: balance transactions in %s and %s", d.ID, ev.DisputeFeeCurrency, cur)
		}
		fee, err := money.Add(ev.DisputeFee, bt.Fee)
		if err != nil {
			return fmt.Errorf("dispute %s: fees: %w", d.ID, err)
		}
		ev.DisputeFee = fee
	}
	return nil
}

// asset writes Stripe's lower-case currency code as glint writes it.
func asset(c stripego.Currency) money.Asset {
	return money.Asset(strings.ToUpper(string(c)))
}

// SignForTest returns a Stripe-Signature header for payload signed with
// secret at t, exactly as Stripe signs ("t=<unix>,v1=<hex HMAC-SHA256>"). It
// is for tests and local tools that replay webhooks; a zero t means now.
func SignForTest(secret string, t time.Time, payload []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload:   payload,
		Secret:    secret,
		Timestamp: t,
	}).Header
}
