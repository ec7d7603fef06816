package stripe

import "github.com/glint-economy/glint/internal/gifting"

// PaymentEvent is the event as glint's purchases see it; ok is false for
// events glint does not act on (KindIgnored, KindPending: an asynchronous
// payment still on its way). A dispute fee in another currency than the
// purchase's (the account's settlement currency) is left out: Fee is only
// set when the currencies match.
func (e *Event) PaymentEvent() (ev gifting.PaymentEvent, ok bool) {
	ev = gifting.PaymentEvent{ID: e.ID, Provider: "stripe", PurchaseID: e.PurchaseID, ProviderRef: e.PaymentIntentID,
		Amount: e.Amount, Currency: e.Currency}
	switch e.Kind {
	case KindPaid:
		ev.Kind = gifting.PaymentPaid
	case KindFailed:
		ev.Kind = gifting.PaymentFailed
	case KindRefunded:
		ev.Kind, ev.Refunded = gifting.PaymentRefunded, e.AmountRefunded
	case KindDisputeOpened, KindDisputeClosed:
		ev.Kind = gifting.PaymentDisputeOpened
		if e.Kind == KindDisputeClosed {
			ev.Kind, ev.Won = gifting.PaymentDisputeClosed, e.DisputeStatus == "won"
		}
		if e.DisputeFeeCurrency == e.Currency && e.DisputeFee > 0 {
			ev.Fee = e.DisputeFee
		}
	default:
		return ev, false
	}
	return ev, true
}
