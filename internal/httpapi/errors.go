package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/glint-economy/glint/internal/auth"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
)

// ErrorBody is the body of every error answer:
// {"error": {"code": "insufficient_funds", "message": "…", "details": {…}}}.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo describes an error with a stable machine code.
type ErrorInfo struct {
	Code    string         `json:"code" example:"insufficient_funds" doc:"Stable machine-readable code"`
	Message string         `json:"message" doc:"Explanation for people"`
	Details map[string]any `json:"details,omitempty"`
}

// apiError is an ErrorBody with its status and headers; it implements
// huma.StatusError and huma.HeadersError.
type apiError struct {
	status  int
	headers http.Header
	ErrorBody
}

func (e *apiError) Error() string           { return e.ErrorBody.Error.Code + ": " + e.ErrorBody.Error.Message }
func (e *apiError) GetStatus() int          { return e.status }
func (e *apiError) GetHeaders() http.Header { return e.headers }

func newAPIError(status int, code, msg string, details map[string]any) *apiError {
	return &apiError{status: status, ErrorBody: ErrorBody{ErrorInfo{Code: code, Message: msg, Details: details}}}
}

var installErrors sync.Once

// useGlintErrors makes huma write its own errors (validation, malformed
// JSON, body too large) in glint's error body. Huma's validation failures
// are 400 invalid_request here, not 422: 422 is kept for rule violations.
func useGlintErrors() {
	installErrors.Do(func() {
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			// An error glint already shaped (as the authentication
			// middleware writes through huma.WriteErr) goes out unchanged,
			// not wrapped as its own detail.
			for _, e := range errs {
				var ae *apiError
				if errors.As(e, &ae) {
					return ae
				}
			}
			var problems []map[string]any
			for _, e := range errs {
				if e == nil {
					continue
				}
				var d huma.ErrorDetailer
				if errors.As(e, &d) {
					det := d.ErrorDetail()
					problems = append(problems, map[string]any{"location": det.Location, "message": det.Message})
				} else {
					problems = append(problems, map[string]any{"message": e.Error()})
				}
			}
			var details map[string]any
			if len(problems) > 0 {
				details = map[string]any{"errors": problems}
				if len(problems) == 1 {
					if m, ok := problems[0]["message"].(string); ok {
						loc, _ := problems[0]["location"].(string)
						if loc != "" {
							msg = fmt.Sprintf("%s: %s", loc, m)
						} else {
							msg = m
						}
					}
				}
			}
			switch status {
			case http.StatusUnprocessableEntity, http.StatusBadRequest:
				return newAPIError(http.StatusBadRequest, "invalid_request", msg, details)
			case http.StatusRequestEntityTooLarge:
				return newAPIError(status, "body_too_large", msg, details)
			case http.StatusUnsupportedMediaType:
				return newAPIError(status, "unsupported_media_type", msg, details)
			case http.StatusNotAcceptable:
				return newAPIError(status, "not_acceptable", msg, details)
			case http.StatusInternalServerError:
				return newAPIError(status, "internal", "internal error", nil)
			}
			return newAPIError(status, codeForStatus(status), msg, details)
		}
	})
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "http_" + strconv.Itoa(status)
}

// mapError is the one function that turns an error into an HTTP answer.
// Unknown errors are 500 and logged here, once.
func (s *Server) mapError(ctx context.Context, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ge *gifting.Error
	if errors.As(err, &ge) {
		status := map[gifting.Kind]int{
			gifting.KindInvalid:   http.StatusBadRequest,
			gifting.KindForbidden: http.StatusForbidden,
			gifting.KindNotFound:  http.StatusNotFound,
			gifting.KindConflict:  http.StatusConflict,
			gifting.KindRule:      http.StatusUnprocessableEntity,
		}[ge.Kind]
		if status == 0 {
			status = http.StatusUnprocessableEntity
		}
		return newAPIError(status, ge.Code, ge.Message, ge.Details)
	}
	var ie *economy.InputError
	if errors.As(err, &ie) {
		return newAPIError(http.StatusBadRequest, "invalid_request", ie.Error(), map[string]any{"field": ie.Field})
	}
	switch {
	case errors.Is(err, ledger.ErrOverloaded):
		e := newAPIError(http.StatusServiceUnavailable, "overloaded", "the write queue is full; retry after a moment", nil)
		e.headers = http.Header{"Retry-After": {"1"}}
		return e
	case errors.Is(err, ledger.ErrContention):
		e := newAPIError(http.StatusServiceUnavailable, "contention", "the write kept conflicting with other nodes' writes and was not applied; retry with the same Idempotency-Key", nil)
		e.headers = http.Header{"Retry-After": {"1"}}
		return e
	case errors.Is(err, ledger.ErrStopped):
		e := newAPIError(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry on another node", nil)
		e.headers = http.Header{"Retry-After": {"1"}}
		return e
	case errors.Is(err, ledger.ErrIdempotencyConflict):
		return newAPIError(http.StatusConflict, "idempotency_conflict", "this Idempotency-Key was already used with a different request", nil)
	case errors.Is(err, auth.ErrNoCredentials):
		return newAPIError(http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <API key or user token>", nil)
	case errors.Is(err, auth.ErrBadCredentials):
		return newAPIError(http.StatusUnauthorized, "unauthorized", "the credentials are invalid, revoked or expired", nil)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e := newAPIError(http.StatusServiceUnavailable, "timeout", "the request did not complete in time; it may or may not have been applied — retry with the same Idempotency-Key", nil)
		e.headers = http.Header{"Retry-After": {"1"}}
		return e
	}
	s.log.ErrorContext(ctx, "request failed", slog.String("error", err.Error()))
	return newAPIError(http.StatusInternalServerError, "internal", "internal error; nothing was acknowledged", nil)
}

// errForbidden is returned when a caller acts for another user.
func errForbidden(msg string) error { return newAPIError(http.StatusForbidden, "forbidden", msg, nil) }

func errInvalid(field, msg string) error {
	return newAPIError(http.StatusBadRequest, "invalid_request", msg, map[string]any{"field": field})
}
