-- +goose Up
-- The leaderboard index cost every gift an index delete and insert (the
-- gifter's coins change); the top gifters of a stream are now found by
-- scanning that stream's gifters (the primary key range), which stays cheap
-- for the thousands of gifters a stream has.
DROP INDEX stream_gifters_top;

-- +goose Down
CREATE INDEX stream_gifters_top ON stream_gifters (stream_id, coins DESC);
