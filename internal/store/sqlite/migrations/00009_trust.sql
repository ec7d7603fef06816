-- +goose Up
-- Trust: why and when a user's status changed (bans, terminations), a
-- restriction on an active user (coins owed after a chargeback, payouts
-- held for review), and the payment's id at the provider (a Stripe
-- payment intent) so refunds and disputes find their purchase.
ALTER TABLE users ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN status_at INTEGER;
ALTER TABLE users ADD COLUMN restriction TEXT NOT NULL DEFAULT '' CHECK (restriction IN ('', 'coin_debt', 'payout_review'));
ALTER TABLE purchases ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';
-- A purchase's reversals: money refunded so far (cumulative, minor units),
-- the dispute's state, and the coins taken back so far.
ALTER TABLE purchases ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0);
ALTER TABLE purchases ADD COLUMN dispute TEXT NOT NULL DEFAULT '' CHECK (dispute IN ('', 'open', 'won', 'lost'));
ALTER TABLE purchases ADD COLUMN reversed_coins INTEGER NOT NULL DEFAULT 0 CHECK (reversed_coins >= 0);
CREATE INDEX purchases_provider_ref ON purchases (provider, provider_ref) WHERE provider_ref <> '';
CREATE INDEX users_status ON users (status, status_at) WHERE status <> 'active';

-- +goose Down
DROP INDEX users_status;
DROP INDEX purchases_provider_ref;
ALTER TABLE purchases DROP COLUMN reversed_coins;
ALTER TABLE purchases DROP COLUMN dispute;
ALTER TABLE purchases DROP COLUMN refunded;
ALTER TABLE purchases DROP COLUMN provider_ref;
ALTER TABLE users DROP COLUMN restriction;
ALTER TABLE users DROP COLUMN status_at;
ALTER TABLE users DROP COLUMN status_reason;
