package quickstart

import (
	"os"
	"os/exec"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/internal/testenv/reap"
)

// TestMain runs the tests in a network namespace of their own with only lo
// (as root): the README's addresses (127.0.1.1:15353, 127.0.0.1:15001, ...)
// are fixed. The modules the tests build with are fetched first, outside.
func TestMain(m *testing.M) {
	reap.MainInPrivateNetwork(m, func() error {
		cmd := exec.Command("go", "list", "-e", "-deps", "./...")
		cmd.Dir, cmd.Stderr = testenv.RepoRoot(), os.Stderr
		return cmd.Run()
	})
}
