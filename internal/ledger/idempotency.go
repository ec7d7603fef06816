package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Writer is the view of a write batch that ledger operations need. Every
// storage engine's batch type implements it (through an embedded *Book).
type Writer interface {
	Now() time.Time
	Balance(ctx context.Context, id AccountID) (int64, error)
	Post(ctx context.Context, t Transaction) error
	Idempotency(ctx context.Context, key string) (*IdempotencyRecord, error)
	SaveIdempotency(rec IdempotencyRecord)
	AfterCommit(fn func())
}

// HashRequest returns the hex SHA-256 of the parts of a request, separated so
// that ("ab","c") and ("a","bc") differ.
func HashRequest(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Once runs fn at most once per idempotency key, inside a write batch. If
// key was already used with the same hash it returns the stored status and
// body with replay = true and does not call fn; with another hash it returns
// ErrIdempotencyConflict. Otherwise it calls fn and, if fn succeeds, stores
// its answer under key in the same transaction as fn's writes. A failed fn
// stores nothing, so the request may be retried with the same key.
func Once(ctx context.Context, w Writer, key, hash string, fn func() (status int, body []byte, err error)) (status int, body []byte, replay bool, err error) {
	rec, err := w.Idempotency(ctx, key)
	if err != nil {
		return 0, nil, false, err
	}
	if rec != nil {
		if rec.Hash != hash {
			return 0, nil, false, ErrIdempotencyConflict
		}
		return rec.Status, rec.Response, true, nil
	}
	status, body, err = fn()
	if err != nil {
		return 0, nil, false, err
	}
	w.SaveIdempotency(IdempotencyRecord{Key: key, Hash: hash, Status: status, Response: body})
	return status, body, false, nil
}
