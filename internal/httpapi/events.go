package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// streamEvents serves GET /v1/streams/{stream_id}/events: the stream's
// events as Server-Sent Events (see package realtime), to any authenticated
// caller, like GET /v1/streams/{stream_id}. It is a plain handler, not a
// huma operation: it streams, and docs/API.md describes it.
//
// A reconnecting client sends the id of the last event it saw in
// Last-Event-ID (EventSource does) or, where it cannot set headers,
// ?last_event_id=. Every event is flushed as it comes, and a ": ping"
// comment every heartbeat of the hub keeps proxies from closing an idle
// response. The server's write timeout is lifted for the response; it ends
// when the client goes, or when the hub closes (server shutdown).
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) {
	hub := s.cfg.Events
	if hub == nil {
		writeJSONError(w, newAPIError(http.StatusNotFound, "not_found", "no such route: "+r.Method+" "+r.URL.Path, nil))
		return
	}
	ctx := r.Context()
	p, err := s.auth.Authenticate(ctx, r.Header.Get("Authorization"))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="glint"`)
		writeJSONError(w, s.apiErrorOf(ctx, err))
		return
	}
	if secs, limited := s.overLimit(p, r.RemoteAddr); limited {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSONError(w, rateLimited(secs))
		return
	}
	ctx = context.WithValue(ctx, principalKey{}, p)
	id := r.PathValue("stream_id")
	st, err := s.svc.GetStream(ctx, id)
	if err != nil {
		writeJSONError(w, s.apiErrorOf(ctx, err))
		return
	}
	// The database's top gifters make the hub's leaderboard exact (see
	// realtime.Hub.Seed).
	hub.Seed(id, st.TopGifters)

	hub.Serve(w, r.WithContext(ctx), id, nil)
}

// apiErrorOf maps err through mapError to the answer to write.
func (s *Server) apiErrorOf(ctx context.Context, err error) *apiError {
	var ae *apiError
	if errors.As(s.mapError(ctx, err), &ae) {
		return ae
	}
	return newAPIError(http.StatusInternalServerError, "internal", "internal error", nil)
}
