package cashout

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Report is the platform's books at one point in time, for finance: what
// the platform owes (coins not yet spent are deferred revenue, diamonds not
// yet cashed out are a liability to creators), what it earned and paid out,
// and checks that reconcile those figures with each other.
type Report struct {
	At       time.Time   `json:"at" doc:"The time the figures are of"`
	Current  bool        `json:"current" doc:"The figures are of now, and were also checked against the account balances the writers maintain"`
	Economy  string      `json:"economy" doc:"The economy whose rates value the diamonds"`
	Currency money.Asset `json:"currency" doc:"The diamond's currency"`

	Coins    CoinBooks    `json:"coins"`
	Diamonds DiamondBooks `json:"diamonds"`
	// Commission, PaidOut and Payable are per currency, sorted by currency.
	Commission []economy.Amount `json:"commission" doc:"Commission earned on paid withdrawals (sys:commission:<CUR>)"`
	PaidOut    []economy.Amount `json:"paid_out" doc:"Money paid out to creators through every payout provider (ext:payouts:<provider>:<CUR>)"`
	Payable    []economy.Amount `json:"payouts_payable" doc:"Net owed to creators and not yet paid out (sys:payouts:payable:<CUR>)"`
	// Withdrawals are grouped by their status now, not at At.
	Withdrawals []WithdrawalLine `json:"withdrawals" doc:"Withdrawals requested at or before At, grouped by their status now"`
	Accounts    []AccountLine    `json:"accounts" doc:"Every system and external account as of At"`

	Checks     []Check `json:"checks"`
	Reconciled bool    `json:"reconciled" doc:"Every check passed"`
}

// CoinBooks are the coin figures of a Report. Coins are whole numbers.
type CoinBooks struct {
	Outstanding int64 `json:"outstanding" doc:"Coins held by users: revenue not yet earned"`
	Issued      int64 `json:"issued" doc:"Coins ever sold (−sys:coins:issued)"`
	Spent       int64 `json:"spent" doc:"Coins spent on gifts (sys:coins:spent)"`
}

// DiamondBooks are the diamond figures of a Report: decimal strings, and
// the integers (milli-diamonds) behind them.
type DiamondBooks struct {
	Pending     string         `json:"pending" doc:"Held by creators, still in the holding period"`
	Available   string         `json:"available" doc:"Held by creators, can be withdrawn"`
	Withdrawing string         `json:"withdrawing" doc:"Held by open withdrawals"`
	Outstanding string         `json:"outstanding" doc:"Every diamond held by users: the liability to creators"`
	Gross       economy.Amount `json:"gross" doc:"The value of the outstanding diamonds at the diamond value"`
	Net         economy.Amount `json:"net" doc:"What they would net after commission (valued at once; withdrawals round each on its own)"`
	Issued      string         `json:"issued" doc:"Diamonds ever earned (−sys:diamonds:issued)"`
	Redeemed    string         `json:"redeemed" doc:"Diamonds paid out (sys:diamonds:redeemed)"`
	Forfeited   string         `json:"forfeited" doc:"Diamonds of terminated accounts (sys:diamonds:forfeited)"`

	PendingMilli, AvailableMilli, WithdrawingMilli, OutstandingMilli int64 `json:"-"`
	IssuedMilli, RedeemedMilli, ForfeitedMilli                       int64 `json:"-"`
}

// WithdrawalLine sums the withdrawals of one status.
type WithdrawalLine struct {
	Status     string         `json:"status"`
	Count      int64          `json:"count"`
	Diamonds   string         `json:"diamonds"`
	Gross      economy.Amount `json:"gross"`
	Commission economy.Amount `json:"commission"`
	Net        economy.Amount `json:"net"`
}

// AccountLine is the balance of one system or external account (see
// Balance for the signs).
type AccountLine struct {
	Account string      `json:"account"`
	Asset   money.Asset `json:"asset"`
	Balance string      `json:"balance"`
}

// Check is one reconciliation of a Report: a name, whether it holds, and
// the figures compared.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Names of the checks of a Report.
const (
	CheckZeroSum     = "journal_zero_sum"         // per asset, every balance sums to zero
	CheckDiamonds    = "diamonds_outstanding"     // held by users = issued − redeemed − forfeited
	CheckCoins       = "coins_outstanding"        // held by users = issued − spent
	CheckWithdrawing = "withdrawing_held"         // withdrawing balances = diamonds of open withdrawals
	CheckCommission  = "commission_earned"        // commission revenue = commission of paid withdrawals
	CheckAccounts    = "journal_matches_accounts" // the journal's sums = the accounts table (current only)
)

// OK reports whether every check of the report passed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// BuildReport reads the books as of at (a zero at means now) and reconciles
// them:
//
//   - journal_zero_sum: per asset, the balances sum to zero;
//   - diamonds_outstanding: the diamonds users hold = −sys:diamonds:issued −
//     sys:diamonds:redeemed − sys:diamonds:forfeited;
//   - coins_outstanding: the coins users hold = −sys:coins:issued −
//     sys:coins:spent;
//   - withdrawing_held: the users' withdrawing balances = the diamonds of the
//     withdrawals open at At (requested, processing or unclaimed then);
//   - commission_earned: the commission accounts = the commission of the
//     withdrawals paid at At (and not returned by then), in the diamond's
//     currency, and nothing in any other;
//   - journal_matches_accounts, only for the current books: every balance
//     summed from the journal equals the accounts table.
//
// A failed check is not an error: it is reported in Checks, and OK and
// Reconciled are false. Errors: storage errors as they come, and an
// overflow of the arithmetic.
func BuildReport(ctx context.Context, econ *economy.Economy, r ReportReader, at time.Time) (*Report, error) {
	f, err := r.Liabilities(ctx, at)
	if err != nil {
		return nil, err
	}
	cur := econ.Diamond.Currency
	rep := &Report{At: f.At.UTC(), Current: f.Current, Economy: econ.Name, Currency: cur,
		Commission: []economy.Amount{}, PaidOut: []economy.Amount{}, Payable: []economy.Amount{},
		Withdrawals: []WithdrawalLine{}, Accounts: []AccountLine{}, Checks: []Check{}}
	sum := checkedSum{}

	// Users' holdings, per asset and per purpose.
	var coinsHeld, diamondsHeld int64
	for _, b := range f.Journal {
		if !strings.HasPrefix(b.Account, "user:*:") {
			continue
		}
		switch b.Asset {
		case money.Coin:
			coinsHeld = sum.add(coinsHeld, b.Amount)
		case money.Diamond:
			diamondsHeld = sum.add(diamondsHeld, b.Amount)
		}
	}
	coinsIssued := f.Get(string(ledger.CoinsIssued), money.Coin)
	coinsSpent := f.Get(string(ledger.CoinsSpent), money.Coin)
	rep.Coins = CoinBooks{Outstanding: coinsHeld, Issued: sum.neg(coinsIssued), Spent: coinsSpent}

	d := &rep.Diamonds
	d.PendingMilli = f.Get(UserAccounts(ledger.PurposeDiamondsPending), money.Diamond)
	d.AvailableMilli = f.Get(UserAccounts(ledger.PurposeDiamondsAvailable), money.Diamond)
	d.WithdrawingMilli = f.Get(UserAccounts(ledger.PurposeDiamondsWithdrawing), money.Diamond)
	d.OutstandingMilli = diamondsHeld
	d.IssuedMilli = sum.neg(f.Get(string(ledger.DiamondsIssued), money.Diamond))
	d.RedeemedMilli = f.Get(string(ledger.DiamondsRedeemed), money.Diamond)
	d.ForfeitedMilli = f.Get(string(ledger.DiamondsForfeited), money.Diamond)
	gross, _, net, err := value(econ, d.OutstandingMilli)
	if err != nil {
		return nil, err
	}
	diamonds := func(milli int64) string { return money.FormatAsset(milli, money.Diamond) }
	d.Pending, d.Available, d.Withdrawing, d.Outstanding = diamonds(d.PendingMilli), diamonds(d.AvailableMilli), diamonds(d.WithdrawingMilli), diamonds(d.OutstandingMilli)
	d.Issued, d.Redeemed, d.Forfeited = diamonds(d.IssuedMilli), diamonds(d.RedeemedMilli), diamonds(d.ForfeitedMilli)
	d.Gross, d.Net = economy.NewAmount(gross, cur), economy.NewAmount(net, cur)

	// Money, per currency, from the system and external accounts.
	commission := map[money.Asset]int64{}
	paidOut := map[money.Asset]int64{}
	payable := map[money.Asset]int64{}
	for _, b := range f.Journal {
		if strings.HasPrefix(b.Account, "user:*:") {
			continue
		}
		rep.Accounts = append(rep.Accounts, AccountLine{Account: b.Account, Asset: b.Asset, Balance: money.FormatAsset(b.Amount, b.Asset)})
		switch {
		case strings.HasPrefix(b.Account, "sys:commission:"):
			commission[b.Asset] = sum.add(commission[b.Asset], b.Amount)
		case strings.HasPrefix(b.Account, "ext:payouts:"):
			// Money leaving through a provider is posted to it: its
			// balance is what was paid out (whatever ledger.PayoutsExternal's
			// doc says of its sign).
			paidOut[b.Asset] = sum.add(paidOut[b.Asset], b.Amount)
		case strings.HasPrefix(b.Account, "sys:payouts:payable:"):
			payable[b.Asset] = sum.add(payable[b.Asset], b.Amount)
		}
	}
	rep.Commission, rep.PaidOut, rep.Payable = amounts(commission), amounts(paidOut), amounts(payable)
	for _, w := range f.Withdrawals {
		rep.Withdrawals = append(rep.Withdrawals, WithdrawalLine{Status: w.Status, Count: w.Count, Diamonds: diamonds(w.Milli),
			Gross: economy.NewAmount(w.Gross, cur), Commission: economy.NewAmount(w.Commission, cur), Net: economy.NewAmount(w.Net, cur)})
	}

	// The checks.
	check := func(name string, ok bool, format string, args ...any) {
		rep.Checks = append(rep.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	perAsset := map[money.Asset]int64{}
	for _, b := range f.Journal {
		perAsset[b.Asset] = sum.add(perAsset[b.Asset], b.Amount)
	}
	var off []string
	for _, a := range sortedAssets(perAsset) {
		if perAsset[a] != 0 {
			off = append(off, fmt.Sprintf("%s sums to %s", a, money.FormatAsset(perAsset[a], a)))
		}
	}
	if len(off) == 0 {
		check(CheckZeroSum, true, "every asset sums to zero (%s)", joinAssets(perAsset))
	} else {
		check(CheckZeroSum, false, "%s", strings.Join(off, "; "))
	}

	want := sum.sub(sum.sub(d.IssuedMilli, d.RedeemedMilli), d.ForfeitedMilli)
	check(CheckDiamonds, d.OutstandingMilli == want, "users hold %s diamonds; issued %s − redeemed %s − forfeited %s = %s",
		d.Outstanding, d.Issued, d.Redeemed, d.Forfeited, diamonds(want))

	want = sum.sub(rep.Coins.Issued, rep.Coins.Spent)
	check(CheckCoins, coinsHeld == want, "users hold %d coins; issued %d − spent %d = %d", coinsHeld, rep.Coins.Issued, rep.Coins.Spent, want)

	check(CheckWithdrawing, d.WithdrawingMilli == f.Held.Milli, "withdrawing balances %s diamonds; %d open withdrawal(s) hold %s",
		d.Withdrawing, f.Held.Count, diamonds(f.Held.Milli))

	ok := commission[cur] == f.Paid.Commission
	var others []string
	for _, a := range sortedAssets(commission) {
		if a != cur && commission[a] != 0 {
			ok = false
			others = append(others, economy.NewAmount(commission[a], a).String())
		}
	}
	detail := fmt.Sprintf("commission earned %s; %d paid withdrawal(s) locked %s", economy.NewAmount(commission[cur], cur), f.Paid.Count, economy.NewAmount(f.Paid.Commission, cur))
	if len(others) > 0 {
		detail += "; commission in other currencies: " + strings.Join(others, ", ")
	}
	check(CheckCommission, ok, "%s", detail)

	if f.Current {
		journal, table := nonZero(f.Journal), nonZero(f.Accounts)
		var diffs []string
		for _, k := range sortedKeys(journal, table) {
			if journal[k] != table[k] {
				diffs = append(diffs, fmt.Sprintf("%s %s: journal %s, accounts %s", k.account, k.asset, money.FormatAsset(journal[k], k.asset), money.FormatAsset(table[k], k.asset)))
			}
		}
		if len(diffs) == 0 {
			check(CheckAccounts, true, "%d balance(s) summed from the journal equal the accounts table", len(journal))
		} else {
			check(CheckAccounts, false, "%s", strings.Join(diffs, "; "))
		}
	}
	if sum.err != nil {
		return nil, fmt.Errorf("cashout: report: %w", sum.err)
	}
	rep.Reconciled = rep.OK()
	return rep, nil
}

// checkedSum does overflow-checked arithmetic, keeping the first error.
type checkedSum struct{ err error }

func (c *checkedSum) add(a, b int64) int64 {
	v, err := money.Add(a, b)
	if err != nil && c.err == nil {
		c.err = err
	}
	return v
}

func (c *checkedSum) sub(a, b int64) int64 {
	v, err := money.Sub(a, b)
	if err != nil && c.err == nil {
		c.err = err
	}
	return v
}

func (c *checkedSum) neg(a int64) int64 { return c.sub(0, a) }

func sortedAssets(m map[money.Asset]int64) []money.Asset {
	out := make([]money.Asset, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func joinAssets(m map[money.Asset]int64) string {
	as := sortedAssets(m)
	if len(as) == 0 {
		return "no postings"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = string(a)
	}
	return strings.Join(parts, ", ")
}

// amounts lists per-currency figures as Amounts, sorted by currency.
func amounts(m map[money.Asset]int64) []economy.Amount {
	out := []economy.Amount{}
	for _, a := range sortedAssets(m) {
		out = append(out, economy.NewAmount(m[a], a))
	}
	return out
}

type balanceKey struct {
	account string
	asset   money.Asset
}

func nonZero(bs []Balance) map[balanceKey]int64 {
	out := map[balanceKey]int64{}
	for _, b := range bs {
		if b.Amount != 0 {
			out[balanceKey{b.Account, b.Asset}] = b.Amount
		}
	}
	return out
}

func sortedKeys(ms ...map[balanceKey]int64) []balanceKey {
	seen := map[balanceKey]bool{}
	var out []balanceKey
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].account != out[j].account {
			return out[i].account < out[j].account
		}
		return out[i].asset < out[j].asset
	})
	return out
}
