-- +goose Up
-- Coins each viewer spent on gifts per UTC day, for the economy's daily
-- spending cap.
CREATE TABLE viewer_spend (
    user_id text NOT NULL,
    day     text NOT NULL, -- YYYY-MM-DD, UTC
    coins   bigint NOT NULL CHECK (coins >= 0),
    PRIMARY KEY (user_id, day)
);

-- +goose Down
DROP TABLE viewer_spend;
