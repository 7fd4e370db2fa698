package installer

import "context"

// RegistryPhase is the registry phase: the mirror registry with okdctl's CA and htpasswd auth.
type RegistryPhase struct{}

var _ Unimplemented = (*RegistryPhase)(nil)

// Name implements Phase.
func (*RegistryPhase) Name() string { return "registry" }

// Describe implements Describer.
func (*RegistryPhase) Describe() string {
	return "the mirror registry with okdctl's CA and htpasswd auth"
}

// Needs implements Dependent.
func (*RegistryPhase) Needs() []string { return nil }

// NotImplemented implements Unimplemented.
func (*RegistryPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *RegistryPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
