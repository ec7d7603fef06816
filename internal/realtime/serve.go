package realtime

import (
	"net/http"
	"time"
)

// Serve streams a stream's events to w as Server-Sent Events until the
// client goes away or the hub closes: the subscription resumes after the
// request's Last-Event-ID (or ?last_event_id=), a ": ping" comment goes out
// every Heartbeat, and the server's write deadline is lifted for this
// response (a WriteTimeout would cut the stream). frame writes one message
// (Message.SSE when nil). The caller has authenticated the request and
// checked that the stream exists.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, streamID string, frame func(Message) []byte) {
	if frame == nil {
		frame = Message.SSE
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	msgs, cancel := h.Subscribe(streamID, last)
	defer cancel()

	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	beat := time.NewTicker(h.Heartbeat())
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			if _, err := w.Write(frame(m)); err != nil {
				return
			}
		case <-beat.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
