package installer

import "context"

// ApprovePhase is the approve phase: verifying CSR approval until every node is Ready.
type ApprovePhase struct{}

var _ Unimplemented = (*ApprovePhase)(nil)

// Name implements Phase.
func (*ApprovePhase) Name() string { return "approve" }

// Describe implements Describer.
func (*ApprovePhase) Describe() string { return "verifying CSR approval until every node is Ready" }

// Needs implements Dependent.
func (*ApprovePhase) Needs() []string { return []string{"bootstrap"} }

// NotImplemented implements Unimplemented.
func (*ApprovePhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *ApprovePhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
