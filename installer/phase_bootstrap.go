package installer

import "context"

// BootstrapPhase is the bootstrap phase: waits for bootstrap-complete, then drops the bootstrap node.
type BootstrapPhase struct{}

var _ Unimplemented = (*BootstrapPhase)(nil)

// Name implements Phase.
func (*BootstrapPhase) Name() string { return "bootstrap" }

// Describe implements Describer.
func (*BootstrapPhase) Describe() string {
	return "waits for bootstrap-complete, then drops the bootstrap node"
}

// Needs implements Dependent.
func (*BootstrapPhase) Needs() []string { return []string{"ignition", "loadbalancer"} }

// NotImplemented implements Unimplemented.
func (*BootstrapPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *BootstrapPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
