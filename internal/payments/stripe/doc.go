// Package stripe sells coin packages through Stripe Checkout and turns
// Stripe's webhooks into glint Events. It implements gifting.PaymentProvider
// and is a pure adapter: it keeps no state and touches no database.
//
// # Flow
//
// Checkout creates a Checkout Session in payment mode (POST
// /v1/checkout/sessions) with one line item priced inline: the purchase's
// currency (lower case) and PriceUnits as unit_amount, quantity 1, product
// name "<coins> coins". The purchase id is the session's client_reference_id
// and, with the user id, package id and coins, its metadata; the same
// metadata is set on the PaymentIntent (payment_intent_data.metadata), from
// which Stripe copies it to the charge, so charge.refunded events name the
// purchase too. Adaptive Pricing is turned off so that the viewer pays
// exactly the price book's amount in the price book's currency. Checkout
// answers Completed false with the session's URL: the viewer pays on Stripe's
// page and the outcome arrives later through the webhook.
// CheckoutSession does the same and also returns the session id.
//
// The webhook handler must read the request body as received, before any
// decoding, and pass it with the Stripe-Signature header to Parse. Parse
// checks the signature and returns an Event whose Kind tells the caller what
// to do:
//
//	KindPaid           checkout.session.completed with payment_status "paid",
//	                   or checkout.session.async_payment_succeeded: the
//	                   money is captured; issue the coins of PurchaseID
//	                   (after checking Amount and Currency against the
//	                   purchase). Store PaymentIntentID: disputes name it.
//	KindPending        checkout.session.completed with payment_status
//	                   "unpaid": an asynchronous method (bank debit,
//	                   voucher) was accepted but has not paid yet; keep the
//	                   purchase pending, a KindPaid or KindFailed follows.
//	KindFailed         checkout.session.async_payment_failed or
//	                   checkout.session.expired: no money came; fail the
//	                   purchase if it is still pending.
//	KindRefunded       charge.refunded: AmountRefunded is the charge's
//	                   cumulative refunded amount, FullyRefunded whether it
//	                   is all of it; take back the coins of the part not yet
//	                   taken back.
//	KindDisputeOpened  charge.dispute.created: the buyer's bank took the
//	                   money back pending the dispute; DisputeFee is the fee
//	                   Stripe charged.
//	KindDisputeClosed  charge.dispute.closed: DisputeStatus is "won" or
//	                   "lost" (or "warning_closed" for an inquiry);
//	                   DisputeFee is the net fee after any reversal.
//	KindIgnored        any other event, including checkout.session.completed
//	                   with payment_status "no_payment_required" (glint
//	                   never offers a free session, so coins are not issued
//	                   for one). Answer 2xx so that Stripe stops resending.
//
// PurchaseID comes from the session's client_reference_id (or its
// metadata), and from the charge's metadata for charge events. A dispute
// usually carries no metadata: its PurchaseID is then empty and the caller
// finds the purchase by PaymentIntentID (or ChargeID). An event with neither
// a PurchaseID nor a PaymentIntentID is not about a glint purchase.
//
// # Idempotency
//
// The session's Idempotency-Key is the purchase id, which gifting derives
// from the client's idempotency key, so a retried purchase gets the same
// session back from Stripe (for Stripe's 24 hours of key retention) instead
// of a second one. Stripe refuses a reused key whose parameters differ (a
// price changed in between) with an idempotency_error, which Checkout
// returns. Stripe delivers each event at least once, in no particular order,
// and resends until it gets a 2xx: the caller dedupes on Event.ID and makes
// every transition depend on the purchase's current state: a KindPaid for a
// completed purchase changes nothing, a KindFailed only fails a pending one,
// and an AmountRefunded smaller than the one recorded is stale.
//
// # Signatures
//
// The Stripe-Signature header is "t=<unix seconds>,v1=<hex>[,v1=<hex>…]"
// (other schemes such as v0 are ignored). A v1 signature is the hex
// HMAC-SHA256, keyed with the endpoint's signing secret, of the timestamp,
// a dot and the raw body. Parse accepts a delivery when any v1 signature
// matches any configured secret (several are configured while a secret is
// rotated; Stripe then signs with each secret it still holds), and when the
// timestamp is within Tolerance (300 s by default) of the injected clock, in
// either direction. The comparison is constant-time (stripe-go's webhook
// package). Errors wrap ErrNoSignature, ErrMalformed, ErrBadSignature or
// ErrStale; the handler answers 400 for all of them.
//
// # Currencies
//
// Amounts are int64 counts of the currency's minor unit, as in glint. Stripe
// uses the ISO 4217 minor unit except for a few special cases: Checkout
// refuses ISK and UGX (which Stripe writes with two extra decimals), HUF and
// TWD amounts that are not whole units, and amounts in three-decimal
// currencies whose last digit is not 0.
//
// The package logs nothing; its errors never contain the secret key.
package stripe
