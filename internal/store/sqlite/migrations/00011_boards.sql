-- +goose Up
-- Leaderboards, gifter levels and stream goals: counters summed per write
-- batch, so that no read scans the gifts.

-- A creator's gifters per period: 'all', 'd:YYYY-MM-DD' (a UTC day) and
-- 'w:YYYY-Www' (an ISO week, UTC). The index serves the top N by coins.
CREATE TABLE creator_gifters (
    creator_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    sender_id  TEXT NOT NULL,
    coins      INTEGER NOT NULL CHECK (coins >= 0),
    gifts      INTEGER NOT NULL CHECK (gifts > 0),
    PRIMARY KEY (creator_id, period, sender_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX creator_gifters_top ON creator_gifters (creator_id, period, coins DESC, sender_id);

-- The diamonds (milli) creators received per ISO week ('YYYY-Www', UTC).
CREATE TABLE creator_week (
    week       TEXT NOT NULL,
    creator_id TEXT NOT NULL,
    milli      INTEGER NOT NULL CHECK (milli >= 0),
    gifts      INTEGER NOT NULL CHECK (gifts > 0),
    PRIMARY KEY (week, creator_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX creator_week_top ON creator_week (week, milli DESC, creator_id);

-- The coins each viewer spent on gifts, in all (gifter levels).
CREATE TABLE user_spend (
    user_id TEXT PRIMARY KEY,
    coins   INTEGER NOT NULL CHECK (coins >= 0)
) STRICT, WITHOUT ROWID;

-- A stream's goal. version changes when the goal is replaced by another
-- kind or gift (progress starts again from 0); progress is summed per batch.
CREATE TABLE stream_goals (
    stream_id  TEXT PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version > 0),
    kind       TEXT NOT NULL CHECK (kind IN ('coins', 'gift')),
    gift_id    TEXT NOT NULL, -- '' for a coins goal
    target     INTEGER NOT NULL CHECK (target > 0),
    progress   INTEGER NOT NULL CHECK (progress >= 0),
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The gifts sent before this version count too.
INSERT INTO user_spend (user_id, coins)
SELECT sender_id, SUM(coins) FROM gifts GROUP BY sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'all', sender_id, SUM(coins), COUNT(*) FROM gifts GROUP BY creator_id, sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'd:' || strftime('%Y-%m-%d', created_at / 1000000, 'unixepoch') AS p, sender_id, SUM(coins), COUNT(*)
FROM gifts GROUP BY creator_id, p, sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'w:' || strftime('%G-W%V', created_at / 1000000, 'unixepoch') AS p, sender_id, SUM(coins), COUNT(*)
FROM gifts GROUP BY creator_id, p, sender_id;
INSERT INTO creator_week (week, creator_id, milli, gifts)
SELECT strftime('%G-W%V', created_at / 1000000, 'unixepoch') AS w, creator_id, SUM(milli), COUNT(*)
FROM gifts GROUP BY w, creator_id;

-- +goose Down
DROP TABLE stream_goals;
DROP TABLE user_spend;
DROP TABLE creator_week;
DROP TABLE creator_gifters;
