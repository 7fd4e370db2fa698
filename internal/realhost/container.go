package realhost

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// The seed's lab network: the bastion and the machines it serves.
const (
	BastionIP   = "192.168.120.101"
	BootstrapIP = "192.168.120.102"
	MasterIP    = "192.168.120.103"
	WorkerIP    = "192.168.120.104"
	// Link holds the lab addresses; it is one end of a veth pair whose
	// other end (LinkPeer) is also inside (this kernel has no dummy links).
	Link     = "lab0"
	LinkPeer = "lab1"
)

// LabAddresses are the seed's addresses, all on Link inside the container.
var LabAddresses = []string{BastionIP + "/24", BootstrapIP + "/24", MasterIP + "/24", WorkerIP + "/24"}

// Options shape a container.
type Options struct {
	// Addresses (CIDR) are configured on Link by the container's own
	// systemd-networkd, so they come back after a reboot; default LabAddresses.
	Addresses []string
	// BootTimeout bounds each boot until `systemctl is-system-running`
	// says running or degraded (default 90 s).
	BootTimeout time.Duration
	// Flavour is the bastion booted: Bare (the README's packages only) or
	// DebianServices (plus Debian's etcd, docker-registry and firewalld).
	Flavour Flavour
}

// Container is a Debian bastion booted with systemd as PID 1 in a private
// network namespace. Its root is an overlay of the cached, unpacked root
// file system (read-only) and a per-test upper directory, mounted in a
// mount namespace of its own that ends with systemd-nspawn: nothing is
// mounted on the host.
type Container struct {
	t testing.TB
	// Root shows the running container's root directory on the host
	// (a link to /proc/<PID 1>/root, renewed on reboot).
	Root string
	opts Options
	// base holds upper/, work/ and the mount point merged/ (mode 0755).
	base string
	// nspawn is the running systemd-nspawn; pid its PID 1 on the host.
	nspawn  *exec.Cmd
	done    chan struct{}
	console *bastion.SyncBuffer
	pid     int
	// Boots counts the boots; BootTimes their durations.
	Boots     int
	BootTimes []time.Duration
	// Unpack is how long unpacking the tarball took (0 when the unpacked
	// tree was cached already).
	Unpack time.Duration
}

// Boot boots a fresh bastion from the cached root file system and waits
// until systemd reports running or degraded. The container is torn down by
// its PID when the test ends, whatever happened.
func Boot(t testing.TB, o Options) *Container {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a Debian bastion with systemd; make test runs it")
	}
	if len(o.Addresses) == 0 {
		o.Addresses = LabAddresses
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = 90 * time.Second
	}
	for _, tool := range []string{"systemd-nspawn", "nsenter", "unshare", "zstd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to boot the real bastion: run `make tools`", tool)
		}
	}
	start := time.Now()
	unpacked, err := Tree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lowerDirs(o.Flavour); err != nil {
		t.Fatal(err)
	}
	c := &Container{t: t, base: t.TempDir(), opts: o}
	c.Unpack = unpacked
	c.Root = filepath.Join(c.base, "root")
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(c.base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.teardown)
	c.writeNetwork()
	c.start()
	t.Logf("bastion booted in %s", time.Since(start).Round(time.Millisecond))
	return c
}

// writeNetwork configures Link and its addresses for systemd-networkd:
// static IPv4 only, so that network-online.target is reached at once.
func (c *Container) writeNetwork() {
	netdev := fmt.Sprintf("[NetDev]\nName=%s\nKind=veth\n\n[Peer]\nName=%s\n", Link, LinkPeer)
	var network strings.Builder
	fmt.Fprintf(&network, "[Match]\nName=%s\n\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n", Link)
	for _, a := range c.opts.Addresses {
		fmt.Fprintf(&network, "Address=%s\n", a)
	}
	peer := fmt.Sprintf("[Match]\nName=%s\n\n[Link]\nRequiredForOnline=no\n\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n", LinkPeer)
	for name, data := range map[string]string{"10-lab.netdev": netdev, "10-lab.network": network.String(), "11-lab-peer.network": peer} {
		p := filepath.Join(c.base, "upper/etc/systemd/network", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
}

// start runs systemd-nspawn, finds the container's PID 1 and waits for the boot.
func (c *Container) start() {
	t := c.t
	t.Helper()
	begin := time.Now()
	c.console = &bastion.SyncBuffer{}
	merged := filepath.Join(c.base, "merged")
	lower, err := lowerDirs(c.opts.Flavour)
	if err != nil {
		t.Fatal(err)
	}
	overlay := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, filepath.Join(c.base, "upper"), filepath.Join(c.base, "work"))
	// unshare and sh exec: the PID is systemd-nspawn's, and the overlay
	// lives only in its mount namespace
	script := `mount -t overlay okdctl-bastion -o "$1" "$2" && exec systemd-nspawn --keep-unit --register=no -b --private-network -D "$2" --machine=okdctl-bastion --hostname=bastion --console=read-only --resolv-conf=off --timezone=off --link-journal=no --quiet`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", overlay, merged)
	cmd.Stdout, cmd.Stderr = c.console, c.console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start systemd-nspawn: %v", err)
	}
	c.nspawn, c.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(c.done)
	pid, err := c.findInit(15 * time.Second)
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, c.console.String())
	}
	c.pid = pid
	c.linkRoot()
	if err := c.waitRunning(c.opts.BootTimeout); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, c.console.String())
	}
	c.Boots++
	c.BootTimes = append(c.BootTimes, time.Since(begin))
}

// linkRoot points Root at the running container's root.
func (c *Container) linkRoot() {
	tmp := c.Root + ".new"
	os.Remove(tmp)
	if err := os.Symlink(fmt.Sprintf("/proc/%d/root", c.pid), tmp); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, c.Root); err != nil {
		c.t.Fatal(err)
	}
}

// PID is the container's PID 1 as the host sees it.
func (c *Container) PID() int { return c.pid }

// findInit finds the child of systemd-nspawn that is PID 1 of its own PID namespace.
func (c *Container) findInit(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.exited() {
			return 0, fmt.Errorf("systemd-nspawn exited: %v", c.nspawn.ProcessState)
		}
		if pid := initOf(c.nspawn.Process.Pid); pid > 0 {
			return pid, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("systemd-nspawn (pid %d) started no init within %s", c.nspawn.Process.Pid, timeout)
}

// initOf is the process under parent whose PID in its own namespace is 1.
func initOf(parent int) int {
	for _, pid := range children(parent) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "NSpid:" && f[len(f)-1] == "1" {
				return pid
			}
		}
		if p := initOf(pid); p > 0 {
			return p
		}
	}
	return 0
}

// children lists the PIDs whose parent is pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(data)) {
			var p int
			fmt.Sscan(w, &p)
			out = append(out, p)
		}
	}
	return out
}

// waitRunning waits until systemd inside reports running or degraded.
func (c *Container) waitRunning(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var state string
	for time.Now().Before(deadline) {
		if c.exited() {
			return fmt.Errorf("the container stopped while booting: %v", c.nspawn.ProcessState)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, _ := c.Command(ctx, "systemctl", "is-system-running").Output()
		cancel()
		state = strings.TrimSpace(string(out))
		switch state {
		case "running":
			return nil
		case "degraded":
			failed, _ := c.Output(context.Background(), "systemctl", "--failed", "--no-legend", "--plain")
			c.t.Logf("the bastion booted degraded; failed units:\n%s", failed)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	jobs, _ := c.Output(context.Background(), "systemctl", "list-jobs", "--no-pager")
	return fmt.Errorf("the bastion did not finish booting within %s (systemctl is-system-running: %q); jobs:\n%s", timeout, state, jobs)
}

func (c *Container) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Env is the environment of commands run inside, as a root login has it.
var Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "LANG=C.UTF-8", "TERM=dumb", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}

// Command runs name inside every namespace of the container (nsenter -a),
// with Env plus extra.
func (c *Container) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	full := append([]string{"-t", fmt.Sprint(c.pid), "-a", "--", name}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", full...)
	cmd.Env = append([]string{}, Env...)
	return cmd
}

// Output runs a command inside and returns its combined output; the error
// names the command and carries the output.
func (c *Container) Output(ctx context.Context, name string, args ...string) (string, error) {
	out, err := c.Command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s in the container: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// MustRun runs a command inside and fails the test unless it succeeds.
func (c *Container) MustRun(name string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := c.Output(ctx, name, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// Path is a path inside the container as the host sees it.
func (c *Container) Path(p string) string { return filepath.Join(c.Root, p) }

// WriteFile writes a file inside the container (parents made 0755).
func (c *Container) WriteFile(p string, data []byte, mode os.FileMode) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Dir(c.Path(p)), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(c.Path(p), data, mode); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Chmod(c.Path(p), mode); err != nil {
		c.t.Fatal(err)
	}
}

// CopyIn copies a host file into the container.
func (c *Container) CopyIn(src, dst string, mode os.FileMode) {
	c.t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		c.t.Fatal(err)
	}
	c.WriteFile(dst, data, mode)
}

// Console is what systemd-nspawn and the container's console printed.
func (c *Container) Console() string { return c.console.String() }
