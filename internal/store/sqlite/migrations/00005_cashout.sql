-- +goose Up
-- Cash-out: creators' payout standing and withdrawals. The ledger holds the
-- money (holds, redemptions); these rows hold the request, its locked quote
-- and its status.
CREATE TABLE payout_profiles (
    user_id        TEXT PRIMARY KEY REFERENCES users (id),
    methods        TEXT NOT NULL, -- JSON: the methods on file, unmasked (never served)
    default_method TEXT NOT NULL,
    kyc            TEXT NOT NULL CHECK (kyc IN ('none', 'pending', 'verified', 'rejected')),
    updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE withdrawals (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    status          TEXT NOT NULL CHECK (status IN ('requested', 'processing', 'unclaimed', 'paid', 'failed', 'returned', 'cancelled')),
    provider        TEXT NOT NULL,
    method_kind     TEXT NOT NULL,
    method          TEXT NOT NULL, -- masked
    details         TEXT NOT NULL, -- JSON: the method as requested, unmasked (never served)
    milli           INTEGER NOT NULL CHECK (milli > 0),
    gross           INTEGER NOT NULL CHECK (gross >= 0),
    commission      INTEGER NOT NULL CHECK (commission >= 0),
    net             INTEGER NOT NULL CHECK (net >= 0),
    payout          INTEGER NOT NULL CHECK (payout >= 0),
    payout_currency TEXT NOT NULL,
    quote           TEXT NOT NULL, -- JSON: the breakdown locked at request time
    provider_ref    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    paid_at         INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX withdrawals_user ON withdrawals (user_id, created_at);
CREATE INDEX withdrawals_queue ON withdrawals (status, provider, id);
CREATE INDEX withdrawals_paid ON withdrawals (paid_at) WHERE paid_at IS NOT NULL;

-- +goose Down
DROP TABLE withdrawals;
DROP TABLE payout_profiles;
