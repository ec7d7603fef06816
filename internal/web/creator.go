package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/statement"
)

// streamCookie remembers the stream a creator went live with, so the
// dashboard finds it again (glint has no read of "the creator's live
// stream"; going live again answers it, see goLive).
const streamCookie = "glint_stream"

// Earnings chart ranges: the last 30 days by day, the last 12 weeks by week.
const (
	chartDays  = 30
	chartWeeks = 12
)

// creatorData is the creator dashboard.
type creatorData struct {
	User        *gifting.User
	Wallet      *gifting.Wallet
	Stream      *gifting.StreamView // the live stream; nil when not live
	Top         []gifter
	Boards      []creatorBoard // the creator's top gifters today, this week, of all time
	Creators    []creatorRank  // the top creators of the week
	Week        string         // that week, 2026-W48
	MyRank      int            // the creator's rank among them; 0 when not in it
	Overlay     string         // the overlay URL, with its key
	Withdrawal  *cashout.Withdrawal
	Withdrawals []*cashout.Withdrawal
	Standing    *cashout.PayoutStanding
	Methods     []string
	Minimum     string
	Commission  string
	Statements  []int
	Days, Weeks *cashout.Breakdown
	HasCashout  bool
	Idem        string
	Charts      creatorJS
}

// creatorBoard is one of the creator's leaderboards.
type creatorBoard struct {
	ID, Title, Window string
	Items             []gifter
}

// creatorRank is a line of the top creators of the week.
type creatorRank struct {
	Rank     int
	UserID   string
	Name     string
	Diamonds string
	Gifts    int64
	Me       bool
}

// Leaderboard sizes on the dashboard.
const (
	boardTop    = 5
	creatorsTop = 10
)

// boardsOf reads the creator's leaderboards and the top creators of the
// week.
func (s *server) boardsOf(ctx context.Context, d *creatorData) error {
	for _, b := range []struct{ period, title string }{{gifting.PeriodDay, "Today"}, {gifting.PeriodWeek, "This week"}, {gifting.PeriodAll, "All time"}} {
		v, err := s.svc.CreatorLeaderboard(ctx, d.User.ID, b.period, boardTop)
		if err != nil {
			return err
		}
		d.Boards = append(d.Boards, creatorBoard{ID: b.period, Title: b.title, Window: v.Window, Items: s.names.gifters(ctx, v.Items)})
	}
	top, err := s.svc.TopCreators(ctx, "current", creatorsTop)
	if err != nil {
		return err
	}
	d.Week = top.Week
	for i, c := range top.Items {
		me := c.CreatorID == d.User.ID
		if me {
			d.MyRank = i + 1
		}
		d.Creators = append(d.Creators, creatorRank{Rank: i + 1, UserID: c.CreatorID, Name: s.names.get(ctx, c.CreatorID), Diamonds: c.Diamonds, Gifts: c.Gifts, Me: me})
	}
	return nil
}

// creatorJS is what creator.js reads from the page: the chart series.
type creatorJS struct {
	Currency string      `json:"currency"`
	Day      chartSeries `json:"day"`
	Week     chartSeries `json:"week"`
}

// chartSeries is a breakdown as columns; numbers are the exact decimals of
// the breakdown (JSON numbers written from strings, never from a float).
type chartSeries struct {
	T        []int64       `json:"t"`
	Diamonds []json.Number `json:"diamonds"`
	Net      []json.Number `json:"net"`
}

func seriesOf(b *cashout.Breakdown) chartSeries {
	c := chartSeries{T: []int64{}, Diamonds: []json.Number{}, Net: []json.Number{}}
	if b == nil {
		return c
	}
	for _, l := range b.Buckets {
		c.T = append(c.T, l.Start.Unix())
		c.Diamonds = append(c.Diamonds, json.Number(l.Diamonds))
		c.Net = append(c.Net, json.Number(l.Net.Value))
	}
	return c
}

// liveStreamOf returns the creator's live stream among the candidates
// (the ?stream= parameter, then the cookie), nil when none is.
func (s *server) liveStreamOf(ctx context.Context, r *http.Request, creator string) (*gifting.StreamView, error) {
	var ids []string
	if id := r.URL.Query().Get("stream"); id != "" {
		ids = append(ids, id)
	}
	if c, err := r.Cookie(streamCookie); err == nil && c.Value != "" {
		ids = append(ids, c.Value)
	}
	for _, id := range ids {
		if gifting.CheckID("stream_id", id) != nil {
			continue
		}
		st, err := s.svc.GetStream(ctx, id)
		if gifting.IsKind(err, gifting.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.CreatorID == creator && st.Status == gifting.StreamLive {
			return st, nil
		}
	}
	return nil, nil
}

// creatorPage shows the dashboard.
func (s *server) creatorPage(w http.ResponseWriter, r *http.Request) {
	s.renderCreator(w, r, http.StatusOK, "")
}

func (s *server) renderCreator(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	sess := s.session(r)
	u, err := s.svc.GetUser(ctx, sess.User)
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	wallet, err := s.svc.Wallet(ctx, u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	econ := s.svc.Economy()
	d := creatorData{User: u, Wallet: wallet, HasCashout: s.cfg.Cashout != nil, Idem: newNonce(),
		Methods: econ.Cashout.Methods, Minimum: econ.Cashout.MinimumDiamonds, Commission: econ.Cashout.Commission.String()}
	if d.Stream, err = s.liveStreamOf(ctx, r, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Stream != nil {
		d.Top = s.names.gifters(ctx, d.Stream.TopGifters)
		d.Overlay = s.overlayURL(r, d.Stream.ID, u.ID)
	}
	if err := s.boardsOf(ctx, &d); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Cashout != nil {
		if d.Standing, err = s.cfg.Cashout.GetStanding(ctx, u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		if d.Withdrawals, err = s.cfg.Cashout.List(ctx, cashout.WithdrawalFilter{UserID: u.ID, Limit: 20}); err != nil {
			s.fail(w, r, err)
			return
		}
		if id := r.URL.Query().Get("withdrawal"); id != "" {
			if wd, err := s.cfg.Cashout.Get(ctx, id); err == nil && wd.UserID == u.ID {
				d.Withdrawal = wd
			}
		}
	}
	if s.cfg.Reports != nil {
		now := s.cfg.Now().UTC()
		today := cashout.BucketStart(now, cashout.IntervalDay)
		if d.Days, err = cashout.Earnings(ctx, econ, s.cfg.Reports, u.ID, today.AddDate(0, 0, 1-chartDays), today.AddDate(0, 0, 1), cashout.IntervalDay); err != nil {
			s.fail(w, r, err)
			return
		}
		week := cashout.BucketStart(now, cashout.IntervalWeek)
		if d.Weeks, err = cashout.Earnings(ctx, econ, s.cfg.Reports, u.ID, week.AddDate(0, 0, -7*(chartWeeks-1)), week.AddDate(0, 0, 7), cashout.IntervalWeek); err != nil {
			s.fail(w, r, err)
			return
		}
		d.Charts = creatorJS{Currency: string(d.Days.Currency), Day: seriesOf(d.Days), Week: seriesOf(d.Weeks)}
		if s.cfg.Cashout != nil {
			for y := now.Year(); y >= u.CreatedAt.UTC().Year() && y > now.Year()-10; y-- {
				d.Statements = append(d.Statements, y)
			}
		}
	}
	q := r.URL.Query()
	notice := ""
	switch {
	case q.Get("withdrawal") != "" && d.Withdrawal != nil:
		notice = "Withdrawal requested: the breakdown below is locked until it is paid."
	case q.Get("live") != "":
		notice = "You are live."
	case q.Get("ended") != "":
		notice = "Your stream has ended."
	case q.Get("method") != "":
		notice = "Payout method saved."
	case q.Get("cancelled") != "":
		notice = "Withdrawal cancelled: the diamonds are available again."
	}
	s.render(w, r, status, "creator", page{Title: "Creator dashboard", Nav: "creator", Notice: notice, Error: errMsg, Data: d})
}

// overlayURL is the absolute URL of a stream's overlay with the creator's
// read-only key and the default options.
func (s *server) overlayURL(r *http.Request, streamID, creatorID string) string {
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	q := url.Values{"key": {s.keys.overlayKey(creatorID)}, "alerts": {"1"}, "goal": {"1"}, "top": {"1"}, "theme": {"dark"}, "duration": {"5"}}
	return scheme + "://" + r.Host + "/overlay/" + url.PathEscape(streamID) + "?" + q.Encode()
}

// creatorRefused re-renders the dashboard with a refusal, or fails.
func (s *server) creatorRefused(w http.ResponseWriter, r *http.Request, err error) {
	if status, msg, ok := refusal(err); ok {
		setOutcome(w, codeOf(err))
		s.renderCreator(w, r, status, msg)
		return
	}
	s.fail(w, r, err)
}

// goLive starts a stream. A creator already live gets their live stream
// back (the conflict names it), so the button also finds a lost stream.
func (s *server) goLive(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	title := strings.TrimSpace(r.PostForm.Get("title"))
	if title == "" {
		title = s.names.get(r.Context(), sess.User) + " live"
	}
	st, _, err := s.svc.StartStream(r.Context(), s.idemOf(r, "live", title), gifting.StartStreamInput{CreatorID: sess.User, Title: title})
	id := ""
	var ge *gifting.Error
	switch {
	case err == nil:
		id = st.ID
	case errors.As(err, &ge) && ge.Code == "stream_already_live":
		id, _ = ge.Details["stream_id"].(string)
	default:
		s.creatorRefused(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: streamCookie, Value: id, Path: "/creator", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || s.cfg.SecureCookies, MaxAge: 7 * 24 * 3600})
	http.Redirect(w, r, "/creator?live=1&stream="+url.QueryEscape(id), http.StatusSeeOther)
}

// endStream ends the creator's live stream.
func (s *server) endStream(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	id := r.PostForm.Get("stream_id")
	if _, _, err := s.svc.EndStream(r.Context(), s.idemOf(r, "end", id), id, sess.User); err != nil {
		s.creatorRefused(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: streamCookie, Value: "", Path: "/creator", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/creator?ended=1", http.StatusSeeOther)
}

// withdraw requests a withdrawal and shows its locked quote.
func (s *server) withdraw(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cashout == nil {
		s.plain(w, http.StatusNotFound, "Cash-out is not enabled on this server.")
		return
	}
	sess := s.session(r)
	diamonds := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("diamonds")), ",", "")
	method := r.PostForm.Get("method")
	wd, _, err := s.cfg.Cashout.Request(r.Context(), s.idemOf(r, "withdraw", diamonds, method), cashout.RequestInput{UserID: sess.User, Diamonds: diamonds, Method: method})
	if err != nil {
		s.creatorRefused(w, r, err)
		return
	}
	http.Redirect(w, r, "/creator?withdrawal="+url.QueryEscape(wd.ID)+"#withdrawal", http.StatusSeeOther)
}

// cancelWithdrawal cancels a withdrawal not yet sent to the provider.
func (s *server) cancelWithdrawal(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cashout == nil {
		s.plain(w, http.StatusNotFound, "Cash-out is not enabled on this server.")
		return
	}
	sess := s.session(r)
	id := r.PathValue("id")
	if _, _, err := s.cfg.Cashout.Cancel(r.Context(), s.idemOf(r, "cancel", id), sess.User, id); err != nil {
		s.creatorRefused(w, r, err)
		return
	}
	http.Redirect(w, r, "/creator?cancelled=1#withdrawals", http.StatusSeeOther)
}

// putMethod puts a payout method on file; only the fields of the chosen
// kind are sent.
func (s *server) putMethod(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cashout == nil {
		s.plain(w, http.StatusNotFound, "Cash-out is not enabled on this server.")
		return
	}
	sess := s.session(r)
	f := r.PostForm
	m := cashout.Method{Kind: f.Get("kind")}
	switch m.Kind {
	case cashout.MethodPayPal:
		m.PayPalEmail = f.Get("paypal_email")
	case cashout.MethodBank:
		m.HolderName = f.Get("holder_name")
		if iban := strings.TrimSpace(f.Get("iban")); iban != "" {
			m.IBAN = iban
		} else {
			m.AccountNumber, m.RoutingNumber = strings.TrimSpace(f.Get("account_number")), strings.TrimSpace(f.Get("routing_number"))
		}
	}
	if _, _, err := s.cfg.Cashout.PutMethod(r.Context(), gifting.Idem{}, sess.User, m); err != nil {
		s.creatorRefused(w, r, err)
		return
	}
	http.Redirect(w, r, "/creator?method=1#payout-method", http.StatusSeeOther)
}

// statement sends the creator's yearly statement as CSV or PDF, as
// GET /v1/users/{id}/statements/{year}.csv|.pdf does for the API.
func (s *server) statement(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cashout == nil || s.cfg.Reports == nil {
		s.plain(w, http.StatusNotFound, "Statements are not enabled on this server.")
		return
	}
	sess := s.session(r)
	file := r.PathValue("file")
	name, ext, _ := strings.Cut(file, ".")
	year, err := strconv.Atoi(name)
	if err != nil || len(name) != 4 || (ext != "csv" && ext != "pdf") {
		s.plain(w, http.StatusNotFound, "Statements are {year}.csv or {year}.pdf.")
		return
	}
	st, err := s.cfg.Cashout.Statement(r.Context(), s.cfg.Reports, sess.User, year)
	if err != nil {
		s.refuseOrFail(w, r, err)
		return
	}
	var b bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if ext == "csv" {
		err = statement.WriteCSV(&b, st)
	} else {
		ctype = "application/pdf"
		err = statement.WritePDF(&b, st)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="glint-statement-%s-%04d.%s"`, sess.User, year, ext))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}
