package testenv

import (
	"os"
	"os/exec"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv/reap"
)

// MainInPrivateNetwork is the TestMain of packages whose tests bind fixed
// loopback addresses (the rehearsals, the README's walkthrough): the tests
// run in a network namespace of their own with only lo (as root), after
// the modules the tests build okdctl and its doubles with are fetched,
// outside, where the module proxy is reachable.
func MainInPrivateNetwork(m *testing.M) {
	reap.MainInPrivateNetwork(m, func() error {
		cmd := exec.Command("go", "list", "-e", "-deps", "./...")
		cmd.Dir, cmd.Stderr = RepoRoot(), os.Stderr
		return cmd.Run() // the package list on stdout is not wanted
	})
}
