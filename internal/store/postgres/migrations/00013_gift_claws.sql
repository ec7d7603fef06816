-- +goose Up
-- The coins of each gift already attributed to a refund or chargeback of
-- its sender's purchases (their diamonds were clawed back): a later
-- reversal attributes only the rest, so that no gift is clawed back twice.
CREATE TABLE gift_claws (
    gift_id text PRIMARY KEY,
    coins   bigint NOT NULL CHECK (coins > 0)
);

-- +goose Down
DROP TABLE gift_claws;
