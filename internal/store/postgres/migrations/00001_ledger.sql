-- +goose Up
-- The ledger: accounts with derived balances, an append-only journal of
-- transactions and postings, and idempotency records. Amounts are bigint
-- counts of an asset's smallest unit; times are timestamptz (microseconds).
CREATE TABLE accounts (
    id          text PRIMARY KEY,
    asset       text NOT NULL,
    balance     bigint NOT NULL,
    negative_ok boolean NOT NULL,
    -- The backstop: whatever the writer believes, no account that must stay
    -- non-negative is ever stored below zero.
    CHECK (negative_ok OR balance >= 0)
);

-- Transaction ids come from a sequence, taken in bulk by each batch writer.
CREATE SEQUENCE transactions_id_seq AS bigint;

CREATE TABLE transactions (
    id         bigint PRIMARY KEY,
    kind       text NOT NULL,
    ref        text NOT NULL,
    user_a     text,            -- the user who acted (buyer, sender, creator cashing out)
    user_b     text,            -- the counterparty user, if any (gift receiver)
    created_at timestamptz NOT NULL
);
CREATE INDEX transactions_user_a ON transactions (user_a, id) WHERE user_a IS NOT NULL;
CREATE INDEX transactions_user_b ON transactions (user_b, id) WHERE user_b IS NOT NULL;

CREATE TABLE postings (
    tx_id        bigint NOT NULL REFERENCES transactions (id),
    seq          integer NOT NULL,
    from_account text NOT NULL,
    to_account   text NOT NULL,
    asset        text NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    CHECK (from_account <> to_account),
    PRIMARY KEY (tx_id, seq)
);

-- The journal is append-only: a correction is a reversal transaction.
-- +goose StatementBegin
CREATE FUNCTION glint_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions FOR EACH ROW EXECUTE FUNCTION glint_journal_append_only();
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions FOR EACH ROW EXECUTE FUNCTION glint_journal_append_only();
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions FOR EACH STATEMENT EXECUTE FUNCTION glint_journal_append_only();
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings FOR EACH ROW EXECUTE FUNCTION glint_journal_append_only();
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings FOR EACH ROW EXECUTE FUNCTION glint_journal_append_only();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings FOR EACH STATEMENT EXECUTE FUNCTION glint_journal_append_only();

-- One row per idempotency key: the first writer wins, on any node.
CREATE TABLE idempotency (
    key        text PRIMARY KEY,
    hash       text NOT NULL,
    status     integer NOT NULL,
    response   bytea NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE postings;
DROP TABLE transactions;
DROP FUNCTION glint_journal_append_only();
DROP SEQUENCE transactions_id_seq;
DROP TABLE accounts;
