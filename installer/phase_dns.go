package installer

import (
	"context"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

// DNSPhase is the dns phase: etcd and CoreDNS serving the cluster's records.
type DNSPhase struct{}

var (
	_ Checker       = (*DNSPhase)(nil)
	_ InputProvider = (*DNSPhase)(nil)
)

// Name implements Phase.
func (*DNSPhase) Name() string { return PhaseDNS }

// DNS is the cluster's DNS deployment on rc's bastion (dnsrecords owns the work).
func DNS(rc *RunContext) *dnsrecords.Deployment {
	s := rc.Spec()
	return &dnsrecords.Deployment{Host: rc.Host(), Log: rc.Log(), BastionIP: s.Bastion.IP,
		DNSPort: s.Bastion.Ports.DNS, EtcdPort: s.Bastion.Ports.Etcd, EtcdPeerPort: s.Bastion.Ports.EtcdPeer,
		Upstreams: s.Network.UpstreamDNS, Live: rc.BastionReachable()}
}

// Inputs implements InputProvider: the record set, how it is served, and
// the programs that serve it.
func (*DNSPhase) Inputs(rc *RunContext) (any, error) {
	etcd, _ := bastion.LookPath("etcd")
	coredns, _ := bastion.LookPath("coredns")
	return map[string]any{"records": dnsInput(rc.Cluster(), rc.Release()), "server": DNS(rc).Server(),
		"sandbox": rc.Sandbox(), "etcd": etcd, "coredns": coredns}, nil
}

// Done implements Checker: the live Corefile is the wanted one and every
// record answers rightly through CoreDNS.
func (*DNSPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	return DNS(rc).Done(ctx, dnsInput(rc.Cluster(), rc.Release()))
}

// Run implements Phase: etcd, the records, CoreDNS, then every answer checked.
func (p *DNSPhase) Run(ctx context.Context, rc *RunContext) error {
	changed, err := DNS(rc).Apply(ctx, dnsInput(rc.Cluster(), rc.Release()))
	if changed {
		rc.Changed()
	}
	return err
}

// DNSInput is the cluster's record set input, as the dns phase builds it.
func DNSInput(rc *RunContext) dnsrecords.Input { return dnsInput(rc.Cluster(), rc.Release()) }

// dnsInput translates the spec into the record set's input. The load
// balancers (api, api-int, *.apps) are the bastion's HAProxy.
func dnsInput(c *spec.Cluster, v release.Version) dnsrecords.Input {
	s := &c.Spec
	in := dnsrecords.Input{ClusterName: c.Metadata.Name, BaseDomain: s.BaseDomain, BastionIP: s.Bastion.IP,
		RegistryEnabled: s.RegistryEnabled(), EtcdRecords: v.Major == 4 && v.NeedsEtcdRecords()}
	if s.Network.MachineCIDR != "" {
		in.Networks = []string{s.Network.MachineCIDR}
	}
	for _, n := range s.Nodes {
		in.Nodes = append(in.Nodes, dnsrecords.Node{Name: n.Name, Role: n.Role, IP: n.IP})
	}
	return in
}
