package installer

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer/cluster"
)

// This file is the seam of the day-2 commands (installer/day2: okdctl etcd,
// certs, add-node): they work on a RunContext of their own and reuse the
// phases' own definitions of services, paths and records through the
// accessors below, so that nothing is derived twice.

// RunContextOptions configures NewRunContext.
type RunContextOptions struct {
	// Phase prefixes the log lines ("etcd", "certs", "add-node").
	Phase string
	// Kubeconfig overrides <installDir>/auth/kubeconfig.
	Kubeconfig string
	Now        func() time.Time
}

// NewRunContext is a RunContext outside a run of the phases, for a day-2
// command: the cluster's state is read (never written) from host's state
// directory.
func NewRunContext(c *Cluster, host *bastion.Host, log *Logger, o RunContextOptions) (*RunContext, error) {
	st, err := LoadState(host.Paths.StateDir(c.Metadata.Name), c.Metadata.Name)
	if err != nil {
		return nil, err
	}
	ver, err := versionFromState(c, st)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = NewLogger(LoggerOptions{})
	}
	return &RunContext{cluster: c, host: host, state: st, log: log, phase: o.Phase, release: ver,
		kubeconfig: o.Kubeconfig, now: o.Now}, nil
}

// EtcdServiceOf is the okdctl-etcd service exactly as the dns phase runs it.
func EtcdServiceOf(rc *RunContext) (bastion.Service, error) {
	bin, err := bastion.LookPath("etcd")
	if err != nil {
		return bastion.Service{}, fmt.Errorf("failed to find etcd: %w (Debian: apt-get install etcd-server)", err)
	}
	return etcdService(rc, bin), nil
}

// EtcdDataDir is the data directory of okdctl-etcd.
func EtcdDataDir(rc *RunContext) string { return etcdDataDir(rc) }

// EtcdEndpoint is okdctl-etcd's client URL.
func EtcdEndpoint(rc *RunContext) string { return etcdURL(rc, rc.Spec().Bastion.Ports.Etcd) }

// DNSAddr is where CoreDNS answers (host:port).
func DNSAddr(rc *RunContext) string { return dnsAddr(rc) }

// DNSInput is the cluster's record set input, as the dns phase builds it.
func DNSInput(rc *RunContext) dnsrecords.Input { return dnsInput(rc.Cluster(), rc.Release()) }

// DNSChecks are the questions the dns phase asks CoreDNS to verify the records.
func DNSChecks(rc *RunContext) ([]dnsrecords.Check, error) {
	in := DNSInput(rc)
	records, err := dnsrecords.Records(in)
	if err != nil {
		return nil, err
	}
	return dnsrecords.Checks(in, records), nil
}

// NodeIgnition is a spec node as the ignition package sees it.
func NodeIgnition(c *Cluster, n Node) ignition.Node { return nodeIgnition(c, n) }

// Bootstrapped reports whether the bootstrap phase finished (the cluster
// runs; ignition certificates no longer matter).
func Bootstrapped(rc *RunContext) bool { return bootstrapped(rc) }

// NewApprover is the approve phase's verifying CSR approver for rc's cluster.
func NewApprover(rc *RunContext) (*cluster.Approver, error) {
	return newApprover(rc.Cluster(), rc.Kubeconfig(), rc.State(), rc.Log())
}

// ClusterClients connects to the cluster with rc's admin kubeconfig.
func ClusterClients(rc *RunContext) (*cluster.Clients, error) { return clusterClients(rc) }

// InstallDirFile is a file of openshift-install's directory.
func InstallDirFile(rc *RunContext, name string) string { return filepath.Join(rc.InstallDir(), name) }
