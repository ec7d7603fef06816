-- +goose Up
-- The FX table: how many units of a currency 1 USD buys, per day. One row
-- per currency per date keeps the history; the table in force is each
-- currency's newest date. Rates are exact decimal strings ("0.918949"),
-- never floating point.
CREATE TABLE fx_rates (
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    date       text NOT NULL CHECK (date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'), -- YYYY-MM-DD
    rate       text NOT NULL CHECK (rate ~ '^[0-9]+(\.[0-9]+)?$' AND rate ~ '[1-9]'), -- > 0
    source     text NOT NULL,
    created_at timestamptz NOT NULL, -- when this rate was stored
    PRIMARY KEY (currency, date)
);

-- +goose Down
DROP TABLE fx_rates;
