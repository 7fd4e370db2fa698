package realhost

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ownCgroups makes a control group of the container's own, below the
// caller's, in each hierarchy systemd tracks processes with (a legacy or
// hybrid host's name=systemd one, and the unified one). systemd-nspawn
// without a systemd on the host runs the container in its caller's group,
// so two bastions booted at once (two test packages run in parallel) would
// share /system.slice/<unit>.service: each container's systemd then waits
// for, or kills, the other's processes. It returns the groups made.
func ownCgroups(name string) ([]string, error) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("failed to read this process's control groups: %w", err)
	}
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		mount := ""
		switch {
		case parts[1] == "name=systemd":
			mount = "/sys/fs/cgroup/systemd"
		case parts[0] == "0" && parts[1] == "":
			mount = "/sys/fs/cgroup/unified" // hybrid
			if _, err := os.Stat(filepath.Join(mount, "cgroup.procs")); err != nil {
				mount = "/sys/fs/cgroup" // unified only
			}
		default:
			continue
		}
		if _, err := os.Stat(filepath.Join(mount, "cgroup.procs")); err != nil {
			continue
		}
		dir := filepath.Join(mount, parts[2], name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return dirs, fmt.Errorf("failed to make the container's control group %s: %w", dir, err)
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// removeCgroups removes the groups ownCgroups made and every group the
// container's systemd made inside them, deepest first, once their
// processes are gone (it retries for a few seconds); it reports what stays.
func removeCgroups(dirs []string) []string {
	var left []string
	for _, top := range dirs {
		var all []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		sort.Slice(all, func(i, j int) bool { return strings.Count(all[i], "/") > strings.Count(all[j], "/") })
		for _, d := range all {
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				err := os.Remove(d)
				if err == nil || os.IsNotExist(err) {
					break
				}
				if time.Now().After(deadline) {
					left = append(left, d)
					break
				}
			}
		}
	}
	return left
}
