package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

var (
	userTable     = table{name: "users", cols: []string{"id", "display_name", "country", "age_verified", "status", "created_at", "updated_at", "status_reason", "status_at", "restriction", "spend_cap"}, conflict: " ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, country = excluded.country, age_verified = excluded.age_verified, status = excluded.status, updated_at = excluded.updated_at, status_reason = excluded.status_reason, status_at = excluded.status_at, restriction = excluded.restriction, spend_cap = excluded.spend_cap"}
	streamTable   = table{name: "streams", cols: []string{"id", "creator_id", "title", "status", "started_at", "ended_at"}, conflict: " ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status, ended_at = excluded.ended_at"}
	versionTable  = table{name: "catalog_versions", cols: []string{"version", "gift_id", "actor", "created_at"}}
	catalogTable  = table{name: "catalog_gifts", cols: []string{"gift_id", "version", "name", "coins", "streakable", "diamond_rate", "active"}}
	giftTable     = table{name: "gifts", cols: []string{"id", "stream_id", "sender_id", "creator_id", "gift_id", "catalog_version", "quantity", "unit_coins", "coins", "milli", "combo_id", "combo_count", "created_at"}}
	comboTable    = table{name: "combos", cols: []string{"stream_id", "combo_id", "sender_id", "gift_id", "count", "last_at", "ended"}, conflict: " ON CONFLICT (stream_id, combo_id) DO UPDATE SET count = excluded.count, last_at = excluded.last_at, ended = excluded.ended"}
	purchaseTable = table{name: "purchases", cols: []string{"id", "user_id", "provider", "package_id", "channel", "coins", "price", "currency", "status", "checkout_url", "created_at", "provider_ref", "refunded", "dispute", "reversed_coins"}, conflict: " ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_ref = excluded.provider_ref, refunded = excluded.refunded, dispute = excluded.dispute, reversed_coins = excluded.reversed_coins"}
	spendTable    = table{name: "viewer_spend", cols: []string{"user_id", "day", "coins"}, conflict: " ON CONFLICT (user_id, day) DO UPDATE SET coins = viewer_spend.coins + excluded.coins"}
	gifterTable   = table{name: "stream_gifters", cols: []string{"stream_id", "sender_id", "gifts", "coins"}, conflict: " ON CONFLICT (stream_id, sender_id) DO UPDATE SET gifts = gifts + excluded.gifts, coins = coins + excluded.coins"}
)

// domainTables are the gifting tables the batch writer inserts into, in
// flush order (referenced tables first).
var domainTables = []table{userTable, streamTable, versionTable, catalogTable, giftTable, comboTable, purchaseTable, profileTable, withdrawalTable}

const (
	qDaySpend    = "SELECT coins FROM viewer_spend WHERE user_id = ? AND day = ?"
	qUser        = "SELECT id, display_name, country, age_verified, status, created_at, updated_at, status_reason, status_at, restriction, spend_cap FROM users WHERE id = ?"
	qStream      = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE id = ?"
	qLiveStream  = "SELECT id, creator_id, title, status, started_at, ended_at FROM streams WHERE creator_id = ? AND status = 'live'"
	qCatalogGift = "SELECT gift_id, version, name, coins, streakable, diamond_rate, active FROM catalog_gifts WHERE gift_id = ? ORDER BY version DESC LIMIT 1"
	qCombo       = "SELECT stream_id, combo_id, sender_id, gift_id, count, last_at, ended FROM combos WHERE stream_id = ? AND combo_id = ?"
	qPurchase    = "SELECT id, user_id, provider, package_id, channel, coins, price, currency, status, checkout_url, created_at, provider_ref, refunded, dispute, reversed_coins FROM purchases WHERE id = ?"
	qMaxVersion  = "SELECT COALESCE(MAX(version), 0) FROM catalog_versions"
)

// domainQueries are the fixed domain statements of the batch writer.
var domainQueries = []string{qDaySpend, qUser, qStream, qLiveStream, qCatalogGift, qCombo, qPurchase, qMaxVersion}

var _ gifting.Tx = (*Tx)(nil)
var _ gifting.Reader = (*DB)(nil)

type scanner interface{ Scan(dest ...any) error }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func scanUser(r scanner) (*gifting.User, error) {
	var u gifting.User
	var age int
	var created, updated int64
	var statusAt sql.NullInt64
	if err := r.Scan(&u.ID, &u.DisplayName, &u.Country, &age, &u.Status, &created, &updated, &u.StatusReason, &statusAt, &u.Restriction, &u.SpendCap); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, err
	}
	u.AgeVerified, u.CreatedAt, u.UpdatedAt = age == 1, fromMicros(created), fromMicros(updated)
	if statusAt.Valid {
		t := fromMicros(statusAt.Int64)
		u.StatusAt = &t
	}
	return &u, nil
}

func scanStream(r scanner) (*gifting.Stream, error) {
	var s gifting.Stream
	var started int64
	var ended sql.NullInt64
	if err := r.Scan(&s.ID, &s.CreatorID, &s.Title, &s.Status, &started, &ended); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, err
	}
	s.StartedAt = fromMicros(started)
	if ended.Valid {
		t := fromMicros(ended.Int64)
		s.EndedAt = &t
	}
	return &s, nil
}

func scanCatalogGift(r scanner) (*gifting.CatalogGift, error) {
	var g gifting.CatalogGift
	var streak, active int
	if err := r.Scan(&g.ID, &g.Version, &g.Name, &g.Coins, &streak, &g.DiamondRate, &active); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, err
	}
	g.Streakable, g.Active = streak == 1, active == 1
	return &g, nil
}

func scanCombo(r scanner) (*gifting.Combo, error) {
	var c gifting.Combo
	var last int64
	var ended int
	if err := r.Scan(&c.StreamID, &c.ComboID, &c.SenderID, &c.GiftID, &c.Count, &last, &ended); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	c.LastAt, c.Ended = fromMicros(last), ended == 1
	return &c, nil
}

func scanPurchase(r scanner) (*gifting.Purchase, error) {
	var p gifting.Purchase
	var cur string
	var created int64
	if err := r.Scan(&p.ID, &p.UserID, &p.Provider, &p.PackageID, &p.Channel, &p.Coins, &p.PriceUnits, &cur, &p.Status, &p.CheckoutURL, &created, &p.ProviderRef, &p.RefundedUnits, &p.Dispute, &p.ReversedCoins); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ledger.ErrNotFound
		}
		return nil, err
	}
	p.Price.Value, p.Price.Currency = money.FormatAsset(p.PriceUnits, money.Asset(cur)), money.Asset(cur)
	p.CreatedAt = fromMicros(created)
	p.SetRefunded()
	return &p, nil
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
	return cached(t, "user:"+id, func() (*gifting.User, error) { return t.loadUser(id) })
}

// PutUser implements gifting.Tx.
func (t *Tx) PutUser(ctx context.Context, u *gifting.User) error {
	t.set("user:"+u.ID, u)
	var statusAt any
	if u.StatusAt != nil {
		statusAt = micros(*u.StatusAt)
	}
	t.insert(userTable, u.ID, u.DisplayName, u.Country, b2i(u.AgeVerified), u.Status, micros(u.CreatedAt), micros(u.UpdatedAt), u.StatusReason, statusAt, u.Restriction, u.SpendCap)
	return nil
}

// Stream implements gifting.Tx.
func (t *Tx) Stream(ctx context.Context, id string) (*gifting.Stream, error) {
	return cached(t, "stream:"+id, func() (*gifting.Stream, error) { return t.loadStream(id) })
}

// LiveStreamOf implements gifting.Tx.
func (t *Tx) LiveStreamOf(ctx context.Context, creatorID string) (*gifting.Stream, error) {
	id, err := cached(t, "live:"+creatorID, func() (string, error) {
		row, err := t.queryRow(qLiveStream, creatorID)
		if err != nil {
			return "", err
		}
		s, err := scanStream(row)
		if errors.Is(err, ledger.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		t.Remember("stream:"+s.ID, s)
		return s.ID, nil
	})
	if err != nil || id == "" {
		return nil, err
	}
	return t.Stream(ctx, id)
}

// PutStream implements gifting.Tx.
func (t *Tx) PutStream(ctx context.Context, s *gifting.Stream) error {
	t.set("stream:"+s.ID, s)
	if s.Status == gifting.StreamLive {
		t.set("live:"+s.CreatorID, s.ID)
	} else {
		t.set("live:"+s.CreatorID, "")
	}
	var ended any
	if s.EndedAt != nil {
		ended = micros(*s.EndedAt)
	}
	t.insert(streamTable, s.ID, s.CreatorID, s.Title, s.Status, micros(s.StartedAt), ended)
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
		t.onFlush("stream-totals", func() error { return t.flushStreamTotals(streams, gifters) })
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

func (t *Tx) flushStreamTotals(streams map[string]*gifting.StreamDelta, gifters map[gifterKey]*gifting.StreamDelta) error {
	var upd [][]any
	for id, d := range streams {
		if d.Gifts != 0 {
			upd = append(upd, []any{id, d.Gifts, d.Coins, d.Milli})
		}
	}
	err := eachChunk(upd, func(chunk [][]any) error {
		args := make([]any, 0, 4*len(chunk))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := t.exec(updateStreamsSQL(len(chunk)), args...); err != nil {
			return fmt.Errorf("sqlite: stream totals: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(gifters))
	for k, d := range gifters {
		if d.Gifts > 0 {
			rows = append(rows, []any{k.stream, k.sender, d.Gifts, d.Coins})
		}
	}
	return t.insertAll(gifterTable, rows)
}

// CatalogGift implements gifting.Tx.
func (t *Tx) CatalogGift(ctx context.Context, id string) (*gifting.CatalogGift, error) {
	return cached(t, "gift:"+id, func() (*gifting.CatalogGift, error) {
		row, err := t.queryRow(qCatalogGift, strings.ToLower(id))
		if err != nil {
			return nil, err
		}
		return scanCatalogGift(row)
	})
}

// PutCatalogGift implements gifting.Tx.
func (t *Tx) PutCatalogGift(ctx context.Context, g *gifting.CatalogGift, actor string) (int64, error) {
	next, err := cached(t, "#catalog-version", func() (*int64, error) {
		row, err := t.queryRow(qMaxVersion)
		if err != nil {
			return nil, err
		}
		var v int64
		return &v, row.Scan(&v)
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
	t.insert(versionTable, v, g.ID, actor, micros(t.Now()))
	t.insert(catalogTable, g.ID, v, g.Name, g.Coins, b2i(g.Streakable), g.DiamondRate, b2i(g.Active))
	return v, nil
}

// InsertGift implements gifting.Tx.
func (t *Tx) InsertGift(ctx context.Context, g *gifting.GiftRecord) error {
	var combo, count any
	if g.ComboID != "" {
		combo, count = g.ComboID, g.ComboCount
	}
	t.insert(giftTable, g.ID, g.StreamID, g.SenderID, g.CreatorID, g.GiftID, g.CatalogVersion, g.Quantity, g.UnitCoins, g.Coins, g.Milli, combo, count, micros(g.CreatedAt))
	return nil
}

// Combo implements gifting.Tx.
func (t *Tx) Combo(ctx context.Context, streamID, comboID string) (*gifting.Combo, error) {
	return cached(t, "combo:"+streamID+"/"+comboID, func() (*gifting.Combo, error) {
		row, err := t.queryRow(qCombo, streamID, comboID)
		if err != nil {
			return nil, err
		}
		return scanCombo(row)
	})
}

// PutCombo implements gifting.Tx.
func (t *Tx) PutCombo(ctx context.Context, c *gifting.Combo) error {
	t.set("combo:"+c.StreamID+"/"+c.ComboID, c)
	t.insert(comboTable, c.StreamID, c.ComboID, c.SenderID, c.GiftID, c.Count, micros(c.LastAt), b2i(c.Ended))
	return nil
}

type spendKey struct{ user, day string }

// DaySpend implements gifting.Tx.
func (t *Tx) DaySpend(ctx context.Context, userID, day string) (int64, error) {
	v, err := cached(t, "spend:"+userID+"/"+day, func() (int64, error) {
		row, err := t.queryRow(qDaySpend, userID, day)
		if err != nil {
			return 0, err
		}
		var coins int64
		if err := row.Scan(&coins); errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		} else if err != nil {
			return 0, err
		}
		return coins, nil
	})
	return v, err
}

// AddDaySpend implements gifting.Tx: the additions are summed over the batch
// and written once per viewer and day. The file has one writer at a time
// and every read of the batch sees the batch's own additions, so the
// caller's check against limit holds at commit.
func (t *Tx) AddDaySpend(ctx context.Context, userID, day string, coins, limit int64) error {
	cur, err := t.DaySpend(ctx, userID, day)
	if err != nil {
		return err
	}
	total, err := money.Add(cur, coins)
	if err != nil {
		return fmt.Errorf("sqlite: daily spend of %s: %w", userID, err)
	}
	t.set("spend:"+userID+"/"+day, total)
	dv, _ := t.Cached("#spend")
	deltas, _ := dv.(map[spendKey]int64)
	if deltas == nil {
		deltas = map[spendKey]int64{}
		t.Remember("#spend", deltas)
		t.onFlush("spend", func() error {
			var rows [][]any
			for k, d := range deltas {
				if d > 0 {
					rows = append(rows, []any{k.user, k.day, d})
				}
			}
			return t.insertAll(spendTable, rows)
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
	t.insert(purchaseTable, p.ID, p.UserID, p.Provider, p.PackageID, p.Channel, p.Coins, p.PriceUnits, string(p.Price.Currency), p.Status, p.CheckoutURL, micros(p.CreatedAt), p.ProviderRef, p.RefundedUnits, p.Dispute, p.ReversedCoins)
	return nil
}

// PurchaseByID implements gifting.Tx.
func (t *Tx) PurchaseByID(ctx context.Context, id string) (*gifting.Purchase, error) {
	return cached(t, "purchase:"+id, func() (*gifting.Purchase, error) {
		row, err := t.queryRow(qPurchase, id)
		if err != nil {
			return nil, err
		}
		return scanPurchase(row)
	})
}

// ---- reads of committed data (the read pool) ----

// User implements gifting.Reader.
func (db *DB) User(ctx context.Context, id string) (*gifting.User, error) {
	return scanUser(db.read.QueryRowContext(ctx, qUser, id))
}

// Balances implements gifting.Reader; missing accounts are 0.
func (db *DB) Balances(ctx context.Context, ids []ledger.AccountID) (map[ledger.AccountID]int64, error) {
	out := make(map[ledger.AccountID]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	rows, err := db.read.QueryContext(ctx, "SELECT id, balance FROM accounts WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var b int64
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		out[ledger.AccountID(id)] = b
	}
	return out, rows.Err()
}

// Stream implements gifting.Reader.
func (db *DB) Stream(ctx context.Context, id string) (*gifting.Stream, error) {
	return scanStream(db.read.QueryRowContext(ctx, qStream, id))
}

// StreamTotals implements gifting.Reader.
func (db *DB) StreamTotals(ctx context.Context, id string) (gifting.StreamTotals, error) {
	var t gifting.StreamTotals
	err := db.read.QueryRowContext(ctx, `SELECT gifts, coins, milli, (SELECT COUNT(*) FROM stream_gifters WHERE stream_id = ?) FROM streams WHERE id = ?`, id, id).
		Scan(&t.Gifts, &t.Coins, &t.Milli, &t.UniqueGifters)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ledger.ErrNotFound
	}
	return t, err
}

// TopGifters implements gifting.Reader.
func (db *DB) TopGifters(ctx context.Context, streamID string, limit int) ([]gifting.Gifter, error) {
	return db.queryGifters(ctx, "top gifters", `SELECT sender_id, coins, gifts FROM stream_gifters WHERE stream_id = ? ORDER BY coins DESC, sender_id LIMIT ?`, streamID, limit)
}

// queryGifters reads (user, coins, gifts) rows; what names the board in
// errors.
func (db *DB) queryGifters(ctx context.Context, what, query string, args ...any) ([]gifting.Gifter, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []gifting.Gifter
	for rows.Next() {
		var g gifting.Gifter
		if err := rows.Scan(&g.UserID, &g.Coins, &g.Gifts); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Catalog implements gifting.Reader.
func (db *DB) Catalog(ctx context.Context) ([]gifting.CatalogGift, error) {
	rows, err := db.read.QueryContext(ctx, `
SELECT c.gift_id, c.version, c.name, c.coins, c.streakable, c.diamond_rate, c.active
FROM catalog_gifts c
WHERE c.version = (SELECT MAX(version) FROM catalog_gifts WHERE gift_id = c.gift_id)
ORDER BY c.coins, c.gift_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: catalog: %w", err)
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
	return out, rows.Err()
}

// Combo implements gifting.Reader.
func (db *DB) Combo(ctx context.Context, streamID, comboID string) (*gifting.Combo, error) {
	return scanCombo(db.read.QueryRowContext(ctx, qCombo, streamID, comboID))
}

// History implements gifting.Reader.
func (db *DB) History(ctx context.Context, userID string, f gifting.HistoryFilter) ([]gifting.HistoryEntry, error) {
	var where []string
	var args []any
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = gifting.HistoryKinds
	}
	var parts []string
	for _, k := range kinds {
		switch k {
		case gifting.HistoryPurchase:
			parts = append(parts, "(kind = 'purchase' AND user_a = ?)")
			args = append(args, userID)
		case gifting.HistoryGiftSent:
			parts = append(parts, "(kind = 'gift' AND user_a = ?)")
			args = append(args, userID)
		case gifting.HistoryGiftReceived:
			parts = append(parts, "(kind = 'gift' AND user_b = ?)")
			args = append(args, userID)
		default:
			if tk, ok := gifting.WithdrawalTxKinds[k]; ok {
				parts = append(parts, "(kind = ? AND user_a = ?)")
				args = append(args, tk, userID)
			}
		}
	}
	where = append(where, "(user_a = ? OR user_b = ?)", "("+strings.Join(parts, " OR ")+")")
	args = append([]any{userID, userID}, args...)
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, micros(f.To))
	}
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT id, kind, ref, COALESCE(user_a, ''), COALESCE(user_b, ''), created_at FROM transactions
WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	var out []gifting.HistoryEntry
	for rows.Next() {
		var e gifting.HistoryEntry
		var at int64
		if err := rows.Scan(&e.TxID, &e.Kind, &e.Ref, &e.Actor, &e.Counterparty, &at); err != nil {
			rows.Close()
			return nil, err
		}
		e.CreatedAt = fromMicros(at)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		prow, err := db.read.QueryContext(ctx, "SELECT from_account, to_account, asset, amount FROM postings WHERE tx_id = ? ORDER BY seq", out[i].TxID)
		if err != nil {
			return nil, err
		}
		for prow.Next() {
			var p ledger.Posting
			var from, to, asset string
			if err := prow.Scan(&from, &to, &asset, &p.Amount); err != nil {
				prow.Close()
				return nil, err
			}
			p.From, p.To, p.Asset = ledger.AccountID(from), ledger.AccountID(to), money.Asset(asset)
			out[i].Postings = append(out[i].Postings, p)
		}
		prow.Close()
	}
	return out, nil
}

// updateStreamsSQL adds gift, coin and diamond totals to n streams at once.
func updateStreamsSQL(n int) string {
	return "UPDATE streams SET gifts = streams.gifts + v.column2, coins = streams.coins + v.column3, milli = streams.milli + v.column4 FROM (VALUES " +
		placeholders(n, 4) + ") AS v WHERE streams.id = v.column1"
}
