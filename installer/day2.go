package installer

import (
	"path/filepath"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// This file is the seam of the day-2 commands (installer/day2: okdctl etcd,
// certs, add-node, approve-csrs): they work on a RunContext of their own
// and reuse the phases' own definitions (DNS, DNSInput, NodeIgnition,
// Bootstrapped, ClusterClients, NewApprover), so that nothing is derived
// twice.

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
func NewRunContext(c *spec.Cluster, host *bastion.Host, log *Logger, o RunContextOptions) (*RunContext, error) {
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

// NewApprover is the approve phase's verifying CSR approver for rc's cluster.
func NewApprover(rc *RunContext) (*cluster.Approver, error) {
	return newApprover(rc.Cluster(), rc.Kubeconfig(), rc.State(), rc.Log())
}

// InstallDirFile is a file of openshift-install's directory.
func InstallDirFile(rc *RunContext, name string) string { return filepath.Join(rc.InstallDir(), name) }
