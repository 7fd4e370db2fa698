package bastion

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestUnitListens puts a process in a control group of its own (as systemd
// does a unit's) and sees unitListens turn true once it holds a listening
// socket, and false for a group without one or none at all.
func TestUnitListens(t *testing.T) {
	t.Parallel()
	var hier string
	for _, h := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(h, "cgroup.procs")); err == nil {
			hier = h
			break
		}
	}
	group := fmt.Sprintf("/okdctl-listen-test-%d", os.Getpid())
	if hier == "" || os.Mkdir(filepath.Join(hier, group), 0o755) != nil {
		t.Fatalf("cannot make a control group under /sys/fs/cgroup (run as root on a machine with cgroups)")
	}
	t.Cleanup(func() { _ = os.Remove(filepath.Join(hier, group)) })
	addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	cmd := exec.Command("sh", "-c", `read go; exec perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => $ARGV[0], Listen => 5) or die; sleep 60' "$1"`, "sh", addr)
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := os.WriteFile(filepath.Join(hier, group, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	if unitListens(group) {
		t.Error("a group whose process listens on nothing listens")
	}
	if unitListens("/okdctl-no-such-group") || unitListens("") {
		t.Error("a group that does not exist listens")
	}
	fmt.Fprintln(stdin, "go")
	for deadline := time.Now().Add(10 * time.Second); !unitListens(group); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the group's process listens on %s, unitListens does not see it", addr)
		}
	}
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
