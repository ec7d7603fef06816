package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// UserLister lists users by status (the storage engine's *DB); the console
// uses it to show banned and terminated accounts.
type UserLister interface {
	UsersByStatus(ctx context.Context, status string, before time.Time) ([]gifting.User, error)
}

// ---- catalog and economy ----

type catalogData struct {
	Gifts   []gifting.CatalogGift
	Economy *economy.Economy
	Books   []bookView
}

type bookView struct {
	Channel, Currency string
	Packages          []packageItem
}

// adminCatalog shows the gift catalog (with price edits) and the economy.
func (s *server) adminCatalog(w http.ResponseWriter, r *http.Request) {
	s.renderCatalog(w, r, http.StatusOK, "")
}

func (s *server) renderCatalog(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	cat, err := s.svc.Catalog(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.SortStableFunc(cat, func(a, b gifting.CatalogGift) int {
		if a.Coins != b.Coins {
			return int(min(max(a.Coins-b.Coins, -1), 1))
		}
		return strings.Compare(a.ID, b.ID)
	})
	econ := s.svc.Economy()
	d := catalogData{Gifts: cat, Economy: econ}
	for i := range econ.Packages {
		pb := &econ.Packages[i]
		bv := bookView{Channel: pb.Channel, Currency: pb.Currency}
		for _, p := range pb.Packages() {
			bv.Packages = append(bv.Packages, packageItem{ID: p.ID, Coins: p.Coins, Price: formatAmount(economy.NewAmount(p.Price, p.Currency))})
		}
		d.Books = append(d.Books, bv)
	}
	notice := ""
	if g := r.URL.Query().Get("saved"); g != "" && gifting.CheckID("gift", g) == nil {
		notice = "Saved " + g + ": a new catalog version. Gifts already sent keep their price."
	}
	s.render(w, r, status, "admin_catalog", page{Title: "Catalog", Nav: "catalog", Notice: notice, Error: errMsg, Data: d})
}

// adminPutGift changes a gift's price (a new catalog version); its name,
// streak flag and diamond rate are kept unless the form changes them.
func (s *server) adminPutGift(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	cat, err := s.svc.Catalog(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(cat, func(g gifting.CatalogGift) bool { return g.ID == id })
	if i < 0 {
		setOutcome(w, "gift_not_found")
		s.renderCatalog(w, r, http.StatusNotFound, "There is no gift "+id+".")
		return
	}
	old := cat[i]
	f := r.PostForm
	coins, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(f.Get("coins")), ",", ""), 10, 64)
	if err != nil {
		setOutcome(w, "invalid_request")
		s.renderCatalog(w, r, http.StatusBadRequest, "The price of "+old.Name+" must be a whole number of coins.")
		return
	}
	in := gifting.PutGiftInput{ID: id, Name: old.Name, Coins: coins, Streakable: old.Streakable, DiamondRate: old.DiamondRate, Actor: s.session(r).Actor()}
	if n := strings.TrimSpace(f.Get("name")); n != "" {
		in.Name = n
	}
	if _, _, err := s.svc.PutGift(ctx, gifting.Idem{}, in); err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderCatalog(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?saved="+url.QueryEscape(id)+"#gift-"+url.QueryEscape(id), http.StatusSeeOther)
}

// adminGiftActive retires or restores a gift.
func (s *server) adminGiftActive(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	active := r.PostForm.Get("active") == "1"
	if _, _, err := s.svc.SetGiftActive(r.Context(), gifting.Idem{}, id, active, s.session(r).Actor()); err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderCatalog(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?saved="+url.QueryEscape(id)+"#gift-"+url.QueryEscape(id), http.StatusSeeOther)
}

// ---- users ----

type usersData struct {
	Query      string
	User       *gifting.User
	Wallet     *gifting.Wallet
	Banned     []gifting.User
	Terminated []gifting.User
	CanList    bool
}

// adminUsers looks a user up (?id=) and lists banned and terminated users.
func (s *server) adminUsers(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "")
}

func (s *server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("id"))
	if r.Method == http.MethodPost {
		q = r.PathValue("id")
	}
	d := usersData{Query: q, CanList: s.cfg.Users != nil}
	if q != "" {
		u, err := s.svc.GetUser(ctx, q)
		switch {
		case err == nil:
			d.User = u
			if d.Wallet, err = s.svc.Wallet(ctx, q); err != nil {
				s.fail(w, r, err)
				return
			}
		case gifting.IsKind(err, gifting.KindNotFound) || gifting.IsKind(err, gifting.KindInvalid):
			if errMsg == "" {
				errMsg, status = "There is no user "+q+".", http.StatusNotFound
			}
		default:
			s.fail(w, r, err)
			return
		}
	}
	if s.cfg.Users != nil {
		far := s.cfg.Now().Add(24 * time.Hour)
		var err error
		if d.Banned, err = s.cfg.Users.UsersByStatus(ctx, gifting.UserBanned, far); err != nil {
			s.fail(w, r, err)
			return
		}
		if d.Terminated, err = s.cfg.Users.UsersByStatus(ctx, gifting.UserTerminated, far); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	notice := ""
	if r.Method == http.MethodGet && r.URL.Query().Get("done") != "" && d.User != nil {
		notice = d.User.ID + " is now " + d.User.Status + "."
	}
	s.render(w, r, status, "admin_users", page{Title: "Users", Nav: "users", Notice: notice, Error: errMsg, Data: d})
}

// adminSetStatus bans or unbans a user with a reason; a ban also cancels
// the user's open withdrawals not yet with a provider, as the API does.
func (s *server) adminSetStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	action := r.PostForm.Get("action")
	if action != gifting.ActionBan && action != gifting.ActionUnban {
		setOutcome(w, "invalid_request")
		s.renderUsers(w, r, http.StatusBadRequest, "Choose ban or unban.")
		return
	}
	u, _, err := s.svc.SetStatus(ctx, gifting.Idem{}, id, action, r.PostForm.Get("reason"))
	if err == nil && action == gifting.ActionBan && s.cfg.Cashout != nil {
		_, err = s.cfg.Cashout.VoidOpen(ctx, u.ID, "account "+u.Status+": "+u.StatusReason)
	}
	if err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderUsers(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done=1&id="+url.QueryEscape(id), http.StatusSeeOther)
}

// ---- payouts ----

type payoutsData struct {
	Status      string
	Statuses    []string
	Withdrawals []*cashout.Withdrawal
	Enabled     bool
}

var withdrawalStatuses = []string{cashout.StatusRequested, cashout.StatusProcessing, cashout.StatusUnclaimed, cashout.StatusPaid,
	cashout.StatusFailed, cashout.StatusReturned, cashout.StatusCancelled}

// adminPayouts is the payouts queue, filtered by status (?status=).
func (s *server) adminPayouts(w http.ResponseWriter, r *http.Request) {
	s.renderPayouts(w, r, http.StatusOK, "")
}

func (s *server) renderPayouts(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	d := payoutsData{Statuses: withdrawalStatuses, Enabled: s.cfg.Cashout != nil}
	if st := r.URL.Query().Get("status"); slices.Contains(withdrawalStatuses, st) {
		d.Status = st
	}
	if s.cfg.Cashout != nil {
		ws, err := s.cfg.Cashout.List(r.Context(), cashout.WithdrawalFilter{Status: d.Status, Limit: 100})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Withdrawals = ws
	}
	notice := ""
	if r.Method == http.MethodGet && r.URL.Query().Get("marked") != "" {
		notice = "Withdrawal updated."
	}
	s.render(w, r, status, "admin_payouts", page{Title: "Payouts", Nav: "payouts", Notice: notice, Error: errMsg, Data: d})
}

// adminMark marks a withdrawal paid or failed (manual payouts).
func (s *server) adminMark(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cashout == nil {
		s.plain(w, http.StatusNotFound, "Cash-out is not enabled on this server.")
		return
	}
	id := r.PathValue("id")
	f := r.PostForm
	st := f.Get("status")
	if st != cashout.StatusPaid && st != cashout.StatusFailed {
		setOutcome(w, "invalid_request")
		s.renderPayouts(w, r, http.StatusBadRequest, "Mark a withdrawal paid or failed.")
		return
	}
	if _, _, err := s.cfg.Cashout.Resolve(r.Context(), gifting.Idem{}, id, st, strings.TrimSpace(f.Get("ref")), strings.TrimSpace(f.Get("reason"))); err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderPayouts(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	back := "/admin/payouts?marked=1"
	if v := f.Get("filter"); slices.Contains(withdrawalStatuses, v) {
		back += "&status=" + v
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// ---- FX ----

type fxData struct {
	Base     string
	Rows     []money.RateInfo
	Today    string
	Editable bool
}

// adminFX shows the FX table in force and a form to set one rate.
func (s *server) adminFX(w http.ResponseWriter, r *http.Request) {
	s.renderFX(w, r, http.StatusOK, "")
}

func (s *server) renderFX(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	d := fxData{Base: string(fx.Base), Today: s.cfg.Now().UTC().Format(time.DateOnly), Editable: s.cfg.FXStore != nil && s.cfg.FX != nil}
	if s.cfg.FX != nil {
		d.Rows = s.cfg.FX.Load().Rows()
	}
	notice := ""
	if c := r.URL.Query().Get("set"); r.Method == http.MethodGet && money.IsCurrency(c) {
		notice = "Rate for " + c + " stored."
	}
	s.render(w, r, status, "admin_fx", page{Title: "FX rates", Nav: "fx", Notice: notice, Error: errMsg, Data: d})
}

// adminSetFX stores one rate with fx.Set and puts the table in force.
func (s *server) adminSetFX(w http.ResponseWriter, r *http.Request) {
	if s.cfg.FXStore == nil || s.cfg.FX == nil {
		s.plain(w, http.StatusNotFound, "The FX table cannot be edited on this server.")
		return
	}
	f := r.PostForm
	bad := func(msg string) {
		setOutcome(w, "invalid_request")
		s.renderFX(w, r, http.StatusBadRequest, msg)
	}
	cur, err := money.ParseCurrency(strings.ToUpper(strings.TrimSpace(f.Get("currency"))))
	if err != nil {
		bad("Unknown currency " + f.Get("currency") + ".")
		return
	}
	rate, err := money.ParseRate(strings.TrimSpace(f.Get("rate")))
	if err != nil {
		bad("Rate: " + err.Error())
		return
	}
	row := money.RateInfo{Currency: cur, Rate: rate, Date: strings.TrimSpace(f.Get("date")), Source: strings.TrimSpace(f.Get("source"))}
	if row.Date == "" {
		row.Date = s.cfg.Now().UTC().Format(time.DateOnly)
	}
	if row.Source == "" {
		row.Source = "manual (admin console)"
	}
	if err := fx.Set(r.Context(), s.cfg.FXStore, s.cfg.FX, []money.RateInfo{row}); err != nil {
		if status, msg, ok := refusal(err); ok {
			setOutcome(w, codeOf(err))
			s.renderFX(w, r, status, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/fx?set="+string(cur), http.StatusSeeOther)
}

// ---- ledger check and books ----

type ledgerData struct {
	Enabled  bool
	Ran      bool
	Problems []ledger.Problem
	Took     time.Duration
}

// adminLedger runs the ledger invariants when asked (?run=1): it reads the
// whole journal, so it is not run on every visit.
func (s *server) adminLedger(w http.ResponseWriter, r *http.Request) {
	d := ledgerData{Enabled: s.cfg.Check != nil}
	if d.Enabled && r.URL.Query().Get("run") == "1" {
		start := time.Now()
		ps, err := s.cfg.Check(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Ran, d.Problems, d.Took = true, ps, time.Since(start).Round(time.Millisecond)
	}
	s.render(w, r, http.StatusOK, "admin_ledger", page{Title: "Ledger check", Nav: "ledger", Data: d})
}

// adminBooks shows the platform's books now, reconciled.
func (s *server) adminBooks(w http.ResponseWriter, r *http.Request) {
	var rep *cashout.Report
	if s.cfg.Reports != nil {
		var err error
		if rep, err = cashout.BuildReport(r.Context(), s.svc.Economy(), s.cfg.Reports, time.Time{}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "admin_books", page{Title: "Books", Nav: "books", Data: rep})
}
