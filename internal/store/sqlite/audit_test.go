package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestAuditConformance(t *testing.T) {
	t.Parallel()
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditEngine {
		db, path := openTemp(t, nil)
		return storetest.AuditEngine{
			Store: db,
			// A connection of its own, as any other client of the file.
			Exec: func(ctx context.Context, query string) error {
				raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
				if err != nil {
					return err
				}
				defer raw.Close()
				_, err = raw.ExecContext(ctx, query)
				return err
			},
		}
	})
}
