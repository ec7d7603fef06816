-- +goose Up
-- Coins each viewer spent on gifts per UTC day, for the economy's daily
-- spending cap.
CREATE TABLE viewer_spend (
    user_id TEXT NOT NULL,
    day     TEXT NOT NULL, -- YYYY-MM-DD, UTC
    coins   INTEGER NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (user_id, day)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE viewer_spend;
