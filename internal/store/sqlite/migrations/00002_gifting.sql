-- +goose Up
-- Users, live streams, the versioned gift catalog, gifts, streaks, purchases.
CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    country      TEXT NOT NULL,
    age_verified INTEGER NOT NULL CHECK (age_verified IN (0, 1)),
    status       TEXT NOT NULL CHECK (status IN ('active', 'banned', 'terminated')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE streams (
    id         TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL REFERENCES users (id),
    title      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('live', 'ended')),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    gifts      INTEGER NOT NULL DEFAULT 0 CHECK (gifts >= 0),
    coins      INTEGER NOT NULL DEFAULT 0 CHECK (coins >= 0),
    milli      INTEGER NOT NULL DEFAULT 0 CHECK (milli >= 0)
) STRICT, WITHOUT ROWID;
-- One live stream per creator.
CREATE UNIQUE INDEX streams_one_live ON streams (creator_id) WHERE status = 'live';

CREATE TABLE stream_gifters (
    stream_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    gifts     INTEGER NOT NULL CHECK (gifts > 0),
    coins     INTEGER NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (stream_id, sender_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX stream_gifters_top ON stream_gifters (stream_id, coins DESC);

-- Every change of the catalog is a new version; gifts keep the version they
-- were sent at.
CREATE TABLE catalog_versions (
    version    INTEGER PRIMARY KEY,
    gift_id    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE catalog_gifts (
    gift_id      TEXT NOT NULL,
    version      INTEGER NOT NULL REFERENCES catalog_versions (version),
    name         TEXT NOT NULL,
    coins        INTEGER NOT NULL CHECK (coins > 0),
    streakable   INTEGER NOT NULL CHECK (streakable IN (0, 1)),
    diamond_rate TEXT NOT NULL,
    active       INTEGER NOT NULL CHECK (active IN (0, 1)),
    PRIMARY KEY (gift_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE gifts (
    id              TEXT PRIMARY KEY,
    stream_id       TEXT NOT NULL,
    sender_id       TEXT NOT NULL,
    creator_id      TEXT NOT NULL,
    gift_id         TEXT NOT NULL,
    catalog_version INTEGER NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_coins      INTEGER NOT NULL CHECK (unit_coins > 0),
    coins           INTEGER NOT NULL CHECK (coins > 0),
    milli           INTEGER NOT NULL CHECK (milli >= 0),
    combo_id        TEXT,
    combo_count     INTEGER,
    created_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE combos (
    stream_id TEXT NOT NULL,
    combo_id  TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    gift_id   TEXT NOT NULL,
    count     INTEGER NOT NULL CHECK (count > 0),
    last_at   INTEGER NOT NULL,
    ended     INTEGER NOT NULL CHECK (ended IN (0, 1)),
    PRIMARY KEY (stream_id, combo_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE purchases (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    provider     TEXT NOT NULL,
    package_id   TEXT NOT NULL,
    channel      TEXT NOT NULL,
    coins        INTEGER NOT NULL CHECK (coins > 0),
    price        INTEGER NOT NULL CHECK (price > 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    checkout_url TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    scope      TEXT NOT NULL CHECK (scope IN ('admin', 'service')),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE purchases;
DROP TABLE combos;
DROP TABLE gifts;
DROP TABLE catalog_gifts;
DROP TABLE catalog_versions;
DROP TABLE stream_gifters;
DROP TABLE streams;
DROP TABLE users;
