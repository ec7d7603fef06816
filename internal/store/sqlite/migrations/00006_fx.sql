-- +goose Up
-- The FX table: how many units of a currency 1 USD buys, per day. One row
-- per currency per date keeps the history; the table in force is each
-- currency's newest date. Rates are exact decimal strings ("0.918949"),
-- never floating point.
CREATE TABLE fx_rates (
    currency   TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
    date       TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'), -- YYYY-MM-DD
    -- digits with at most one dot, not at either end, and not all zeros: > 0
    rate       TEXT NOT NULL CHECK (rate GLOB '[0-9]*' AND rate GLOB '*[0-9]' AND rate NOT GLOB '*[^0-9.]*'
                                    AND rate NOT GLOB '*.*.*' AND rate GLOB '*[1-9]*'),
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- unix microseconds: when this rate was stored
    PRIMARY KEY (currency, date)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE fx_rates;
