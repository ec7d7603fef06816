-- +goose Up
-- Users, live streams, the versioned gift catalog, gifts, streaks, purchases,
-- API keys and settings.
CREATE TABLE users (
    id           text PRIMARY KEY,
    display_name text NOT NULL,
    country      text NOT NULL,
    age_verified boolean NOT NULL,
    status       text NOT NULL CHECK (status IN ('active', 'banned', 'terminated')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE streams (
    id         text PRIMARY KEY,
    creator_id text NOT NULL REFERENCES users (id),
    title      text NOT NULL,
    status     text NOT NULL CHECK (status IN ('live', 'ended')),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    gifts      bigint NOT NULL DEFAULT 0 CHECK (gifts >= 0),
    coins      bigint NOT NULL DEFAULT 0 CHECK (coins >= 0),
    milli      bigint NOT NULL DEFAULT 0 CHECK (milli >= 0)
);
-- One live stream per creator, across every node.
CREATE UNIQUE INDEX streams_one_live ON streams (creator_id) WHERE status = 'live';

CREATE TABLE stream_gifters (
    stream_id text NOT NULL,
    sender_id text NOT NULL,
    gifts     bigint NOT NULL CHECK (gifts > 0),
    coins     bigint NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (stream_id, sender_id)
);
CREATE INDEX stream_gifters_top ON stream_gifters (stream_id, coins DESC);

-- Every change of the catalog is a new version; gifts keep the version they
-- were sent at.
CREATE TABLE catalog_versions (
    version    bigint PRIMARY KEY,
    gift_id    text NOT NULL,
    actor      text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE catalog_gifts (
    gift_id      text NOT NULL,
    version      bigint NOT NULL REFERENCES catalog_versions (version),
    name         text NOT NULL,
    coins        bigint NOT NULL CHECK (coins > 0),
    streakable   boolean NOT NULL,
    diamond_rate text NOT NULL,
    active       boolean NOT NULL,
    PRIMARY KEY (gift_id, version)
);

CREATE TABLE gifts (
    id              text PRIMARY KEY,
    stream_id       text NOT NULL,
    sender_id       text NOT NULL,
    creator_id      text NOT NULL,
    gift_id         text NOT NULL,
    catalog_version bigint NOT NULL,
    quantity        bigint NOT NULL CHECK (quantity > 0),
    unit_coins      bigint NOT NULL CHECK (unit_coins > 0),
    coins           bigint NOT NULL CHECK (coins > 0),
    milli           bigint NOT NULL CHECK (milli >= 0),
    combo_id        text,
    combo_count     bigint,
    created_at      timestamptz NOT NULL
);

CREATE TABLE combos (
    stream_id text NOT NULL,
    combo_id  text NOT NULL,
    sender_id text NOT NULL,
    gift_id   text NOT NULL,
    count     bigint NOT NULL CHECK (count > 0),
    last_at   timestamptz NOT NULL,
    ended     boolean NOT NULL,
    PRIMARY KEY (stream_id, combo_id)
);

CREATE TABLE purchases (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    provider     text NOT NULL,
    package_id   text NOT NULL,
    channel      text NOT NULL,
    coins        bigint NOT NULL CHECK (coins > 0),
    price        bigint NOT NULL CHECK (price > 0),
    currency     text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    checkout_url text NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    hash       text NOT NULL UNIQUE,
    scope      text NOT NULL CHECK (scope IN ('admin', 'service')),
    label      text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

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
