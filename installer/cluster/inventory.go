package cluster

import (
	"fmt"
	"net"
	"strings"
)

// Node is one machine the spec says may join: on UPI the spec's node list
// replaces the Machine objects the cluster's own approver relies on.
type Node struct {
	// Name is the spec's short name (m0).
	Name string
	// FQDN is the node's Kubernetes name: okdctl's ignition sets the
	// hostname to <name>.<cluster>.<baseDomain>.
	FQDN string
	// IP is the node's only address.
	IP   string
	Role string
}

// Inventory is the set of nodes allowed to join, by Kubernetes name.
type Inventory struct {
	nodes   map[string]Node
	ips     map[string]net.IP
	order   []string
	service []*net.IPNet
}

// NewInventory checks and indexes the nodes and the service networks.
func NewInventory(nodes []Node, serviceNetworks []string) (*Inventory, error) {
	inv := &Inventory{nodes: map[string]Node{}, ips: map[string]net.IP{}}
	for _, n := range nodes {
		n.FQDN = strings.ToLower(strings.TrimSuffix(n.FQDN, "."))
		ip := net.ParseIP(n.IP)
		if n.FQDN == "" || ip == nil {
			return nil, fmt.Errorf("failed to build the node inventory: node %q needs an FQDN and an IP", n.Name)
		}
		if _, dup := inv.nodes[n.FQDN]; dup {
			return nil, fmt.Errorf("failed to build the node inventory: %s is listed twice", n.FQDN)
		}
		inv.nodes[n.FQDN], inv.ips[n.FQDN] = n, ip
		inv.order = append(inv.order, n.FQDN)
	}
	for _, c := range serviceNetworks {
		_, cidr, err := net.ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("failed to parse service network %q: %w", c, err)
		}
		inv.service = append(inv.service, cidr)
	}
	return inv, nil
}

// Len is the number of nodes.
func (inv *Inventory) Len() int { return len(inv.order) }

// Names are the nodes' Kubernetes names in spec order.
func (inv *Inventory) Names() []string { return append([]string(nil), inv.order...) }

// Lookup finds a node by Kubernetes name.
func (inv *Inventory) Lookup(name string) (Node, bool) {
	n, ok := inv.nodes[name]
	return n, ok
}

// inServiceNetwork reports whether ip is a service-network address.
func (inv *Inventory) inServiceNetwork(ip net.IP) bool {
	for _, c := range inv.service {
		if c.Contains(ip) {
			return true
		}
	}
	return false
}
