package ignition

import (
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/internal/golden"
)

// assertGolden compares got with testdata/<name>.golden (rewritten with -update).
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name+".golden"), got)
}
