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
	_ DryRunner = (*ApprovePhase)(nil)
	_ Checker   = (*ApprovePhase)(nil)
)

// Name implements Phase.
func (*ApprovePhase) Name() string { return PhaseApprove }

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
	c, err := ClusterClients(rc)
	if err != nil {
		return false, err
	}
	missing, err := cluster.NotReady(ctx, c, NodeInventory(rc.Cluster()))
	return err == nil && len(missing) == 0, err
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
