package dnsrecords

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Input is what the record set is derived from.
type Input struct {
	ClusterName string
	BaseDomain  string
	// BastionIP is the bastion's address (bastion, registry records).
	BastionIP string
	// APIIP is the API load balancer (api); default BastionIP.
	APIIP string
	// APIIntIP is the internal API load balancer (api-int); default APIIP.
	APIIntIP string
	// IngressIP is the ingress load balancer (*.apps); default BastionIP.
	IngressIP       string
	RegistryEnabled bool
	Nodes           []Node
	// EtcdRecords adds etcd-N and the _etcd-server-ssl._tcp SRV (releases 4.3 and older).
	EtcdRecords bool
	// Prefix is the etcd path CoreDNS reads (default /skydns).
	Prefix string
	// TTL of every record in seconds (default 60).
	TTL uint32
	// Networks are CIDRs whose reverse zones CoreDNS serves (the machine
	// network); the reverse zone of every record address is served too.
	Networks []string
}

// Node is one machine of the cluster.
type Node struct {
	Name string
	Role string
	IP   string
}

// Defaults used when the input leaves a field empty.
const (
	DefaultPrefix = "/skydns"
	DefaultTTL    = 60
	// EtcdPeerPort is the port of the etcd-server-ssl SRV records.
	EtcdPeerPort = 2380
	roleMaster   = "master"
)

// Zone is the cluster's DNS zone, <cluster>.<baseDomain>., lowercase.
func (in Input) Zone() string {
	return strings.ToLower(strings.TrimSuffix(in.ClusterName+"."+in.BaseDomain, ".")) + "."
}

// Owner is the marker okdctl writes into every value it owns, so that a
// later sync deletes only its own stale keys.
func (in Input) Owner() string { return "okdctl/" + strings.TrimSuffix(in.Zone(), ".") }

func (in Input) prefix() string {
	if in.Prefix == "" {
		return DefaultPrefix
	}
	return "/" + strings.Trim(in.Prefix, "/")
}

func (in Input) ttl() uint32 {
	if in.TTL == 0 {
		return DefaultTTL
	}
	return in.TTL
}

func (in Input) apiIP() string     { return or(in.APIIP, in.BastionIP) }
func (in Input) apiIntIP() string  { return or(in.APIIntIP, in.apiIP()) }
func (in Input) ingressIP() string { return or(in.IngressIP, in.BastionIP) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Validate reports the first problem that would make the record set wrong.
func (in Input) Validate() error {
	for _, l := range strings.Split(strings.TrimSuffix(in.Zone(), "."), ".") {
		if !labelRE.MatchString(l) {
			return fmt.Errorf("the cluster domain %s has an invalid label %q", in.Zone(), l)
		}
	}
	for _, a := range [][2]string{{"bastion", in.BastionIP}, {"api", in.apiIP()}, {"api-int", in.apiIntIP()}, {"ingress", in.ingressIP()}} {
		if _, err := netip.ParseAddr(a[1]); err != nil {
			return fmt.Errorf("the %s address %q is not an IP address", a[0], a[1])
		}
	}
	for _, c := range in.Networks {
		if _, err := netip.ParsePrefix(c); err != nil {
			return fmt.Errorf("the network %q is not a CIDR", c)
		}
	}
	return in.validateNodes()
}

func (in Input) validateNodes() error {
	reserved := in.ReservedNames()
	seen := map[string]bool{}
	for i, n := range in.Nodes {
		name := strings.ToLower(n.Name)
		if !labelRE.MatchString(name) {
			return fmt.Errorf("nodes[%d]: %q is not a DNS label", i, n.Name)
		}
		if _, err := netip.ParseAddr(n.IP); err != nil {
			return fmt.Errorf("nodes[%d] (%s): %q is not an IP address", i, n.Name, n.IP)
		}
		if what, ok := reserved[name]; ok {
			return fmt.Errorf("nodes[%d]: the name %q is taken by the %s record: rename the node", i, n.Name, what)
		}
		if seen[name] {
			return fmt.Errorf("nodes[%d]: the name %q is used twice", i, n.Name)
		}
		seen[name] = true
	}
	return nil
}

// ReservedNames are the labels the cluster's own records use, with what
// uses them: no node may be named so (spec validation rejects them too).
func (in Input) ReservedNames() map[string]string {
	r := map[string]string{"api": "API", "api-int": "internal API", "apps": "*.apps wildcard",
		"bastion": "bastion", "_tcp": "etcd SRV", "dns": "name server (ns.dns)"}
	if in.RegistryEnabled {
		r["registry"] = "registry"
	}
	if in.EtcdRecords {
		for i := range in.masters() {
			r[fmt.Sprintf("etcd-%d", i)] = "etcd"
		}
	}
	return r
}

func (in Input) masters() []Node {
	var out []Node
	for _, n := range in.Nodes {
		if n.Role == roleMaster {
			out = append(out, n)
		}
	}
	return out
}
