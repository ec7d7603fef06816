package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/money"
)

// Gifter levels and stream goals: counters a batch sums in memory and
// writes at flush with one upsert per chunk of keys, like a stream's
// totals. The creators' leaderboards are folded from the journal
// (FoldBoards): nothing per gift on the write path.

var (
	creatorGifterTable = table{name: "creator_gifters", cols: []string{"creator_id", "period", "sender_id", "coins", "gifts"},
		conflict: " ON CONFLICT (creator_id, period, sender_id) DO UPDATE SET coins = coins + excluded.coins, gifts = gifts + excluded.gifts"}
	creatorWeekTable = table{name: "creator_week", cols: []string{"week", "creator_id", "milli", "gifts"},
		conflict: " ON CONFLICT (week, creator_id) DO UPDATE SET milli = milli + excluded.milli, gifts = gifts + excluded.gifts"}
	userSpendTable = table{name: "user_spend", cols: []string{"user_id", "coins"},
		conflict: " ON CONFLICT (user_id) DO UPDATE SET coins = coins + excluded.coins"}
	// goalTable: a goal set again with the same version keeps the progress
	// stored; a new version starts from 0.
	goalTable = table{name: "stream_goals", cols: []string{"stream_id", "version", "kind", "gift_id", "target", "progress", "updated_at"},
		conflict: " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, kind = excluded.kind, gift_id = excluded.gift_id, target = excluded.target," +
			" progress = CASE WHEN stream_goals.version = excluded.version THEN stream_goals.progress ELSE 0 END, updated_at = excluded.updated_at"}
)

// boardTables are the tables of this file; the writer prepares their
// multi-row inserts with the others (insertTables).
var boardTables = []table{userSpendTable, goalTable}

const (
	qUserSpend   = "SELECT coins FROM user_spend WHERE user_id = ?"
	qStreamGoal  = "SELECT stream_id, version, kind, gift_id, target, progress, updated_at FROM stream_goals WHERE stream_id = ?"
	qGoalAdd     = "UPDATE stream_goals SET progress = progress + ? WHERE stream_id = ? AND version = ?"
	qCreatorTop  = "SELECT sender_id, coins, gifts FROM creator_gifters WHERE creator_id = ? AND period = ? ORDER BY coins DESC, sender_id LIMIT ?"
	qCreatorWeek = "SELECT creator_id, milli, gifts FROM creator_week WHERE week = ? ORDER BY milli DESC, creator_id LIMIT ?"
)

// A gift reads its sender and its stream anyway: the batch reads the
// sender's coins spent and the stream's goal in the same statements (a join
// on a primary key), not with one more query each.
var (
	qUserAndSpend  = strings.Replace(qUser, " FROM users WHERE", ", COALESCE(s.coins, 0) FROM users LEFT JOIN user_spend s ON s.user_id = users.id WHERE", 1)
	qStreamAndGoal = strings.Replace(qStream, " FROM streams WHERE",
		", g.version, g.kind, g.gift_id, g.target, g.progress, g.updated_at FROM streams LEFT JOIN stream_goals g ON g.stream_id = streams.id WHERE", 1)
)

// boardQueries are the fixed statements of this file the batch writer uses.
var boardQueries = []string{qUserSpend, qStreamGoal, qGoalAdd, qUserAndSpend, qStreamAndGoal}

// extraScan scans a row's leading columns with scanner-taking code and its
// trailing ones into extra.
type extraScan struct {
	r     scanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.r.Scan(append(dest, e.extra...)...) }

// loadUser reads a user for Tx.User, with the coins they spent.
func (t *Tx) loadUser(id string) (*gifting.User, error) {
	row, err := t.queryRow(qUserAndSpend, id)
	if err != nil {
		return nil, err
	}
	var spent int64
	u, err := scanUser(extraScan{row, []any{&spent}})
	if err == nil {
		t.Remember("user-spend:"+id, spent)
	}
	return u, err
}

// loadStream reads a stream for Tx.Stream, with its goal.
func (t *Tx) loadStream(id string) (*gifting.Stream, error) {
	row, err := t.queryRow(qStreamAndGoal, id)
	if err != nil {
		return nil, err
	}
	var version, target, progress, at sql.NullInt64
	var kind, gift sql.NullString
	st, err := scanStream(extraScan{row, []any{&version, &kind, &gift, &target, &progress, &at}})
	if err != nil {
		return nil, err
	}
	var g *gifting.StreamGoal
	if version.Valid {
		g = &gifting.StreamGoal{StreamID: st.ID, Version: version.Int64, Kind: kind.String, GiftID: gift.String,
			Target: target.Int64, Progress: progress.Int64, UpdatedAt: fromMicros(at.Int64)}
	}
	if _, ok := t.Cached("goal:" + id); !ok {
		t.Remember("goal:"+id, g)
	}
	return st, nil
}

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
	t.onFlush("boards", func() error { return t.flushBoards(b) })
	return b
}

// addCount adds n to m[k], checked, undone with the request.
func addCount[K comparable](t *Tx, m map[K]int64, k K, n int64) error {
	v, err := money.Add(m[k], n)
	if err != nil {
		return fmt.Errorf("sqlite: counter: %w", err)
	}
	m[k] = v
	t.OnUndo(func() { m[k] -= n })
	return nil
}

// UserSpend implements gifting.Tx: the stored total plus the batch's
// additions.
func (t *Tx) UserSpend(ctx context.Context, userID string) (int64, error) {
	base, err := cached(t, "user-spend:"+userID, func() (int64, error) {
		row, err := t.queryRow(qUserSpend, userID)
		if err != nil {
			return 0, err
		}
		return scanSpend(row)
	})
	if err != nil {
		return 0, err
	}
	if b := t.pendingBoards(); b != nil {
		if base, err = money.Add(base, b.spend[userID]); err != nil {
			return 0, fmt.Errorf("sqlite: coins spent by %s: %w", userID, err)
		}
	}
	return base, nil
}

// AddUserSpend implements gifting.Tx.
func (t *Tx) AddUserSpend(ctx context.Context, userID string, coins int64) error {
	return addCount(t, t.boards().spend, userID, coins)
}

// goalBase returns the goal as stored (nil when none), or as this batch set
// it, without the batch's progress.
func (t *Tx) goalBase(streamID string) (*gifting.StreamGoal, error) {
	return cached(t, "goal:"+streamID, func() (*gifting.StreamGoal, error) {
		row, err := t.queryRow(qStreamGoal, streamID)
		if err != nil {
			return nil, err
		}
		return scanGoal(row)
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
			return nil, fmt.Errorf("sqlite: goal of %s: %w", streamID, err)
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
	t.insert(goalTable, g.StreamID, g.Version, g.Kind, g.GiftID, g.Target, int64(0), micros(g.UpdatedAt))
	return nil
}

// AddGoalProgress implements gifting.Tx.
func (t *Tx) AddGoalProgress(ctx context.Context, streamID string, version, n int64) error {
	return addCount(t, t.boards().goals, goalKey{streamID, version}, n)
}

// flushBoards writes the batch's sums and goals: one upsert per chunk of
// rows, then each goal's progress (a goal replaced meanwhile takes none).
func (t *Tx) flushBoards(b *boards) error {
	rows := make([][]any, 0, len(b.spend))
	for id, c := range b.spend {
		if c > 0 {
			rows = append(rows, []any{id, c})
		}
	}
	if err := t.insertAll(userSpendTable, rows); err != nil {
		return err
	}
	if p := t.rows[goalTable.name]; p != nil {
		if err := t.insertAll(goalTable, p.vals); err != nil {
			return err
		}
	}
	for k, n := range b.goals {
		if n > 0 {
			if _, err := t.exec(qGoalAdd, n, k.stream, k.version); err != nil {
				return fmt.Errorf("sqlite: goal progress: %w", err)
			}
		}
	}
	return nil
}

func scanSpend(r scanner) (int64, error) {
	var c int64
	if err := r.Scan(&c); errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return c, nil
}

func scanGoal(r scanner) (*gifting.StreamGoal, error) {
	var g gifting.StreamGoal
	var at int64
	if err := r.Scan(&g.StreamID, &g.Version, &g.Kind, &g.GiftID, &g.Target, &g.Progress, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	g.UpdatedAt = fromMicros(at)
	return &g, nil
}

// ---- reads of committed data (the read pool) ----

// CreatorGifters implements gifting.Reader.
func (db *DB) CreatorGifters(ctx context.Context, creatorID, period string, limit int) ([]gifting.Gifter, error) {
	return db.queryGifters(ctx, "creator gifters", qCreatorTop, creatorID, period, limit)
}

// TopCreators implements gifting.Reader.
func (db *DB) TopCreators(ctx context.Context, week string, limit int) ([]gifting.CreatorRank, error) {
	rows, err := db.read.QueryContext(ctx, qCreatorWeek, week, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: top creators: %w", err)
	}
	defer rows.Close()
	var out []gifting.CreatorRank
	for rows.Next() {
		var c gifting.CreatorRank
		if err := rows.Scan(&c.CreatorID, &c.Milli, &c.Gifts); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UserSpend implements gifting.Reader.
func (db *DB) UserSpend(ctx context.Context, userID string) (int64, error) {
	return scanSpend(db.read.QueryRowContext(ctx, qUserSpend, userID))
}

// StreamGoal implements gifting.Reader.
func (db *DB) StreamGoal(ctx context.Context, streamID string) (*gifting.StreamGoal, error) {
	return scanGoal(db.read.QueryRowContext(ctx, qStreamGoal, streamID))
}
