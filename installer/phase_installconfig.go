package installer

import "context"

// InstallConfigPhase is the installconfig phase: install-config.yaml rendered from the spec.
type InstallConfigPhase struct{}

var _ Unimplemented = (*InstallConfigPhase)(nil)

// Name implements Phase.
func (*InstallConfigPhase) Name() string { return "installconfig" }

// Describe implements Describer.
func (*InstallConfigPhase) Describe() string { return "install-config.yaml rendered from the spec" }

// Needs implements Dependent.
func (*InstallConfigPhase) Needs() []string { return []string{"registry", "mirror"} }

// NotImplemented implements Unimplemented.
func (*InstallConfigPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *InstallConfigPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
