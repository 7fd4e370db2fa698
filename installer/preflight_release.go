package installer

import (
	"context"
	"fmt"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer/openshiftinstall"
	"github.com/okdctl/okdctl/spec/release"
)

// releaseCoherence checks the release image, openshift-install and the
// CoreOS image against each other, before anything boots. It returns the
// problems that stop the install; verbose also reports what it found (in a
// plan, as planned notes).
func releaseCoherence(ctx context.Context, rc *RunContext, verbose bool) []string {
	s := rc.Spec()
	spec := release.SpecRelease{Image: s.Release.Image, Version: s.Release.Version, PullSecret: s.PullSecretFile != ""}
	say := func(format string, args ...any) {
		if verbose {
			rc.Log().Infof(format, args...)
			rc.Host().Note(fmt.Sprintf(format, args...))
		}
	}
	warn := func(format string, args ...any) {
		if verbose {
			rc.Log().Warnf(format, args...)
			rc.Host().Note("warning: " + fmt.Sprintf(format, args...))
		}
	}
	var problems []string
	facts, note := rc.ReleaseFacts()
	if facts == nil {
		say("release image %s not read (%s): its version is not checked against the spec", s.Release.Image, note)
	} else {
		say("release image %s is %s (%s, %s, %d components; %s)", s.Release.Image, facts.Version, facts.Digest, facts.Source, len(facts.Components), note)
		if err := spec.CheckFacts(facts); err != nil {
			problems = append(problems, err.Error())
		}
	}
	_, _, probs := spec.Resolve()
	for _, p := range probs {
		if p.Warning {
			warn("%s", p.Error())
		}
	}
	media, err := installerAgainstRelease(ctx, rc, facts, say, warn)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if err := coreosAgainstRelease(rc, facts, media, warn); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// installerAgainstRelease runs `openshift-install version` and compares
// its release with the spec's; on 4.8+ it returns the CoreOS media the
// binary pins (print-stream-json), nil when unavailable. A missing binary
// is the manifests phase's concern (installerNote warns).
func installerAgainstRelease(ctx context.Context, rc *RunContext, facts *release.Facts, say, warn func(string, ...any)) (*release.MetalMedia, error) {
	bin, err := openshiftinstall.Find(rc.Spec().OpenShiftInstall)
	if err != nil {
		return nil, nil
	}
	if _, err := bastion.LookPath(bin); err != nil {
		return nil, nil
	}
	d := &openshiftinstall.Driver{Binary: bin, Runner: rc.Host().Runner}
	v, err := d.Version(ctx)
	if err != nil {
		return nil, err
	}
	checked, err := v.Check(expectedRelease(rc, facts))
	if err != nil {
		return nil, err
	}
	if !checked {
		warn("cannot tell the release of openshift-install %q: not checked against release %s", v.Version, rc.Release())
		return nil, nil
	}
	say("openshift-install %s installs release image %s: the spec's release", v.Version, v.ReleaseImage)
	if !rc.Release().HasStreamMetadata() {
		return nil, nil
	}
	data, err := d.PrintStreamJSON(ctx)
	if err != nil {
		warn("%v: the CoreOS image is checked by its name only", err)
		return nil, nil
	}
	media, err := release.ParseStreamJSON(data, streamArch(v.Architecture))
	if err != nil {
		warn("%v: the CoreOS image is checked by its name only", err)
		return nil, nil
	}
	say("CoreOS boot media openshift-install pins (stream %s, build %s): %s sha256 %s", media.Stream, media.Release, media.Disk.Location, media.Disk.SHA256)
	return media, nil
}

// expectedRelease is what the binary must carry: the release's digest when
// pinned or read, its full version when read or tagged.
func expectedRelease(rc *RunContext, facts *release.Facts) openshiftinstall.Expected {
	image := rc.Spec().Release.Image
	want := openshiftinstall.Expected{Image: image, Version: rc.Release(),
		Digest: release.PinnedDigest(image), FullVersion: release.FullVersionOf(image)}
	if facts != nil {
		want.FullVersion = facts.Version
		if want.Digest == "" {
			want.Digest = facts.Digest
		}
	}
	return want
}

// streamArch maps `release architecture` (Go's names) to CoreOS's.
func streamArch(goarch string) string {
	switch goarch {
	case "arm64":
		return "aarch64"
	case "", "amd64":
		return "x86_64"
	}
	return goarch
}

// coreosAgainstRelease checks spec.coreos.image against the stream the
// release boots: the installer's own stream metadata when there is one,
// else the release rule.
func coreosAgainstRelease(rc *RunContext, facts *release.Facts, media *release.MetalMedia, warn func(string, ...any)) error {
	image := rc.Spec().CoreOS.Image
	full := ""
	if facts != nil {
		full = facts.Version
	}
	product := release.ProductOf(rc.Spec().Release.Image, full)
	warning, notes, err := release.CheckCoreOS(product, rc.Release(), image)
	if media != nil && media.OS != release.StreamUnknown {
		warning, err = checkAgainstMedia(image, media, release.CoreOSBoot(product, rc.Release()), warning)
	}
	if err != nil {
		return fmt.Errorf("spec.coreos.image: %w", err)
	}
	if warning != "" {
		warn("spec.coreos.image: %s", warning)
	}
	for _, n := range notes {
		warn("%s", n)
	}
	return nil
}

// checkAgainstMedia prefers the installer's stream metadata over the rule:
// the image is the pinned one, or of the pinned stream, or (with the rule's
// warning) the stream the nodes pivot to, or wrong.
func checkAgainstMedia(image string, media *release.MetalMedia, boot release.Boot, warning string) (string, error) {
	if _, ok := media.Matches(image); ok {
		return "", nil
	}
	switch got := release.StreamOf(image); got {
	case media.OS:
		return "", nil
	case release.StreamUnknown:
		return fmt.Sprintf("cannot tell which CoreOS %s is from its name: openshift-install pins %s (%s); make sure it is that", image, media.OS, media.Disk.Location), nil
	case boot.PivotsTo:
		return warning, nil
	default:
		return warning, fmt.Errorf("%s is %s, but openshift-install pins %s for this release: use %s (sha256 %s)", image, got, media.OS, media.Disk.Location, media.Disk.SHA256)
	}
}
