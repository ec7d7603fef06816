-- +goose Up
-- The ledger: accounts with derived balances, an append-only journal of
-- transactions and postings, and idempotency records.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    asset       TEXT NOT NULL,
    balance     INTEGER NOT NULL,
    negative_ok INTEGER NOT NULL CHECK (negative_ok IN (0, 1)),
    CHECK (negative_ok = 1 OR balance >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE transactions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    user_a     TEXT,            -- the user who acted (buyer, sender, creator cashing out)
    user_b     TEXT,            -- the counterparty user, if any (gift receiver)
    created_at INTEGER NOT NULL -- unix microseconds
) STRICT;
CREATE INDEX transactions_user_a ON transactions (user_a, id) WHERE user_a IS NOT NULL;
CREATE INDEX transactions_user_b ON transactions (user_b, id) WHERE user_b IS NOT NULL;

CREATE TABLE postings (
    tx_id        INTEGER NOT NULL REFERENCES transactions (id),
    seq          INTEGER NOT NULL,
    from_account TEXT NOT NULL,
    to_account   TEXT NOT NULL,
    asset        TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    CHECK (from_account <> to_account),
    PRIMARY KEY (tx_id, seq)
) STRICT, WITHOUT ROWID;

-- The journal is append-only: a correction is a reversal transaction.
-- +goose StatementBegin
CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions
BEGIN SELECT RAISE(ABORT, 'journal is append-only: transactions cannot be updated'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
BEGIN SELECT RAISE(ABORT, 'journal is append-only: transactions cannot be deleted'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'journal is append-only: postings cannot be updated'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'journal is append-only: postings cannot be deleted'); END;
-- +goose StatementEnd

CREATE TABLE idempotency (
    key        TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    status     INTEGER NOT NULL,
    response   BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE idempotency;
DROP TABLE postings;
DROP TABLE transactions;
DROP TABLE accounts;
