-- +goose Up
-- A creator's earnings per day, week or month are summed from their gifts
-- in a time range: this index finds them, and carries milli so the sum can
-- be an index-only scan. It costs every gift one more index insert. It is
-- built in the migration's transaction, which blocks writes to gifts while
-- it builds: on a large installation, build it first by hand with
-- CREATE INDEX CONCURRENTLY IF NOT EXISTS … (the same definition).
CREATE INDEX IF NOT EXISTS gifts_creator_time ON gifts (creator_id, created_at) INCLUDE (milli);

-- +goose Down
DROP INDEX gifts_creator_time;
