package installer

import "context"

// LoadBalancerPhase is the loadbalancer phase: HAProxy for the API, machine config and ingress.
type LoadBalancerPhase struct{}

var _ Unimplemented = (*LoadBalancerPhase)(nil)

// Name implements Phase.
func (*LoadBalancerPhase) Name() string { return "loadbalancer" }

// Describe implements Describer.
func (*LoadBalancerPhase) Describe() string { return "HAProxy for the API, machine config and ingress" }

// Needs implements Dependent.
func (*LoadBalancerPhase) Needs() []string { return nil }

// NotImplemented implements Unimplemented.
func (*LoadBalancerPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *LoadBalancerPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
