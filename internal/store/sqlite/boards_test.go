package sqlite_test

import (
	"testing"

	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestBoardsConformance(t *testing.T) {
	t.Parallel()
	storetest.RunBoards(t, engine)
}
