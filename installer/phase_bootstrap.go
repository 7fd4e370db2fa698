package installer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// BootstrapPhase is the bootstrap phase: waits for bootstrap-complete, then drops the bootstrap node.
type BootstrapPhase struct {
	// LoadBalancer drops the bootstrap servers (default: the loadbalancer
	// phase; tests put a fake here).
	LoadBalancer BootstrapRemover
}

var (
	_ DryRunner = (*BootstrapPhase)(nil)
	_ Checker   = (*BootstrapPhase)(nil)
)

// Name implements Phase.
func (*BootstrapPhase) Name() string { return PhaseBootstrap }

// BootstrapRemover is implemented by the phase that owns the load balancer
// (LoadBalancerPhase):
// it re-renders the load balancer's configuration without the bootstrap
// servers, checks it and reloads (haproxy.RemoveBootstrap). It reports
// whether anything changed.
type BootstrapRemover interface {
	RemoveBootstrap(ctx context.Context, rc *RunContext) (bool, error)
}

// DryRun implements DryRunner: the waits are described, the removals planned.
func (p *BootstrapPhase) DryRun(ctx context.Context, rc *RunContext) error {
	t := rc.Spec().Timeouts
	rc.Host().Note(fmt.Sprintf("wait up to %s for the Kubernetes API, then up to %s for ConfigMap kube-system/bootstrap status complete",
		t.API.Duration, t.Bootstrap.Duration))
	if rc.Release().WaitsForEtcdBootstrapRemoval() {
		rc.Host().Note(fmt.Sprintf("wait up to %s for etcd condition EtcdBootstrapMemberRemoved=True", t.EtcdBootstrap.Duration))
	}
	rc.Host().Note("then drop the bootstrap servers from the load balancer and unpublish " +
		strings.Join(bootstrapIgnitionFiles(rc), ", "))
	return p.dropBootstrap(ctx, rc)
}

// Run implements Phase.
func (p *BootstrapPhase) Run(ctx context.Context, rc *RunContext) error {
	c, err := ClusterClients(rc)
	if err != nil {
		return err
	}
	t := rc.Spec().Timeouts
	err = cluster.WaitBootstrap(ctx, cluster.BootstrapOptions{Clients: c, APITimeout: t.API.Duration,
		BootstrapTimeout: t.Bootstrap.Duration, EtcdTimeout: t.EtcdBootstrap.Duration,
		WaitEtcd: rc.Release().WaitsForEtcdBootstrapRemoval(), Log: rc.Log()})
	if err != nil {
		return err
	}
	rc.Log().Infof("bootstrap complete: the bootstrap node can be switched off once the load balancer has dropped it")
	return p.dropBootstrap(ctx, rc)
}

// dropBootstrap removes the bootstrap servers from the load balancer and
// the bootstrap ignition from the web root.
func (p *BootstrapPhase) dropBootstrap(ctx context.Context, rc *RunContext) error {
	if err := p.removeBootstrapBackends(ctx, rc); err != nil {
		return err
	}
	for _, path := range bootstrapIgnitionFiles(rc) {
		removed, err := rc.Host().Files.Remove(path)
		if err != nil {
			return fmt.Errorf("failed to remove the bootstrap ignition %s: %w", path, err)
		}
		if removed {
			rc.Log().Infof("removed %s from the web root (a backup is kept)", path)
		}
	}
	return nil
}

// removeBootstrapBackends asks the load balancer to drop the bootstrap servers.
func (p *BootstrapPhase) removeBootstrapBackends(ctx context.Context, rc *RunContext) error {
	var lb BootstrapRemover = &LoadBalancerPhase{}
	if p.LoadBalancer != nil {
		lb = p.LoadBalancer
	}
	changed, err := lb.RemoveBootstrap(ctx, rc)
	if err != nil {
		return err
	}
	if changed {
		rc.Log().Infof("the load balancer no longer sends traffic to the bootstrap node")
	}
	return nil
}

// bootstrapIgnitionFiles are the published ignition files of the bootstrap node(s).
func bootstrapIgnitionFiles(rc *RunContext) []string {
	var out []string
	for _, n := range rc.Spec().NodesWithRole(spec.RoleBootstrap) {
		out = append(out, filepath.Join(rc.IgnitionWebDir(), n.Name+".ign"))
	}
	return out
}

// Done implements Checker: bootstrap completed and its ignition is gone.
func (p *BootstrapPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	for _, path := range bootstrapIgnitionFiles(rc) {
		if _, err := rc.Host().Files.ReadFile(path); err == nil {
			return false, nil
		}
	}
	c, err := ClusterClients(rc)
	if err != nil {
		return false, err
	}
	return cluster.BootstrapCompleted(ctx, c)
}
