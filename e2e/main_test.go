package e2e

import (
	"os"
	"os/exec"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/internal/testenv/reap"
)

// TestMain runs the rehearsals in a network namespace of their own (as
// root): they bind fixed loopback addresses (127.0.1.1-5), so two runs at
// once would otherwise collide, and inside it nothing but loopback answers.
// The modules okdctl and the test doubles need are fetched first, outside,
// since the tests build them.
func TestMain(m *testing.M) {
	reap.MainInPrivateNetwork(m, func() error {
		cmd := exec.Command("go", "list", "-e", "-deps", "./...")
		cmd.Dir, cmd.Stderr = testenv.RepoRoot(), os.Stderr
		cmd.Stdout = nil // the package list is not wanted
		return cmd.Run()
	})
}
