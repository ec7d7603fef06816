package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/glint-economy/glint/internal/realtime"
)

// streamEvents relays a stream's events from the realtime hub as
// Server-Sent Events: the same messages, ids and resumption as
// GET /v1/streams/{stream_id}/events (see package realtime), with the
// display names of the people they name added ("sender_name" on gift,
// streak and streak.end; "name" on each leaderboard line). A page's
// EventSource cannot send an Authorization header, so the pages read the
// hub through their own session (or overlay key) rather than through the
// API route.
func (s *server) streamEvents(w http.ResponseWriter, r *http.Request, streamID string) {
	hub := s.cfg.Events
	if hub == nil {
		s.plain(w, http.StatusNotFound, "Live events are not enabled on this server.")
		return
	}
	ctx := r.Context()
	st, err := s.svc.GetStream(ctx, streamID)
	if err != nil {
		if status, msg, ok := refusal(err); ok {
			s.plain(w, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	hub.Seed(streamID, st.TopGifters)
	hub.Serve(w, r, streamID, func(m realtime.Message) []byte { return s.withNames(ctx, m) })
}

// withNames returns m's SSE frame with display names added to its data.
func (s *server) withNames(ctx context.Context, m realtime.Message) []byte {
	var data []byte
	switch m.Type {
	case realtime.TypeGift, realtime.TypeStreak, realtime.TypeStreakEnd:
		var v map[string]any
		if dec(m.Data, &v) != nil {
			return m.SSE()
		}
		if id, ok := v["sender_id"].(string); ok {
			v["sender_name"] = s.names.get(ctx, id)
		}
		data, _ = json.Marshal(v)
	case realtime.TypeLeaderboard:
		var v struct {
			Top []map[string]any `json:"top"`
		}
		if dec(m.Data, &v) != nil {
			return m.SSE()
		}
		for _, g := range v.Top {
			if id, ok := g["user_id"].(string); ok {
				g["name"] = s.names.get(ctx, id)
			}
		}
		data, _ = json.Marshal(v)
	default:
		return m.SSE()
	}
	var b bytes.Buffer
	if m.ID != "" {
		b.WriteString("id: " + m.ID + "\n")
	}
	b.WriteString("event: " + m.Type + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

// dec decodes JSON keeping numbers exact (json.Number).
func dec(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
