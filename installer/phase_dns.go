package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/installer/release"
)

// DNSPhase is the dns phase: etcd and CoreDNS serving the cluster's records.
type DNSPhase struct{}

var (
	_ Checker       = (*DNSPhase)(nil)
	_ InputProvider = (*DNSPhase)(nil)
	_ Dependent     = (*DNSPhase)(nil)
	_ Describer     = (*DNSPhase)(nil)
)

// The dns phase's services.
const (
	EtcdService    = "okdctl-etcd"
	CoreDNSService = "okdctl-coredns"
)

// Name implements Phase.
func (*DNSPhase) Name() string { return "dns" }

// Describe implements Describer.
func (*DNSPhase) Describe() string { return "etcd and CoreDNS serving the cluster's records" }

// Needs implements Dependent.
func (*DNSPhase) Needs() []string { return nil }

// CorefilePath is the live Corefile.
func CorefilePath(rc *RunContext) string { return rc.Path("/etc/coredns/Corefile") }

// etcdDataDir is the data of okdctl's etcd (one per bastion, like the service).
func etcdDataDir(rc *RunContext) string { return rc.Path("/var/lib/okdctl-etcd") }

// Inputs implements InputProvider: the record set, how it is served, and
// the okdctl that serves it.
func (*DNSPhase) Inputs(rc *RunContext) (any, error) {
	return map[string]any{"records": dnsInput(rc.Cluster(), rc.Release()), "server": dnsServer(rc),
		"sandbox": rc.Sandbox(), "okdctl": rc.Host().Okdctl}, nil
}

// Done implements Checker: the live Corefile is the wanted one and every
// record answers rightly through CoreDNS.
func (*DNSPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	in, srv := dnsInput(rc.Cluster(), rc.Release()), dnsServer(rc)
	want, err := dnsrecords.RenderCorefile(in, srv)
	if err != nil {
		return false, err
	}
	if live, err := rc.Host().Files.ReadFile(CorefilePath(rc)); err != nil || !bytes.Equal(live, want) {
		return false, nil
	}
	records, err := dnsrecords.Records(in)
	if err != nil {
		return false, err
	}
	rep := dnsrecords.Verify(ctx, dnsrecords.VerifyOptions{Server: dnsAddr(rc), Timeout: time.Second, Attempts: 2},
		dnsrecords.Checks(in, records))
	return rep.OK(), nil
}

// Run implements Phase: etcd, the records, CoreDNS, then every answer checked.
func (p *DNSPhase) Run(ctx context.Context, rc *RunContext) error {
	in, srv := dnsInput(rc.Cluster(), rc.Release()), dnsServer(rc)
	if err := in.Validate(); err != nil {
		return err
	}
	if err := ensureEtcd(ctx, rc); err != nil {
		return err
	}
	if err := syncRecords(ctx, rc, in, srv.Endpoints); err != nil {
		return err
	}
	if err := ensureCoreDNS(ctx, rc, in, srv); err != nil {
		return err
	}
	return verifyDNS(ctx, rc, in)
}

// dnsInput translates the spec into the record set's input. The load
// balancers (api, api-int, *.apps) are the bastion's HAProxy.
func dnsInput(c *Cluster, v release.Version) dnsrecords.Input {
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

// dnsServer is how CoreDNS serves: on the bastion's address and DNS port,
// reading okdctl's etcd, forwarding other names only to spec.network.upstreamDNS.
func dnsServer(rc *RunContext) dnsrecords.Server {
	s := rc.Spec()
	return dnsrecords.Server{Listen: []string{s.Bastion.IP}, Port: s.Bastion.Ports.DNS,
		Endpoints: []string{etcdURL(rc, s.Bastion.Ports.Etcd)}, Upstreams: s.Network.UpstreamDNS}
}

func dnsAddr(rc *RunContext) string {
	return net.JoinHostPort(rc.Spec().Bastion.IP, strconv.Itoa(rc.Spec().Bastion.Ports.DNS))
}

// etcdURL is an etcd URL on port. A real bastion's etcd listens on
// loopback only: it has no authentication, and whoever can write it can
// redirect api-int. The sandbox binds spec.bastion.ip, a loopback address.
func etcdURL(rc *RunContext, port int) string {
	host := "127.0.0.1"
	if rc.Sandbox() {
		host = rc.Spec().Bastion.IP
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// corednsCommand runs okdctl's CoreDNS, less its -conf FILE.
func corednsCommand(rc *RunContext) []string {
	return []string{rc.Host().Okdctl, "serve", "coredns"}
}

// ensureEtcd runs okdctl's single-member etcd, as user etcd on a real
// bastion, taking over the data of an older etcd the unit ran before.
func ensureEtcd(ctx context.Context, rc *RunContext) error {
	svc := etcdService(rc)
	if err := takeOverEtcd(ctx, rc, svc); err != nil {
		return err
	}
	if rc.Sandbox() {
		if err := rc.Host().Files.MkdirAll(etcdDataDir(rc), 0o700); err != nil {
			return err
		}
	} else if err := ensureServiceUser(ctx, rc, svc.User, etcdDataDir(rc)); err != nil {
		return err
	}
	return ensureService(ctx, rc, svc, "etcd at "+etcdURL(rc, rc.Spec().Bastion.Ports.Etcd))
}

// etcdService is okdctl's etcd (okdctl serve etcd, with etcd's flags):
// one member, on loopback on a real bastion.
func etcdService(rc *RunContext) bastion.Service {
	ports := rc.Spec().Bastion.Ports
	client, peer := etcdURL(rc, ports.Etcd), etcdURL(rc, ports.EtcdPeer)
	svc := bastion.Service{Name: EtcdService, Description: "etcd holding the DNS records of okdctl's clusters",
		Command: []string{rc.Host().Okdctl, "serve", "etcd", "--name", "okdctl", "--data-dir", etcdDataDir(rc),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "okdctl=" + peer,
			// a large cluster's record set is one transaction (etcd's default is 128 operations)
			"--max-txn-ops", "16384", "--max-request-bytes", "10485760",
			"--auto-compaction-retention", "1", "--log-level", "warn"}}
	if !rc.Sandbox() {
		svc.User = "etcd"
	}
	return svc
}

// corednsService is CoreDNS (okdctl serve coredns) reading the live
// Corefile, reloaded in place (SIGUSR1) when only the Corefile changed;
// unprivileged on a real bastion.
func corednsService(rc *RunContext, corefile []byte) bastion.Service {
	sum := sha256.Sum256(corefile)
	svc := bastion.Service{Name: CoreDNSService, Description: "CoreDNS answering the cluster's names from etcd",
		Command: append(corednsCommand(rc), "-conf", CorefilePath(rc)), Dir: rc.Path("/etc/coredns"), ReloadSignal: syscall.SIGUSR1,
		ConfigDigest: hex.EncodeToString(sum[:]), After: []string{EtcdService + ".service"}}
	if !rc.Sandbox() {
		svc.User, svc.Capabilities = "coredns", []string{"CAP_NET_BIND_SERVICE"}
	}
	return svc
}

func ensureService(ctx context.Context, rc *RunContext, svc bastion.Service, what string) error {
	action, err := rc.Host().Services.Ensure(ctx, svc)
	if err != nil {
		return fmt.Errorf("failed to run %s: %w", svc.Name, err)
	}
	if action != bastion.Unchanged && !rc.DryRun() {
		rc.Changed()
		rc.Log().Infof("%s %s (%s)", svc.Name, action, what)
	}
	return nil
}

// ensureCoreDNS checks a changed Corefile before it replaces the live one,
// then runs CoreDNS (reloaded with SIGUSR1 when only the Corefile changed).
func ensureCoreDNS(ctx context.Context, rc *RunContext, in dnsrecords.Input, srv dnsrecords.Server) error {
	corefile, err := dnsrecords.RenderCorefile(in, srv)
	if err != nil {
		return err
	}
	path := CorefilePath(rc)
	if live, _ := rc.Host().Files.ReadFile(path); !bytes.Equal(live, corefile) {
		if err := checkCorefile(ctx, rc, in, srv); err != nil {
			return err
		}
	}
	if _, err := rc.Host().Files.WriteFile(path, corefile, 0o644); err != nil {
		return err
	}
	svc := corednsService(rc, corefile)
	if !rc.Sandbox() {
		if err := ensureServiceUser(ctx, rc, svc.User, ""); err != nil {
			return err
		}
		if err := reachableBy(rc.Host().Okdctl); err != nil && !rc.DryRun() {
			return err
		}
	}
	return ensureService(ctx, rc, svc, "DNS on "+dnsAddr(rc))
}

// checkCorefile starts the candidate on a spare loopback port (see
// dnsrecords.CheckCorefile); a dry run on the bastion checks too.
func checkCorefile(ctx context.Context, rc *RunContext, in dnsrecords.Input, srv dnsrecords.Server) error {
	// a plan made away from the bastion never starts a CoreDNS whose etcd
	// plugin would dial the bastion's etcd
	if rc.DryRun() && !rc.BastionReachable() {
		rc.Host().Note("check the new Corefile with CoreDNS on a spare loopback port before it replaces " + CorefilePath(rc))
		return nil
	}
	if err := dnsrecords.CheckCorefile(ctx, corednsCommand(rc), in, srv); err != nil {
		return fmt.Errorf("failed to check the new Corefile, the live one is unchanged: %w", err)
	}
	rc.Log().Infof("the new Corefile served on a spare loopback port: it replaces %s", CorefilePath(rc))
	return nil
}

// verifyDNS asks CoreDNS every record, retrying while caches expire.
func verifyDNS(ctx context.Context, rc *RunContext, in dnsrecords.Input) error {
	records, err := dnsrecords.Records(in)
	if err != nil {
		return err
	}
	checks, addr := dnsrecords.Checks(in, records), dnsAddr(rc)
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("verify %d DNS answers through %s: every record, a name under *.apps, NXDOMAIN for an unknown name", len(checks), addr))
		return nil
	}
	opts := dnsrecords.VerifyOptions{Server: addr}
	rep := dnsrecords.Verify(ctx, opts, checks)
	if !rep.OK() {
		wait := bastion.WaitOptions{What: "every DNS record to answer through " + addr, Log: rc.Log().Progressf,
			Timeout: time.Duration(dnsrecords.DefaultCacheTTL+30) * time.Second, Interval: time.Second}
		err := bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
			rep = dnsrecords.Verify(ctx, opts, checks)
			return rep.OK(), nil
		})
		if err != nil {
			return fmt.Errorf("failed to verify the DNS records: %s\ncheck the logs of %s and %s", rep, CoreDNSService, EtcdService)
		}
	}
	rc.Log().Infof("%s", rep)
	return nil
}
