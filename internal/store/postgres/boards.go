package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
)

// Gifter levels and stream goals: counters a batch sums in memory and adds
// at flush with one upsert per table, rows in key order (the order their
// locks are taken, as for the stream gifters), so that the sums of several
// nodes add up. The creators' leaderboards are folded from the journal
// (fold.go): nothing per gift on the write path. The reads a gift makes (the sender's coins spent, the
// stream's goal) are learnt by the discovery run and read ahead with the
// rest (prefetch.go); what a request is answered from them is as fresh as
// the batch's read, the stored counters are exact.

var (
	creatorGifterTable = table{name: "creator_gifters", cols: []string{"creator_id", "period", "sender_id", "coins", "gifts"},
		types: []string{"text", "text", "text", "bigint", "bigint"}, key: 3,
		suffix: " ON CONFLICT (creator_id, period, sender_id) DO UPDATE SET coins = creator_gifters.coins + excluded.coins, gifts = creator_gifters.gifts + excluded.gifts"}
	creatorWeekTable = table{name: "creator_week", cols: []string{"week", "creator_id", "milli", "gifts"},
		types: []string{"text", "text", "bigint", "bigint"}, key: 2,
		suffix: " ON CONFLICT (week, creator_id) DO UPDATE SET milli = creator_week.milli + excluded.milli, gifts = creator_week.gifts + excluded.gifts"}
	userSpendTable = table{name: "user_spend", cols: []string{"user_id", "coins"}, types: []string{"text", "bigint"}, key: 1,
		suffix: " ON CONFLICT (user_id) DO UPDATE SET coins = user_spend.coins + excluded.coins"}
	// goalTable: a goal set again with the same version keeps the progress
	// stored; a new version starts from 0. Last writer wins across nodes.
	goalTable = table{name: "stream_goals", cols: []string{"stream_id", "version", "kind", "gift_id", "target", "progress", "updated_at"},
		types: []string{"text", "bigint", "text", "text", "bigint", "bigint", "timestamptz"}, key: 1,
		suffix: " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, kind = excluded.kind, gift_id = excluded.gift_id, target = excluded.target," +
			" progress = CASE WHEN stream_goals.version = excluded.version THEN stream_goals.progress ELSE 0 END, updated_at = excluded.updated_at"}
)

const (
	qUserSpend    = "SELECT coins FROM user_spend WHERE user_id = $1"
	qStreamGoal   = "SELECT stream_id, version, kind, gift_id, target, progress, updated_at FROM stream_goals WHERE stream_id = $1"
	qPreUserSpend = "SELECT user_id, coins FROM user_spend WHERE user_id = ANY($1)"
	qPreGoals     = "SELECT stream_id, version, kind, gift_id, target, progress, updated_at FROM stream_goals WHERE stream_id = ANY($1)"
)

type goalKey struct {
	stream  string
	version int64
}

// boards are a batch's sums, written at flush.
type boards struct {
	spend map[string]int64
	goals map[goalKey]int64
}

// pendingBoards returns the batch's sums, nil before the first addition.
func (t *Tx) pendingBoards() *boards {
	v, _ := t.Cached("#boards")
	b, _ := v.(*boards)
	return b
}

// boards returns the batch's sums, starting them (and their flush) on the
// first addition.
func (t *Tx) boards() *boards {
	if b := t.pendingBoards(); b != nil {
		return b
	}
	b := &boards{spend: map[string]int64{}, goals: map[goalKey]int64{}}
	t.Remember("#boards", b)
	t.onFlush("boards", func(pb *pgx.Batch) { t.queueBoards(pb, b) })
	return b
}

// addCount adds n to m[k], checked, undone with the request.
func addCount[K comparable](t *Tx, m map[K]int64, k K, n int64) error {
	v, err := money.Add(m[k], n)
	if err != nil {
		return fmt.Errorf("postgres: counter: %w", err)
	}
	m[k] = v
	t.OnUndo(func() { m[k] -= n })
	return nil
}

// UserSpend implements gifting.Tx: the stored total plus the batch's
// additions.
func (t *Tx) UserSpend(ctx context.Context, userID string) (int64, error) {
	base, err := cached(t, "user-spend:"+userID, func() (int64, error) {
		if t.disc != nil {
			t.disc.spend[userID] = true
			return 0, nil
		}
		return row(t, scanSpend, qUserSpend, userID)
	})
	if err != nil {
		return 0, err
	}
	if b := t.pendingBoards(); b != nil {
		if base, err = money.Add(base, b.spend[userID]); err != nil {
			return 0, fmt.Errorf("postgres: coins spent by %s: %w", userID, err)
		}
	}
	return base, nil
}

// AddUserSpend implements gifting.Tx.
func (t *Tx) AddUserSpend(ctx context.Context, userID string, coins int64) error {
	return addCount(t, t.boards().spend, userID, coins)
}

// goalBase returns the goal as read (nil when none), or as this batch set
// it, without the batch's progress.
func (t *Tx) goalBase(streamID string) (*gifting.StreamGoal, error) {
	return cached(t, "goal:"+streamID, func() (*gifting.StreamGoal, error) {
		if t.disc != nil {
			t.disc.goals[streamID] = true
			return nil, nil
		}
		return row(t, scanGoal, qStreamGoal, streamID)
	})
}

// StreamGoal implements gifting.Tx: the goal with the batch's progress.
func (t *Tx) StreamGoal(ctx context.Context, streamID string) (*gifting.StreamGoal, error) {
	g, err := t.goalBase(streamID)
	if err != nil || g == nil {
		return nil, err
	}
	cp := *g
	if b := t.pendingBoards(); b != nil {
		if cp.Progress, err = money.Add(cp.Progress, b.goals[goalKey{streamID, g.Version}]); err != nil {
			return nil, fmt.Errorf("postgres: goal of %s: %w", streamID, err)
		}
	}
	return &cp, nil
}

// PutStreamGoal implements gifting.Tx. g.Progress is not written: a goal
// set again with the version it has keeps its progress, a new version
// starts from 0.
func (t *Tx) PutStreamGoal(ctx context.Context, g *gifting.StreamGoal) error {
	prev, err := t.goalBase(g.StreamID)
	if err != nil {
		return err
	}
	base := *g
	base.Progress = 0
	if prev != nil && prev.Version == g.Version {
		base.Progress = prev.Progress
	}
	t.boards() // the flush writes the goals
	t.set("goal:"+g.StreamID, &base)
	t.insert(goalTable, g.StreamID, g.Version, g.Kind, g.GiftID, g.Target, int64(0), g.UpdatedAt)
	return nil
}

// AddGoalProgress implements gifting.Tx.
func (t *Tx) AddGoalProgress(ctx context.Context, streamID string, version, n int64) error {
	return addCount(t, t.boards().goals, goalKey{streamID, version}, n)
}

// queueBoards adds the batch's sums and goals to the flush: one upsert per
// table, then the goals' progress (a goal replaced meanwhile takes none).
func (t *Tx) queueBoards(pb *pgx.Batch, b *boards) {
	var rows [][]any
	for id, c := range b.spend {
		if c > 0 {
			rows = append(rows, []any{id, c})
		}
	}
	if len(rows) > 0 {
		pb.Queue(userSpendTable.insertSQL(), userSpendTable.arrays(rows)...)
	}
	if p := t.rows[goalTable.name]; p != nil && len(p.vals) > 0 {
		pb.Queue(goalTable.insertSQL(), goalTable.arrays(p.vals)...)
	}
	var keys []goalKey
	for k, n := range b.goals {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].stream != keys[j].stream {
			return keys[i].stream < keys[j].stream
		}
		return keys[i].version < keys[j].version
	})
	ids, versions, adds := make([]string, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ids[i], versions[i], adds[i] = k.stream, k.version, b.goals[k]
	}
	pb.Queue(`UPDATE stream_goals g SET progress = g.progress + u.n
FROM (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(stream_id, version, n) ORDER BY stream_id) u
WHERE g.stream_id = u.stream_id AND g.version = u.version`, ids, versions, adds)
}

func scanSpend(r pgx.Row) (int64, error) {
	var c int64
	if err := r.Scan(&c); errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("postgres: coins spent: %w", err)
	}
	return c, nil
}

func scanGoal(r pgx.Row) (*gifting.StreamGoal, error) {
	var g gifting.StreamGoal
	var at time.Time
	if err := r.Scan(&g.StreamID, &g.Version, &g.Kind, &g.GiftID, &g.Target, &g.Progress, &at); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("postgres: stream goal: %w", err)
	}
	g.UpdatedAt = at.UTC()
	return &g, nil
}

// fetchBoards queues the reads ahead of what d recorded: the senders'
// coins spent and the streams' goals (absent ones known absent).
func (t *Tx) fetchBoards(d *discovery, p *prefetch, b *pgx.Batch) {
	if ids := keysOf(d.spend); len(ids) > 0 {
		for _, id := range ids {
			p.spend[id] = 0
		}
		b.Queue(qPreUserSpend, ids).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var c int64
				if err := rows.Scan(&id, &c); err != nil {
					return err
				}
				p.spend[id] = c
			}
			return rows.Err()
		})
	}
	if ids := keysOf(d.goals); len(ids) > 0 {
		for _, id := range ids {
			p.goals[id] = nil
		}
		b.Queue(qPreGoals, ids).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				g, err := scanGoal(rows)
				if err != nil {
					return err
				}
				p.goals[g.StreamID] = g
			}
			return rows.Err()
		})
	}
}

// seedBoards puts the rows read ahead in t's caches.
func (t *Tx) seedBoards(p *prefetch) {
	for id, c := range p.spend {
		t.Remember("user-spend:"+id, c)
	}
	for id, g := range p.goals {
		t.Remember("goal:"+id, clone(g))
	}
}

// ---- reads of committed data (the pool) ----

// CreatorGifters implements gifting.Reader.
func (db *DB) CreatorGifters(ctx context.Context, creatorID, period string, limit int) ([]gifting.Gifter, error) {
	return collectGifters("creator gifters")(db.pool.Query(ctx, `SELECT sender_id, coins, gifts FROM creator_gifters WHERE creator_id = $1 AND period = $2 ORDER BY coins DESC, sender_id LIMIT $3`, creatorID, period, limit))
}

// TopCreators implements gifting.Reader.
func (db *DB) TopCreators(ctx context.Context, week string, limit int) ([]gifting.CreatorRank, error) {
	rows, err := db.pool.Query(ctx, `SELECT creator_id, milli, gifts FROM creator_week WHERE week = $1 ORDER BY milli DESC, creator_id LIMIT $2`, week, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: top creators: %w", err)
	}
	defer rows.Close()
	var out []gifting.CreatorRank
	for rows.Next() {
		var c gifting.CreatorRank
		if err := rows.Scan(&c.CreatorID, &c.Milli, &c.Gifts); err != nil {
			return nil, fmt.Errorf("postgres: top creators: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: top creators: %w", err)
	}
	return out, nil
}

// UserSpend implements gifting.Reader.
func (db *DB) UserSpend(ctx context.Context, userID string) (int64, error) {
	return scanSpend(db.pool.QueryRow(ctx, qUserSpend, userID))
}

// StreamGoal implements gifting.Reader.
func (db *DB) StreamGoal(ctx context.Context, streamID string) (*gifting.StreamGoal, error) {
	return scanGoal(db.pool.QueryRow(ctx, qStreamGoal, streamID))
}
