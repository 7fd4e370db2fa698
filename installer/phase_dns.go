package installer

import "context"

// DNSPhase is the dns phase: etcd and CoreDNS serving the cluster's records.
type DNSPhase struct{}

var _ Unimplemented = (*DNSPhase)(nil)

// Name implements Phase.
func (*DNSPhase) Name() string { return "dns" }

// Describe implements Describer.
func (*DNSPhase) Describe() string { return "etcd and CoreDNS serving the cluster's records" }

// Needs implements Dependent.
func (*DNSPhase) Needs() []string { return nil }

// NotImplemented implements Unimplemented.
func (*DNSPhase) NotImplemented() bool { return true }

// Run implements Phase.
func (p *DNSPhase) Run(ctx context.Context, rc *RunContext) error { return errNotImplemented(p.Name()) }
