package bastion

import (
	"context"
	"sync/atomic"
)

// Host bundles the side effects of one okdctl run.
type Host struct {
	Paths    Paths
	Files    Files
	Runner   Runner
	Services Services
	// Sandbox is set when services run as supervised processes.
	Sandbox bool
	// DryRun is set when every mutation is recorded instead of made.
	DryRun bool
	// Rec collects the planned actions of a dry run (nil otherwise).
	Rec *Recorder
	// Okdctl is the okdctl program whose `serve` subcommands run the
	// bastion's etcd, CoreDNS and registry.
	Okdctl string

	wet atomic.Int64
}

// HostOptions selects the kind of host.
type HostOptions struct {
	Root    string
	Sandbox bool
	DryRun  bool
	// Okdctl is the okdctl program the services run (default: this
	// executable; a test binary passes the okdctl it built).
	Okdctl string
}

// NewHost builds the host for a run.
func NewHost(o HostOptions) *Host {
	paths := Paths{Root: o.Root}
	disk := &DiskFiles{BackupDir: paths.Path("/var/lib/okdctl/backups")}
	h := &Host{Paths: paths, Files: disk, Runner: ExecRunner{}, Sandbox: o.Sandbox, DryRun: o.DryRun, Okdctl: o.Okdctl}
	if h.Okdctl == "" {
		h.Okdctl = Executable()
	}
	if o.Sandbox {
		h.Services = &Sandbox{Paths: paths}
	} else {
		h.Services = &Systemd{Files: disk, Runner: h.Runner, Paths: paths}
	}
	if o.DryRun {
		h.Rec = &Recorder{}
		h.Files = &RecordingFiles{Base: disk, Rec: h.Rec}
		h.Runner = &RecordingRunner{Base: ExecRunner{}, Rec: h.Rec}
		h.Services = &RecordingServices{Rec: h.Rec, Base: h.Services}
	}
	return h
}

// Note records a planned action in a dry run (no-op otherwise).
func (h *Host) Note(summary string) {
	if h.Rec != nil {
		h.Rec.Add(Planned{Kind: KindNote, Summary: summary})
	}
}

// Wet runs fn unless this is a dry run, in which case it records desc and,
// when given, detail (the records an etcd transaction writes, say), shown
// under desc in a plan like a file's diff. It is the one gate for
// mutations that have no Files/Runner/Services form (an etcd transaction,
// an API call). Call it only when there is something to change: every
// call counts as a change of the phase.
func (h *Host) Wet(ctx context.Context, desc, detail string, fn func(context.Context) error) error {
	if h.DryRun {
		if h.Rec != nil {
			h.Rec.Add(Planned{Kind: KindNote, Summary: desc, Diff: detail})
		}
		return nil
	}
	h.wet.Add(1)
	return fn(ctx)
}

// Changes counts the file writes and gated mutations made so far (0 for a
// dry run).
func (h *Host) Changes() int {
	n := int(h.wet.Load())
	if d, ok := h.Files.(*DiskFiles); ok {
		n += d.Changes()
	}
	return n
}
