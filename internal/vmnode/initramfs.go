package vmnode

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed init.sh
var initScript []byte

//go:embed dhcp-report.sh
var dhcpReport []byte

// CacheDir holds the kernel `make vmkernel` unpacks: <version>/vmlinuz and
// <version>/<module>.ko for each of Modules.
const CacheDir = "/var/cache/okdctl-test/vm"

// Modules are the NIC modules the live system loads, in load order: e1000
// (machines booted by iPXE's ROM) and virtio-net with what it needs
// (machines booted by the firmware's own PXE client). Keep in step with
// scripts/vmkernel.sh.
var Modules = []string{"e1000", "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
	"failover", "net_failover", "virtio_net"}

// Busybox is busybox-static's binary.
const Busybox = "/bin/busybox"

// Kernel is the cached Debian kernel; Dir holds its Modules.
type Kernel struct {
	Version, Vmlinuz, Dir string
}

// Module is the path of module name (one of Modules).
func (k Kernel) Module(name string) string { return filepath.Join(k.Dir, name+".ko") }

// FindKernel returns the newest kernel in CacheDir, or an error naming
// the make target that puts one there.
func FindKernel() (Kernel, error) {
	dirs, _ := filepath.Glob(filepath.Join(CacheDir, "*", "vmlinuz"))
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		dir := filepath.Dir(dirs[i])
		k := Kernel{Version: filepath.Base(dir), Vmlinuz: dirs[i], Dir: dir}
		if k.complete() {
			return k, nil
		}
	}
	return Kernel{}, fmt.Errorf("no kernel for the virtual machines in %s: run `make vmkernel`", CacheDir)
}

func (k Kernel) complete() bool {
	for _, m := range Modules {
		if _, err := os.Stat(k.Module(m)); err != nil {
			return false
		}
	}
	return true
}

// InitramfsOptions shape an initramfs.
type InitramfsOptions struct {
	// InstallerLines are the nodes' coreos-installer commands (`okdctl
	// boot` text): the live system's user types the node's one, and its
	// --ignition-hash is what the fetched ignition is checked against.
	InstallerLines string
	// DHCP makes the machine ask the bastion's DHCP server for a lease
	// before it configures ip= and report the answer.
	DHCP bool
}

// Initramfs builds the machines' initramfs (a newc cpio archive): busybox,
// the NIC modules (lib/modules/order lists them in load order), init.sh as
// /init and the options' files.
func Initramfs(k Kernel, o InitramfsOptions) ([]byte, error) {
	bb, err := os.ReadFile(Busybox)
	if err != nil {
		return nil, fmt.Errorf("failed to read busybox: %w (run `make tools`: busybox-static)", err)
	}
	w := &cpioWriter{}
	for _, d := range []string{"bin", "dev", "etc", "etc/okdctl", "lib", "lib/modules", "proc", "sys", "tmp"} {
		w.dir(d)
	}
	w.file("bin/busybox", bb, 0o755)
	w.file("bin/dhcp-report", dhcpReport, 0o755)
	w.file("init", initScript, 0o755)
	for _, m := range Modules {
		mod, err := os.ReadFile(k.Module(m))
		if err != nil {
			return nil, fmt.Errorf("failed to read the %s module: %w (run `make vmkernel`)", m, err)
		}
		w.file("lib/modules/"+m+".ko", mod, 0o644)
	}
	w.file("lib/modules/order", []byte(strings.Join(Modules, "\n")+"\n"), 0o644)
	w.file("etc/okdctl/coreos-installer", []byte(o.InstallerLines), 0o644)
	if o.DHCP {
		w.file("etc/okdctl/dhcp", nil, 0o644)
	}
	return w.close(), nil
}

// cpioWriter writes the newc format the kernel unpacks.
type cpioWriter struct {
	buf bytes.Buffer
	ino int
}

func (w *cpioWriter) header(name string, mode, size int) {
	w.ino++
	fmt.Fprintf(&w.buf, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		w.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	w.buf.WriteString(name + "\x00")
	w.pad()
}

func (w *cpioWriter) pad() {
	for w.buf.Len()%4 != 0 {
		w.buf.WriteByte(0)
	}
}

func (w *cpioWriter) dir(name string) { w.header(name, 0o040755, 0) }

func (w *cpioWriter) file(name string, data []byte, perm int) {
	w.header(name, 0o100000|perm, len(data))
	w.buf.Write(data)
	w.pad()
}

func (w *cpioWriter) close() []byte {
	w.header("TRAILER!!!", 0, 0)
	return w.buf.Bytes()
}

// InstallerLines picks the coreos-installer commands out of `okdctl boot`
// text output.
func InstallerLines(bootText string) string {
	var b strings.Builder
	for _, l := range strings.Split(bootText, "\n") {
		if l = strings.TrimSpace(l); strings.Contains(l, "coreos-installer install") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
