package installer

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

// DNSPhase is the dns phase: the cluster's records served by etcd and
// CoreDNS on the bastion, kept on a site's server through dynamic updates
// (spec.dns.external), or handed over as zone fragments (spec.dns.manual).
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
// the okdctl that serves it.
func (*DNSPhase) Inputs(rc *RunContext) (any, error) {
	in := map[string]any{"records": dnsInput(rc.Cluster(), rc.Release())}
	switch s := rc.Spec(); {
	case s.DNS.External != nil:
		in["external"] = s.DNS.External // the secret file's path, never its content
	case s.DNS.Manual:
		in["manual"] = s.DNSServer()
	default:
		in["server"], in["sandbox"], in["okdctl"] = DNS(rc).Server(), rc.Sandbox(), rc.Host().Okdctl
	}
	return in, nil
}

// dnsServer serves the cluster's names: okdctl's own etcd and CoreDNS, a
// site's server through dynamic updates, or a server kept by hand.
type dnsServer interface {
	Apply(ctx context.Context, in dnsrecords.Input) (bool, error)
	Done(ctx context.Context, in dnsrecords.Input) (bool, error)
}

func dnsServerOf(rc *RunContext) (dnsServer, error) {
	s := rc.Spec()
	switch {
	case s.DNS.External != nil:
		ext, err := ExternalDNS(rc)
		return &dnsrecords.Updates{Host: rc.Host(), Log: rc.Log(), External: ext, Live: rc.BastionReachable()}, err
	case s.DNS.Manual:
		return &dnsrecords.Manual{Host: rc.Host(), Log: rc.Log(), Dir: rc.StatePath(DirManualDNS), Server: s.DNSServer()}, nil
	}
	return DNS(rc), nil
}

// ExternalDNS is the site's DNS server with its TSIG key read from the
// secret file (the secret is masked in every log line).
func ExternalDNS(rc *RunContext) (dnsrecords.External, error) {
	s := rc.Spec()
	e := s.DNS.External
	key, err := dnsrecords.ReadTSIGKey(e.TSIGKey.SecretFile, dnsrecords.TSIGKey{Name: e.TSIGKey.Name, Algorithm: e.TSIGKey.Algorithm})
	if err != nil {
		return dnsrecords.External{}, err
	}
	rc.Log().AddSecret(key.Secret)
	return dnsrecords.External{Server: s.DNSServer(), Zone: e.Zone, ReverseZones: slices.Clone(e.ReverseZones), Key: key}, nil
}

// Done implements Checker: the records are served as wanted (for okdctl's
// own DNS: the live Corefile is the wanted one) and every one answers.
func (*DNSPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	srv, err := dnsServerOf(rc)
	if err != nil {
		return false, err
	}
	done, err := srv.Done(ctx, dnsInput(rc.Cluster(), rc.Release()))
	return done && bastionResolverDone(ctx, rc), err
}

// Run implements Phase: the records where they are served, then every
// answer checked (and NXDOMAIN for names okdctl deleted).
func (p *DNSPhase) Run(ctx context.Context, rc *RunContext) error {
	srv, err := dnsServerOf(rc)
	if err != nil {
		return err
	}
	changed, err := srv.Apply(ctx, dnsInput(rc.Cluster(), rc.Release()))
	if changed {
		rc.Changed()
	}
	if err != nil {
		return err
	}
	if err := recordPublished(rc); err != nil {
		return err
	}
	return ensureBastionResolver(ctx, rc)
}

// recordPublished adds the spec's node names to the names the dns phase
// has ever published, so that verify can ask that removed ones stay gone.
func recordPublished(rc *RunContext) error {
	names := PublishedNodes(rc)
	for _, n := range rc.Spec().Nodes {
		names = append(names, strings.ToLower(n.Name))
	}
	slices.Sort(names)
	data, err := json.Marshal(slices.Compact(names))
	if err != nil {
		return err
	}
	_, err = rc.Host().Files.WriteFile(rc.StatePath(FilePublishedNodes), append(data, '\n'), 0o644)
	return err
}

// PublishedNodes are the node names the dns phase has ever published.
func PublishedNodes(rc *RunContext) []string {
	var names []string
	if data, err := rc.Host().Files.ReadFile(rc.StatePath(FilePublishedNodes)); err == nil {
		_ = json.Unmarshal(data, &names)
	}
	return names
}

// DNSInput is the cluster's record set input, as the dns phase builds it.
func DNSInput(rc *RunContext) dnsrecords.Input { return dnsInput(rc.Cluster(), rc.Release()) }

// dnsInput translates the spec into the record set's input. The load
// balancers (api, api-int, *.apps) are the bastion's HAProxy, or the
// site's frontends (spec.loadBalancer.external).
func dnsInput(c *spec.Cluster, v release.Version) dnsrecords.Input {
	s := &c.Spec
	in := dnsrecords.Input{ClusterName: c.Metadata.Name, BaseDomain: s.BaseDomain, BastionIP: s.Bastion.IP,
		RegistryEnabled: s.RegistryEnabled(), EtcdRecords: v.Major == 4 && v.NeedsEtcdRecords()}
	if lb := s.LoadBalancer.External; lb != nil {
		in.APIIP, in.APIIntIP, in.IngressIP = lb.API, lb.APIIntOrAPI(), lb.Ingress
	}
	if s.Network.MachineCIDR != "" {
		in.Networks = []string{s.Network.MachineCIDR}
	}
	for _, n := range s.Nodes {
		in.Nodes = append(in.Nodes, dnsrecords.Node{Name: n.Name, Role: n.Role, IP: n.IP})
	}
	return in
}
