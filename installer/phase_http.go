package installer

import "context"

// HTTPPhase is the http phase: nginx serving ignition and the CoreOS media.
type HTTPPhase struct{}

var _ Unimplemented = (*HTTPPhase)(nil)

// Name implements Phase.
func (*HTTPPhase) Name() string { return "http" }

// Describe implements Describer.
func (*HTTPPhase) Describe() string { return "nginx serving ignition and the CoreOS media" }

// Needs implements Dependent.
func (*HTTPPhase) Needs() []string { return []string{"ignition"} }

// NotImplemented implements Unimplemented.
func (*HTTPPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *HTTPPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
