package ignition

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/clarketm/json"
	"github.com/coreos/ignition/v2/config/v3_0/types"
	"github.com/vincent-petithory/dataurl"
)

// NodeSpecVersion is the Ignition spec of the per-node configs okdctl writes.
// 3.0.0 is understood by every Ignition 2.x (FCOS, SCOS, RHCOS 4.6+), so the
// same wrapper boots the seed's OKD 4.5 and today's releases. The role config
// keeps its own spec version inside the merge: Ignition parses each merged
// config on its own and translates it to its latest spec before merging.
const NodeSpecVersion = "3.0.0"

// Node is one machine as its ignition sees it.
type Node struct {
	Name string // the spec's node name; the published file is <Name>.ign
	Role string // bootstrap, master or worker
	FQDN string // written to /etc/hostname: the node's Kubernetes name
	// Static network of the node's NIC. Without a NIC name the keyfile
	// matches any ethernet device (right for single-NIC machines).
	NIC           string
	IP            string
	PrefixLen     int
	Gateway       string
	DNS           []string
	SearchDomains []string
}

// NodeConfig renders a node's ignition: the role config (bootstrap.ign,
// master.ign or worker.ign from openshift-install) embedded byte for byte as
// a merged data URL verified by its sha512, /etc/hostname, and the NIC's
// NetworkManager keyfile. The result is validated with Ignition's parser,
// merge included.
func NodeConfig(n Node, roleConfig []byte) ([]byte, error) {
	if err := checkNode(n); err != nil {
		return nil, err
	}
	if err := Validate(roleConfig); err != nil {
		return nil, fmt.Errorf("failed to use the %s ignition for node %s: %w", n.Role, n.Name, err)
	}
	cfg := types.Config{Ignition: types.Ignition{Version: NodeSpecVersion}}
	cfg.Ignition.Config.Merge = []types.ConfigReference{{
		Source:       strPtr("data:;base64," + base64.StdEncoding.EncodeToString(roleConfig)),
		Verification: types.Verification{Hash: strPtr(SHA512(roleConfig))},
	}}
	cfg.Storage.Files = append(cfg.Storage.Files,
		textFile("/etc/hostname", 0o644, n.FQDN+"\n"),
		textFile("/etc/NetworkManager/system-connections/"+connectionID(n)+".nmconnection", 0o600, NetworkKeyfile(n)))
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("failed to encode the ignition of node %s: %w", n.Name, err)
	}
	out = append(out, '\n')
	if err := ValidateNode(out); err != nil {
		return nil, fmt.Errorf("failed to build the ignition of node %s: %w", n.Name, err)
	}
	return out, nil
}

func checkNode(n Node) error {
	if n.Name == "" || n.FQDN == "" {
		return fmt.Errorf("failed to build node ignition: a node needs a name and an FQDN")
	}
	if _, err := netip.ParseAddr(n.IP); err != nil {
		return fmt.Errorf("failed to build the ignition of node %s: ip %q: %w", n.Name, n.IP, err)
	}
	if n.PrefixLen <= 0 || n.PrefixLen > 32 {
		return fmt.Errorf("failed to build the ignition of node %s: prefix length %d is not 1-32", n.Name, n.PrefixLen)
	}
	if n.Gateway != "" {
		if _, err := netip.ParseAddr(n.Gateway); err != nil {
			return fmt.Errorf("failed to build the ignition of node %s: gateway %q: %w", n.Name, n.Gateway, err)
		}
	}
	return nil
}

// NetworkKeyfile is the NetworkManager keyfile giving the node's NIC its
// static address, so the installed system keeps the address the boot line
// gave the live system.
func NetworkKeyfile(n Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[connection]\nid=%s\ntype=ethernet\n", connectionID(n))
	if n.NIC != "" {
		fmt.Fprintf(&b, "interface-name=%s\n", n.NIC)
	}
	b.WriteString("autoconnect=true\n\n")
	b.WriteString("[ipv4]\nmethod=manual\n")
	addr := fmt.Sprintf("%s/%d", n.IP, n.PrefixLen)
	if n.Gateway != "" {
		addr += "," + n.Gateway
	}
	fmt.Fprintf(&b, "address1=%s\n", addr)
	if len(n.DNS) > 0 {
		fmt.Fprintf(&b, "dns=%s;\n", strings.Join(n.DNS, ";"))
	}
	if len(n.SearchDomains) > 0 {
		fmt.Fprintf(&b, "dns-search=%s;\n", strings.Join(n.SearchDomains, ";"))
	}
	b.WriteString("may-fail=false\n\n[ipv6]\nmethod=disabled\n")
	return b.String()
}

// connectionID names the keyfile: the NIC, or okdctl-static without one.
func connectionID(n Node) string {
	if n.NIC != "" {
		return n.NIC
	}
	return "okdctl-static"
}

func textFile(path string, mode int, content string) types.File {
	return types.File{
		Node: types.Node{Path: path, Overwrite: boolPtr(true)},
		FileEmbedded1: types.FileEmbedded1{
			Mode:     &mode,
			Contents: types.FileContents{Source: strPtr("data:," + dataurl.EscapeString(content))},
		},
	}
}

// SHA512 is the digest form coreos-installer and Ignition take: sha512-<hex>.
func SHA512(data []byte) string {
	sum := sha512.Sum512(data)
	return "sha512-" + hex.EncodeToString(sum[:])
}

func strPtr(s string) *string { return &s }
func boolPtr(b bool) *bool    { return &b }
