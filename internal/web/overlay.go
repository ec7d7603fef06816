package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/glint-economy/glint/internal/gifting"
)

// Overlay options, read from the URL (docs/WEB.md lists them).
const (
	defaultAlertSecs = 5
	maxAlertSecs     = 60
)

// overlayOptions are the URL options of an overlay.
type overlayOptions struct {
	Alerts   bool   `json:"alerts"`
	Goal     bool   `json:"goal"`
	Top      bool   `json:"top"`
	Levels   bool   `json:"levels"`
	Theme    string `json:"theme"`
	Duration int    `json:"duration"`
	Target   int64  `json:"target"`
}

// parseOverlayOptions reads ?alerts=1&goal=1&top=1&levels=1&theme=dark&duration=5
// (&target=N): each part is on unless set to 0 (levels: the sender's gifter
// level on alerts); theme is dark or light;
// duration is how many seconds an alert stays (1–60); target is a coins
// goal for the goal bar until the stream has a goal of its own.
func parseOverlayOptions(q url.Values) overlayOptions {
	on := func(k string) bool { return q.Get(k) != "0" && q.Get(k) != "false" }
	o := overlayOptions{Alerts: on("alerts"), Goal: on("goal"), Top: on("top"), Levels: on("levels"), Theme: "dark", Duration: defaultAlertSecs}
	if q.Get("theme") == "light" {
		o.Theme = "light"
	}
	if n, err := strconv.Atoi(q.Get("duration")); err == nil {
		o.Duration = min(max(n, 1), maxAlertSecs)
	}
	if n, err := strconv.ParseInt(q.Get("target"), 10, 64); err == nil && n > 0 {
		o.Target = n
	}
	return o
}

// overlayData is the overlay page.
type overlayData struct {
	Stream  *gifting.StreamView
	Options overlayOptions
	Top     *gifter
	JS      overlayJS
}

// overlayJS is what overlay.js reads from the page.
type overlayJS struct {
	Events  string              `json:"events,omitempty"`
	Options overlayOptions      `json:"options"`
	Coins   int64               `json:"coins"`
	Gifts   map[string]giftItem `json:"gifts"`
	Top     *gifter             `json:"top,omitempty"`
}

// overlayAllowed reports whether the request may see the stream's
// overlay: the creator's overlay key (?key=, read-only), or the session of
// the creator or of an admin.
func (s *server) overlayAllowed(r *http.Request, st *gifting.StreamView) bool {
	if k := r.URL.Query().Get("key"); k != "" && s.keys.checkOverlayKey(st.CreatorID, k) {
		return true
	}
	sess := s.session(r)
	return sess.IsAdmin() || (sess.Scope == scopeUser && sess.User == st.CreatorID)
}

// overlayPage is the OBS browser source: transparent, no controls.
func (s *server) overlayPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := s.svc.GetStream(ctx, r.PathValue("stream"))
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	if !s.overlayAllowed(r, st) {
		s.plain(w, http.StatusForbidden, "This overlay URL needs the key shown on the creator dashboard (?key=…).")
		return
	}
	gifts, err := s.activeGifts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o := parseOverlayOptions(r.URL.Query())
	d := overlayData{Stream: st, Options: o, JS: overlayJS{Options: o, Coins: st.Totals.Coins, Gifts: map[string]giftItem{}}}
	for _, g := range gifts {
		d.JS.Gifts[g.ID] = g
	}
	if top := s.names.gifters(ctx, st.TopGifters); len(top) > 0 {
		d.Top, d.JS.Top = &top[0], &top[0]
	}
	if s.cfg.Events != nil {
		u := "/overlay/" + url.PathEscape(st.ID) + "/events"
		if k := r.URL.Query().Get("key"); k != "" {
			u += "?key=" + url.QueryEscape(k)
		}
		d.JS.Events = u
	}
	s.render(w, r, http.StatusOK, "overlay", page{Title: "Overlay", Bare: true, Data: d})
}

// overlayEvents streams the overlay's events, with the same check.
func (s *server) overlayEvents(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.GetStream(r.Context(), r.PathValue("stream"))
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	if !s.overlayAllowed(r, st) {
		s.plain(w, http.StatusForbidden, "This overlay URL needs the key shown on the creator dashboard (?key=…).")
		return
	}
	s.streamEvents(w, r, st.ID)
}
