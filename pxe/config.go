package pxe

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Modes, as spec.pxe.mode names them.
const (
	ModeDHCP  = "dhcp"
	ModeProxy = "proxy"
)

// The iPXE binaries served over TFTP: BIOS clients chain-load
// undionly.kpxe, UEFI x86-64 clients ipxe.efi.
const (
	BIOSBootFile = "undionly.kpxe"
	UEFIBootFile = "ipxe.efi"
)

// Input is what the dnsmasq configuration is made of.
type Input struct {
	// Mode is ModeDHCP (addresses from Hosts) or ModeProxy (the site's
	// DHCP server gives addresses; only the boot file comes from here).
	Mode string
	// Cluster names the cluster in the file's header.
	Cluster string
	// ListenIP is the bastion's address; Interface, when set, the
	// interface DHCP answers on instead of the one holding ListenIP.
	ListenIP  string
	Interface string
	// Network is the machine network (192.168.120.0/24).
	Network string
	Gateway string
	DNS     string
	// Domain is the cluster's domain (<cluster>.<baseDomain>).
	Domain string
	Hosts  []Host
	// TFTPRoot holds BIOSBootFile and UEFIBootFile.
	TFTPRoot string
	// ScriptURL is okdctl's iPXE script on the web server.
	ScriptURL string
	// LeaseFile is dnsmasq's lease database.
	LeaseFile string
}

// Host is one node the bastion answers: its MAC, address and FQDN.
type Host struct {
	MAC  string
	IP   string
	FQDN string
}

// Validate checks what Render relies on.
func (in Input) Validate() error {
	var errs []string
	if in.Mode != ModeDHCP && in.Mode != ModeProxy {
		errs = append(errs, fmt.Sprintf("mode %q is neither %s nor %s", in.Mode, ModeDHCP, ModeProxy))
	}
	if _, err := netip.ParsePrefix(in.Network); err != nil {
		errs = append(errs, fmt.Sprintf("network %q: %v", in.Network, err))
	}
	for _, f := range []struct{ name, v string }{{"listen address", in.ListenIP}, {"TFTP root", in.TFTPRoot},
		{"iPXE script URL", in.ScriptURL}, {"lease file", in.LeaseFile}} {
		if f.v == "" {
			errs = append(errs, "no "+f.name)
		}
	}
	if len(in.Hosts) == 0 {
		errs = append(errs, "no node with a MAC")
	}
	for _, h := range in.Hosts {
		if h.MAC == "" || (in.Mode == ModeDHCP && (h.IP == "" || h.FQDN == "")) {
			errs = append(errs, fmt.Sprintf("node %q lacks its MAC, address or name", h.FQDN))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("failed to render the dnsmasq configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Render is the dnsmasq configuration: DNS off (okdctl's CoreDNS has port
// 53), DHCP only for the known MACs, iPXE by TFTP for clients that are not
// iPXE yet and the HTTP script for those that are.
func Render(in Input) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	p, _ := netip.ParsePrefix(in.Network)
	var b strings.Builder
	fmt.Fprintf(&b, "# okdctl: DHCP and TFTP for PXE installs of cluster %s (mode %s). Written by okdctl: edit the spec, not this file.\n", in.Cluster, in.Mode)
	b.WriteString("# DNS stays with okdctl's CoreDNS\nport=0\n")
	if in.Interface != "" {
		fmt.Fprintf(&b, "interface=%s\n", in.Interface)
	} else {
		fmt.Fprintf(&b, "listen-address=%s\n", in.ListenIP)
	}
	b.WriteString("bind-interfaces\nno-resolv\nno-hosts\nlog-dhcp\n")
	fmt.Fprintf(&b, "dhcp-leasefile=%s\n", in.LeaseFile)
	b.WriteString("# only the spec's machines: a MAC without a dhcp-host line gets no answer at all\ndhcp-ignore=tag:!known\n")
	if in.Mode == ModeProxy {
		fmt.Fprintf(&b, "dhcp-range=%s,proxy\n", p.Masked().Addr())
	} else {
		fmt.Fprintf(&b, "dhcp-range=%s,static,%s,12h\n", p.Masked().Addr(), netmask(p))
		fmt.Fprintf(&b, "dhcp-option=option:router,%s\ndhcp-option=option:dns-server,%s\ndhcp-option=option:domain-name,%s\n", in.Gateway, in.DNS, in.Domain)
	}
	hosts := append([]Host(nil), in.Hosts...)
	for i := range hosts {
		hosts[i].MAC = strings.ToLower(hosts[i].MAC)
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].MAC < hosts[j].MAC })
	for _, h := range hosts {
		if in.Mode == ModeProxy {
			fmt.Fprintf(&b, "dhcp-host=%s\n", h.MAC)
			continue
		}
		short, _, _ := strings.Cut(h.FQDN, ".")
		fmt.Fprintf(&b, "dhcp-host=%s,%s,%s,infinite\n", h.MAC, h.IP, short)
	}
	fmt.Fprintf(&b, `# PXE: firmware gets iPXE over TFTP, iPXE gets okdctl's script over HTTP
enable-tftp
tftp-root=%s
dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:ipxe,175
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-boot=tag:!ipxe,tag:!efi64,%s,,%s
dhcp-boot=tag:!ipxe,tag:efi64,%s,,%s
dhcp-boot=tag:ipxe,%s
`, in.TFTPRoot, BIOSBootFile, in.ListenIP, UEFIBootFile, in.ListenIP, in.ScriptURL)
	if in.Mode == ModeProxy {
		// proxy DHCP boots through PXE services: iPXE takes the script's
		// URL as it is; dnsmasq adds ".0" to a name without a suffix, which
		// suits a BIOS ROM (undionly.0) but not UEFI, so ipxe.efi is named
		// in full (OVMF asked for ipxe.0 and failed)
		fmt.Fprintf(&b, "pxe-service=tag:ipxe,x86PC,\"okdctl\",%s\npxe-service=tag:ipxe,X86-64_EFI,\"okdctl\",%s\n", in.ScriptURL, in.ScriptURL)
		fmt.Fprintf(&b, "pxe-service=tag:!ipxe,x86PC,\"okdctl iPXE\",undionly\npxe-service=tag:!ipxe,X86-64_EFI,\"okdctl iPXE\",%s\n", UEFIBootFile)
	}
	return []byte(b.String()), nil
}

func netmask(p netip.Prefix) string {
	m := ^uint32(0) << (32 - p.Bits())
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
}
