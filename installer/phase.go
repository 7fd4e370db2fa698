package installer

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

// Phase is one step of the install. Its name is the CLI name and the state key.
type Phase interface {
	Name() string
	Run(ctx context.Context, rc *RunContext) error
}

// Conditional phases say themselves when they do not apply to a spec.
type Conditional interface {
	// ShouldRun reports whether the phase applies, and why not when it does not.
	ShouldRun(rc *RunContext) (bool, string)
}

// Checker phases observe whether their result still holds, so that a
// finished phase with unchanged inputs is confirmed against reality.
type Checker interface {
	Done(ctx context.Context, rc *RunContext) (bool, error)
}

// Describer phases outside the plan (add-node's, say) summarise their work
// in one line; the plan's phases are described in Plan.
type Describer interface {
	Describe() string
}

// InputProvider phases declare what they consume; its digest decides
// whether a finished phase must run again.
type InputProvider interface {
	Inputs(rc *RunContext) (any, error)
}

// Dependent phases outside the plan name the earlier phases whose output
// they consume; when one of those re-runs, this one runs again too. The
// plan's phases declare their needs in Plan.
type Dependent interface {
	Needs() []string
}

// RunContext is what a phase gets: narrow accessors, no globals.
type RunContext struct {
	cluster *spec.Cluster
	host    *bastion.Host
	state   *State
	log     *Logger
	phase   string
	release release.Version
	// releaseFacts is what the release image says about itself.
	releaseFacts releaseFacts
	// Kubeconfig overrides <installDir>/auth/kubeconfig when set.
	kubeconfig string
	now        func() time.Time
	changed    bool
	forced     []string
}

// Cluster is the defaulted, validated spec.
func (rc *RunContext) Cluster() *spec.Cluster { return rc.cluster }

// Spec is a shortcut for &Cluster().Spec.
func (rc *RunContext) Spec() *spec.ClusterSpec { return &rc.cluster.Spec }

// Host is the bastion: files, commands, services (recording in a dry run).
func (rc *RunContext) Host() *bastion.Host { return rc.host }

// DryRun reports whether mutations are recorded instead of made.
func (rc *RunContext) DryRun() bool { return rc.host.DryRun }

// Sandbox reports whether services run as supervised processes on loopback.
func (rc *RunContext) Sandbox() bool { return rc.host.Sandbox }

// Release is the release's x.y, for version-specific behaviour.
func (rc *RunContext) Release() release.Version { return rc.release }

// Log prints messages prefixed with the phase name.
func (rc *RunContext) Log() *Logger { return rc.log.WithPhase(rc.phase) }

// ReleaseFacts is what the release image says about itself (nil when it
// was not read), and where that came from or why it was not read.
func (rc *RunContext) ReleaseFacts() (*release.Facts, string) {
	return rc.releaseFacts.facts, rc.releaseFacts.note
}

// State is the run's state (read-only for phases; the runner writes it).
func (rc *RunContext) State() *State { return rc.state }

// Now is the clock.
func (rc *RunContext) Now() time.Time {
	if rc.now != nil {
		return rc.now()
	}
	return time.Now()
}

// Path relocates a system path under --root.
func (rc *RunContext) Path(p ...string) string { return rc.host.Paths.Path(p...) }

// StateDir is okdctl's own directory for this cluster; phases keep their
// outputs (CA, passwords, records) in it.
func (rc *RunContext) StateDir() string { return rc.host.Paths.StateDir(rc.cluster.Metadata.Name) }

// StatePath is a file in the state directory.
func (rc *RunContext) StatePath(elem ...string) string {
	return filepath.Join(append([]string{rc.StateDir()}, elem...)...)
}

// InstallDir is openshift-install's directory (absolute).
func (rc *RunContext) InstallDir() string { return rc.cluster.Spec.InstallDir }

// Kubeconfig is the admin kubeconfig the cluster phases use.
func (rc *RunContext) Kubeconfig() string {
	if rc.kubeconfig != "" {
		return rc.kubeconfig
	}
	return filepath.Join(rc.InstallDir(), "auth", "kubeconfig")
}

// Reporter phases have output the user wants on every run, also when the
// phase is unchanged and does not run (the boot lines): the runner calls
// Report instead.
type Reporter interface {
	Report(ctx context.Context, rc *RunContext) error
}

// DryRunner phases describe themselves in a dry run instead of running
// against the recording host (phases that wait on a cluster, say).
type DryRunner interface {
	DryRun(ctx context.Context, rc *RunContext) error
}

// Changed tells the runner that the phase changed something that the
// host's file and gate counters cannot see (a service restart, say), so
// that the phases consuming its output run again.
func (rc *RunContext) Changed() { rc.changed = true }

// BastionReachable reports whether okdctl may talk to the bastion's own
// services (etcd, the registry, ...): only when spec.bastion.ip is an
// address of this machine. A plan made on a laptop for a lab never
// contacts the lab's addresses.
func (rc *RunContext) BastionReachable() bool {
	return bastionAddress(rc.Spec().Bastion.IP) == nil
}

// Forced reports whether the user forced a phase to run (--force).
func (rc *RunContext) Forced(phase string) bool { return slices.Contains(rc.forced, phase) }
