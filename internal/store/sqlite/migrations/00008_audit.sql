-- +goose Up
-- The audit log: one row per admin action or state-changing request (who,
-- what, when, from where, idempotency key, outcome). It holds no body, no
-- credential, no e-mail and no bank detail. Append-only, like the journal:
-- the triggers refuse UPDATE and DELETE. Times are unix microseconds.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    scope           TEXT NOT NULL,
    action          TEXT NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    target          TEXT NOT NULL,
    ip              TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    latency_us      INTEGER NOT NULL
) STRICT;
-- Pages are read newest (highest id) first, filtered by one of these.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: entries cannot be updated'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: entries cannot be deleted'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
