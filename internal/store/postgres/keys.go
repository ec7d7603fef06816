package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/glint-economy/glint/internal/auth"
)

var _ auth.KeyStore = (*DB)(nil)

// CreateAPIKey stores a new API key.
func (db *DB) CreateAPIKey(ctx context.Context, k auth.APIKey) error {
	_, err := db.pool.Exec(ctx, "INSERT INTO api_keys (id, hash, scope, label, created_at) VALUES ($1, $2, $3, $4, $5)",
		k.ID, k.Hash, k.Scope, k.Label, ts(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("postgres: create api key: %w", err)
	}
	return nil
}

// APIKeyByHash implements auth.KeyStore; auth.ErrNotFound when no key has
// that hash.
func (db *DB) APIKeyByHash(ctx context.Context, hash string) (*auth.APIKey, error) {
	return scanKey(db.pool.QueryRow(ctx, "SELECT id, hash, scope, label, created_at, revoked_at FROM api_keys WHERE hash = $1", hash))
}

func scanKey(r pgx.Row) (*auth.APIKey, error) {
	var k auth.APIKey
	var revoked *time.Time
	if err := r.Scan(&k.ID, &k.Hash, &k.Scope, &k.Label, &k.CreatedAt, &revoked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, auth.ErrNotFound
		}
		return nil, fmt.Errorf("postgres: api key: %w", err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if revoked != nil {
		t := revoked.UTC()
		k.RevokedAt = &t
	}
	return &k, nil
}

// ListAPIKeys returns every key, newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]auth.APIKey, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, hash, scope, label, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", err)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes a key by id; auth.ErrNotFound when there is no such
// active key.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	ct, err := db.pool.Exec(ctx, "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", ts(db.now()), id)
	if err != nil {
		return fmt.Errorf("postgres: revoke api key: %w", err)
	}
	if ct.RowsAffected() == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// Setting returns the value of a setting, creating it with gen() when it
// does not exist yet. The first writer wins, on any node: every node then
// reads the same value.
func (db *DB) Setting(ctx context.Context, key string, gen func() (string, error)) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: setting %s: %w", key, err)
	}
	nv, err := gen()
	if err != nil {
		return "", err
	}
	if _, err := db.pool.Exec(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, nv); err != nil {
		return "", fmt.Errorf("postgres: setting %s: %w", key, err)
	}
	if err := db.pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: setting %s: %w", key, err)
	}
	return v, nil
}
