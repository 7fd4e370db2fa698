package installer

import (
	"context"
	"fmt"
	"time"

	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// ScalePhase is the scale phase: small-cluster adjustments through the operators' resources.
type ScalePhase struct {
	// Settle is how long a change must hold before it counts (default 30 s).
	Settle time.Duration
}

var (
	_ Conditional = (*ScalePhase)(nil)
	_ DryRunner   = (*ScalePhase)(nil)
)

// Name implements Phase.
func (*ScalePhase) Name() string { return PhaseScale }

// ScalePlanFor decides, in one place, what a topology needs on a release
// (REFERENCE.md section 6):
//   - one worker: the ingress operator's default 2 routers cannot both
//     schedule, so ingresscontroller/default gets 1 replica;
//   - one master and no workers on a release older than 4.8 (which does not
//     size itself from the topology): 1 router, too;
//   - one master on 4.5-4.7: the unsupported single-member etcd override
//     (and the OAuth server's on 4.6-4.7), removed again after install.
func ScalePlanFor(c *spec.Cluster) cluster.ScalePlan {
	v, _ := c.ReleaseVersion()
	masters, workers := len(c.Spec.NodesWithRole(spec.RoleMaster)), len(c.Spec.NodesWithRole(spec.RoleWorker))
	var p cluster.ScalePlan
	if workers == 1 || (workers == 0 && masters == 1 && v.Less(4, 8)) {
		p.IngressReplicas = 1
	}
	if masters == 1 && v.NeedsEtcdOverride() {
		p.EtcdOverride = true
		p.AuthOverride = v.AtLeast(4, 6)
	}
	return p
}

// ShouldRun implements Conditional.
func (*ScalePhase) ShouldRun(rc *RunContext) (bool, string) {
	if len(ScalePlanFor(rc.Cluster()).Settings()) == 0 {
		return false, fmt.Sprintf("release %s sizes itself for %d masters and %d workers", rc.Release(),
			len(rc.Spec().NodesWithRole(spec.RoleMaster)), len(rc.Spec().NodesWithRole(spec.RoleWorker)))
	}
	return true, ""
}

// DryRun implements DryRunner.
func (*ScalePhase) DryRun(ctx context.Context, rc *RunContext) error {
	for _, s := range ScalePlanFor(rc.Cluster()).Settings() {
		rc.Host().Note(fmt.Sprintf("%s: set %s to %v and check that it holds", s.What, s.Ref(), s.Value))
	}
	return nil
}

// Run implements Phase.
func (p *ScalePhase) Run(ctx context.Context, rc *RunContext) error {
	c, err := ClusterClients(rc)
	if err != nil {
		return err
	}
	plan := ScalePlanFor(rc.Cluster())
	p.warn(rc, plan)
	_, err = cluster.Scale(ctx, cluster.ScaleOptions{Clients: c, Plan: plan, Settle: p.settle(rc),
		WaitTimeout: rc.Spec().Timeouts.Install.Duration, Log: rc.Log()})
	return err
}

func (p *ScalePhase) warn(rc *RunContext, plan cluster.ScalePlan) {
	if plan.EtcdOverride {
		rc.Log().Warnf("release %s with one master needs the unsupported single-member overrides; they block upgrades, so the complete phase removes them again", rc.Release())
	}
	if len(rc.Spec().NodesWithRole(spec.RoleWorker)) == 1 && rc.Release().AtLeast(4, 10) {
		rc.Log().Warnf("one worker is an unsupported topology on %s: the second replicas of monitoring and other operators stay Pending", rc.Release())
	}
}

func (p *ScalePhase) settle(rc *RunContext) time.Duration {
	if p.Settle > 0 {
		return p.Settle
	}
	return rc.Spec().Timeouts.Settle.Duration
}
