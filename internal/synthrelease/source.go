package synthrelease

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

// StartSource runs a plain-HTTP, anonymous registry (okdctl serve registry) on loopback for
// the test: the "internet" registry a release comes from. It returns host:port.
func StartSource(t testing.TB) string {
	t.Helper()
	addr, _ := StartSourceIn(t, t.TempDir())
	return addr
}

// StartSourceIn is StartSource with its storage under dir/data; it also
// returns the registry's process ID (benchmarks read its CPU time).
func StartSourceIn(t testing.TB, dir string) (string, int) {
	t.Helper()
	addr, p := startSource(t, dir)
	return addr, p.Cmd.Process.Pid
}

// StartSourceProcess is StartSource that also returns the registry's
// process, for tests that take the "internet" away.
func StartSourceProcess(t testing.TB) (string, *testenv.Process) {
	t.Helper()
	return startSource(t, t.TempDir())
}

func startSource(t testing.TB, dir string) (string, *testenv.Process) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t, "127.0.0.1"))
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testenv.Start(t, testenv.Okdctl(t), "serve", "registry", path)
	testenv.WaitTCP(t, addr, 20*time.Second)
	return addr, p
}
