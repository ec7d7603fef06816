package postgres_test

import (
	"context"
	"testing"

	"github.com/glint-economy/glint/internal/audit"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestAuditConformance(t *testing.T) {
	t.Parallel()
	storetest.RunAudit(t, func(t *testing.T) storetest.AuditEngine {
		db := open(t, testDSN(t), nil)
		return storetest.AuditEngine{
			Store: db,
			Exec: func(ctx context.Context, query string) error {
				_, err := db.Pool().Exec(ctx, query)
				return err
			},
		}
	})
}

// TestAuditNoTruncate: on PostgreSQL, TRUNCATE (which skips row triggers)
// is refused too.
func TestAuditNoTruncate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t, testDSN(t), nil)
	if err := db.AppendAudit(ctx, []audit.Entry{{Actor: "user:v1", Scope: audit.ScopeUser, Action: "send-gift", Method: "POST", Path: "/v1/streams/s1/gifts", Status: 201, Outcome: audit.OutcomeOK}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, "TRUNCATE audit_log"); err == nil {
		t.Fatal("TRUNCATE audit_log succeeded, want it refused")
	}
	es, err := db.Audit(ctx, audit.Filter{})
	if err != nil || len(es) != 1 {
		t.Fatalf("after a refused TRUNCATE: %d entries, %v; want 1", len(es), err)
	}
}
