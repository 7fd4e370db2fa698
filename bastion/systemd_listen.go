package bastion

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// unitListens reports whether a process of the unit's control group holds
// a listening TCP socket or a bound UDP socket: the program got past
// reading its configuration and binding its ports. It reads the cgroup
// file system and /proc; false when it cannot tell.
func unitListens(controlGroup string) bool {
	if controlGroup == "" {
		return false
	}
	var pids []string
	// the unified hierarchy, or a hybrid or legacy host's systemd ones
	for _, h := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"} {
		if procs, err := os.ReadFile(filepath.Join(h, controlGroup, "cgroup.procs")); err == nil {
			pids = strings.Fields(string(procs))
			break
		}
	}
	if len(pids) == 0 {
		return false
	}
	// the unit's processes share one network namespace: its tables once
	listening := map[string]bool{}
	for table, state := range map[string]string{"tcp": "0A", "tcp6": "0A", "udp": "07", "udp6": "07"} {
		socketsInState(filepath.Join("/proc", pids[0], "net", table), state, listening)
	}
	if len(listening) == 0 {
		return false
	}
	for _, pid := range pids {
		if holdsOne(filepath.Join("/proc", pid, "fd"), listening) {
			return true
		}
	}
	return false
}

// socketsInState adds the inodes of a /proc/net table's sockets in state
// (0A: TCP LISTEN; 07: UDP bound, unconnected).
func socketsInState(path, state string, into map[string]bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 10 && fields[3] == state && fields[9] != "0" {
			into[fields[9]] = true
		}
	}
}
