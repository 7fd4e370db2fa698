package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// FakeOpenShiftInstall builds the openshift-install test double
// (internal/fakeinstall) into the test's temporary directory and returns
// its path, named openshift-install. Its environment knobs are documented
// in internal/fakeinstall.
func FakeOpenShiftInstall(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "openshift-install")
	cmd := exec.Command("go", "build", "-o", out, "./internal/fakeinstall")
	cmd.Dir = RepoRoot()
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to build the openshift-install test double: %v\n%s", err, msg)
	}
	return out
}
