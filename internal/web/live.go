package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// liveTop is how many gifters the room's leaderboard shows: as many as the
// hub's leaderboard events carry.
const liveTop = 3

// liveData is the viewer room.
type liveData struct {
	Stream     *gifting.StreamView
	Creator    string
	Live       bool
	Gifts      []giftItem
	Coins      int64
	Packages   []packageItem
	Top        []gifter
	Week       []gifter           // the creator's top gifters this ISO week
	Level      *gifting.LevelView // the viewer's gifter level; nil without levels
	Idem       string             // the purchase form's idempotency token
	HasEvents  bool
	StreakSecs int64
	JS         liveJS
}

type giftItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Coins      int64  `json:"coins"`
	Streakable bool   `json:"streakable"`
}

type packageItem struct {
	ID    string
	Coins int64
	Price string
}

// liveJS is what live.js reads from the page.
type liveJS struct {
	Stream   string              `json:"stream"`
	Me       string              `json:"me"`
	StreakMS int64               `json:"streak_ms"`
	Gifts    map[string]giftItem `json:"gifts"`
	Events   string              `json:"events,omitempty"`
	// The viewer's coins spent on gifts and the level thresholds, to move
	// the level meter as they send.
	Spent  int64   `json:"spent"`
	Levels []int64 `json:"levels,omitempty"`
}

// activeGifts returns the catalog's sendable gifts, cheapest first.
func (s *server) activeGifts(ctx context.Context) ([]giftItem, error) {
	cat, err := s.svc.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	var out []giftItem
	for _, g := range cat {
		if g.Active {
			out = append(out, giftItem{ID: g.ID, Name: g.Name, Coins: g.Coins, Streakable: g.Streakable})
		}
	}
	slices.SortStableFunc(out, func(a, b giftItem) int {
		if a.Coins != b.Coins {
			return int(min(max(a.Coins-b.Coins, -1), 1))
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// packagesFor lists the web coin packages in the user's currency, or in
// USD when their currency has no price book.
func (s *server) packagesFor(u *gifting.User) []packageItem {
	cur := "USD"
	if c, ok := money.CountryCurrency(u.Country); ok {
		if _, ok := s.svc.Economy().PriceBook("web", c); ok {
			cur = string(c)
		}
	}
	pkgs, err := s.svc.Packages("web", cur)
	if err != nil {
		return nil
	}
	out := make([]packageItem, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, packageItem{ID: p.ID, Coins: p.Coins, Price: formatAmount(economy.NewAmount(p.Price, p.Currency))})
	}
	return out
}

// livePage shows the viewer room of a stream.
func (s *server) livePage(w http.ResponseWriter, r *http.Request) {
	s.renderLive(w, r, http.StatusOK, "")
}

func (s *server) renderLive(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	sess := s.session(r)
	id := r.PathValue("stream")
	st, err := s.svc.GetStream(ctx, id)
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	me, err := s.svc.GetUser(ctx, sess.User)
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	wallet, err := s.svc.Wallet(ctx, sess.User)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	gifts, err := s.activeGifts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := liveData{
		Stream: st, Creator: s.names.get(ctx, st.CreatorID), Live: st.Status == gifting.StreamLive,
		Gifts: gifts, Coins: wallet.Coins, Packages: s.packagesFor(me), Idem: newNonce(),
		Top:        s.names.gifters(ctx, st.TopGifters[:min(len(st.TopGifters), liveTop)]),
		HasEvents:  s.cfg.Events != nil,
		StreakSecs: int64(s.svc.Economy().Gifting.StreakIdleTimeout.Seconds()),
		JS: liveJS{Stream: id, Me: sess.User, StreakMS: s.svc.Economy().Gifting.StreakIdleTimeout.Milliseconds(),
			Gifts: map[string]giftItem{}},
	}
	for _, g := range gifts {
		d.JS.Gifts[g.ID] = g
	}
	week, err := s.svc.CreatorLeaderboard(ctx, st.CreatorID, gifting.PeriodWeek, liveTop)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Week = s.names.gifters(ctx, week.Items)
	if levels := s.svc.Economy().Levels; levels.On() {
		if d.Level, err = s.svc.Level(ctx, sess.User); err != nil {
			s.fail(w, r, err)
			return
		}
		d.JS.Spent, d.JS.Levels = d.Level.CoinsSpent, levels.Thresholds
	}
	if s.cfg.Events != nil {
		d.JS.Events = "/live/" + url.PathEscape(id) + "/events"
	}
	notice := ""
	if n, err := strconv.ParseInt(r.URL.Query().Get("bought"), 10, 64); err == nil && n > 0 {
		notice = "You bought " + groupInt(n) + " coins."
	} else if r.URL.Query().Get("sent") != "" {
		notice = "Gift sent."
	}
	s.render(w, r, status, "live", page{Title: st.Title, Nav: "live", Notice: notice, Error: errMsg, Data: d})
}

// refuseOrFail answers a refusal as a short page with its status, a fault
// as 500.
func (s *server) refuseOrFail(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg, ok := refusal(err); ok {
		setOutcome(w, codeOf(err))
		s.plain(w, status, msg)
		return
	}
	s.fail(w, r, err)
}

// idemOf makes the idempotency of a form post from its "idem" token (a
// fresh one per rendered form or per click): the same token and the same
// values replay the first answer, as the API's Idempotency-Key does.
func (s *server) idemOf(r *http.Request, form string, values ...string) gifting.Idem {
	token := r.PostForm.Get("idem")
	if token == "" || len(token) > 128 {
		return gifting.Idem{}
	}
	parts := make([][]byte, 0, len(values)+1)
	parts = append(parts, []byte(form))
	for _, v := range values {
		parts = append(parts, []byte(v))
	}
	return gifting.Idem{Key: s.keys.idemKey(s.session(r), form, token), Hash: ledger.HashRequest(parts...)}
}

// wantsJSON reports whether the post came from a page script.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// jsonError answers a script's post that was refused or failed.
func (s *server) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, ok := refusal(err)
	code := codeOf(err)
	if !ok {
		s.log.ErrorContext(r.Context(), "web: post failed", "path", r.URL.Path, "err", err.Error())
		status, msg, code = http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.", "internal"
	}
	setOutcome(w, code)
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// buy buys a coin package with the sandbox provider (a form post).
func (s *server) buy(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	pkg := r.PostForm.Get("package_id")
	p, _, err := s.svc.Purchase(r.Context(), s.idemOf(r, "buy", pkg), gifting.PurchaseInput{UserID: sess.User, PackageID: pkg, Provider: "sandbox"})
	if err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderLive(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	if p.Status != gifting.PurchaseCompleted && p.CheckoutURL != "" {
		http.Redirect(w, r, p.CheckoutURL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/live/"+url.PathEscape(r.PathValue("stream"))+"?bought="+strconv.FormatInt(p.Coins, 10), http.StatusSeeOther)
}

// gift sends a gift: from live.js (Accept: application/json; a combo is a
// run of sends with one combo_id) or as a plain form post.
func (s *server) gift(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	stream := r.PathValue("stream")
	f := r.PostForm
	qty := int64(1)
	if q := f.Get("quantity"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			err = gifting.InvalidField("quantity", "quantity must be a whole number")
			if wantsJSON(r) {
				s.jsonError(w, r, err)
			} else {
				s.renderLive(w, r, http.StatusBadRequest, "Quantity must be a whole number.")
			}
			return
		}
		qty = n
	}
	in := gifting.SendGiftInput{StreamID: stream, SenderID: sess.User, GiftID: f.Get("gift_id"), Quantity: qty, ComboID: f.Get("combo_id")}
	res, _, err := s.svc.SendGift(r.Context(), s.idemOf(r, "gift", stream, in.GiftID, strconv.FormatInt(qty, 10), in.ComboID), in)
	if wantsJSON(r) {
		if err != nil {
			s.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, res)
		return
	}
	if err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderLive(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/live/"+url.PathEscape(stream)+"?sent=1", http.StatusSeeOther)
}

// liveEvents streams the room's events to a signed-in user.
func (s *server) liveEvents(w http.ResponseWriter, r *http.Request) {
	s.streamEvents(w, r, r.PathValue("stream"))
}
