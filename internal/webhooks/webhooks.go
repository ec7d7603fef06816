package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	HeaderSignature = "Glint-Signature"
	HeaderEventID   = "Glint-Event-Id"
	HeaderEventType = "Glint-Event-Type"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock when Verify is given no positive tolerance.
const DefaultTolerance = 5 * time.Minute

// Event is one notification to the platform. ID is unique and stays the same
// on every attempt to deliver the event; receivers deduplicate on it. Type
// names what happened (such as "withdrawal.updated"); Data is its JSON
// payload, whose shape depends on Type.
//
// An Event encodes as {"id","type","created_at","data"}, with created_at in
// RFC 3339 in UTC.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// MarshalJSON encodes the event with CreatedAt in UTC, so the body does not
// depend on the server's time zone. It fails if Data is not valid JSON.
func (e Event) MarshalJSON() ([]byte, error) {
	type wire Event // no methods: no recursion
	w := wire(e)
	w.CreatedAt = e.CreatedAt.UTC()
	return json.Marshal(w)
}

// Errors of Verify. Each error Verify returns matches exactly one of them
// with errors.Is.
var (
	// ErrNoSignature: the Glint-Signature header is missing or empty, or
	// has no v1 entry.
	ErrNoSignature = errors.New("webhooks: no signature")
	// ErrMalformedSignature: the header cannot be parsed (an entry that is
	// not key=value, no timestamp or more than one, a timestamp that is not
	// a number of seconds, a v1 that is not a hex SHA-256 HMAC).
	ErrMalformedSignature = errors.New("webhooks: malformed signature header")
	// ErrBadSignature: no v1 entry matches the body under any of the
	// secrets. The body was altered, or signed with another secret.
	ErrBadSignature = errors.New("webhooks: signature does not match")
	// ErrStale: the signature is genuine but its timestamp is outside the
	// tolerance, too old (a replay, or a very late retry) or too far in
	// the future (clock skew).
	ErrStale = errors.New("webhooks: signature timestamp outside tolerance")
)

// Sign returns the Glint-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", with one v1
// entry per secret, in the order given. With no secrets the header has no v1
// entry and never verifies.
func Sign(secrets [][]byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.Grow(len("t=") + len(ts) + len(secrets)*(len(",v1=")+hex.EncodedLen(sha256.Size)))
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

// mac is HMAC-SHA256(secret, ts + "." + body).
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks that header, a Glint-Signature value, signs body under one of
// secrets and that its timestamp is within tolerance of now, before or after.
// A tolerance of zero or less means DefaultTolerance. Empty secrets are
// skipped, so a receiver whose secret is unset accepts nothing. Signatures are
// compared in constant time, and entries with an unknown scheme are ignored.
//
// Verify returns nil, or an error matching one of ErrNoSignature,
// ErrMalformedSignature, ErrBadSignature and ErrStale, checked in that order:
// ErrStale is only returned for a genuine signature.
func Verify(header string, body []byte, secrets [][]byte, tolerance time.Duration, now time.Time) error {
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	ok := false
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		want := mac(s, ts, body)
		for _, sig := range sigs {
			// No early exit: the time taken does not depend on which
			// signature, if any, matched.
			if hmac.Equal(want, sig) {
				ok = true
			}
		}
	}
	if !ok {
		return ErrBadSignature
	}

	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	secs, _ := strconv.ParseInt(ts, 10, 64) // parseHeader checked it
	// Compare in seconds, the header's precision; no time.Duration overflow.
	age := now.Unix() - secs
	limit := int64(tolerance / time.Second)
	switch {
	case secs > now.Unix()+limit:
		return fmt.Errorf("webhooks: timestamp %d is %ds ahead of now, tolerance %s: %w", secs, -age, tolerance, ErrStale)
	case secs < now.Unix()-limit:
		return fmt.Errorf("webhooks: timestamp %d is %ds old, tolerance %s: %w", secs, age, tolerance, ErrStale)
	}
	return nil
}

// parseHeader splits a Glint-Signature value into its timestamp, as sent,
// and its decoded v1 signatures.
func parseHeader(header string) (ts string, sigs [][]byte, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", nil, ErrNoSignature
	}
	for item := range strings.SplitSeq(header, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(item), "=")
		if !found {
			return "", nil, fmt.Errorf("webhooks: an entry is not key=value: %w", ErrMalformedSignature)
		}
		switch key {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("webhooks: more than one timestamp: %w", ErrMalformedSignature)
			}
			if !isSeconds(value) {
				return "", nil, fmt.Errorf("webhooks: timestamp is not unix seconds: %w", ErrMalformedSignature)
			}
			ts = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("webhooks: v1 is not a hex HMAC-SHA256: %w", ErrMalformedSignature)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("webhooks: no timestamp: %w", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("webhooks: no v1 entry: %w", ErrNoSignature)
	}
	return ts, sigs, nil
}

// isSeconds reports whether s is a plain decimal int64: digits only, no sign,
// so the signed text and the parsed number cannot disagree.
func isSeconds(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}
