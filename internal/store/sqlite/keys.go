package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/glint-economy/glint/internal/auth"
)

var _ auth.KeyStore = (*DB)(nil)

// CreateAPIKey stores a new API key.
func (db *DB) CreateAPIKey(ctx context.Context, k auth.APIKey) error {
	_, err := db.write.ExecContext(ctx, "INSERT INTO api_keys (id, hash, scope, label, created_at) VALUES (?, ?, ?, ?, ?)",
		k.ID, k.Hash, k.Scope, k.Label, micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create api key: %w", err)
	}
	return nil
}

// APIKeyByHash implements auth.KeyStore.
func (db *DB) APIKeyByHash(ctx context.Context, hash string) (*auth.APIKey, error) {
	return scanKey(db.read.QueryRowContext(ctx, "SELECT id, hash, scope, label, created_at, revoked_at FROM api_keys WHERE hash = ?", hash))
}

func scanKey(r scanner) (*auth.APIKey, error) {
	var k auth.APIKey
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&k.ID, &k.Hash, &k.Scope, &k.Label, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	if revoked.Valid {
		t := fromMicros(revoked.Int64)
		k.RevokedAt = &t
	}
	return &k, nil
}

// ListAPIKeys returns every key, newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]auth.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT id, hash, scope, label, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", err)
	}
	defer rows.Close()
	var out []auth.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key by id; auth.ErrNotFound when there is no such
// active key.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", micros(db.now()), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// Setting returns the value of a setting, creating it with gen() when it
// does not exist yet (first caller wins).
func (db *DB) Setting(ctx context.Context, key string, gen func() (string, error)) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: setting %s: %w", key, err)
	}
	nv, err := gen()
	if err != nil {
		return "", err
	}
	if _, err := db.write.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, nv); err != nil {
		return "", fmt.Errorf("sqlite: setting %s: %w", key, err)
	}
	if err := db.write.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v); err != nil {
		return "", fmt.Errorf("sqlite: setting %s: %w", key, err)
	}
	return v, nil
}
