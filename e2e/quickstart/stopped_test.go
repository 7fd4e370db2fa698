package quickstart

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// checkStopped fails the test when a process started under tree still
// runs or anything still listens in the test's network namespace (its own:
// every listener there is the walkthrough's). `okdctl down` returns once the
// services have exited, so this does not wait.
func checkStopped(t *testing.T, tree, after string) {
	t.Helper()
	if procs := processesUnder(tree); len(procs) > 0 {
		t.Errorf("after %s, still running:\n  %s", after, strings.Join(procs, "\n  "))
	}
	if socks := listeners(); len(socks) > 0 {
		t.Errorf("after %s, ports still held: %s", after, strings.Join(socks, ", "))
	}
}

// stopLeftovers stops what a failed walkthrough left running under tree:
// `okdctl down` first, then SIGKILL for anything still there.
func stopLeftovers(t *testing.T, tree string) {
	okdctl := filepath.Join(tree, "bin", "okdctl")
	records, _ := filepath.Glob(filepath.Join(tree, ".demo", "run", "okdctl", "*.json"))
	if len(records) > 0 {
		t.Logf("cleanup: %d sandbox services left under %s, running okdctl down", len(records), tree)
		r := run(t, tree, userEnv(), 2*time.Minute, okdctl, "down", "-f", "examples/sandbox.yaml", "--root", ".demo")
		t.Logf("cleanup: okdctl down (exit status %d):\n%s", r.code, r.out)
	}
	for _, p := range processesUnder(tree) {
		pid, _ := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
		t.Logf("cleanup: killing %s", p)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// processesUnder lists the processes whose command line names tree or
// whose working directory is in it.
func processesUnder(tree string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var found []string
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cmdline) == 0 { // gone, or a zombie
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(d, "cwd"))
		if !strings.Contains(string(cmdline), tree) && cwd != tree && !strings.HasPrefix(cwd, tree+"/") {
			continue
		}
		found = append(found, fmt.Sprintf("%d: %s", pid, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))))
	}
	return found
}

// listeners lists the TCP sockets listening and the UDP sockets bound in
// this network namespace, from /proc/net.
func listeners() []string {
	var found []string
	for _, f := range []struct{ name, state string }{{"tcp", "0A"}, {"tcp6", "0A"}, {"udp", "07"}, {"udp6", "07"}} {
		data, err := os.ReadFile("/proc/net/" + f.name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for _, line := range lines[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != f.state {
				continue
			}
			found = append(found, f.name[:3]+" "+procAddr(fields[1]))
		}
	}
	return found
}

// procAddr is /proc/net's local address as ip:port, e.g. 0101007F:3BC1 is
// 127.0.1.1:15297 (as it stands when it does not decode).
func procAddr(s string) string {
	ip, port, ok := bastion.ParseProcAddr(s)
	if !ok {
		return s
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(port))
}
