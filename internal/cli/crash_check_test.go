package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glint-economy/glint/internal/store/postgres"
)

// crashFacts is what the database holds about one crash run (every user of
// the run has an id starting with "<run>-"), read straight from the tables
// with the server stopped.
type crashFacts struct {
	idem        map[string]crashIdem // by the client's key (the "platform|" scope cut off)
	foreignIdem []string             // records of the run's scope whose key no client sent
	txs         map[int64]*crashTx   // journal transactions of the run's users
	strayTxs    []int64              // transactions moving a run user's money without naming a run user
	gifts       map[string]crashRow
	purchases   map[string]crashRow
	withdrawals map[string]crashRow
	balances    map[string]int64 // the run users' accounts
	payoutJobs  map[string]int   // River's payout jobs by state (the database holds one run)
}

type crashIdem struct {
	status int
	id     string
}

type crashTx struct {
	kind, ref, userA, userB string
	// net is what each account gained in the transaction (negative: lost).
	net map[string]int64
}

// crashRow is a gift, a purchase or a withdrawal as stored.
type crashRow struct {
	user, creator, status string
	provider              string // withdrawals
	coins, milli          int64
}

func crashAccount(user, purpose string) string { return "user:" + user + ":" + purpose }

func openCrashDB(db string) (*sql.DB, error) {
	if postgres.IsDSN(db) {
		return sql.Open("pgx", db) // registered by internal/store/postgres
	}
	return sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
}

// waitForPayouts waits, at most d, until no withdrawal of the run paid by
// the sandbox provider is still requested, or their number stops falling
// for two seconds (a payout job that was running at a kill waits for River's
// rescuer).
func waitForPayouts(ctx context.Context, t *testing.T, db, run string, d time.Duration) {
	t.Helper()
	h, err := openCrashDB(db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	deadline := time.Now().Add(d)
	last, since := -1, time.Now()
	for {
		var n int
		if err := h.QueryRowContext(ctx, "SELECT COUNT(*) FROM withdrawals WHERE provider = 'sandbox' AND status = 'requested' AND user_id LIKE '"+run+"-%'").Scan(&n); err != nil {
			t.Fatalf("count requested withdrawals: %v", err)
		}
		if n != last {
			last, since = n, time.Now()
		}
		if n == 0 || time.Since(since) > 2*time.Second || time.Now().After(deadline) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readCrashFacts reads the run's rows. run is the test's own prefix (letters
// and digits), so it is spliced into the SQL as is: the same text works on
// both engines.
func readCrashFacts(ctx context.Context, db, run string) (*crashFacts, error) {
	h, err := openCrashDB(db)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	like := "'" + run + "-%'"
	f := &crashFacts{idem: map[string]crashIdem{}, txs: map[int64]*crashTx{}, gifts: map[string]crashRow{},
		purchases: map[string]crashRow{}, withdrawals: map[string]crashRow{}, balances: map[string]int64{}, payoutJobs: map[string]int{}}
	query := func(q string, scan func(rows *sql.Rows) error) error {
		rows, err := h.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return rows.Err()
	}
	steps := []error{
		query("SELECT key, status, response FROM idempotency WHERE key LIKE 'platform|"+run+"-%'", func(r *sql.Rows) error {
			var key string
			var st int
			var resp []byte
			if err := r.Scan(&key, &st, &resp); err != nil {
				return err
			}
			var a struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(resp, &a); err != nil {
				return fmt.Errorf("idempotency record %s: %w", key, err)
			}
			f.idem[strings.TrimPrefix(key, "platform|")] = crashIdem{status: st, id: a.ID}
			return nil
		}),
		query("SELECT id, kind, ref, COALESCE(user_a, ''), COALESCE(user_b, '') FROM transactions WHERE user_a LIKE "+like+" OR user_b LIKE "+like, func(r *sql.Rows) error {
			var id int64
			tx := &crashTx{net: map[string]int64{}}
			if err := r.Scan(&id, &tx.kind, &tx.ref, &tx.userA, &tx.userB); err != nil {
				return err
			}
			f.txs[id] = tx
			return nil
		}),
		query("SELECT tx_id, from_account, to_account, amount FROM postings WHERE from_account LIKE 'user:"+run+"-%' OR to_account LIKE 'user:"+run+"-%'"+
			" OR tx_id IN (SELECT id FROM transactions WHERE user_a LIKE "+like+" OR user_b LIKE "+like+")", func(r *sql.Rows) error {
			var id, amount int64
			var from, to string
			if err := r.Scan(&id, &from, &to, &amount); err != nil {
				return err
			}
			tx, ok := f.txs[id]
			if !ok {
				if !slices.Contains(f.strayTxs, id) {
					f.strayTxs = append(f.strayTxs, id)
				}
				return nil
			}
			tx.net[from] -= amount
			tx.net[to] += amount
			return nil
		}),
		query("SELECT id, sender_id, creator_id, coins, milli FROM gifts WHERE sender_id LIKE "+like+" OR creator_id LIKE "+like, func(r *sql.Rows) error {
			var id string
			var g crashRow
			if err := r.Scan(&id, &g.user, &g.creator, &g.coins, &g.milli); err != nil {
				return err
			}
			f.gifts[id] = g
			return nil
		}),
		query("SELECT id, user_id, status, coins FROM purchases WHERE user_id LIKE "+like, func(r *sql.Rows) error {
			var id string
			var p crashRow
			if err := r.Scan(&id, &p.user, &p.status, &p.coins); err != nil {
				return err
			}
			f.purchases[id] = p
			return nil
		}),
		query("SELECT id, user_id, status, provider, milli FROM withdrawals WHERE user_id LIKE "+like, func(r *sql.Rows) error {
			var id string
			var w crashRow
			if err := r.Scan(&id, &w.user, &w.status, &w.provider, &w.milli); err != nil {
				return err
			}
			f.withdrawals[id] = w
			return nil
		}),
		query("SELECT id, balance FROM accounts WHERE id LIKE 'user:"+run+"-%'", func(r *sql.Rows) error {
			var id string
			var b int64
			if err := r.Scan(&id, &b); err != nil {
				return err
			}
			f.balances[id] = b
			return nil
		}),
		query("SELECT CAST(state AS TEXT), COUNT(*) FROM river_job WHERE kind = 'payout' GROUP BY state", func(r *sql.Rows) error {
			var st string
			var n int
			if err := r.Scan(&st, &n); err != nil {
				return err
			}
			f.payoutJobs[st] = n
			return nil
		}),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// crashResult is the verdict of checkCrash.
type crashResult struct {
	problems         []string
	acked            map[string]int // acknowledged keys by kind
	refused          int
	abandoned        int
	abandonedApplied int
	journal          map[string]int // the run's journal transactions by kind
	withdrawalStates string         // e.g. "paid (sandbox) 120, requested (manual) 80"
	wantBalance      map[string]int64
	// The abandoned keys whose last answer a kill cut off, and how many of
	// them were applied.
	abandonedAfterKill, abandonedAfterKillApplied int
}

// Withdrawal statuses by what they did to the hold.
var (
	crashOpen   = map[string]bool{"requested": true, "processing": true, "unclaimed": true} // held
	crashVoided = map[string]bool{"failed": true, "cancelled": true}                        // released, nothing paid
)

// checkCrash compares the database with what the clients were told:
//
//   - every acknowledged key has its idempotency record, holding the id the
//     client was given; no refused key has one; an abandoned key has one
//     (applied) or not (not applied); no record exists for a key never sent;
//   - every applied request has its row (gift, purchase, withdrawal) with
//     the amounts asked for, and its journal transaction exactly once, with
//     postings that move exactly those amounts; no row and no transaction
//     belongs to anything else — so an abandoned request moved all of its
//     money or none of it;
//   - every account of the run's users holds what the applied requests say.
func checkCrash(keys []*crashKey, f *crashFacts) crashResult {
	res := crashResult{acked: map[string]int{}, journal: map[string]int{}, wantBalance: map[string]int64{}}
	bad := func(format string, args ...any) { res.problems = append(res.problems, fmt.Sprintf(format, args...)) }

	// Keys → applied requests, by the id of what they created.
	applied := map[string]*crashKey{}
	sent := map[string]bool{}
	for _, k := range keys {
		sent[k.key] = true
		rec, ok := f.idem[k.key]
		switch k.state {
		case crashUnanswered:
			bad("key %s (%s) was never answered", k.key, k.kind)
			continue
		case crashAcked:
			res.acked[k.kind]++
			if !ok {
				bad("%s %s was acknowledged (id %q) but has no idempotency record", k.kind, k.key, k.id)
				continue
			}
			if rec.id != k.id || k.id == "" {
				bad("%s %s was acknowledged as %q but its record says %q", k.kind, k.key, k.id, rec.id)
			}
		case crashRefused:
			res.refused++
			if !crashRefusals[k.code] {
				bad("%s %s was refused with %s, which the load never causes", k.kind, k.key, k.code)
			}
			if ok {
				bad("%s %s was answered %s but was applied as %s", k.kind, k.key, k.code, rec.id)
			}
			continue
		case crashAbandoned:
			res.abandoned++
			if k.abandonedAfter == "kill" {
				res.abandonedAfterKill++
			}
			if !ok {
				continue
			}
			res.abandonedApplied++
			if k.abandonedAfter == "kill" {
				res.abandonedAfterKillApplied++
			}
		}
		if prev, dup := applied[rec.id]; dup {
			bad("keys %s and %s both created %s", prev.key, k.key, rec.id)
			continue
		}
		applied[rec.id] = k
	}
	for key := range f.idem {
		if !sent[key] {
			f.foreignIdem = append(f.foreignIdem, key)
		}
	}
	for _, key := range f.foreignIdem {
		bad("idempotency record for key %s, which no client sent", key)
	}

	// Rows: exactly the applied requests, with what they asked for.
	rows := map[string]map[string]crashRow{"gift": f.gifts, "purchase": f.purchases, "withdrawal": f.withdrawals}
	for kind, m := range rows {
		for id, r := range m {
			k, ok := applied[id]
			if !ok || k.kind != kind {
				bad("%s %s (user %s) is stored but no applied request created it", kind, id, r.user)
				continue
			}
			switch kind {
			case "gift":
				if r.user != k.user || r.creator != k.creator || r.coins != k.coins || r.milli != k.milli {
					bad("gift %s of key %s is stored as %+v; asked: %s → %s, %d coins, %d milli-diamonds", id, k.key, r, k.user, k.creator, k.coins, k.milli)
				}
			case "purchase":
				if r.user != k.user || r.coins != k.coins || r.status != "completed" {
					bad("purchase %s of key %s is stored as %+v; asked: %s, %d coins, completed", id, k.key, r, k.user, k.coins)
				}
			case "withdrawal":
				if r.user != k.user || r.milli != k.milli {
					bad("withdrawal %s of key %s is stored as %+v; asked: %s, %d milli-diamonds", id, k.key, r, k.user, k.milli)
				}
			}
		}
	}
	for id, k := range applied {
		if _, ok := rows[k.kind][id]; !ok {
			bad("%s %s (key %s, %s) has no row", k.kind, id, k.key, stateName(k.state))
		}
		if k.state == crashAcked && (k.kind == "gift" && (k.gotCoins != k.coins || k.gotMilli != k.milli) ||
			k.kind == "purchase" && k.gotCoins != k.coins || k.kind == "withdrawal" && k.gotMilli != k.milli) {
			bad("%s %s (key %s) was answered with %d coins / %d milli-diamonds, asked %d / %d", k.kind, id, k.key, k.gotCoins, k.gotMilli, k.coins, k.milli)
		}
	}

	// The journal: each applied request's transaction exactly once, moving
	// exactly its amounts; a withdrawal's later steps as its status says.
	mainKind := map[string]string{"gift": "gift", "purchase": "purchase", "withdrawal": "withdrawal.hold"}
	count := map[string]map[string]int{} // kind → ref → transactions
	for _, tx := range f.txs {
		res.journal[tx.kind]++
		if count[tx.kind] == nil {
			count[tx.kind] = map[string]int{}
		}
		count[tx.kind][tx.ref]++
		k, ok := applied[tx.ref]
		if !ok {
			bad("journal: %s transaction for %s (users %s, %s), which no applied request created", tx.kind, tx.ref, tx.userA, tx.userB)
			continue
		}
		want := map[string]int64{}
		switch {
		case tx.kind == "gift" && k.kind == "gift":
			want[crashAccount(k.user, "coins")] = -k.coins
			// diamonds land in pending or available (holding period 0: available)
			if tx.net[crashAccount(k.creator, "diamonds:pending")] != 0 {
				want[crashAccount(k.creator, "diamonds:pending")] = k.milli
			} else {
				want[crashAccount(k.creator, "diamonds:available")] = k.milli
			}
		case tx.kind == "purchase" && k.kind == "purchase":
			want[crashAccount(k.user, "coins")] = k.coins
		case tx.kind == "withdrawal.hold" && k.kind == "withdrawal":
			want[crashAccount(k.user, "diamonds:available")] = -k.milli
			want[crashAccount(k.user, "diamonds:withdrawing")] = k.milli
		case tx.kind == "withdrawal.paid" && k.kind == "withdrawal":
			want[crashAccount(k.user, "diamonds:withdrawing")] = -k.milli
		case tx.kind == "withdrawal.void" && k.kind == "withdrawal":
			want[crashAccount(k.user, "diamonds:withdrawing")] = -k.milli
			want[crashAccount(k.user, "diamonds:available")] = k.milli
		default:
			bad("journal: a %s transaction for %s %s (key %s)", tx.kind, k.kind, tx.ref, k.key)
			continue
		}
		users := map[string]int64{}
		for acct, n := range tx.net {
			if strings.HasPrefix(acct, "user:") && n != 0 {
				users[acct] = n
			}
		}
		if !maps.Equal(users, want) {
			bad("journal: %s transaction for %s (key %s, %s) moves %v in user accounts, want %v", tx.kind, tx.ref, k.key, stateName(k.state), users, want)
		}
	}
	appliedBy := map[string]int{}
	for _, k := range applied {
		appliedBy[k.kind]++
	}
	for kind, txKind := range mainKind {
		if res.journal[txKind] != appliedBy[kind] {
			bad("journal: %d %s transactions for %d applied %ss", res.journal[txKind], txKind, appliedBy[kind], kind)
		}
	}
	for _, id := range f.strayTxs {
		bad("journal: transaction %d moves money of the run's users without naming them", id)
	}
	for id, k := range applied {
		if n := count[mainKind[k.kind]][id]; n != 1 {
			bad("journal: %s %s (key %s, %s) has %d %s transactions, want 1", k.kind, id, k.key, stateName(k.state), n, mainKind[k.kind])
		}
		if k.kind != "withdrawal" {
			continue
		}
		st := f.withdrawals[id].status
		paid, void := count["withdrawal.paid"][id], count["withdrawal.void"][id]
		wantPaid, wantVoid := 0, 0
		switch {
		case st == "paid":
			wantPaid = 1
		case crashVoided[st]:
			wantVoid = 1
		case !crashOpen[st]:
			bad("withdrawal %s is %s, which nothing in the test causes", id, st)
		}
		if paid != wantPaid || void != wantVoid {
			bad("withdrawal %s is %s with %d paid and %d void transactions, want %d and %d", id, st, paid, void, wantPaid, wantVoid)
		}
	}

	// Wallets: coins = bought − given; diamonds = received − withdrawn
	// (pending + available), and the open withdrawals are held.
	states := map[string]int{}
	for id, k := range applied {
		switch k.kind {
		case "gift":
			res.wantBalance[crashAccount(k.user, "coins")] -= k.coins
			res.wantBalance[crashAccount(k.creator, "diamonds")] += k.milli
		case "purchase":
			res.wantBalance[crashAccount(k.user, "coins")] += k.coins
		case "withdrawal":
			st := f.withdrawals[id].status
			states[st+" ("+f.withdrawals[id].provider+")"]++
			if !crashVoided[st] {
				res.wantBalance[crashAccount(k.user, "diamonds")] -= k.milli
			}
			if crashOpen[st] {
				res.wantBalance[crashAccount(k.user, "diamonds:withdrawing")] += k.milli
			}
		}
	}
	got := map[string]int64{}
	for acct, b := range f.balances {
		if strings.HasSuffix(acct, ":diamonds:pending") || strings.HasSuffix(acct, ":diamonds:available") {
			acct = acct[:strings.LastIndex(acct, ":")]
		}
		got[acct] += b
	}
	for _, acct := range slices.Sorted(maps.Keys(keyUnion(got, res.wantBalance))) {
		if got[acct] != res.wantBalance[acct] {
			bad("wallet: %s holds %d, the applied requests leave %d", acct, got[acct], res.wantBalance[acct])
		}
	}
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(states)) {
		parts = append(parts, fmt.Sprintf("%s %d", st, states[st]))
	}
	res.withdrawalStates = strings.Join(parts, ", ")
	return res
}

// keyUnion is a map with the keys of both a and b.
func keyUnion(a, b map[string]int64) map[string]int64 {
	out := maps.Clone(a)
	for k := range b {
		out[k] = 0
	}
	return out
}

func stateName(s crashState) string {
	return [...]string{"unanswered", "acknowledged", "refused", "abandoned"}[s]
}

// crashFixture is a consistent little run for TestCheckCrashCatches: a
// purchase, an acknowledged gift, an abandoned gift that was applied and one
// that was not, a refused gift, a paid withdrawal and an abandoned one that
// was applied and is still requested.
func crashFixture() ([]*crashKey, *crashFacts) {
	v, c := "r-v0", "r-c0"
	keys := []*crashKey{
		{key: "r-p1", kind: "purchase", user: v, pkg: "web-usd-700", coins: 700, state: crashAcked, id: "p1", gotCoins: 700},
		{key: "r-g1", kind: "gift", user: v, creator: c, coins: 10, milli: 5000, state: crashAcked, id: "g1", gotCoins: 10, gotMilli: 5000},
		{key: "r-g2", kind: "gift", user: v, creator: c, coins: 1, milli: 500, state: crashAbandoned},
		{key: "r-g3", kind: "gift", user: v, creator: c, coins: 1000, milli: 500000, state: crashAbandoned},
		{key: "r-g4", kind: "gift", user: v, creator: c, coins: 1000, milli: 500000, state: crashRefused, code: "insufficient_funds"},
		{key: "r-w1", kind: "withdrawal", user: c, milli: 2000, state: crashAcked, id: "w1", gotMilli: 2000},
		{key: "r-w2", kind: "withdrawal", user: c, milli: 1000, state: crashAbandoned},
	}
	coins, avail, held := crashAccount(v, "coins"), crashAccount(c, "diamonds:available"), crashAccount(c, "diamonds:withdrawing")
	f := &crashFacts{
		idem: map[string]crashIdem{"r-p1": {201, "p1"}, "r-g1": {201, "g1"}, "r-g2": {201, "g2"}, "r-w1": {201, "w1"}, "r-w2": {201, "w2"}},
		txs: map[int64]*crashTx{
			1: {kind: "purchase", ref: "p1", userA: v, net: map[string]int64{coins: 700, "sys:coins:issued": -700}},
			2: {kind: "gift", ref: "g1", userA: v, userB: c, net: map[string]int64{coins: -10, "sys:coins:spent": 10, avail: 5000, "sys:diamonds:issued": -5000}},
			3: {kind: "gift", ref: "g2", userA: v, userB: c, net: map[string]int64{coins: -1, "sys:coins:spent": 1, avail: 500, "sys:diamonds:issued": -500}},
			4: {kind: "withdrawal.hold", ref: "w1", userA: c, net: map[string]int64{avail: -2000, held: 2000}},
			5: {kind: "withdrawal.paid", ref: "w1", userA: c, net: map[string]int64{held: -2000, "sys:diamonds:redeemed": 2000}},
			6: {kind: "withdrawal.hold", ref: "w2", userA: c, net: map[string]int64{avail: -1000, held: 1000}},
		},
		gifts:       map[string]crashRow{"g1": {user: v, creator: c, coins: 10, milli: 5000}, "g2": {user: v, creator: c, coins: 1, milli: 500}},
		purchases:   map[string]crashRow{"p1": {user: v, status: "completed", coins: 700}},
		withdrawals: map[string]crashRow{"w1": {user: c, status: "paid", milli: 2000}, "w2": {user: c, status: "requested", milli: 1000}},
		balances:    map[string]int64{coins: 689, avail: 2500, held: 1000},
	}
	return keys, f
}

// TestCheckCrashCatches shows that the crash test's check fails on each kind
// of damage a crash could do, and passes on the consistent run.
func TestCheckCrashCatches(t *testing.T) {
	t.Parallel()
	keys, f := crashFixture()
	if res := checkCrash(keys, f); len(res.problems) > 0 || res.abandoned != 3 || res.abandonedApplied != 2 || res.refused != 1 {
		t.Fatalf("the consistent run: %d abandoned (%d applied), %d refused, problems %q", res.abandoned, res.abandonedApplied, res.refused, res.problems)
	}
	coins, avail := crashAccount("r-v0", "coins"), crashAccount("r-c0", "diamonds:available")
	tests := []struct {
		name   string
		damage func(keys []*crashKey, f *crashFacts)
		want   string
	}{
		{"an acknowledged gift is lost", func(_ []*crashKey, f *crashFacts) {
			delete(f.idem, "r-g1")
			delete(f.txs, 2)
			delete(f.gifts, "g1")
			f.balances[coins] += 10
			f.balances[avail] -= 5000
		}, "acknowledged (id \"g1\") but has no idempotency record"},
		{"a gift is applied twice", func(_ []*crashKey, f *crashFacts) {
			f.txs[7] = f.txs[2]
			f.balances[coins] -= 10
			f.balances[avail] += 5000
		}, "has 2 gift transactions, want 1"},
		{"an abandoned gift debits coins but credits no diamonds", func(_ []*crashKey, f *crashFacts) {
			delete(f.txs[3].net, avail)
			f.balances[avail] -= 500
		}, "journal: gift transaction for g2"},
		{"an abandoned gift moves money without its record", func(_ []*crashKey, f *crashFacts) {
			delete(f.gifts, "g2")
		}, "gift g2 (key r-g2, abandoned) has no row"},
		{"an abandoned gift moves money without its idempotency record", func(_ []*crashKey, f *crashFacts) {
			delete(f.idem, "r-g2")
		}, "gift g2 (user r-v0) is stored but no applied request created it"},
		{"a refused gift is applied", func(_ []*crashKey, f *crashFacts) {
			f.idem["r-g4"] = crashIdem{201, "g4"}
		}, "was answered insufficient_funds but was applied as g4"},
		{"a request nobody sent", func(_ []*crashKey, f *crashFacts) {
			f.idem["r-g9"] = crashIdem{201, "g9"}
		}, "idempotency record for key r-g9, which no client sent"},
		{"a journal entry nobody asked for", func(_ []*crashKey, f *crashFacts) {
			f.txs[8] = &crashTx{kind: "purchase", ref: "p9", userA: "r-v0", net: map[string]int64{coins: 70}}
			f.balances[coins] += 70
		}, "journal: purchase transaction for p9"},
		{"an acknowledged answer differs from the record", func(keys []*crashKey, _ *crashFacts) {
			keys[1].id = "g7"
		}, "was acknowledged as \"g7\" but its record says \"g1\""},
		{"a paid withdrawal without its payment", func(_ []*crashKey, f *crashFacts) {
			delete(f.txs, 5)
		}, "withdrawal w1 is paid with 0 paid and 0 void transactions"},
		{"a hold of the wrong amount", func(_ []*crashKey, f *crashFacts) {
			f.withdrawals["w2"] = crashRow{user: "r-c0", status: "requested", milli: 999}
		}, "withdrawal w2 of key r-w2 is stored"},
		{"a wallet off by one", func(_ []*crashKey, f *crashFacts) {
			f.balances[coins]++
		}, "wallet: user:r-v0:coins holds 690, the applied requests leave 689"},
		{"money moved by a transaction of no run user", func(_ []*crashKey, f *crashFacts) {
			f.strayTxs = append(f.strayTxs, 99)
		}, "transaction 99 moves money of the run's users"},
		{"an unexpected refusal", func(keys []*crashKey, _ *crashFacts) {
			keys[4].code = "409 idempotency_conflict"
		}, "refused with 409 idempotency_conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, f := crashFixture()
			tt.damage(keys, f)
			res := checkCrash(keys, f)
			if !slices.ContainsFunc(res.problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("want a problem containing %q, got %q", tt.want, res.problems)
			}
		})
	}
}
