package installer

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

// ReleaseReader reads what a release image says about itself. A Runner
// without one is offline: the release is not read and not checked.
type ReleaseReader func(ctx context.Context, image string) (*release.Facts, error)

// releaseReadTimeout bounds the read, so that a plan on a machine without
// the registry in reach says "not checked" soon.
const releaseReadTimeout = 20 * time.Second

// NewReleaseReader reads release images from their registries with the
// spec's pull secret. In the sandbox it contacts loopback registries only.
func NewReleaseReader(c *spec.Cluster, sandbox bool) ReleaseReader {
	return func(ctx context.Context, image string) (*release.Facts, error) {
		ref, err := name.ParseReference(image)
		if err != nil {
			return nil, fmt.Errorf("failed to parse the release image %q: %w", image, err)
		}
		if host := ref.Context().RegistryStr(); sandbox && !loopbackHost(host) {
			return nil, fmt.Errorf("the sandbox contacts loopback registries only, and %s is not one", host)
		}
		var ps []byte
		if c.Spec.PullSecretFile != "" {
			if ps, err = os.ReadFile(c.Spec.PullSecretFile); err != nil {
				return nil, fmt.Errorf("failed to read spec.pullSecretFile: %w", err)
			}
		}
		kc, err := registry.NewKeychain(ps)
		if err != nil {
			return nil, err
		}
		t, err := registry.NewTransport(registry.TransportOptions{})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, releaseReadTimeout)
		defer cancel()
		return fetchReleaseFacts(ctx, image, remote.WithTransport(t), remote.WithAuthFromKeychain(kc),
			remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}), remote.WithUserAgent("okdctl"))
	}
}

// fetchReleaseFacts reads a release image's facts from its registry. opts carry
// the transport, credentials and platform.
func fetchReleaseFacts(ctx context.Context, image string, opts ...remote.Option) (*release.Facts, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the release image %q: %w", image, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to read the release image %s: %w", image, err)
	}
	img, err := desc.Image() // the platform's image of a multi-arch release
	if err != nil {
		return nil, fmt.Errorf("failed to read the release image %s: %w", image, err)
	}
	f, err := release.ReadFacts(img)
	if err != nil {
		return nil, fmt.Errorf("failed to read the release image %s: %w", image, err)
	}
	f.Image, f.Digest = image, desc.Digest.String()
	return f, nil
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// releaseFacts is what a run knows of the release image itself.
type releaseFacts struct {
	facts *release.Facts
	// note says where the facts came from, or why there are none.
	note string
}

// resolveRelease reads the release image's facts, from the state when an
// earlier run read them (re-runs do not fetch again), and derives the
// release version when the spec pins the image by digest without one.
func (r *Runner) resolveRelease(ctx context.Context, state *State) (release.Version, releaseFacts, error) {
	image := r.Cluster.Spec.Release.Image
	var rf releaseFacts
	switch {
	case state.Release != nil && state.Release.Image == image:
		rf = releaseFacts{facts: state.Release, note: "read by an earlier run (cached in the state)"}
	case r.ReadRelease == nil:
		rf.note = "okdctl is offline (--offline)"
	default:
		f, err := r.ReadRelease(ctx, image)
		if err != nil {
			rf.note = r.Log.Mask(err.Error())
			break
		}
		rf = releaseFacts{facts: f, note: "read from the registry"}
		state.Release = f
	}
	ver, err := r.Cluster.ReleaseVersion()
	if err == nil {
		return ver, rf, nil
	}
	if rf.facts == nil {
		return ver, rf, fmt.Errorf("spec.release.image %s is pinned by digest without spec.release.version, and okdctl could not read the version from the image (%s): set spec.release.version, or run where its registry is in reach", image, rf.note)
	}
	if ver, err = release.Parse(rf.facts.Version); err != nil {
		return ver, rf, fmt.Errorf("the release image %s says it is %q: %w", image, rf.facts.Version, err)
	}
	r.Cluster.Spec.Release.Version = ver.String()
	return ver, rf, nil
}

// versionFromState is the release version for a command that reads the
// state but runs no phase (day 2): the spec's, else what the install read
// from a digest-pinned image.
func versionFromState(c *spec.Cluster, st *State) (release.Version, error) {
	ver, err := c.ReleaseVersion()
	if err == nil || st.Release == nil || st.Release.Image != c.Spec.Release.Image {
		return ver, err
	}
	if ver, err = release.Parse(st.Release.Version); err != nil {
		return ver, err
	}
	c.Spec.Release.Version = ver.String()
	return ver, nil
}
