package realhost

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Reboot reboots the container the way a user would (systemctl reboot)
// and waits until the new boot is running. systemd-nspawn ends on a
// reboot; the same root directory is booted again, with a new PID 1 and a
// new private network namespace whose addresses systemd-networkd sets.
func (c *Container) Reboot() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Command(ctx, "systemctl", "reboot").Run()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.t.Fatalf("the container did not stop within 60 s of systemctl reboot\nconsole:\n%s", c.Console())
	}
	if code := c.nspawn.ProcessState.ExitCode(); code != 133 {
		c.t.Logf("systemd-nspawn exited %d on reboot (133 expected)", code)
	}
	c.start()
}

// teardown kills the container by its PID 1 (the kernel then kills every
// process in its PID namespace and systemd-nspawn's mounts go with its
// mount namespace) and checks that nothing is left.
func (c *Container) teardown() {
	if c.nspawn == nil {
		return
	}
	if c.t.Failed() && c.pid > 0 && !c.exited() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, _ := c.Command(ctx, "journalctl", "--no-pager", "-n", "150", "-o", "short-monotonic").CombinedOutput()
		cancel()
		c.t.Logf("the bastion's journal (last 150 lines):\n%s", out)
	}
	pidns := nsInode(c.pid, "pid")
	if !c.exited() {
		syscall.Kill(c.pid, syscall.SIGKILL)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-c.nspawn.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	if left := processesIn(pidns); len(left) > 0 {
		c.t.Errorf("processes left in the container's PID namespace after teardown: %v", left)
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	if m := mountsUnder(c.base); len(m) > 0 {
		c.t.Errorf("mounts left under the container's root after teardown:\n%s", strings.Join(m, "\n"))
	}
}

// nsInode is the namespace identity of a process ("pid:[4026532...]").
func nsInode(pid int, ns string) string {
	if pid <= 0 {
		return ""
	}
	link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	return link
}

// processesIn lists the host PIDs of processes in a PID namespace.
func processesIn(pidns string) []int {
	if pidns == "" {
		return nil
	}
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		var pid int
		fmt.Sscan(filepath.Base(d), &pid)
		if nsInode(pid, "pid") == pidns {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists the host's mount points under dir.
func mountsUnder(dir string) []string {
	var out []string
	for _, f := range []string{"/proc/self/mountinfo", "/proc/1/mountinfo"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n") {
			if fields := strings.Fields(line); len(fields) > 4 && strings.HasPrefix(fields[4], dir) {
				out = append(out, fields[4])
			}
		}
	}
	return out
}
