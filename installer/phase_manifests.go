package installer

import "context"

// ManifestsPhase is the manifests phase: openshift-install create manifests, then okdctl's patches.
type ManifestsPhase struct{}

var _ Unimplemented = (*ManifestsPhase)(nil)

// Name implements Phase.
func (*ManifestsPhase) Name() string { return "manifests" }

// Describe implements Describer.
func (*ManifestsPhase) Describe() string {
	return "openshift-install create manifests, then okdctl's patches"
}

// Needs implements Dependent.
func (*ManifestsPhase) Needs() []string { return []string{"installconfig"} }

// NotImplemented implements Unimplemented.
func (*ManifestsPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *ManifestsPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
