package postgres_test

import (
	"testing"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/store/storetest"
)

func TestFXConformance(t *testing.T) {
	t.Parallel()
	storetest.RunFX(t, func(t *testing.T) fx.Store { return open(t, testDSN(t), nil) })
}
