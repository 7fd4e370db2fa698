package dnsrecords

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
)

// The bastion services that serve the records.
const (
	EtcdServiceName    = "okdctl-etcd"
	CoreDNSServiceName = "okdctl-coredns"
)

// Logger receives what a deployment reports.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
	Progressf(format string, args ...any)
}

// Deployment is okdctl's DNS on a bastion: one etcd member holding the
// records and CoreDNS answering from it. Host.DryRun and Host.Sandbox
// decide how it runs.
type Deployment struct {
	Host *bastion.Host
	Log  Logger
	// BastionIP is where CoreDNS answers (and, in a sandbox, where etcd listens).
	BastionIP                       string
	DNSPort, EtcdPort, EtcdPeerPort int
	// Upstreams are the only servers CoreDNS forwards other names to.
	Upstreams []string
	// Live is set when the bastion is this machine: a dry run then reads
	// etcd and checks the Corefile with CoreDNS.
	Live bool
	// removed are the names the last sync deleted: verify asks them NXDOMAIN.
	removed []string
}

// CorefilePath is the live Corefile.
func (d *Deployment) CorefilePath() string { return d.Host.Paths.Path("/etc/coredns/Corefile") }

// EtcdDataDir is the data of okdctl's etcd (one per bastion, like the service).
func (d *Deployment) EtcdDataDir() string { return d.Host.Paths.Path("/var/lib/okdctl-etcd") }

// EtcdEndpoint is okdctl's etcd client URL.
func (d *Deployment) EtcdEndpoint() string { return d.etcdURL(d.EtcdPort) }

// Addr is where CoreDNS answers (host:port).
func (d *Deployment) Addr() string { return net.JoinHostPort(d.BastionIP, strconv.Itoa(d.DNSPort)) }

// Server is how CoreDNS serves: on the bastion's address and DNS port,
// reading okdctl's etcd, forwarding other names only to Upstreams.
func (d *Deployment) Server() Server {
	return Server{Listen: []string{d.BastionIP}, Port: d.DNSPort, Endpoints: []string{d.EtcdEndpoint()}, Upstreams: d.Upstreams}
}

// etcdURL is an etcd URL on port. A real bastion's etcd listens on
// loopback only: it has no authentication, and whoever can write it can
// redirect api-int. The sandbox binds BastionIP, a loopback address.
func (d *Deployment) etcdURL(port int) string {
	host := "127.0.0.1"
	if d.Host.Sandbox {
		host = d.BastionIP
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// coreDNSCommand runs okdctl's CoreDNS, less its -conf FILE.
func (d *Deployment) coreDNSCommand() []string { return []string{d.Host.Okdctl, "serve", "coredns"} }

// ensureServiceUser creates a service's user (and data directory) on a
// real bastion, where okdctl must be runnable by that user too.
func (d *Deployment) ensureServiceUser(ctx context.Context, user, dir string) error {
	if err := bastion.EnsureServiceUser(ctx, d.Host.Runner, user, dir); err != nil {
		return err
	}
	if err := bastion.RunnableByAll(d.Host.Okdctl); err != nil && !d.Host.DryRun {
		return err
	}
	return nil
}

// EtcdService is the okdctl-etcd service, okdctl's own etcd (okdctl serve
// etcd, with etcd's flags): one member, on loopback on a real bastion, as
// user etcd.
func (d *Deployment) EtcdService() (bastion.Service, error) {
	client, peer := d.etcdURL(d.EtcdPort), d.etcdURL(d.EtcdPeerPort)
	svc := bastion.Service{Name: EtcdServiceName, Description: "etcd holding the DNS records of okdctl's clusters",
		Command: []string{d.Host.Okdctl, "serve", "etcd", "--name", "okdctl", "--data-dir", d.EtcdDataDir(),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "okdctl=" + peer,
			// a large cluster's record set is one transaction (etcd's default is 128 operations)
			"--max-txn-ops", "16384", "--max-request-bytes", "10485760",
			"--auto-compaction-retention", "1", "--log-level", "warn"}}
	if !d.Host.Sandbox {
		svc.User = "etcd"
		svc.Capabilities = bastion.BindCapabilities(d.EtcdPort, d.EtcdPeerPort)
		svc.Confine.WritePaths = []string{d.EtcdDataDir()}
	}
	return svc, nil
}

// CoreDNSService is okdctl's CoreDNS (okdctl serve coredns) reading the
// live Corefile, reloaded in place (SIGUSR1) when only the Corefile
// changed; unprivileged on a real bastion.
func (d *Deployment) CoreDNSService(corefile []byte) bastion.Service {
	sum := sha256.Sum256(corefile)
	svc := bastion.Service{Name: CoreDNSServiceName, Description: "CoreDNS answering the cluster's names from etcd",
		Command: append(d.coreDNSCommand(), "-conf", d.CorefilePath()), Dir: d.Host.Paths.Path("/etc/coredns"), ReloadSignal: syscall.SIGUSR1,
		ConfigDigest: hex.EncodeToString(sum[:]), After: []string{EtcdServiceName + ".service"}}
	if !d.Host.Sandbox {
		// it only reads (the Corefile, etcd over TCP); AF_NETLINK lists the
		// interfaces for its bind plugin
		svc.User, svc.Capabilities = "coredns", bastion.BindCapabilities(d.DNSPort)
		svc.Confine.Families = []string{"AF_NETLINK"}
	}
	return svc
}

// Apply runs etcd, writes the record set, runs CoreDNS on a checked
// Corefile and verifies every answer. changed reports a service started,
// restarted or reloaded.
func (d *Deployment) Apply(ctx context.Context, in Input) (changed bool, err error) {
	if err := in.Validate(); err != nil {
		return false, err
	}
	if changed, err = d.ensureEtcd(ctx); err != nil {
		return changed, err
	}
	if err := d.syncRecords(ctx, in); err != nil {
		return changed, err
	}
	dnsChanged, err := d.ensureCoreDNS(ctx, in)
	changed = changed || dnsChanged
	if err != nil {
		return changed, err
	}
	return changed, d.verify(ctx, in)
}

// Done reports whether the live Corefile is the wanted one and every
// record answers rightly through CoreDNS.
func (d *Deployment) Done(ctx context.Context, in Input) (bool, error) {
	want, err := RenderCorefile(in, d.Server())
	if err != nil {
		return false, err
	}
	if live, err := d.Host.Files.ReadFile(d.CorefilePath()); err != nil || !bytes.Equal(live, want) {
		return false, nil
	}
	checks, err := AllChecks(in)
	if err != nil {
		return false, err
	}
	rep := Verify(ctx, VerifyOptions{Server: d.Addr(), Timeout: time.Second, Attempts: 2}, checks)
	return rep.OK(), nil
}

// ensureEtcd runs okdctl's single-member etcd, as user etcd on a real
// bastion, taking over the data of an older etcd the unit ran before.
func (d *Deployment) ensureEtcd(ctx context.Context) (bool, error) {
	svc, err := d.EtcdService()
	if err != nil {
		return false, err
	}
	tookOver, err := d.takeOverEtcd(ctx, svc)
	if err != nil {
		return tookOver, err
	}
	if d.Host.Sandbox {
		if err := d.Host.Files.MkdirAll(d.EtcdDataDir(), 0o700); err != nil {
			return false, err
		}
	} else if err := d.ensureServiceUser(ctx, svc.User, d.EtcdDataDir()); err != nil {
		return false, err
	}
	changed, err := d.ensure(ctx, svc, "etcd at "+d.EtcdEndpoint())
	return changed || tookOver, err
}

// ensureCoreDNS checks a changed Corefile before it replaces the live one,
// then runs CoreDNS (reloaded with SIGUSR1 when only the Corefile changed).
func (d *Deployment) ensureCoreDNS(ctx context.Context, in Input) (bool, error) {
	srv := d.Server()
	corefile, err := RenderCorefile(in, srv)
	if err != nil {
		return false, err
	}
	path := d.CorefilePath()
	if live, _ := d.Host.Files.ReadFile(path); !bytes.Equal(live, corefile) {
		if err := d.checkCorefile(ctx, in, srv); err != nil {
			return false, err
		}
	}
	if _, err := d.Host.Files.WriteFile(path, corefile, 0o644); err != nil {
		return false, err
	}
	svc := d.CoreDNSService(corefile)
	if !d.Host.Sandbox {
		if err := d.ensureServiceUser(ctx, svc.User, ""); err != nil {
			return false, err
		}
	}
	return d.ensure(ctx, svc, "DNS on "+d.Addr())
}

// ensure starts or updates a service; it reports whether it changed.
func (d *Deployment) ensure(ctx context.Context, svc bastion.Service, what string) (bool, error) {
	action, err := d.Host.Services.Ensure(ctx, svc)
	if err != nil {
		return false, fmt.Errorf("failed to run %s: %w", svc.Name, err)
	}
	if action == bastion.Unchanged || d.Host.DryRun {
		return false, nil
	}
	d.Log.Infof("%s %s (%s)", svc.Name, action, what)
	return true, nil
}

// checkCorefile starts the candidate on a spare loopback port (see
// CheckCorefile); a dry run on the bastion checks too.
func (d *Deployment) checkCorefile(ctx context.Context, in Input, srv Server) error {
	// a plan made away from the bastion never starts a CoreDNS whose etcd
	// plugin would dial the bastion's etcd
	if d.Host.DryRun && !d.Live {
		d.Host.Note("check the new Corefile with CoreDNS on a spare loopback port before it replaces " + d.CorefilePath())
		return nil
	}
	if err := CheckCorefile(ctx, d.coreDNSCommand(), in, srv); err != nil {
		return fmt.Errorf("failed to check the new Corefile, the live one is unchanged: %w", err)
	}
	d.Log.Infof("the new Corefile served on a spare loopback port: it replaces %s", d.CorefilePath())
	return nil
}

// verify asks CoreDNS every record, retrying while caches expire.
func (d *Deployment) verify(ctx context.Context, in Input) error {
	checks, err := AllChecks(in)
	if err != nil {
		return err
	}
	checks = append(checks, AbsentChecks(d.removed)...)
	addr := d.Addr()
	if d.Host.DryRun {
		d.Host.Note(fmt.Sprintf("verify %d DNS answers through %s: every record, a name under *.apps, NXDOMAIN for an unknown name", len(checks), addr))
		return nil
	}
	opts := VerifyOptions{Server: addr}
	rep := Verify(ctx, opts, checks)
	if !rep.OK() {
		wait := bastion.WaitOptions{What: "every DNS record to answer through " + addr, Log: d.Log.Progressf,
			Timeout: time.Duration(DefaultCacheTTL+30) * time.Second, Interval: time.Second}
		err := bastion.Poll(ctx, wait, func(ctx context.Context) (bool, error) {
			rep = Verify(ctx, opts, checks)
			return rep.OK(), nil
		})
		if err != nil {
			return fmt.Errorf("failed to verify the DNS records: %s\ncheck the logs of %s and %s", rep, CoreDNSServiceName, EtcdServiceName)
		}
	}
	d.Log.Infof("%s", rep)
	return nil
}
