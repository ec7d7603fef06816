package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// Read prefetch. Run one by one, the ops of a batch would read the rows they
// need with a point query each (an idempotency key, a user, an account…),
// two or three round trips per gift. Instead, before an attempt runs its ops
// for real, it runs them once against a discovery Tx that never touches the
// database: every read it cannot answer from what is already known is
// recorded and answered with a plausible stand-in (see the discovering
// branches of the readers), so that the op goes on and shows its later
// reads too. The recorded keys are then read in one pipeline of set-based
// queries, and the real run starts with those rows in its caches, as if it
// had read them itself at that point of the transaction.
//
// The prefetch is only a cache of this attempt: it is read inside the
// attempt's transaction (without locks, like every other read of a batch),
// never kept across attempts or batches, and everything the flush checks —
// balances relied on, idempotency keys, streak and stream bases — is checked
// exactly as before. A read the discovery did not foresee is a point query
// as before; a discovery that foresaw too much costs a wasted row.

// prefetchRounds is how many discovery runs an attempt makes (each followed
// by one pipelined fetch). One suffices for a gift: a stream brings its
// creator and the creator's wallet along, a user brings the wallet.
const prefetchRounds = 1

// comboKey names a streak.
type comboKey struct{ stream, combo string }

// discovery records the reads a discovery run could not answer.
type discovery struct {
	accounts  map[ledger.AccountID]bool
	idem      map[string]bool
	users     map[string]bool
	streams   map[string]bool
	live      map[string]bool // creator ids
	gifts     map[string]bool // catalog gift ids as asked
	combos    map[comboKey]bool
	purchases map[string]bool
	spend     map[string]bool // user ids (coins spent, boards.go)
	goals     map[string]bool // stream ids (boards.go)
}

func newDiscovery() *discovery {
	return &discovery{
		accounts: map[ledger.AccountID]bool{}, idem: map[string]bool{}, users: map[string]bool{}, streams: map[string]bool{},
		live: map[string]bool{}, gifts: map[string]bool{}, combos: map[comboKey]bool{}, purchases: map[string]bool{},
		spend: map[string]bool{}, goals: map[string]bool{},
	}
}

func (d *discovery) empty() bool {
	return len(d.accounts)+len(d.idem)+len(d.users)+len(d.streams)+len(d.live)+len(d.gifts)+len(d.combos)+len(d.purchases)+len(d.spend)+len(d.goals) == 0
}

// prefetch holds rows read ahead for one attempt; a nil value is a row known
// to be absent.
type prefetch struct {
	accounts  map[ledger.AccountID]lockedAccount
	idem      map[string]*ledger.IdempotencyRecord
	users     map[string]*gifting.User
	streams   map[string]*gifting.Stream
	live      map[string]*gifting.Stream // creator id → live stream
	gifts     map[string]*gifting.CatalogGift
	combos    map[comboKey]*gifting.Combo
	purchases map[string]*gifting.Purchase
	spend     map[string]int64
	goals     map[string]*gifting.StreamGoal
}

func newPrefetch() *prefetch {
	return &prefetch{
		accounts: map[ledger.AccountID]lockedAccount{}, idem: map[string]*ledger.IdempotencyRecord{}, users: map[string]*gifting.User{},
		streams: map[string]*gifting.Stream{}, live: map[string]*gifting.Stream{}, gifts: map[string]*gifting.CatalogGift{},
		combos: map[comboKey]*gifting.Combo{}, purchases: map[string]*gifting.Purchase{},
		spend: map[string]int64{}, goals: map[string]*gifting.StreamGoal{},
	}
}

// clone returns a copy of *p, so that a run cannot change what the next
// run is seeded with.
func clone[V any](p *V) *V {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// seed puts the prefetched rows in t's caches, as t's own reads would have:
// streams and streaks record the base the flush checks against. Accounts
// that t locked keep the locked reading.
func (t *Tx) seed(p *prefetch) {
	for id, a := range p.accounts {
		if _, ok := t.locked[id]; !ok {
			t.prefetched[id] = a
		}
	}
	t.idemPre = p.idem
	for id, u := range p.users {
		if u == nil {
			t.Remember("user:"+id, ledger.ErrNotFound)
		} else {
			t.Remember("user:"+id, clone(u))
		}
	}
	for id, s := range p.streams {
		if s == nil {
			t.Remember("stream:"+id, ledger.ErrNotFound)
			continue
		}
		t.Remember("stream:"+id, clone(s))
		t.loadStream(s)
	}
	for creator, s := range p.live {
		if s == nil {
			t.Remember("live:"+creator, "")
			continue
		}
		t.Remember("live:"+creator, s.ID)
		if _, ok := t.Cached("stream:" + s.ID); !ok {
			t.Remember("stream:"+s.ID, clone(s))
			t.loadStream(s)
		}
	}
	for id, g := range p.gifts {
		if g == nil {
			t.Remember("gift:"+id, ledger.ErrNotFound)
		} else {
			t.Remember("gift:"+id, clone(g))
		}
	}
	for k, c := range p.combos {
		key := k.stream + "/" + k.combo
		t.Remember("combo:"+key, clone(c))
		if _, ok := t.comboBase[key]; !ok {
			if c == nil {
				t.comboBase[key] = comboBase{}
			} else {
				t.comboBase[key] = comboBase{found: true, count: c.Count, ended: c.Ended}
			}
		}
	}
	for id, pu := range p.purchases {
		if pu == nil {
			t.Remember("purchase:"+id, ledger.ErrNotFound)
		} else {
			t.Remember("purchase:"+id, clone(pu))
		}
	}
	t.seedBoards(p)
}

// discover runs ops against a discovery Tx seeded with p and returns what
// they read that p does not hold. A discovery run never touches the
// database; its writes are thrown away with it. An op that panics on a
// stand-in is left alone: the real run will read the real rows.
func (db *DB) discover(t *Tx, p *prefetch, ops []func(*Tx) error) *discovery {
	d := db.newTx(t.ctx, t.tx, t.Now())
	d.disc = newDiscovery()
	for id, a := range t.locked {
		d.locked[id] = a
	}
	d.seed(p)
	for _, op := range ops {
		func() {
			mark := d.Mark()
			defer func() {
				if recover() != nil {
					d.Rollback(mark)
				}
			}()
			if err := op(d); err != nil {
				d.Rollback(mark)
			}
		}()
	}
	return d.disc
}

// prefetch learns what ops will read and reads it in one pipeline per round,
// then seeds t with it.
func (t *Tx) prefetch(ops []func(*Tx) error) error {
	p := newPrefetch()
	for range prefetchRounds {
		d := t.db.discover(t, p, ops)
		if d.empty() {
			break
		}
		if err := t.fetch(d, p); err != nil {
			return err
		}
	}
	t.seed(p)
	return nil
}

// walletPurposes are the accounts of a user's wallet, read along with the
// user (a sender's coins, a creator's diamonds).
var walletPurposes = []string{ledger.PurposeCoins, ledger.PurposeDiamondsPending, ledger.PurposeDiamondsAvailable, ledger.PurposeDiamondsWithdrawing}

const (
	qPreStreams = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE id = ANY($1)"
	qPreLive    = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE creator_id = ANY($1) AND status = 'live'"
	// A stream brings its creator along (a gift reads both).
	qPreUsers = `SELECT id, display_name, country, age_verified, status, created_at, updated_at, status_reason, status_at, restriction, spend_cap FROM users
WHERE id = ANY($1::text[] || ARRAY(SELECT creator_id FROM streams WHERE id = ANY($2::text[])))`
	// Every asked id comes back, with a NULL asset when the account does not
	// exist; the creators of the streams bring their wallets along. The
	// wallet ids are built by ledger.UserAccount's rule: user:<id>:<purpose>.
	qPreAccounts = `SELECT w.id, a.asset, a.balance FROM unnest($1::text[] || ARRAY(
  SELECT 'user:' || s.creator_id || ':' || p.purpose FROM streams s CROSS JOIN unnest($3::text[]) AS p(purpose) WHERE s.id = ANY($2::text[])
)) AS w(id) LEFT JOIN accounts a ON a.id = w.id`
	qPreIdem      = "SELECT key, hash, status, response, created_at FROM idempotency WHERE key = ANY($1)"
	qPreGifts     = "SELECT DISTINCT ON (gift_id) gift_id, version, name, coins, streakable, diamond_rate, active FROM catalog_gifts WHERE gift_id = ANY($1) ORDER BY gift_id, version DESC"
	qPreCombos    = "SELECT c.stream_id, c.combo_id, c.sender_id, c.gift_id, c.count, c.last_at, c.ended FROM combos c JOIN unnest($1::text[], $2::text[]) AS k(stream_id, combo_id) ON c.stream_id = k.stream_id AND c.combo_id = k.combo_id"
	qPrePurchases = "SELECT id, user_id, provider, package_id, channel, coins, price, currency, status, checkout_url, created_at, provider_ref, refunded, dispute, reversed_coins FROM purchases WHERE id = ANY($1)"
)

// fetch reads what d recorded into p, in one pipeline. Rows another
// statement of the pipeline brings along (a stream's creator and wallet)
// are kept too.
func (t *Tx) fetch(d *discovery, p *prefetch) error {
	b := &pgx.Batch{}

	streams := keysOf(d.streams)
	if len(streams) > 0 {
		for _, id := range streams {
			p.streams[id] = nil
		}
		b.Queue(qPreStreams, streams).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				s, err := scanStream(rows)
				if err != nil {
					return err
				}
				p.streams[s.ID] = s
			}
			return rows.Err()
		})
	}
	if live := keysOf(d.live); len(live) > 0 {
		for _, c := range live {
			p.live[c] = nil
		}
		b.Queue(qPreLive, live).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				s, err := scanStream(rows)
				if err != nil {
					return err
				}
				p.live[s.CreatorID] = s
			}
			return rows.Err()
		})
	}
	users := keysOf(d.users)
	if len(users)+len(streams) > 0 {
		for _, id := range users {
			p.users[id] = nil
		}
		b.Queue(qPreUsers, users, streams).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				u, err := scanUser(rows)
				if err != nil {
					return err
				}
				p.users[u.ID] = u
			}
			return rows.Err()
		})
	}
	var accounts []string
	for id := range d.accounts {
		accounts = append(accounts, string(id))
	}
	for _, u := range users {
		for _, purpose := range walletPurposes {
			a := ledger.UserAccount(u, purpose)
			if _, ok := t.locked[a]; !ok && !d.accounts[a] {
				accounts = append(accounts, string(a))
			}
		}
	}
	if len(accounts)+len(streams) > 0 {
		b.Queue(qPreAccounts, accounts, streams, walletPurposes).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var asset *string
				var bal *int64
				if err := rows.Scan(&id, &asset, &bal); err != nil {
					return err
				}
				aid := ledger.AccountID(id)
				if _, ok := t.locked[aid]; ok {
					continue
				}
				if asset == nil {
					p.accounts[aid] = lockedAccount{}
				} else {
					p.accounts[aid] = lockedAccount{asset: money.Asset(*asset), balance: *bal, found: true}
				}
			}
			return rows.Err()
		})
	}
	if keys := keysOf(d.idem); len(keys) > 0 {
		for _, k := range keys {
			p.idem[k] = nil
		}
		b.Queue(qPreIdem, keys).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				rec := &ledger.IdempotencyRecord{}
				var at time.Time
				if err := rows.Scan(&rec.Key, &rec.Hash, &rec.Status, &rec.Response, &at); err != nil {
					return err
				}
				rec.CreatedAt = at.UTC()
				p.idem[rec.Key] = rec
			}
			return rows.Err()
		})
	}
	if asked := keysOf(d.gifts); len(asked) > 0 {
		byLower := map[string][]string{}
		var lower []string
		for _, id := range asked {
			p.gifts[id] = nil
			l := strings.ToLower(id)
			if _, ok := byLower[l]; !ok {
				lower = append(lower, l)
			}
			byLower[l] = append(byLower[l], id)
		}
		b.Queue(qPreGifts, lower).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				g, err := scanCatalogGift(rows)
				if err != nil {
					return err
				}
				for _, id := range byLower[g.ID] {
					p.gifts[id] = g
				}
			}
			return rows.Err()
		})
	}
	if len(d.combos) > 0 {
		var ss, cs []string
		for k := range d.combos {
			p.combos[k] = nil
			ss, cs = append(ss, k.stream), append(cs, k.combo)
		}
		b.Queue(qPreCombos, ss, cs).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				c, err := scanCombo(rows)
				if err != nil {
					return err
				}
				p.combos[comboKey{c.StreamID, c.ComboID}] = c
			}
			return rows.Err()
		})
	}
	if ids := keysOf(d.purchases); len(ids) > 0 {
		for _, id := range ids {
			p.purchases[id] = nil
		}
		b.Queue(qPrePurchases, ids).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				pu, err := scanPurchase(rows)
				if err != nil {
					return err
				}
				p.purchases[pu.ID] = pu
			}
			return rows.Err()
		})
	}
	t.fetchBoards(d, p, b)
	if b.Len() == 0 {
		return nil
	}
	if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
		return t.fail(fmt.Errorf("postgres: prefetch: %w", err))
	}
	return nil
}

func keysOf[K comparable](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
