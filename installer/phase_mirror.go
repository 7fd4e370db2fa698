package installer

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/okdctl/okdctl/registry"
)

// MirrorPhase is the mirror phase: the release payload copied into the
// mirror registry, and the mapping install-config's mirror sources come from.
type MirrorPhase struct {
	// ProgressEvery is how often progress is logged (default 10 s); on a
	// terminal a line after the spinner shows it all the time.
	ProgressEvery time.Duration
	// FreeSpace probes the registry storage's free bytes (tests fake it).
	FreeSpace func(dir string) (int64, error)
}

var (
	_ Conditional   = (*MirrorPhase)(nil)
	_ Checker       = (*MirrorPhase)(nil)
	_ InputProvider = (*MirrorPhase)(nil)
)

// Name implements Phase.
func (*MirrorPhase) Name() string { return PhaseMirror }

// ShouldRun implements Conditional.
func (*MirrorPhase) ShouldRun(rc *RunContext) (bool, string) {
	if !rc.Spec().MirrorEnabled() {
		return false, "spec.registry.mirror is false (or the registry is disabled): nodes pull the release from its own registry"
	}
	return true, ""
}

// MirrorRepository is where the release goes in the mirror:
// <registry name>:<port>/<the release's repository path>.
func MirrorRepository(rc *RunContext) (string, error) {
	ref, err := name.ParseReference(rc.Spec().Release.Image)
	if err != nil {
		return "", fmt.Errorf("failed to parse spec.release.image: %w", err)
	}
	return registryHost(rc) + "/" + ref.Context().RepositoryStr(), nil
}

func registryHost(rc *RunContext) string {
	if ext := rc.Spec().Registry.External; ext != nil {
		return ext.Host
	}
	return net.JoinHostPort(RegistryName(rc.Cluster()), strconv.Itoa(rc.Spec().Bastion.Ports.Registry))
}

// Inputs implements InputProvider.
func (p *MirrorPhase) Inputs(rc *RunContext) (any, error) {
	repo, err := MirrorRepository(rc)
	if err != nil {
		return nil, err
	}
	in := map[string]string{"release": rc.Spec().Release.Image, "mirror": repo}
	if rc.Spec().Registry.AllArchitectures {
		in["allArchitectures"] = "true"
	}
	return in, nil
}

// Done implements Checker: the mapping is the spec's release and every
// digest it names is in the mirror.
func (p *MirrorPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	data, err := rc.Host().Files.ReadFile(rc.StatePath(FileMirrorMapping))
	if err != nil {
		return false, nil
	}
	m, err := registry.DecodeMapping(data)
	if err != nil || m.Release != rc.Spec().Release.Image {
		return false, nil
	}
	o, err := mirrorOptions(rc)
	if err != nil {
		return false, err
	}
	missing, err := registry.CheckMirrored(ctx, o, m)
	return err == nil && len(missing) == 0, err
}

// Run implements Phase.
func (p *MirrorPhase) Run(ctx context.Context, rc *RunContext) error {
	repo, err := MirrorRepository(rc)
	if err != nil {
		return err
	}
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("mirror %s and every image its release-manifests/image-references lists into %s by digest (what is there is skipped); record the mapping in %s; install-config gets %s",
			rc.Spec().Release.Image, repo, rc.StatePath(FileMirrorMapping), rc.Release().MirrorField()))
		return nil
	}
	o, err := mirrorOptions(rc)
	if err != nil {
		return err
	}
	o.DataDir, o.FreeSpace = registryLayout(rc).DataDir, p.FreeSpace
	o.MountFrom = earlierMirror(rc)
	pr := p.progress(rc)
	o.Progress = pr.report
	m, err := registry.Mirror(ctx, o)
	if pr.last.Changed() {
		rc.Changed() // uploads are no file change, yet consumers must know
	}
	if err != nil {
		return err
	}
	rc.Log().Infof("mirrored %s", pr.last.Summary())
	if _, err := rc.Host().Files.WriteFile(rc.StatePath(FileMirrorMapping), m.Encode(), 0o644); err != nil {
		return fmt.Errorf("failed to write the mirror mapping: %w", err)
	}
	rc.Log().Infof("release %s mirrored to %s with %d images; install-config gets %s for %d source repositories",
		m.ReleaseDigest, m.Repository, len(m.Images)+1, rc.Release().MirrorField(), len(m.Sources))
	return nil
}

// earlierMirror is the repository path of the last release mirrored here:
// a new release in another repository mounts the blobs they share.
func earlierMirror(rc *RunContext) string {
	data, err := rc.Host().Files.ReadFile(rc.StatePath(FileMirrorMapping))
	if err != nil {
		return ""
	}
	m, err := registry.DecodeMapping(data)
	if err != nil {
		return ""
	}
	repo, err := name.NewRepository(m.Repository)
	if err != nil || repo.RegistryStr() != registryHost(rc) {
		return ""
	}
	return repo.RepositoryStr()
}

// mirrorOptions reaches the registry by name at the bastion's IP, with
// okdctl's CA and the merged pull secret (mirror and source credentials).
func mirrorOptions(rc *RunContext) (registry.MirrorOptions, error) {
	s := rc.Spec()
	if s.Registry.External != nil {
		ca, ps, _, err := externalMirror(rc)
		if err != nil {
			return registry.MirrorOptions{}, err
		}
		host := registryHost(rc)
		return registry.MirrorOptions{Release: s.Release.Image, Registry: host, Pins: map[string]string{host: mirrorHostAddr(rc)},
			CACert: ca, PullSecret: ps, AllArchitectures: s.Registry.AllArchitectures, Log: rc.Log()}, nil
	}
	files := rc.Host().Files
	ca, err := files.ReadFile(rc.StatePath(FileCACert))
	if err != nil {
		return registry.MirrorOptions{}, missingOutput(err, "okdctl's CA")
	}
	ps, err := files.ReadFile(rc.StatePath(FilePullSecret))
	if err != nil {
		return registry.MirrorOptions{}, missingOutput(err, "the pull secret")
	}
	host := registryHost(rc)
	addr := mirrorHostAddr(rc)
	return registry.MirrorOptions{Release: s.Release.Image, Registry: host, Pins: map[string]string{host: addr},
		CACert: ca, PullSecret: ps, AllArchitectures: s.Registry.AllArchitectures, Log: rc.Log()}, nil
}

// mirrorProgress shows a mirror's progress: in place on a terminal, as
// a line (a JSON event with the counts) every ProgressEvery and at the end.
type mirrorProgress struct {
	log   *Logger
	every time.Duration
	meter *registry.Meter
	at    time.Time // of the last line
	last  registry.Status
}

func (p *MirrorPhase) progress(rc *RunContext) *mirrorProgress {
	every := p.ProgressEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	return &mirrorProgress{log: rc.Log(), every: every, meter: registry.NewMeter()}
}

// report is called (serialised) as the mirror's counts change; the
// first call carries the totals the manifests give, before any copy.
func (m *mirrorProgress) report(pr registry.Progress) {
	first := m.at.IsZero()
	m.last = m.meter.Status(pr)
	m.log.Live(m.last.Line())
	if first || pr.ImagesDone == pr.ImagesTotal || time.Since(m.at) >= m.every {
		m.at = time.Now()
		what := "mirrored "
		if first {
			what = "to mirror (from the manifests): "
		}
		m.log.ProgressEvent(what+m.last.Line(), m.last.Fields())
	}
}
