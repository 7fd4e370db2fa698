package spec

import "fmt"

// PXE modes.
const (
	// PXEModeDHCP: the bastion's DHCP server gives each spec node (by MAC)
	// its address, hostname, gateway and DNS, and the PXE boot file.
	PXEModeDHCP = "dhcp"
	// PXEModeProxy: the site's DHCP server keeps handing out addresses;
	// the bastion answers the spec's MACs with the PXE boot file only
	// (proxy DHCP).
	PXEModeProxy = "proxy"
)

// PXE is DHCP and TFTP on the bastion for network installs (dnsmasq): BIOS
// clients get iPXE's undionly.kpxe, UEFI clients ipxe.efi, both over TFTP,
// then iPXE loads okdctl's boot script over HTTP from the web server. Off
// unless Mode is set. Only the spec's MACs are ever answered.
type PXE struct {
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Interface is the bastion interface DHCP answers on; default: the
	// one holding spec.bastion.ip.
	Interface string `yaml:"interface,omitempty" json:"interface,omitempty"`
	// IPXEDir holds undionly.kpxe and ipxe.efi (default /usr/lib/ipxe,
	// Debian's ipxe package).
	IPXEDir string `yaml:"ipxeDir,omitempty" json:"ipxeDir,omitempty"`
}

// DefaultIPXEDir is where Debian's ipxe package puts its binaries.
const DefaultIPXEDir = "/usr/lib/ipxe"

// Enabled says whether the bastion serves DHCP and TFTP.
func (p PXE) Enabled() bool { return p.Mode != "" }

func (v *validator) pxe(s *ClusterSpec) {
	p := s.PXE
	if !p.Enabled() {
		if p.Interface != "" || p.IPXEDir != "" {
			v.add("spec.pxe.mode", msgPXEModeMissing)
		}
		return
	}
	if p.Mode != PXEModeDHCP && p.Mode != PXEModeProxy {
		v.add("spec.pxe.mode", msgPXEMode, p.Mode)
	}
	if p.Interface != "" && !nicRE.MatchString(p.Interface) {
		v.add("spec.pxe.interface", msgNIC, p.Interface)
	}
	for _, f := range []struct{ name, val string }{{"kernel", s.CoreOS.Kernel}, {"initramfs", s.CoreOS.Initramfs}, {"rootfs", s.CoreOS.Rootfs}} {
		if f.val == "" {
			v.add("spec.coreos."+f.name, msgPXENeedsMedia)
		}
	}
	for i, n := range s.Nodes {
		if n.MAC == "" {
			v.add(fmt.Sprintf("spec.nodes[%d].mac", i), msgPXENeedsMAC, n.Name)
		}
	}
}
