package vmnode

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Bridge is the machines' network: a bridge with the bastion's link and
// one tap per machine. It must be made inside a network namespace the test
// created (the real bastion's: see realhost.Container.RunInNetns), never
// on the host's own.
type Bridge struct {
	Name string
}

// NewBridge makes bridge name, plugs uplink (the bastion's side of the lab
// network) into it and adds one tap per name in taps. Everything is
// removed when t ends.
func NewBridge(t testing.TB, name, uplink string, taps ...string) *Bridge {
	t.Helper()
	ip(t, "link", "add", name, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", name).Run() })
	ip(t, "link", "set", uplink, "master", name)
	ip(t, "link", "set", name, "up")
	for _, tap := range taps {
		ip(t, "tuntap", "add", "dev", tap, "mode", "tap")
		tap := tap
		t.Cleanup(func() { _ = exec.Command("ip", "link", "del", tap).Run() })
		ip(t, "link", "set", tap, "master", name, "up")
	}
	return &Bridge{Name: name}
}

func ip(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Tap names the tap device of machine i.
func Tap(i int) string { return fmt.Sprintf("vmtap%d", i) }

// DHCPProbe asks for a lease from the bridge with busybox's udhcpc on a
// veth whose MAC is mac (no machine needed): it reports whether any DHCP
// server answered within about three seconds, and udhcpc's output.
func (b *Bridge) DHCPProbe(t testing.TB, mac string) (bool, string) {
	t.Helper()
	host, port := "dhcpprobe0", "dhcpprobe1"
	ip(t, "link", "add", host, "address", mac, "type", "veth", "peer", "name", port)
	defer func() { _ = exec.Command("ip", "link", "del", host).Run() }()
	ip(t, "link", "set", port, "master", b.Name, "up")
	ip(t, "link", "set", host, "up")
	out, err := exec.Command(Busybox, "udhcpc", "-f", "-n", "-q", "-t", "3", "-T", "1", "-i", host, "-s", "/bin/true").CombinedOutput()
	return err == nil, string(out)
}
