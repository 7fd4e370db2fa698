package openshiftinstall

import (
	"context"
	"fmt"
	"strings"

	"github.com/okdctl/okdctl/spec/release"
)

// Expected is the release an openshift-install binary must be built for.
type Expected struct {
	// Image is spec.release.image.
	Image   string
	Version release.Version
	// FullVersion is the release's full version when known: from the
	// image's own metadata, or a tag that is one (4.15.0-0.okd-...).
	FullVersion string
	// Digest is the release image's digest when known: pinned in the
	// spec, or read from the image.
	Digest string
}

// ExtractCommand is the command that gets a release's own openshift-install.
func ExtractCommand(image string) string {
	return "oc adm release extract --command=openshift-install " + image
}

// Check compares the binary's version and release image with the
// release's: x.y always, then the digest when both are known, else the full
// version. checked is false when the binary's version cannot be read (a
// development build): the caller warns and goes on.
func (v VersionInfo) Check(want Expected) (checked bool, err error) {
	got, perr := release.Parse(v.Version)
	if perr != nil {
		return false, nil
	}
	fix := fmt.Sprintf("extract the release's own binary with `%s`, then set spec.openshiftInstall to it (or put it first in PATH)", ExtractCommand(want.Image))
	if got != want.Version {
		return true, fmt.Errorf("openshift-install %s (release image %s) installs release %s, but the spec's release %s is %s: %s", v.Version, v.ReleaseImage, got, want.Image, want.Version, fix)
	}
	if have := release.PinnedDigest(v.ReleaseImage); want.Digest != "" && have != "" {
		if have != want.Digest {
			return true, fmt.Errorf("openshift-install %s installs release image %s, not the spec's release %s (%s): %s", v.Version, v.ReleaseImage, want.Image, want.Digest, fix)
		}
		return true, nil
	}
	if want.FullVersion != "" && strings.TrimPrefix(v.Version, "v") != want.FullVersion {
		return true, fmt.Errorf("openshift-install %s installs release %s, not the spec's release %s (%s): %s", v.Version, v.Version, want.Image, want.FullVersion, fix)
	}
	return true, nil
}

// PrintStreamJSON runs `openshift-install coreos print-stream-json` (4.8+,
// read-only): the CoreOS boot media the binary pins.
func (d *Driver) PrintStreamJSON(ctx context.Context) ([]byte, error) {
	out, err := d.Runner.Run(ctx, d.cmd(true, "coreos", "print-stream-json"))
	if err != nil {
		return nil, fmt.Errorf("failed to run openshift-install coreos print-stream-json: %w", err)
	}
	return out, nil
}
