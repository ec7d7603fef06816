-- +goose Up
-- The audit log: one row per admin action or state-changing request (who,
-- what, when, from where, idempotency key, outcome). It holds no body, no
-- credential, no e-mail and no bank detail. Append-only, like the journal:
-- the triggers refuse UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    scope           text NOT NULL,
    action          text NOT NULL,
    method          text NOT NULL,
    path            text NOT NULL,
    target          text NOT NULL,
    ip              text NOT NULL,
    idempotency_key text NOT NULL,
    status          integer NOT NULL,
    outcome         text NOT NULL,
    latency_us      bigint NOT NULL
);
-- Pages are read newest (highest id) first, filtered by one of these.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- +goose StatementBegin
CREATE FUNCTION glint_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION glint_audit_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION glint_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION glint_audit_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION glint_audit_append_only();
