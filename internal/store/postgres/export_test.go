package postgres

// PointReads returns how many one-row reads batches made that the prefetch
// did not foresee.
func (db *DB) PointReads() int64 { return db.pointReads.Load() }

// FoldLockID lets the external tests play a batch writer by hand.
const FoldLockID = foldLockID
