package postgres_test

import (
	"testing"

	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestReports(t *testing.T) {
	t.Parallel()
	storetest.RunReports(t, engine)
}
