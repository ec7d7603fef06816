package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/auth"
)

// auditRoutes registers GET /v1/admin/audit. Without Config.AuditStore it is
// left out.
func (s *Server) auditRoutes() {
	if s.cfg.AuditStore == nil {
		return
	}
	register(s, op("admin-list-audit", http.MethodGet, "/v1/admin/audit", "The audit log: admin actions and state-changing requests, newest first", true, "admin"), s.adminListAudit)
}

type adminAuditInput struct {
	Actor   string    `query:"actor" maxLength:"128" doc:"Only this caller: key:<API key id>, user:<user id> or anonymous"`
	Action  string    `query:"action" maxLength:"128" doc:"Only this operation id, e.g. send-gift or admin-put-gift"`
	Target  string    `query:"target" maxLength:"128" doc:"Only this withdrawal, gift, stream or user id (the one the path names)"`
	Outcome string    `query:"outcome" maxLength:"128" doc:"Only this outcome: ok, or an error code such as insufficient_funds"`
	From    time.Time `query:"from" doc:"Only entries at or after this time (RFC 3339)"`
	To      time.Time `query:"to" doc:"Only entries before this time (RFC 3339)"`
	Cursor  string    `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page"`
	Limit   int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

// AuditPage is a page of the audit log.
type AuditPage struct {
	Entries    []audit.Entry `json:"entries" doc:"Newest first"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

type auditPageOutput struct {
	Body AuditPage
}

func (s *Server) adminListAudit(ctx context.Context, in *adminAuditInput) (*auditPageOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	f := audit.Filter{Actor: in.Actor, Action: in.Action, Target: in.Target, Outcome: in.Outcome, From: in.From, To: in.To, Limit: in.Limit}
	if in.Cursor != "" {
		n, err := strconv.ParseInt(in.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return nil, errInvalid("cursor", "cursor is not one this API returned")
		}
		f.Before = n
	}
	es, err := s.cfg.AuditStore.Audit(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &auditPageOutput{Body: AuditPage{Entries: es}}
	if out.Body.Entries == nil {
		out.Body.Entries = []audit.Entry{}
	}
	if len(es) == f.PageLimit() {
		out.Body.NextCursor = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	return out, nil
}

// audited reports whether a request goes in the audit log: every request
// that may change state (any method but GET, HEAD and OPTIONS — each admin
// action and each money-moving request is one), and every request to
// /v1/admin/, whatever its method.
func audited(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return strings.HasPrefix(r.URL.Path, "/v1/admin/")
	}
	return true
}

// targetParams are the path parameters that name what a request acts on,
// the most specific first: a withdrawal belongs to a user, a streak to a
// stream.
var targetParams = []string{"withdrawal_id", "gift_id", "stream_id", "user_id", "currency"}

// auditMiddleware records the requests audited selects in Config.Audit,
// after they are answered: the caller (set by auditPrincipal), the
// operation, the path and its target, the client address, the
// Idempotency-Key, the status and the error code of the answer. It records
// no body and no header but Idempotency-Key (and X-Forwarded-For, read for
// the address when the peer is a trusted proxy). Without Config.Audit it
// returns next.
func (s *Server) auditMiddleware(next http.Handler) http.Handler {
	rec := s.cfg.Audit
	if rec == nil {
		return next
	}
	// The operation id of each route pattern ("POST /v1/streams/{stream_id}/gifts"),
	// read from the OpenAPI document once every route is registered.
	var actions map[string]string
	var once sync.Once
	actionOf := func(pattern string) string {
		once.Do(func() { actions = operationIDs(s.api.OpenAPI()) })
		if id, ok := actions[pattern]; ok {
			return id
		}
		return "unmatched"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !audited(r) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		at := rec.Now()
		aw := &auditWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			status := aw.status
			if p != nil && status == 0 {
				status = http.StatusInternalServerError
			}
			if status == 0 {
				status = http.StatusOK
			}
			e := audit.Entry{
				At: at, Actor: audit.Anonymous, Scope: audit.ScopeNone, Action: actionOf(r.Pattern),
				Method: r.Method, Path: r.URL.Path, IP: rec.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For")),
				IdempotencyKey: r.Header.Get("Idempotency-Key"), Status: status, Outcome: audit.OutcomeOK,
				LatencyMicros: time.Since(start).Microseconds(),
			}
			if aw.principal.Scope != "" {
				e.Actor, e.Scope = aw.principal.ID(), scopeOf(aw.principal)
			}
			for _, name := range targetParams {
				if v := r.PathValue(name); v != "" {
					e.Target = v
					break
				}
			}
			if status >= 400 {
				e.Outcome = errorCodeOf(aw.body.Bytes(), status)
			}
			// Record logs an entry it cannot store; the answer is sent.
			_ = rec.Record(r.Context(), e)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(aw, r)
	})
}

// auditPrincipal hands the caller that authenticate resolved to
// auditMiddleware. It runs after authenticate, for every huma operation.
func (s *Server) auditPrincipal(ctx huma.Context, next func(huma.Context)) {
	if aw := auditWriterOf(ctx.BodyWriter()); aw != nil {
		aw.principal = principal(ctx.Context())
	}
	next(ctx)
}

func scopeOf(p auth.Principal) string {
	switch p.Scope {
	case auth.ScopeAdmin:
		return audit.ScopeAdmin
	case auth.ScopeService:
		return audit.ScopeService
	}
	return audit.ScopeUser
}

// operationIDs maps "METHOD /path" to the operation id, for every operation
// of doc.
func operationIDs(doc *huma.OpenAPI) map[string]string {
	out := map[string]string{}
	for path, item := range doc.Paths {
		for method, o := range map[string]*huma.Operation{
			http.MethodGet: item.Get, http.MethodPut: item.Put, http.MethodPost: item.Post, http.MethodDelete: item.Delete,
			http.MethodPatch: item.Patch, http.MethodHead: item.Head, http.MethodOptions: item.Options,
		} {
			if o != nil {
				out[method+" "+path] = o.OperationID
			}
		}
	}
	return out
}

// maxErrorBody is how much of an error answer auditWriter keeps to read its
// code: the code comes first in glint's error body.
const maxErrorBody = 4 << 10

// auditWriter notes the status of an answer and the start of an error
// answer's body, and carries the caller from auditPrincipal.
type auditWriter struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	principal auth.Principal
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status >= 400 && w.body.Len() < maxErrorBody {
		w.body.Write(b[:min(len(b), maxErrorBody-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func (w *auditWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// auditWriterOf finds the auditWriter under w, if any.
func auditWriterOf(w any) *auditWriter {
	for {
		switch v := w.(type) {
		case *auditWriter:
			return v
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return nil
		}
	}
}

// errorCodeOf reads error.code from the start of an error answer (glint's
// error body puts it first); for any other body, the status's generic code.
func errorCodeOf(body []byte, status int) string {
	d := json.NewDecoder(bytes.NewReader(body))
	for _, want := range []any{json.Delim('{'), "error", json.Delim('{'), "code"} {
		if t, err := d.Token(); err != nil || t != want {
			return codeForStatus(status)
		}
	}
	if t, err := d.Token(); err == nil {
		if code, ok := t.(string); ok && code != "" {
			return code
		}
	}
	return codeForStatus(status)
}
