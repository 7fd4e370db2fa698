package installer

import "context"

// BootPhase is the boot phase: each node's boot line, coreos-installer command, iPXE, PXE and GRUB entries.
type BootPhase struct{}

var _ Unimplemented = (*BootPhase)(nil)

// Name implements Phase.
func (*BootPhase) Name() string { return "boot" }

// Describe implements Describer.
func (*BootPhase) Describe() string {
	return "each node's boot line, coreos-installer command, iPXE, PXE and GRUB entries"
}

// Needs implements Dependent.
func (*BootPhase) Needs() []string { return []string{"http"} }

// NotImplemented implements Unimplemented.
func (*BootPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *BootPhase) Run(ctx context.Context, rc *RunContext) error {
	return errNotImplemented(p.Name())
}
