package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built is the glint binary the end-to-end tests run, built once per test
// run by glintBinary and removed by TestMain.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// glintBinary builds ./cmd/glint into a temp dir, once, and returns its path.
func glintBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the glint binary; skipped with -short")
	}
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = err
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "glint-e2e-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "glint")
		cmd := exec.Command(goTool, "build", "-o", built.path, "github.com/glint-economy/glint/cmd/glint")
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build ./cmd/glint: %v\n%s", built.err, built.out)
	}
	return built.path
}
