package spec

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// hostAddr rejects the network and broadcast addresses of the machine
// network, which no machine can have (prefixes up to /30).
func (v *validator) hostAddr(path string, ip netip.Addr, machine netip.Prefix) {
	if !machine.IsValid() || machine.Bits() > 30 || !machine.Contains(ip) {
		return
	}
	if ip == machine.Masked().Addr() {
		v.add(path, msgNetworkAddr, ip, machine)
	}
	if ip == broadcast(machine) {
		v.add(path, msgBroadcastAddr, ip, machine)
	}
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// diskAndNIC checks what coreos-installer and the static network need of
// a node: a /dev path for the disk and the interface for the address.
func (v *validator) diskAndNIC(path string, n Node) {
	if n.Disk != "" && !strings.HasPrefix(n.Disk, "/") && !strings.ContainsAny(n.Disk, " \t") {
		v.add(path+".disk", msgBareDisk, n.Disk)
	} else if !strings.HasPrefix(n.Disk, "/dev/") || strings.ContainsAny(n.Disk, " \t") || len(n.Disk) <= len("/dev/") {
		v.add(path+".disk", msgDisk, n.Disk)
	}
	if n.NIC == "" {
		v.add(path+".nic", msgNICRequired)
	} else if !nicRE.MatchString(n.NIC) {
		v.add(path+".nic", msgNIC, n.NIC)
	}
}

// minTimeouts are the shortest waits a real machine can meet; the sandbox
// (a machine network on loopback, simulated nodes) may wait less.
var minTimeouts = []struct {
	field, what string
	min, def    time.Duration
	get         func(*Timeouts) time.Duration
}{
	{"api", "the API server's first start", time.Minute, DefaultAPITimeout, func(t *Timeouts) time.Duration { return t.API.Duration }},
	{"bootstrap", "a bootstrap", 2 * time.Minute, DefaultBootstrapTimeout, func(t *Timeouts) time.Duration { return t.Bootstrap.Duration }},
	{"etcdBootstrap", "the bootstrap member's removal from etcd", 30 * time.Second, DefaultEtcdBootstrapTimeout, func(t *Timeouts) time.Duration { return t.EtcdBootstrap.Duration }},
	{"nodes", "a node's install and first boot", 2 * time.Minute, DefaultNodesTimeout, func(t *Timeouts) time.Duration { return t.Nodes.Duration }},
	{"install", "the operators' roll-out", 2 * time.Minute, DefaultInstallTimeout, func(t *Timeouts) time.Duration { return t.Install.Duration }},
}

func (v *validator) timeouts(s *ClusterSpec) {
	if p, err := netip.ParsePrefix(s.Network.MachineCIDR); err == nil && p.Addr().IsLoopback() {
		return // the sandbox: simulated nodes do in seconds what machines do in minutes
	}
	for _, m := range minTimeouts {
		if d := m.get(&s.Timeouts); d > 0 && d < m.min {
			v.add("spec.timeouts."+m.field, msgTimeoutShort, d, m.what, m.min, m.def)
		}
	}
}

// imageScheme reports an image reference written as a URL.
func (v *validator) imageScheme(path, ref string) bool {
	scheme, _, ok := strings.Cut(ref, "://")
	if !ok {
		return false
	}
	v.add(path, msgImageScheme, ref, scheme+"://")
	return true
}

// localFiles checks that the CoreOS media and openshift-install given as
// local paths exist (URLs are fetched, bare tool names found on PATH, later).
func (v *validator) localFiles(s *ClusterSpec) {
	for _, f := range []struct{ path, val string }{
		{"spec.coreos.image", s.CoreOS.Image}, {"spec.coreos.kernel", s.CoreOS.Kernel},
		{"spec.coreos.initramfs", s.CoreOS.Initramfs}, {"spec.coreos.rootfs", s.CoreOS.Rootfs},
	} {
		if f.val != "" && !strings.Contains(f.val, "://") && missing(f.val) {
			v.add(f.path, msgMissingMedia, f.val)
		}
	}
	tool := s.OpenShiftInstall
	if !strings.Contains(tool, "/") || !missing(tool) {
		return
	}
	if filepath.Base(tool) == "openshift-install-double" {
		v.add("spec.openshiftInstall", msgMissingDouble, tool)
		return
	}
	v.add("spec.openshiftInstall", msgMissingTool, tool)
}

func missing(p string) bool {
	_, err := os.Stat(p)
	return errors.Is(err, fs.ErrNotExist)
}
