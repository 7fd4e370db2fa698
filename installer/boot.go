package installer

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/spec"
)

// BaseURL is the bastion's web server as the nodes reach it.
func BaseURL(c *spec.Cluster) string {
	return "http://" + net.JoinHostPort(c.Spec.Bastion.IP, strconv.Itoa(c.Spec.Bastion.Ports.Ignition))
}

// IgnitionURL is where a node's ignition is served.
func IgnitionURL(c *spec.Cluster, n spec.Node) string {
	return BaseURL(c) + "/ignition/" + n.Name + ".ign"
}

// MediaName is the name a CoreOS medium (a local file or a URL) is published
// under in the web server's install/ directory: its base name.
func MediaName(src string) string {
	if spec.IsURL(src) {
		if u, err := url.Parse(src); err == nil {
			return path.Base(u.Path)
		}
	}
	return filepath.Base(src)
}

// MediaURL is where the bastion serves a CoreOS medium; empty for none.
func MediaURL(c *spec.Cluster, src string) string {
	if src == "" {
		return ""
	}
	return BaseURL(c) + "/install/" + MediaName(src)
}

// BootArtifacts derives every node's boot artifacts from the spec alone, so
// that they can be printed on a laptop. hashes (node name -> sha512-<hex>,
// from the ignition phase) may be empty: the coreos-installer commands then
// carry no --ignition-hash. Once ignition is published without the
// bootstrap node's (bootstrap is over), the bootstrap node is left out: it
// is not to be booted again.
func BootArtifacts(c *spec.Cluster, hashes map[string]string) []ignition.Boot {
	s := &c.Spec
	netmask := ""
	if p, err := netip.ParsePrefix(s.Network.MachineCIDR); err == nil && p.Addr().Is4() {
		netmask = net.IP(net.CIDRMask(p.Bits(), 32)).String()
	}
	var boots []ignition.Boot
	for _, n := range s.Nodes {
		if n.Role == spec.RoleBootstrap && len(hashes) > 0 && hashes[n.Name] == "" {
			continue
		}
		b := ignition.Boot{Name: n.Name, Role: n.Role, FQDN: c.FQDN(n), IP: n.IP, MAC: strings.ToLower(n.MAC),
			Gateway: s.Network.Gateway, Netmask: netmask, NIC: n.NIC, Nameservers: []string{s.NameserverIP()},
			Disk: n.Disk, IgnitionURL: IgnitionURL(c, n), IgnitionHash: hashes[n.Name],
			KernelURL: MediaURL(c, s.CoreOS.Kernel), InitramfsURL: MediaURL(c, s.CoreOS.Initramfs), RootfsURL: MediaURL(c, s.CoreOS.Rootfs),
			Keyfile: ignition.NetworkKeyfile(NodeIgnition(c, n))}
		if s.CoreOS.InstallFromBastion {
			// The web server publishes no image signature (yet), so the
			// line says coreos.inst.insecure; the ignition hash still holds.
			b.ImageURL = MediaURL(c, s.CoreOS.Image)
		}
		boots = append(boots, b)
	}
	return boots
}

// BootOptions select what `okdctl boot` prints.
type BootOptions struct {
	Node   string // one node, or every node when empty
	Format string // text (default), json, ipxe, pxe, grub, iso-customize
	// StateDir holds the ignition hashes, when ignition exists (optional).
	StateDir string
}

// BootOutput renders `okdctl boot`: the boot artifacts of one node or all,
// in one format. It needs only the spec (and, for the hashes, the state
// directory when there is one).
func BootOutput(c *spec.Cluster, o BootOptions) ([]byte, error) {
	hashes := map[string]string{}
	if o.StateDir != "" {
		var err error
		if hashes, err = ReadIgnitionHashes(o.StateDir); err != nil {
			return nil, err
		}
	}
	boots := BootArtifacts(c, hashes)
	if o.Node != "" {
		var names []string
		var one []ignition.Boot
		for _, b := range boots {
			names = append(names, b.Name)
			if b.Name == o.Node {
				one = append(one, b)
			}
		}
		for _, n := range c.Spec.NodesWithRole(spec.RoleBootstrap) {
			if one == nil && n.Name == o.Node {
				return nil, fmt.Errorf("node %q is the bootstrap node and bootstrap is complete: it is not booted again (its ignition is no longer served)", o.Node)
			}
		}
		if one == nil {
			return nil, fmt.Errorf("unknown node %q: the nodes of %s are %s", o.Node, c.Metadata.Name, strings.Join(names, ", "))
		}
		boots = one
	}
	return ignition.Render(o.Format, boots)
}
