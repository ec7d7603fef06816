-- +goose Up
-- The creators' leaderboards (creator_gifters, creator_week) are folded
-- from the journal instead of written by every gift: upto is the last
-- journal transaction folded. Every gift before this version was counted
-- when it was written.
CREATE TABLE board_fold (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
) STRICT;
INSERT INTO board_fold (id, upto) SELECT 1, COALESCE(MAX(id), 0) FROM transactions;

-- +goose Down
DROP TABLE board_fold;
