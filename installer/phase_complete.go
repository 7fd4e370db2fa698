package installer

import "context"

// CompletePhase is the complete phase: waits for install-complete and prints the console URL.
type CompletePhase struct{}

var _ Unimplemented = (*CompletePhase)(nil)

// Name implements Phase.
func (*CompletePhase) Name() string { return "complete" }

// Describe implements Describer.
func (*CompletePhase) Describe() string {
	return "waits for install-complete and prints the console URL"
}

// Needs implements Dependent.
func (*CompletePhase) Needs() []string { return []string{"scale"} }

// NotImplemented implements Unimplemented.
func (*CompletePhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *CompletePhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
