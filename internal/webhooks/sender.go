package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one delivery attempt when the Sender's client has no
// timeout of its own.
const DefaultTimeout = 10 * time.Second

// DefaultUserAgent is the User-Agent of deliveries when Sender.UserAgent is
// empty.
const DefaultUserAgent = "glint-webhooks/1"

// maxResponseRead caps how much of a receiver's answer is read (and then
// dropped, so the connection can be reused); maxErrorBody caps how much of it
// a StatusError keeps.
const (
	maxResponseRead = 64 << 10
	maxErrorBody    = 512
)

// ErrPermanent marks a delivery failure that another attempt would repeat:
// the receiver refused the request with a 4xx status other than 408 and 429,
// or the event or the Sender is invalid. The job runner stops retrying an
// error that matches it (errors.Is) and retries every other error.
var ErrPermanent = errors.New("webhooks: permanent delivery failure")

// StatusError is a delivery the receiver answered with a status other than
// 2xx. It matches ErrPermanent (errors.Is) when Permanent reports true.
type StatusError struct {
	StatusCode int
	Body       string // the start of the response body, for diagnosis
}

// Error names the status and quotes the start of the body.
func (e *StatusError) Error() string {
	kind := "retryable"
	if e.Permanent() {
		kind = "permanent"
	}
	msg := fmt.Sprintf("receiver answered %d %s (%s)", e.StatusCode, http.StatusText(e.StatusCode), kind)
	if e.Body != "" {
		msg += fmt.Sprintf(": %q", e.Body)
	}
	return msg
}

// Permanent reports whether the status is a 4xx other than 408 Request
// Timeout and 429 Too Many Requests: a refusal that retrying will not change.
func (e *StatusError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// Is makes a permanent StatusError match ErrPermanent.
func (e *StatusError) Is(target error) bool {
	return target == ErrPermanent && e.Permanent()
}

// Sender delivers events to one platform URL.
//
// URL is the http or https endpoint. Secrets are the signing secrets: every
// delivery carries one v1 signature per secret, so during a rotation list the
// new and the old one. Client makes the request; when nil, a client with
// DefaultTimeout that does not follow redirects is used, and a client without
// a timeout is bounded by DefaultTimeout. Now is the clock for the signature
// timestamp (time.Now when nil). UserAgent is sent as User-Agent
// (DefaultUserAgent when empty).
//
// A Sender holds no state of its own and may be used by many goroutines.
type Sender struct {
	URL       string
	Secrets   [][]byte
	Client    *http.Client
	Now       func() time.Time
	UserAgent string
}

// defaultClient is the Sender's client when none is set. Redirects are not
// followed: they would turn the POST into a GET or send a signed body to
// another host. A 3xx answer is a retryable StatusError.
var defaultClient = &http.Client{
	Timeout: DefaultTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// Send makes one attempt to deliver ev: it POSTs ev as JSON, signed with
// every secret at the current time, and waits for the answer.
//
// Send returns nil when the receiver answers 2xx. Otherwise the error says
// what the job runner should do:
//
//   - it matches ErrPermanent when another attempt cannot succeed: a 4xx
//     answer other than 408 and 429 (a *StatusError), or an event without
//     ID, Type or CreatedAt or with invalid Data, or a Sender without a
//     valid URL or a non-empty secret;
//   - it does not, and the delivery should be retried later, for 408, 429,
//     3xx and 5xx answers (a *StatusError) and for network errors, timeouts
//     and a done ctx (which wraps ctx.Err()).
//
// Errors never contain the secrets or the signature.
func (s *Sender) Send(ctx context.Context, ev Event) error {
	if err := s.check(ev); err != nil {
		return err
	}
	body, err := ev.MarshalJSON()
	if err != nil {
		return fmt.Errorf("webhooks: encode event %q: %v: %w", ev.ID, err, ErrPermanent)
	}

	client := s.Client
	if client == nil {
		client = defaultClient
	}
	if client.Timeout <= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhooks: build request: %v: %w", err, ErrPermanent)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ua := s.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set(HeaderEventID, ev.ID)
	req.Header.Set(HeaderEventType, ev.Type)
	req.Header.Set(HeaderSignature, Sign(s.Secrets, now(), body))

	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhooks: deliver event %q: %w", ev.ID, redactURL(err))
	}
	defer resp.Body.Close()
	// Read what the receiver sent, up to a cap, so the connection can be
	// reused; keep the start of it for the error.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return fmt.Errorf("webhooks: deliver event %q: %w", ev.ID,
		&StatusError{StatusCode: resp.StatusCode, Body: snippet(answer)})
}

// check refuses, as permanent, an event or a Sender that cannot make a valid
// delivery.
func (s *Sender) check(ev Event) error {
	switch {
	case ev.ID == "":
		return fmt.Errorf("webhooks: event has no id: %w", ErrPermanent)
	case ev.Type == "":
		return fmt.Errorf("webhooks: event %q has no type: %w", ev.ID, ErrPermanent)
	case ev.CreatedAt.IsZero():
		return fmt.Errorf("webhooks: event %q has no created_at: %w", ev.ID, ErrPermanent)
	case len(s.Secrets) == 0:
		return fmt.Errorf("webhooks: no signing secret configured: %w", ErrPermanent)
	}
	for i, secret := range s.Secrets {
		if len(secret) == 0 {
			return fmt.Errorf("webhooks: signing secret %d is empty: %w", i, ErrPermanent)
		}
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not the URL itself: it may carry credentials.
		return fmt.Errorf("webhooks: endpoint URL is not an absolute http(s) URL: %w", ErrPermanent)
	}
	return nil
}

// snippet returns the start of a response body, at most maxErrorBody bytes,
// as valid UTF-8 with surrounding space trimmed.
func snippet(b []byte) string {
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody] // a rune cut in half becomes U+FFFD below
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// redactURL cuts the URL in a *url.Error from client.Do down to scheme and
// host: the path or query of a platform's endpoint may hold a token. The
// error keeps its type, so Timeout and errors.Is(err, context.Canceled) still
// work.
func redactURL(err error) error {
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		return err
	}
	u, perr := url.Parse(uerr.URL)
	if perr != nil {
		return &url.Error{Op: uerr.Op, URL: "(endpoint)", Err: uerr.Err}
	}
	return &url.Error{Op: uerr.Op, URL: u.Scheme + "://" + u.Host, Err: uerr.Err}
}
