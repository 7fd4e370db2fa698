package installer

import "context"

// MirrorPhase is the mirror phase: the release payload copied into the mirror registry.
type MirrorPhase struct{}

var _ Unimplemented = (*MirrorPhase)(nil)

// Name implements Phase.
func (*MirrorPhase) Name() string { return "mirror" }

// Describe implements Describer.
func (*MirrorPhase) Describe() string { return "the release payload copied into the mirror registry" }

// Needs implements Dependent.
func (*MirrorPhase) Needs() []string { return []string{"registry"} }

// NotImplemented implements Unimplemented.
func (*MirrorPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *MirrorPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
