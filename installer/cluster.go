package installer

import (
	"time"

	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// ClusterClients connects to the cluster with the admin kubeconfig.
func ClusterClients(rc *RunContext) (*cluster.Clients, error) {
	cfg, err := cluster.LoadKubeconfig(rc.Kubeconfig())
	if err != nil {
		return nil, err
	}
	return cluster.NewClients(cfg)
}

// NodeInventory is the spec's nodes that join the cluster (the bootstrap
// node never does), named as their kubelets name themselves: the FQDN.
func NodeInventory(c *spec.Cluster) []cluster.Node {
	var out []cluster.Node
	for _, n := range c.Spec.Nodes {
		if n.Role == spec.RoleBootstrap {
			continue
		}
		out = append(out, cluster.Node{Name: n.Name, FQDN: c.FQDN(n), IP: n.IP, Role: n.Role})
	}
	return out
}

// provisionedAfter bounds the creation time of a node's first client CSR:
// its kubelet can only ask after the ignition holding the bootstrap
// credentials was made (less a margin for clock skew).
func provisionedAfter(s *State) time.Time {
	if s == nil {
		return time.Time{}
	}
	ps := s.Phase(PhaseIgnition)
	if ps.StartedAt.IsZero() {
		return time.Time{}
	}
	return ps.StartedAt.Add(-10 * time.Minute)
}
