package realhost

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The environment a helper process finds its container by.
const (
	envPID  = "OKDCTL_REALHOST_PID"
	envRoot = "OKDCTL_REALHOST_ROOT"
)

// RunInNetns runs the test named name of this test binary as a helper
// process inside the container's network namespace only (nsenter -n): it
// keeps the host's files and programs but its sockets, like a machine on
// the lab network, reach only the container's addresses. The helper finds
// the container with Attach. Its output is logged; its failure fails t.
func (c *Container) RunInNetns(t testing.TB, name string, timeout time.Duration, env ...string) {
	t.Helper()
	args := []string{"-t", strconv.Itoa(c.pid), "-n", "--", os.Args[0],
		"-test.run=^" + name + "$", "-test.v", "-test.count=1", "-test.timeout=" + timeout.String()}
	cmd := exec.Command("nsenter", args...)
	cmd.Env = append(append(os.Environ(), envPID+"="+strconv.Itoa(c.pid), envRoot+"="+c.Root), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("helper %s in the lab network:\n%s", name, indent(out.String()))
	if err != nil {
		t.Fatalf("helper %s failed: %v", name, err)
	}
	if !strings.Contains(out.String(), "--- PASS: "+name) {
		t.Fatalf("helper %s did not run (no PASS line)", name)
	}
}

// Attach is, inside a helper process started by RunInNetns, the container
// that started it; ok is false in any other process. The container is not
// torn down when the helper ends: its owner does that.
func Attach(t testing.TB) (c *Container, ok bool) {
	pid, err := strconv.Atoi(os.Getenv(envPID))
	if err != nil || pid <= 0 {
		return nil, false
	}
	return &Container{t: t, Root: os.Getenv(envRoot), pid: pid}, true
}

// MustAttach is Attach for a helper test: run outside RunInNetns it skips,
// saying which test runs it.
func MustAttach(t *testing.T, owner string) *Container {
	t.Helper()
	c, ok := Attach(t)
	if !ok {
		t.Skipf("a helper process: %s runs it inside the real bastion's network", owner)
	}
	return c
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
