package installer

import (
	"context"
	"fmt"
	"strings"

	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// ApprovePhase is the approve phase: verifying CSR approval until every node is Ready.
type ApprovePhase struct{}

var (
	_ Describer = (*ApprovePhase)(nil)
	_ Dependent = (*ApprovePhase)(nil)
	_ DryRunner = (*ApprovePhase)(nil)
	_ Checker   = (*ApprovePhase)(nil)
)

// Name implements Phase.
func (*ApprovePhase) Name() string { return "approve" }

// Describe implements Describer.
func (*ApprovePhase) Describe() string { return "verifying CSR approval until every node is Ready" }

// Needs implements Dependent.
func (*ApprovePhase) Needs() []string { return []string{"bootstrap"} }

// DryRun implements DryRunner.
func (*ApprovePhase) DryRun(ctx context.Context, rc *RunContext) error {
	rc.Host().Note(fmt.Sprintf("approve the client and serving CSRs of %s (verified against the spec, never denied), until every one is Ready (up to %s)",
		strings.Join(nodeNames(rc.Cluster()), ", "), rc.Spec().Timeouts.Nodes.Duration))
	return nil
}

// Run implements Phase.
func (*ApprovePhase) Run(ctx context.Context, rc *RunContext) error {
	a, err := newApprover(rc.Cluster(), rc.Kubeconfig(), rc.State(), rc.Log())
	if err != nil {
		return err
	}
	return a.UntilReady(ctx, cluster.WatchOptions{Timeout: rc.Spec().Timeouts.Nodes.Duration})
}

// Done implements Checker: every spec node is Ready.
func (*ApprovePhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	c, err := clusterClients(rc)
	if err != nil {
		return false, err
	}
	missing, err := cluster.NotReady(ctx, c, NodeInventory(rc.Cluster()))
	return err == nil && len(missing) == 0, err
}

// ApproveOptions configures ApproveCSRs (okdctl approve-csrs).
type ApproveOptions struct {
	Kubeconfig string
	// State bounds client CSRs by when ignition was made (optional).
	State *State
	// Watch keeps approving until ctx ends; otherwise what is pending is
	// handled once.
	Watch bool
	Log   *Logger
}

// ApproveCSRs is the verifying approver on its own, for day 2: nodes
// renewing serving certificates, or added later to the spec.
func ApproveCSRs(ctx context.Context, c *spec.Cluster, o ApproveOptions) error {
	if o.Log == nil {
		o.Log = NewLogger(LoggerOptions{})
	}
	a, err := newApprover(c, o.Kubeconfig, o.State, o.Log)
	if err != nil {
		return err
	}
	if o.Watch {
		o.Log.Infof("approving the CSRs of %d spec nodes as they come; stop with Ctrl-C", len(NodeInventory(c)))
		return a.Run(ctx, cluster.WatchOptions{})
	}
	if err := a.Once(ctx); err != nil {
		return err
	}
	o.Log.Infof("%d CSRs approved, %d left pending (reasons above)", a.Approved(), len(a.Skipped()))
	return nil
}

func newApprover(c *spec.Cluster, kubeconfig string, s *State, log *Logger) (*cluster.Approver, error) {
	cfg, err := cluster.LoadKubeconfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	clients, err := cluster.NewClients(cfg)
	if err != nil {
		return nil, err
	}
	inv, err := cluster.NewInventory(NodeInventory(c), c.Spec.Network.ServiceNetwork)
	if err != nil {
		return nil, err
	}
	return cluster.NewApprover(cluster.ApproverOptions{Client: clients.Kube, Inventory: inv,
		ProvisionedAfter: provisionedAfter(s), Log: log})
}

func nodeNames(c *spec.Cluster) []string {
	var out []string
	for _, n := range NodeInventory(c) {
		out = append(out, n.FQDN)
	}
	return out
}
