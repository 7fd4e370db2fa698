package vmnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// Site is a site's own DHCP server (and, when its configuration says
// so, TFTP server) on the bridge: dnsmasq in a network namespace of its
// own, the one a proxy-DHCP bastion stands beside or that sends machines
// to the site's pxelinux or GRUB.
type Site struct {
	name   string
	log    string
	holder *exec.Cmd
	srv    *exec.Cmd
	stop   sync.Once
}

// Site starts dnsmasq with conf (which should say interface=<name>0) on
// veth <name>0 with address (CIDR), its peer <name>1 on the bridge. It
// ends with Stop or with t.
func (b *Bridge) Site(t testing.TB, name, address, conf string) *Site {
	t.Helper()
	s := &Site{name: name, holder: exec.Command("unshare", "-n", "sleep", "3600")}
	if err := s.holder.Start(); err != nil {
		t.Fatalf("failed to make the site's network namespace: %v", err)
	}
	t.Cleanup(s.Stop)
	pid := fmt.Sprint(s.holder.Process.Pid)
	ip(t, "link", "add", name+"0", "type", "veth", "peer", "name", name+"1")
	ip(t, "link", "set", name+"1", "master", b.Name, "up")
	ip(t, "link", "set", name+"0", "netns", pid)
	for _, args := range [][]string{{"link", "set", "lo", "up"}, {"addr", "add", address, "dev", name + "0"}, {"link", "set", name + "0", "up"}} {
		if out, err := exec.Command("nsenter", append([]string{"-t", pid, "-n", "ip"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s in the site's namespace: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "site-dnsmasq.conf")
	s.log = filepath.Join(dir, "site-dnsmasq.log")
	if err := os.WriteFile(path, []byte(conf+"\ndhcp-leasefile="+dir+"/leases\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.srv = exec.Command("nsenter", "-t", pid, "-n", "dnsmasq", "--keep-in-foreground", "--conf-file="+path, "--pid-file=",
		"--user=root", "--log-facility="+s.log)
	if err := s.srv.Start(); err != nil {
		t.Fatalf("failed to start the site's DHCP server: %v", err)
	}
	return s
}

// Stop ends the site's server and takes its link off the bridge.
func (s *Site) Stop() {
	s.stop.Do(func() {
		if s.srv != nil && s.srv.Process != nil {
			_ = s.srv.Process.Kill()
			_ = s.srv.Wait()
		}
		_ = s.holder.Process.Kill()
		_ = s.holder.Wait()
		_ = exec.Command("ip", "link", "del", s.name+"1").Run()
	})
}

// Log is what the site's dnsmasq logged so far (DHCP and TFTP).
func (s *Site) Log() string {
	data, _ := os.ReadFile(s.log)
	return string(data)
}
