package installer

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/pxe"
)

// busyPXEPorts names who holds DHCP's UDP 67 (on any address: a DHCP
// server listens on all of them) or TFTP's UDP 69 on the bastion address,
// unless it is okdctl's own dnsmasq.
func busyPXEPorts(ctx context.Context, rc *RunContext) []string {
	if !pxeServed(rc) {
		return nil
	}
	if up, _ := rc.Host().Services.Running(ctx, pxe.ServiceName); up {
		return nil
	}
	var busy []string
	for _, p := range []struct {
		what, ip string
		port     int
	}{{"DHCP", "0.0.0.0", 67}, {"TFTP", rc.Spec().Bastion.IP, 69}} {
		u, err := net.ListenPacket("udp4", net.JoinHostPort(p.ip, strconv.Itoa(p.port)))
		if err == nil {
			u.Close()
			continue
		}
		busy = append(busy, busyPort("spec.pxe ("+p.what+")", p.ip, p.port, true, err))
	}
	return busy
}

// missingPXE says what spec.pxe needs on the bastion: dnsmasq and iPXE's binaries.
func missingPXE(rc *RunContext) []string {
	if !pxeServed(rc) {
		return nil
	}
	var out []string
	if _, err := bastion.LookPath("dnsmasq"); err != nil {
		out = append(out, "spec.pxe: dnsmasq is missing (Debian/Ubuntu: apt-get install dnsmasq-base; Fedora/RHEL: dnf install dnsmasq)")
	}
	dir := ipxeDir(rc.Spec())
	for _, f := range []string{pxe.BIOSBootFile, pxe.UEFIBootFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			out = append(out, fmt.Sprintf("spec.pxe: iPXE's %s is not in %s (Debian/Ubuntu: apt-get install ipxe; or set spec.pxe.ipxeDir)", f, dir))
		}
	}
	return out
}
