-- +goose Up
-- A viewer's own daily spending cap (coins; 0: none), lower than or equal
-- to the economy's.
ALTER TABLE users ADD COLUMN spend_cap INTEGER NOT NULL DEFAULT 0 CHECK (spend_cap >= 0);

-- +goose Down
ALTER TABLE users DROP COLUMN spend_cap;
