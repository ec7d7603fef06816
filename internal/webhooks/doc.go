// Package webhooks signs and delivers glint's outgoing webhooks: the HTTP
// POSTs that tell the platform running glint about withdrawal status changes
// (and, later, other events). It also holds the receiver-side check, Verify,
// which platforms written in Go can call and others can copy.
//
// # Delivery
//
// Each delivery is one Event, POSTed as JSON to the configured URL:
//
//	{"id":"evt_…","type":"withdrawal.updated","created_at":"2026-01-02T03:04:05Z","data":{…}}
//
// with these headers:
//
//	Content-Type:     application/json
//	Glint-Event-Id:   the event's id
//	Glint-Event-Type: the event's type
//	Glint-Signature:  t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex HMAC-SHA256>…]
//
// # Signature
//
// The signed payload is the decimal timestamp t, a full stop, and the raw
// request body, byte for byte: "<t>.<body>". Each v1 entry is the lowercase
// hex HMAC-SHA256 of that payload under one webhook secret. While a secret is
// being rotated glint is configured with both the old and the new one and
// sends one v1 entry per secret, so a receiver holding either accepts the
// delivery. Receivers ignore entries with a scheme they do not know (such as
// a future v2), so schemes can be added without breaking them.
//
// # Verifying a delivery
//
// A receiver should:
//
//  1. Read the raw body (capped in size) before parsing it; re-encoded JSON
//     does not verify.
//  2. Split Glint-Signature on commas into key=value pairs; take t (exactly
//     one) and every v1.
//  3. Compute HMAC-SHA256 of "<t>.<body>" under each of its secrets and
//     compare it to each v1 with a constant-time comparison (hmac.Equal).
//     No match: reject.
//  4. Reject if t is further than the tolerance (five minutes is usual) from
//     its own clock, in the past or the future; this bounds replays.
//  5. Only then parse the JSON, and deduplicate on Glint-Event-Id (see below).
//  6. Answer 2xx quickly, and do slow work afterwards; answer 400 to a
//     delivery that fails the checks (glint does not retry a 4xx), or 503 to
//     have glint try again later.
//
// Verify does steps 2–4 and reports which one failed with ErrNoSignature,
// ErrMalformedSignature, ErrBadSignature or ErrStale; ExampleVerify is a
// complete handler.
//
// # Retries
//
// Sender.Send makes one attempt; the job runner that calls it decides about
// the next one from the error:
//
//   - nil: the receiver answered 2xx; the delivery is done.
//   - an error matching ErrPermanent (errors.Is): stop, do not retry. The
//     receiver answered a 4xx status other than 408 and 429, or the event or
//     the sender's configuration is invalid, so another attempt would fail
//     the same way. The delivery is recorded as failed.
//   - any other error: try again later, with backoff, until the runner's
//     retry budget is spent. This covers 408, 429, 3xx and 5xx answers,
//     timeouts, refused connections and other network errors.
//
// A *StatusError carries the status code and the start of the response body
// for both kinds.
//
// Every attempt of a delivery sends the same event id and the same body; only
// the signature's timestamp is new on each attempt, so a retry made after the
// tolerance has passed still verifies. A receiver may therefore see one event
// more than once (its 2xx was lost, or it answered too late) and must
// deduplicate on Glint-Event-Id.
//
// Secrets never appear in errors or logs produced by this package.
package webhooks
