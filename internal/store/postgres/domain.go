package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

// The domain tables the batch writer inserts into. Upserts name their key
// columns first (key), so a batch writes each row once, in key order.
var (
	userTable = table{name: "users", cols: []string{"id", "display_name", "country", "age_verified", "status", "created_at", "updated_at", "status_reason", "status_at", "restriction", "spend_cap"},
		types: []string{"text", "text", "text", "boolean", "text", "timestamptz", "timestamptz", "text", "timestamptz", "text", "bigint"}, key: 1,
		suffix: " ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, country = excluded.country, age_verified = excluded.age_verified, status = excluded.status, updated_at = excluded.updated_at, status_reason = excluded.status_reason, status_at = excluded.status_at, restriction = excluded.restriction, spend_cap = excluded.spend_cap"}
	// streamTable: a stream is inserted when new and updated only from the
	// status the batch read (see flushStreams); prev_status is not a column.
	streamTable  = table{name: "streams", cols: []string{"id", "creator_id", "title", "status", "started_at", "ended_at", "prev_status"}, types: []string{"text", "text", "text", "text", "timestamptz", "timestamptz", "text"}, key: 1}
	versionTable = table{name: "catalog_versions", cols: []string{"version", "gift_id", "actor", "created_at"}, types: []string{"bigint", "text", "text", "timestamptz"}}
	catalogTable = table{name: "catalog_gifts", cols: []string{"gift_id", "version", "name", "coins", "streakable", "diamond_rate", "active"},
		types: []string{"text", "bigint", "text", "bigint", "boolean", "text", "boolean"}}
	giftTable = table{name: "gifts", cols: []string{"id", "stream_id", "sender_id", "creator_id", "gift_id", "catalog_version", "quantity", "unit_coins", "coins", "milli", "combo_id", "combo_count", "created_at"},
		types: []string{"text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "text", "bigint", "timestamptz"}}
	// comboTable: like streams, a streak is updated only from the state the
	// batch read (prev_count, prev_ended; NULL when it was absent).
	comboTable = table{name: "combos", cols: []string{"stream_id", "combo_id", "sender_id", "gift_id", "count", "last_at", "ended", "prev_count", "prev_ended"},
		types: []string{"text", "text", "text", "text", "bigint", "timestamptz", "boolean", "bigint", "boolean"}, key: 2}
	purchaseTable = table{name: "purchases", cols: []string{"id", "user_id", "provider", "package_id", "channel", "coins", "price", "currency", "status", "checkout_url", "created_at", "provider_ref", "refunded", "dispute", "reversed_coins"},
		types: []string{"text", "text", "text", "text", "text", "bigint", "bigint", "text", "text", "text", "timestamptz", "text", "bigint", "text", "bigint"}, key: 1,
		suffix: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_ref = excluded.provider_ref, refunded = excluded.refunded, dispute = excluded.dispute, reversed_coins = excluded.reversed_coins"}
	gifterTable = table{name: "stream_gifters", cols: []string{"stream_id", "sender_id", "gifts", "coins"}, types: []string{"text", "text", "bigint", "bigint"}, key: 2,
		suffix: " ON CONFLICT (stream_id, sender_id) DO UPDATE SET gifts = stream_gifters.gifts + excluded.gifts, coins = stream_gifters.coins + excluded.coins"}
)

const (
	qUser        = "SELECT id, display_name, country, age_verified, status, created_at, updated_at, status_reason, status_at, restriction, spend_cap FROM users WHERE id = $1"
	qStream      = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE id = $1"
	qLiveStream  = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE creator_id = $1 AND status = 'live'"
	qCatalogGift = "SELECT gift_id, version, name, coins, streakable, diamond_rate, active FROM catalog_gifts WHERE gift_id = $1 ORDER BY version DESC LIMIT 1"
	qCombo       = "SELECT stream_id, combo_id, sender_id, gift_id, count, last_at, ended FROM combos WHERE stream_id = $1 AND combo_id = $2"
	qPurchase    = "SELECT id, user_id, provider, package_id, channel, coins, price, currency, status, checkout_url, created_at, provider_ref, refunded, dispute, reversed_coins FROM purchases WHERE id = $1"
	qMaxVersion  = "SELECT COALESCE(MAX(version), 0) FROM catalog_versions"
)

var _ gifting.Tx = (*Tx)(nil)
var _ gifting.Reader = (*DB)(nil)

func scanUser(r pgx.Row) (*gifting.User, error) {
	var u gifting.User
	var created, updated time.Time
	var statusAt *time.Time
	if err := r.Scan(&u.ID, &u.DisplayName, &u.Country, &u.AgeVerified, &u.Status, &created, &updated, &u.StatusReason, &statusAt, &u.Restriction, &u.SpendCap); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, fmt.Errorf("postgres: user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = created.UTC(), updated.UTC()
	if statusAt != nil {
		t := statusAt.UTC()
		u.StatusAt = &t
	}
	return &u, nil
}

func scanStream(r pgx.Row) (*gifting.Stream, error) {
	var s gifting.Stream
	var ended *time.Time
	if err := r.Scan(&s.ID, &s.CreatorID, &s.Title, &s.Status, &s.StartedAt, &ended); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, fmt.Errorf("postgres: stream: %w", err)
	}
	s.StartedAt = s.StartedAt.UTC()
	if ended != nil {
		e := ended.UTC()
		s.EndedAt = &e
	}
	return &s, nil
}

func scanCatalogGift(r pgx.Row) (*gifting.CatalogGift, error) {
	var g gifting.CatalogGift
	if err := r.Scan(&g.ID, &g.Version, &g.Name, &g.Coins, &g.Streakable, &g.DiamondRate, &g.Active); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, fmt.Errorf("postgres: catalog: %w", err)
	}
	return &g, nil
}

func scanCombo(r pgx.Row) (*gifting.Combo, error) {
	var c gifting.Combo
	if err := r.Scan(&c.StreamID, &c.ComboID, &c.SenderID, &c.GiftID, &c.Count, &c.LastAt, &c.Ended); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("postgres: combo: %w", err)
	}
	c.LastAt = c.LastAt.UTC()
	return &c, nil
}

func scanPurchase(r pgx.Row) (*gifting.Purchase, error) {
	var p gifting.Purchase
	var cur string
	if err := r.Scan(&p.ID, &p.UserID, &p.Provider, &p.PackageID, &p.Channel, &p.Coins, &p.PriceUnits, &cur, &p.Status, &p.CheckoutURL, &p.CreatedAt, &p.ProviderRef, &p.RefundedUnits, &p.Dispute, &p.ReversedCoins); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, fmt.Errorf("postgres: purchase: %w", err)
	}
	p.Price.Value, p.Price.Currency = money.FormatAsset(p.PriceUnits, money.Asset(cur)), money.Asset(cur)
	p.CreatedAt = p.CreatedAt.UTC()
	p.SetRefunded()
	return &p, nil
}

// row runs a one-row query in the batch's transaction and scans it with
// scan; a database error is recorded as the batch's (it aborts the
// transaction).
func row[V any](t *Tx, scan func(pgx.Row) (V, error), query string, args ...any) (V, error) {
	t.db.pointReads.Add(1)
	v, err := scan(t.tx.QueryRow(t.ctx, query, args...))
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		t.fail(err)
	}
	return v, err
}

// cached returns the batch's cached value for key, loading it with load on a
// miss (see ledger.CachedLoad).
func cached[V any](t *Tx, key string, load func() (V, error)) (V, error) {
	return ledger.CachedLoad(t.Book, key, load)
}

// set caches v under key for the rest of the batch; undone with the request.
func (t *Tx) set(key string, v any) { t.SetCached(key, v) }

// User implements gifting.Tx.
func (t *Tx) User(ctx context.Context, id string) (*gifting.User, error) {
	return cached(t, "user:"+id, func() (*gifting.User, error) {
		if t.disc != nil {
			if id != "" {
				t.disc.users[id] = true
			}
			return &gifting.User{ID: id, Status: gifting.UserActive, AgeVerified: true}, nil
		}
		return t.loadUser(id)
	})
}

// loadUser reads a user and, in the same round trip, the accounts of the
// user's wallet, which the request will almost always read next (a sender's
// coins, a creator's diamonds). They are read like any other account:
// without a lock, checked at flush if a request relies on them.
func (t *Tx) loadUser(id string) (*gifting.User, error) {
	t.db.pointReads.Add(1)
	var ids []string
	for _, purpose := range []string{ledger.PurposeCoins, ledger.PurposeDiamondsPending, ledger.PurposeDiamondsAvailable, ledger.PurposeDiamondsWithdrawing} {
		a := ledger.UserAccount(id, purpose)
		if _, ok := t.locked[a]; !ok {
			ids = append(ids, string(a))
		}
	}
	var u *gifting.User
	var uerr error
	b := &pgx.Batch{}
	b.Queue(qUser, id).QueryRow(func(r pgx.Row) error {
		u, uerr = scanUser(r)
		if errors.Is(uerr, ledger.ErrNotFound) {
			return nil
		}
		return uerr
	})
	got := map[ledger.AccountID]lockedAccount{}
	b.Queue("SELECT id, asset, balance FROM accounts WHERE id = ANY($1)", ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var aid, asset string
			var bal int64
			if err := rows.Scan(&aid, &asset, &bal); err != nil {
				return err
			}
			got[ledger.AccountID(aid)] = lockedAccount{asset: money.Asset(asset), balance: bal, found: true}
		}
		return rows.Err()
	})
	if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
		return nil, t.fail(fmt.Errorf("postgres: user: %w", err))
	}
	for _, aid := range ids {
		t.prefetched[ledger.AccountID(aid)] = got[ledger.AccountID(aid)]
	}
	return u, uerr
}

// PutUser implements gifting.Tx. A profile is last-writer-wins across nodes.
func (t *Tx) PutUser(ctx context.Context, u *gifting.User) error {
	t.set("user:"+u.ID, u)
	var statusAt any
	if u.StatusAt != nil {
		statusAt = *u.StatusAt
	}
	t.insert(userTable, u.ID, u.DisplayName, u.Country, u.AgeVerified, u.Status, u.CreatedAt, u.UpdatedAt, u.StatusReason, statusAt, u.Restriction, u.SpendCap)
	return nil
}

// loadStream reads a stream and records the status it had (the base the
// flush checks before changing it).
func (t *Tx) loadStream(s *gifting.Stream) {
	if _, ok := t.streamBase[s.ID]; !ok {
		t.streamBase[s.ID] = s.Status
	}
}

// Stream implements gifting.Tx.
func (t *Tx) Stream(ctx context.Context, id string) (*gifting.Stream, error) {
	return cached(t, "stream:"+id, func() (*gifting.Stream, error) {
		if t.disc != nil {
			// A live stand-in lets a gift go on to show its other reads;
			// the stream's creator comes with the stream's fetch.
			t.disc.streams[id] = true
			return &gifting.Stream{ID: id, Status: gifting.StreamLive}, nil
		}
		s, err := row(t, scanStream, qStream, id)
		if err == nil {
			t.loadStream(s)
		}
		return s, err
	})
}

// LiveStreamOf implements gifting.Tx.
func (t *Tx) LiveStreamOf(ctx context.Context, creatorID string) (*gifting.Stream, error) {
	id, err := cached(t, "live:"+creatorID, func() (string, error) {
		if t.disc != nil {
			t.disc.live[creatorID] = true
			return "", nil
		}
		s, err := row(t, scanStream, qLiveStream, creatorID)
		if errors.Is(err, ledger.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if _, ok := t.Cached("stream:" + s.ID); !ok {
			t.Remember("stream:"+s.ID, s)
			t.loadStream(s)
		}
		return s.ID, nil
	})
	if err != nil || id == "" {
		return nil, err
	}
	return t.Stream(ctx, id)
}

// PutStream implements gifting.Tx. At flush a new stream is inserted (the
// unique index keeps one live stream per creator across nodes) and an
// existing one is changed only if it still has the status this batch read.
func (t *Tx) PutStream(ctx context.Context, s *gifting.Stream) error {
	t.set("stream:"+s.ID, s)
	if s.Status == gifting.StreamLive {
		t.set("live:"+s.CreatorID, s.ID)
	} else {
		t.set("live:"+s.CreatorID, "")
	}
	var ended any
	if s.EndedAt != nil {
		ended = *s.EndedAt
	}
	t.insert(streamTable, s.ID, s.CreatorID, s.Title, s.Status, s.StartedAt, ended, nil)
	return nil
}

type gifterKey struct{ stream, sender string }

// AddStreamTotals implements gifting.Tx: totals are summed over the batch
// and written once per stream and gifter.
func (t *Tx) AddStreamTotals(ctx context.Context, streamID, senderID string, d gifting.StreamDelta) error {
	sv, _ := t.Cached("#stream-totals")
	gv, _ := t.Cached("#gifters")
	streams, _ := sv.(map[string]*gifting.StreamDelta)
	gifters, _ := gv.(map[gifterKey]*gifting.StreamDelta)
	if streams == nil {
		streams = map[string]*gifting.StreamDelta{}
		gifters = map[gifterKey]*gifting.StreamDelta{}
		t.Remember("#stream-totals", streams)
		t.Remember("#gifters", gifters)
		t.onFlush("stream-totals", func(b *pgx.Batch) { queueStreamTotals(b, streams, gifters) })
	}
	sd := streams[streamID]
	if sd == nil {
		sd = &gifting.StreamDelta{}
		streams[streamID] = sd
	}
	gk := gifterKey{streamID, senderID}
	gd := gifters[gk]
	if gd == nil {
		gd = &gifting.StreamDelta{}
		gifters[gk] = gd
	}
	g := gifting.StreamDelta{Gifts: d.Gifts, Coins: d.Coins} // a gifter's line has no diamonds
	if err := sd.Add(d); err != nil {
		return err
	}
	if err := gd.Add(g); err != nil {
		sd.Sub(d)
		return err
	}
	t.OnUndo(func() { sd.Sub(d); gd.Sub(g) })
	return nil
}

// queueStreamTotals adds the summed totals: one UPDATE for the streams (rows
// taken in id order) and one upsert for the gifters.
func queueStreamTotals(b *pgx.Batch, streams map[string]*gifting.StreamDelta, gifters map[gifterKey]*gifting.StreamDelta) {
	ids := make([]string, 0, len(streams))
	for id, d := range streams {
		if d.Gifts > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	sort.Strings(ids)
	gifts, coins, milli := make([]int64, len(ids)), make([]int64, len(ids)), make([]int64, len(ids))
	for i, id := range ids {
		d := streams[id]
		gifts[i], coins[i], milli[i] = d.Gifts, d.Coins, d.Milli
	}
	b.Queue(`UPDATE streams s SET gifts = s.gifts + u.gifts, coins = s.coins + u.coins, milli = s.milli + u.milli
FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, gifts, coins, milli) ORDER BY id) u
WHERE s.id = u.id`, ids, gifts, coins, milli)
	rows := make([][]any, 0, len(gifters))
	for k, d := range gifters {
		if d.Gifts > 0 {
			rows = append(rows, []any{k.stream, k.sender, d.Gifts, d.Coins})
		}
	}
	if len(rows) > 0 {
		b.Queue(gifterTable.insertSQL(), gifterTable.arrays(rows)...)
	}
}

// CatalogGift implements gifting.Tx.
func (t *Tx) CatalogGift(ctx context.Context, id string) (*gifting.CatalogGift, error) {
	return cached(t, "gift:"+id, func() (*gifting.CatalogGift, error) {
		if t.disc != nil {
			t.disc.gifts[id] = true
			return &gifting.CatalogGift{ID: strings.ToLower(id), Coins: 1, Streakable: true, Active: true}, nil
		}
		return row(t, scanCatalogGift, qCatalogGift, strings.ToLower(id))
	})
}

// PutCatalogGift implements gifting.Tx. The version is the next after the
// highest stored; if another node takes it first, the primary key refuses
// this batch and it is retried.
func (t *Tx) PutCatalogGift(ctx context.Context, g *gifting.CatalogGift, actor string) (int64, error) {
	next, err := cached(t, "#catalog-version", func() (*int64, error) {
		var v int64
		if t.disc != nil {
			return &v, nil
		}
		if _, err := t.scan(qMaxVersion, nil, &v); err != nil {
			return nil, err
		}
		return &v, nil
	})
	if err != nil {
		return 0, err
	}
	*next++
	v := *next
	t.OnUndo(func() { *next-- })
	cp := *g
	cp.Version = v
	t.set("gift:"+g.ID, &cp)
	t.insert(versionTable, v, g.ID, actor, t.Now())
	t.insert(catalogTable, g.ID, v, g.Name, g.Coins, g.Streakable, g.DiamondRate, g.Active)
	return v, nil
}

// InsertGift implements gifting.Tx.
func (t *Tx) InsertGift(ctx context.Context, g *gifting.GiftRecord) error {
	var combo, count any
	if g.ComboID != "" {
		combo, count = g.ComboID, g.ComboCount
	}
	t.insert(giftTable, g.ID, g.StreamID, g.SenderID, g.CreatorID, g.GiftID, g.CatalogVersion, g.Quantity, g.UnitCoins, g.Coins, g.Milli, combo, count, g.CreatedAt)
	return nil
}

// Combo implements gifting.Tx.
func (t *Tx) Combo(ctx context.Context, streamID, comboID string) (*gifting.Combo, error) {
	key := streamID + "/" + comboID
	return cached(t, "combo:"+key, func() (*gifting.Combo, error) {
		if t.disc != nil {
			t.disc.combos[comboKey{streamID, comboID}] = true
			return nil, nil
		}
		c, err := row(t, scanCombo, qCombo, streamID, comboID)
		if err != nil {
			return nil, err
		}
		if _, ok := t.comboBase[key]; !ok {
			if c == nil {
				t.comboBase[key] = comboBase{}
			} else {
				t.comboBase[key] = comboBase{found: true, count: c.Count, ended: c.Ended}
			}
		}
		return c, nil
	})
}

// PutCombo implements gifting.Tx. At flush a streak is changed only if it
// still holds what this batch read (two nodes adding to one streak cannot
// lose a count); otherwise the batch is retried.
func (t *Tx) PutCombo(ctx context.Context, c *gifting.Combo) error {
	t.set("combo:"+c.StreamID+"/"+c.ComboID, c)
	t.insert(comboTable, c.StreamID, c.ComboID, c.SenderID, c.GiftID, c.Count, c.LastAt, c.Ended, nil, nil)
	return nil
}

type spendKey struct{ user, day string }

const qDaySpend = "SELECT coins FROM viewer_spend WHERE user_id = $1 AND day = $2"

// DaySpend implements gifting.Tx.
func (t *Tx) DaySpend(ctx context.Context, userID, day string) (int64, error) {
	return cached(t, "spend:"+userID+"/"+day, func() (int64, error) {
		if t.disc != nil {
			return 0, nil // discovery: the real run reads it
		}
		coins, err := row(t, func(r pgx.Row) (int64, error) {
			var c int64
			if err := r.Scan(&c); errors.Is(err, pgx.ErrNoRows) {
				return 0, ledger.ErrNotFound
			} else if err != nil {
				return 0, err
			}
			return c, nil
		}, qDaySpend, userID, day)
		if errors.Is(err, ledger.ErrNotFound) {
			return 0, nil
		}
		return coins, err
	})
}

// AddDaySpend implements gifting.Tx: additions are summed over the batch and
// written with one upsert that refuses to pass limit; a row another node
// pushed too far is a conflict, and the retried batch sees that node's
// spending.
func (t *Tx) AddDaySpend(ctx context.Context, userID, day string, coins, limit int64) error {
	cur, err := t.DaySpend(ctx, userID, day)
	if err != nil {
		return err
	}
	total, err := money.Add(cur, coins)
	if err != nil {
		return fmt.Errorf("postgres: daily spend of %s: %w", userID, err)
	}
	t.set("spend:"+userID+"/"+day, total)
	dv, _ := t.Cached("#spend")
	deltas, _ := dv.(map[spendKey]int64)
	if deltas == nil {
		deltas = map[spendKey]int64{}
		t.Remember("#spend", deltas)
		t.onFlush("spend", func(b *pgx.Batch) {
			var users, days []string
			var adds []int64
			for k, d := range deltas {
				if d > 0 {
					users, days, adds = append(users, k.user), append(days, k.day), append(adds, d)
				}
			}
			if len(users) == 0 {
				return
			}
			b.Queue(`INSERT INTO viewer_spend (user_id, day, coins)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(user_id, day, coins) ORDER BY user_id, day
ON CONFLICT (user_id, day) DO UPDATE SET coins = viewer_spend.coins + excluded.coins
WHERE viewer_spend.coins + excluded.coins <= $4
RETURNING user_id`, users, days, adds, limit).Query(expectRows(len(users), "a viewer's daily spending"))
		})
	}
	k := spendKey{userID, day}
	deltas[k] += coins
	t.OnUndo(func() { deltas[k] -= coins })
	return nil
}

// PutPurchase implements gifting.Tx.
func (t *Tx) PutPurchase(ctx context.Context, p *gifting.Purchase) error {
	t.set("purchase:"+p.ID, p)
	t.insert(purchaseTable, p.ID, p.UserID, p.Provider, p.PackageID, p.Channel, p.Coins, p.PriceUnits, string(p.Price.Currency), p.Status, p.CheckoutURL, p.CreatedAt, p.ProviderRef, p.RefundedUnits, p.Dispute, p.ReversedCoins)
	return nil
}

// PurchaseByID implements gifting.Tx.
func (t *Tx) PurchaseByID(ctx context.Context, id string) (*gifting.Purchase, error) {
	return cached(t, "purchase:"+id, func() (*gifting.Purchase, error) {
		if t.disc != nil {
			t.disc.purchases[id] = true
			return nil, ledger.ErrNotFound
		}
		return row(t, scanPurchase, qPurchase, id)
	})
}

// queueDomain adds the batch's domain rows to the flush pipeline, referenced
// tables first.
func (t *Tx) queueDomain(b *pgx.Batch) {
	rowsOf := func(tb table) [][]any {
		if p := t.rows[tb.name]; p != nil {
			return p.vals
		}
		return nil
	}
	if rows := rowsOf(userTable); len(rows) > 0 {
		b.Queue(userTable.insertSQL(), userTable.arrays(rows)...)
	}
	t.queueStreams(b, rowsOf(streamTable))
	if rows := rowsOf(versionTable); len(rows) > 0 {
		b.Queue(versionTable.insertSQL(), versionTable.arrays(rows)...)
		b.Queue(catalogTable.insertSQL(), catalogTable.arrays(rowsOf(catalogTable))...)
	}
	if rows := rowsOf(giftTable); len(rows) > 0 {
		b.Queue(giftTable.insertSQL(), giftTable.arrays(rows)...)
	}
	t.queueCombos(b, rowsOf(comboTable))
	if rows := rowsOf(purchaseTable); len(rows) > 0 {
		b.Queue(purchaseTable.insertSQL(), purchaseTable.arrays(rows)...)
	}
	t.queueCashout(b)
}

// expectRows returns a batch callback that fails with errConflict unless the
// statement touched n rows.
func expectRows(n int, what string) func(rows pgx.Rows) error {
	return func(rows pgx.Rows) error {
		got := 0
		for rows.Next() {
			got++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: %s: %w", what, err)
		}
		if got != n {
			return fmt.Errorf("%w: %s changed on another node", errConflict, what)
		}
		return nil
	}
}

// queueStreams inserts new streams and moves existing ones on from the
// status the batch read; a stream another node changed meanwhile is a
// conflict.
func (t *Tx) queueStreams(b *pgx.Batch, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	var fresh, changed [][]any
	for _, r := range streamTable.dedupe(rows) {
		r = append([]any(nil), r...)
		prev := t.streamBase[r[0].(string)]
		if prev == "" {
			fresh = append(fresh, r)
			continue
		}
		r[6] = prev
		changed = append(changed, r)
	}
	if len(fresh) > 0 {
		b.Queue(`INSERT INTO streams (id, creator_id, title, status, started_at, ended_at)
SELECT id, creator_id, title, status, started_at, ended_at FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])
AS u(id, creator_id, title, status, started_at, ended_at, prev_status) ORDER BY id`, streamTable.arrays(fresh)...)
	}
	if len(changed) > 0 {
		b.Queue(`UPDATE streams s SET title = u.title, status = u.status, ended_at = u.ended_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])
AS u(id, creator_id, title, status, started_at, ended_at, prev_status)
WHERE s.id = u.id AND s.status = u.prev_status RETURNING s.id`, streamTable.arrays(changed)...).Query(expectRows(len(changed), "a stream"))
	}
}

// queueCombos inserts new streaks and updates existing ones from the state
// the batch read; a streak another node changed meanwhile is a conflict.
func (t *Tx) queueCombos(b *pgx.Batch, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	var fresh, changed [][]any
	for _, r := range comboTable.dedupe(rows) {
		r = append([]any(nil), r...)
		base := t.comboBase[r[0].(string)+"/"+r[1].(string)]
		if !base.found {
			fresh = append(fresh, r)
			continue
		}
		r[7], r[8] = base.count, base.ended
		changed = append(changed, r)
	}
	const from = ` FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::boolean[], $8::bigint[], $9::boolean[])
AS u(stream_id, combo_id, sender_id, gift_id, count, last_at, ended, prev_count, prev_ended)`
	if len(fresh) > 0 {
		b.Queue(`INSERT INTO combos (stream_id, combo_id, sender_id, gift_id, count, last_at, ended)
SELECT stream_id, combo_id, sender_id, gift_id, count, last_at, ended`+from+` ORDER BY stream_id, combo_id
ON CONFLICT (stream_id, combo_id) DO NOTHING RETURNING stream_id`, comboTable.arrays(fresh)...).Query(expectRows(len(fresh), "a streak"))
	}
	if len(changed) > 0 {
		b.Queue(`UPDATE combos c SET count = u.count, last_at = u.last_at, ended = u.ended`+from+`
WHERE c.stream_id = u.stream_id AND c.combo_id = u.combo_id AND c.count = u.prev_count AND c.ended = u.prev_ended
RETURNING c.stream_id`, comboTable.arrays(changed)...).Query(expectRows(len(changed), "a streak"))
	}
}

// ---- reads of committed data (the pool) ----

// User implements gifting.Reader.
func (db *DB) User(ctx context.Context, id string) (*gifting.User, error) {
	return scanUser(db.pool.QueryRow(ctx, qUser, id))
}

// Balances implements gifting.Reader; missing accounts are 0.
func (db *DB) Balances(ctx context.Context, ids []ledger.AccountID) (map[ledger.AccountID]int64, error) {
	out := make(map[ledger.AccountID]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = string(id)
	}
	rows, err := db.pool.Query(ctx, "SELECT id, balance FROM accounts WHERE id = ANY($1)", keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var b int64
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("postgres: balances: %w", err)
		}
		out[ledger.AccountID(id)] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: balances: %w", err)
	}
	return out, nil
}

// Stream implements gifting.Reader.
func (db *DB) Stream(ctx context.Context, id string) (*gifting.Stream, error) {
	return scanStream(db.pool.QueryRow(ctx, qStream, id))
}

// StreamTotals implements gifting.Reader.
func (db *DB) StreamTotals(ctx context.Context, id string) (gifting.StreamTotals, error) {
	var t gifting.StreamTotals
	err := db.pool.QueryRow(ctx, `SELECT gifts, coins, milli, (SELECT COUNT(*) FROM stream_gifters WHERE stream_id = $1) FROM streams WHERE id = $1`, id).
		Scan(&t.Gifts, &t.Coins, &t.Milli, &t.UniqueGifters)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ledger.ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("postgres: stream totals: %w", err)
	}
	return t, nil
}

// TopGifters implements gifting.Reader.
func (db *DB) TopGifters(ctx context.Context, streamID string, limit int) ([]gifting.Gifter, error) {
	return collectGifters("top gifters")(db.pool.Query(ctx, `SELECT sender_id, coins, gifts FROM stream_gifters WHERE stream_id = $1 ORDER BY coins DESC, sender_id LIMIT $2`, streamID, limit))
}

// collectGifters returns a reader of (user, coins, gifts) rows; what names
// the board in errors.
func collectGifters(what string) func(pgx.Rows, error) ([]gifting.Gifter, error) {
	return func(rows pgx.Rows, err error) ([]gifting.Gifter, error) {
		if err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		defer rows.Close()
		var out []gifting.Gifter
		for rows.Next() {
			var g gifting.Gifter
			if err := rows.Scan(&g.UserID, &g.Coins, &g.Gifts); err != nil {
				return nil, fmt.Errorf("postgres: %s: %w", what, err)
			}
			out = append(out, g)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		return out, nil
	}
}

// Catalog implements gifting.Reader.
func (db *DB) Catalog(ctx context.Context) ([]gifting.CatalogGift, error) {
	rows, err := db.pool.Query(ctx, `
SELECT DISTINCT ON (gift_id) gift_id, version, name, coins, streakable, diamond_rate, active
FROM catalog_gifts ORDER BY gift_id, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("postgres: catalog: %w", err)
	}
	defer rows.Close()
	out := []gifting.CatalogGift{}
	for rows.Next() {
		g, err := scanCatalogGift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: catalog: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Coins != out[j].Coins {
			return out[i].Coins < out[j].Coins
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Combo implements gifting.Reader.
func (db *DB) Combo(ctx context.Context, streamID, comboID string) (*gifting.Combo, error) {
	return scanCombo(db.pool.QueryRow(ctx, qCombo, streamID, comboID))
}

// History implements gifting.Reader.
func (db *DB) History(ctx context.Context, userID string, f gifting.HistoryFilter) ([]gifting.HistoryEntry, error) {
	args := []any{userID}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = gifting.HistoryKinds
	}
	var parts []string
	for _, k := range kinds {
		switch k {
		case gifting.HistoryPurchase:
			parts = append(parts, "(kind = 'purchase' AND user_a = $1)")
		case gifting.HistoryGiftSent:
			parts = append(parts, "(kind = 'gift' AND user_a = $1)")
		case gifting.HistoryGiftReceived:
			parts = append(parts, "(kind = 'gift' AND user_b = $1)")
		default:
			if tk, ok := gifting.WithdrawalTxKinds[k]; ok {
				args = append(args, tk)
				parts = append(parts, fmt.Sprintf("(kind = $%d AND user_a = $1)", len(args)))
			}
		}
	}
	if len(parts) == 0 {
		parts = []string{"false"}
	}
	where := []string{"(user_a = $1 OR user_b = $1)", "(" + strings.Join(parts, " OR ") + ")"}
	if f.Before > 0 {
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	if !f.From.IsZero() {
		args = append(args, ts(f.From))
		where = append(where, fmt.Sprintf("created_at >= $%d", len(args)))
	}
	if !f.To.IsZero() {
		args = append(args, ts(f.To))
		where = append(where, fmt.Sprintf("created_at < $%d", len(args)))
	}
	args = append(args, f.Limit)
	rows, err := db.pool.Query(ctx, `SELECT id, kind, ref, COALESCE(user_a, ''), COALESCE(user_b, ''), created_at FROM transactions
WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: history: %w", err)
	}
	var out []gifting.HistoryEntry
	for rows.Next() {
		var e gifting.HistoryEntry
		if err := rows.Scan(&e.TxID, &e.Kind, &e.Ref, &e.Actor, &e.Counterparty, &e.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: history: %w", err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: history: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	at := make(map[int64]int, len(out))
	for i, e := range out {
		ids[i], at[e.TxID] = e.TxID, i
	}
	prows, err := db.pool.Query(ctx, "SELECT tx_id, from_account, to_account, asset, amount FROM postings WHERE tx_id = ANY($1) ORDER BY tx_id, seq", ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: history: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var txID int64
		var p ledger.Posting
		var from, to, asset string
		if err := prows.Scan(&txID, &from, &to, &asset, &p.Amount); err != nil {
			return nil, fmt.Errorf("postgres: history: %w", err)
		}
		p.From, p.To, p.Asset = ledger.AccountID(from), ledger.AccountID(to), money.Asset(asset)
		i := at[txID]
		out[i].Postings = append(out[i].Postings, p)
	}
	if err := prows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: history: %w", err)
	}
	return out, nil
}
