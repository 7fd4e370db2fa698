package installer

import "context"

// IgnitionPhase is the ignition phase: openshift-install create ignition-configs and per-node ignition.
type IgnitionPhase struct{}

var _ Unimplemented = (*IgnitionPhase)(nil)

// Name implements Phase.
func (*IgnitionPhase) Name() string { return "ignition" }

// Describe implements Describer.
func (*IgnitionPhase) Describe() string {
	return "openshift-install create ignition-configs and per-node ignition"
}

// Needs implements Dependent.
func (*IgnitionPhase) Needs() []string { return []string{"manifests"} }

// NotImplemented implements Unimplemented.
func (*IgnitionPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *IgnitionPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
