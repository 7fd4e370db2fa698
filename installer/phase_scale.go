package installer

import "context"

// ScalePhase is the scale phase: small-cluster adjustments through the operators' resources.
type ScalePhase struct{}

var _ Unimplemented = (*ScalePhase)(nil)

// Name implements Phase.
func (*ScalePhase) Name() string { return "scale" }

// Describe implements Describer.
func (*ScalePhase) Describe() string {
	return "small-cluster adjustments through the operators' resources"
}

// Needs implements Dependent.
func (*ScalePhase) Needs() []string { return []string{"approve"} }

// NotImplemented implements Unimplemented.
func (*ScalePhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *ScalePhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
