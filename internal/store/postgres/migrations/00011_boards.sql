-- +goose Up
-- Leaderboards, gifter levels and stream goals: counters summed per write
-- batch, so that no read scans the gifts.

-- A creator's gifters per period: 'all', 'd:YYYY-MM-DD' (a UTC day) and
-- 'w:YYYY-Www' (an ISO week, UTC). The index serves the top N by coins.
CREATE TABLE creator_gifters (
    creator_id text NOT NULL,
    period     text NOT NULL,
    sender_id  text NOT NULL,
    coins      bigint NOT NULL CHECK (coins >= 0),
    gifts      bigint NOT NULL CHECK (gifts > 0),
    PRIMARY KEY (creator_id, period, sender_id)
);
CREATE INDEX creator_gifters_top ON creator_gifters (creator_id, period, coins DESC, sender_id);

-- The diamonds (milli) creators received per ISO week ('YYYY-Www', UTC).
CREATE TABLE creator_week (
    week       text NOT NULL,
    creator_id text NOT NULL,
    milli      bigint NOT NULL CHECK (milli >= 0),
    gifts      bigint NOT NULL CHECK (gifts > 0),
    PRIMARY KEY (week, creator_id)
);
CREATE INDEX creator_week_top ON creator_week (week, milli DESC, creator_id);

-- The coins each viewer spent on gifts, in all (gifter levels).
CREATE TABLE user_spend (
    user_id text PRIMARY KEY,
    coins   bigint NOT NULL CHECK (coins >= 0)
);

-- A stream's goal. version changes when the goal is replaced by another
-- kind or gift (progress starts again from 0); progress is summed per batch.
CREATE TABLE stream_goals (
    stream_id  text PRIMARY KEY,
    version    bigint NOT NULL CHECK (version > 0),
    kind       text NOT NULL CHECK (kind IN ('coins', 'gift')),
    gift_id    text NOT NULL, -- '' for a coins goal
    target     bigint NOT NULL CHECK (target > 0),
    progress   bigint NOT NULL CHECK (progress >= 0),
    updated_at timestamptz NOT NULL
);

-- The gifts sent before this version count too.
INSERT INTO user_spend (user_id, coins)
SELECT sender_id, SUM(coins) FROM gifts GROUP BY sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'all', sender_id, SUM(coins), COUNT(*) FROM gifts GROUP BY creator_id, sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'd:' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS p, sender_id, SUM(coins), COUNT(*)
FROM gifts GROUP BY creator_id, p, sender_id;
INSERT INTO creator_gifters (creator_id, period, sender_id, coins, gifts)
SELECT creator_id, 'w:' || to_char(created_at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS p, sender_id, SUM(coins), COUNT(*)
FROM gifts GROUP BY creator_id, p, sender_id;
INSERT INTO creator_week (week, creator_id, milli, gifts)
SELECT to_char(created_at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS w, creator_id, SUM(milli), COUNT(*)
FROM gifts GROUP BY w, creator_id;

-- +goose Down
DROP TABLE stream_goals;
DROP TABLE user_spend;
DROP TABLE creator_week;
DROP TABLE creator_gifters;
